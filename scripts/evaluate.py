from imbench.runtime import start

log = start(snakemake)

from imbench.evaluate import evaluate_cell  # noqa: E402

metrics = evaluate_cell(
    snakemake.input.predictions,
    snakemake.input.imbalanced,
    snakemake.input.raw,
    metrics_path=snakemake.output.metrics,
    confusion_path=snakemake.output.confusion,
    cell=snakemake.params.cell_id,
    cell_config=snakemake.params.cell,
    seed=snakemake.params.seed,
    shot_thresholds=snakemake.params.shot_thresholds,
)
log.info("accuracy %.4f, balanced accuracy %.4f", metrics["accuracy"], metrics["balanced_accuracy"])

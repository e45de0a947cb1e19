from imbench.runtime import start

log = start(snakemake)

from imbench.datasets.folds import make_fold  # noqa: E402

counts = make_fold(
    snakemake.input.raw,
    snakemake.output.raw,
    k=snakemake.params.folds,
    fold=snakemake.params.fold,
    seed=snakemake.params.fold_seed,
    source_config=snakemake.params.source_cell,
    config=snakemake.params.cell,
)
log.info("fold %s of %s: %s", snakemake.params.fold, snakemake.params.folds, counts)

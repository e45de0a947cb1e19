from imbench.runtime import start

log = start(snakemake)

from imbench.augment import rebalance_files  # noqa: E402

info = rebalance_files(
    snakemake.input.train,
    snakemake.input.counts,
    snakemake.output.train,
    snakemake.output.counts,
    augmenter=snakemake.params.augmenter,
    cell=snakemake.params.cell,
    sampling_strategy=snakemake.params.sampling_strategy,
    flip_safe=snakemake.params.flip_safe,
    seed=snakemake.params.seed,
    generators=snakemake.params.generators,
)
for note in info["notes"]:
    log.warning(note)
log.info("added %s -> counts %s", info["added"], info["counts"])

from imbench.runtime import start

log = start(snakemake)

from imbench.imbalance import imbalance_raw  # noqa: E402

info = imbalance_raw(
    snakemake.input.raw,
    snakemake.output.train,
    snakemake.output.counts,
    protocol=snakemake.params.protocol,
    cell=snakemake.params.cell,
    seed=snakemake.params.seed,
    original_counts=snakemake.params.original_counts,
)
log.info("counts %s, rho %.2f", info["counts"], info["rho"])

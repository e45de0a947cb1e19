from imbench.runtime import start

log = start(snakemake)

from imbench.reports.build import gan_losses  # noqa: E402

wc = snakemake.wildcards
gan_losses(
    list(snakemake.input.losses),
    list(snakemake.input.selection),
    snakemake.input.counts,
    snakemake.output.plot,
    dataset=wc.dataset,
    imbalance=wc.imbalance,
    augmenter=wc.augmenter,
    method=snakemake.params.method,
    seed=int(wc.seed),
)

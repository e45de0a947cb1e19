from imbench.runtime import start

log = start(snakemake)

from imbench.reports.build import samples  # noqa: E402

wc = snakemake.wildcards
samples(
    snakemake.input.train,
    snakemake.input.counts,
    snakemake.output.plot,
    dataset=wc.dataset,
    imbalance=wc.imbalance,
    augmenter=wc.augmenter,
    method=snakemake.params.method,
    seed=int(wc.seed),
)

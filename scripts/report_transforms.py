from imbench.runtime import start

log = start(snakemake)

from imbench.reports.build import transforms  # noqa: E402

wc = snakemake.wildcards
transforms(
    snakemake.input.imbalanced,
    snakemake.input.counts,
    snakemake.input.rebalanced,
    snakemake.output.plot,
    dataset=wc.dataset,
    imbalance=wc.imbalance,
    augmenter=wc.augmenter,
    params=dict(snakemake.params.params),
    flip_safe=bool(snakemake.params.flip_safe),
    seed=int(wc.seed),
)

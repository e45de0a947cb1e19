from imbench.runtime import start

log = start(snakemake)

from imbench.reports.build import rebalanced_counts  # noqa: E402

wc = snakemake.wildcards
rebalanced_counts(
    snakemake.input.imbalanced,
    snakemake.input.rebalanced,
    snakemake.output.plot,
    dataset=wc.dataset,
    imbalance=wc.imbalance,
    augmenter=wc.augmenter,
    seed=int(wc.seed),
)

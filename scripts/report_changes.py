from imbench.runtime import start

log = start(snakemake)

from imbench.reports.build import change_bars  # noqa: E402

change_bars(
    snakemake.input.summary,
    dict(zip(snakemake.params.imbalances, snakemake.input.counts, strict=True)),
    snakemake.output.plot,
    dataset=snakemake.wildcards.dataset,
    classifier=snakemake.wildcards.classifier,
    metrics=list(snakemake.params.metrics),
    augmenter_methods=dict(snakemake.params.augmenter_methods),
    imbalance_protocols=dict(snakemake.params.imbalance_protocols),
    order=dict(snakemake.params.order),
)

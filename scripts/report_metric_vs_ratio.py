from imbench.runtime import start

log = start(snakemake)

from imbench.reports.build import metric_vs_ratio  # noqa: E402

metric_vs_ratio(
    snakemake.input.summary,
    dict(zip(snakemake.params.imbalances, snakemake.input.counts, strict=True)),
    snakemake.output.plot,
    dataset=snakemake.wildcards.dataset,
    classifier=snakemake.wildcards.classifier,
    metrics=list(snakemake.params.metrics),
    augmenter_methods=dict(snakemake.params.augmenter_methods),
    imbalance_protocols=dict(snakemake.params.imbalance_protocols),
)

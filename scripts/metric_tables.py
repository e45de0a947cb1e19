from imbench.runtime import start

log = start(snakemake)

from imbench.reports.build import metric_tables  # noqa: E402

metric_tables(
    snakemake.input.summary,
    dict(zip(snakemake.params.imbalances, snakemake.input.counts, strict=True)),
    dataset=snakemake.wildcards.dataset,
    augmenter_methods=dict(snakemake.params.augmenter_methods),
    imbalance_protocols=dict(snakemake.params.imbalance_protocols),
    order=dict(snakemake.params.order),
    metrics=list(snakemake.params.metrics),
    table_md=snakemake.output.table,
    table_csv=snakemake.output.csv,
    ratio_md=snakemake.output.by_ratio,
    ratio_csv=snakemake.output.by_ratio_csv,
)

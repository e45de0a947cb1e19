from imbench.runtime import start

log = start(snakemake)

from imbench.reports.build import confusion_grid  # noqa: E402

confusion_grid(
    list(snakemake.input.metrics),
    dict(zip(snakemake.params.imbalances, snakemake.input.counts, strict=True)),
    snakemake.output.plot,
    dataset=snakemake.wildcards.dataset,
    classifier=snakemake.wildcards.classifier,
    order=dict(snakemake.params.order),
    imbalance_protocols=dict(snakemake.params.imbalance_protocols),
)

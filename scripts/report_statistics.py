from imbench.runtime import start

log = start(snakemake)

from imbench.reports.build import statistics  # noqa: E402

result = statistics(
    snakemake.input.summary,
    snakemake.output.plot,
    snakemake.output.markdown,
    snakemake.output.json,
    metric=snakemake.wildcards.metric,
    alpha=float(snakemake.params.alpha),
    imbalance_protocols=dict(snakemake.params.imbalance_protocols),
    augmenters=list(snakemake.params.augmenters),
)
log.info("%s: Friedman p = %s", snakemake.wildcards.metric, result.get("friedman_p"))

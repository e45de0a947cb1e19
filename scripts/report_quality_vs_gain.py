from imbench.runtime import start

log = start(snakemake)

from imbench.reports.build import quality_vs_gain  # noqa: E402

quality_vs_gain(
    snakemake.input.summary,
    {(i, a, int(s)): p for (i, a, s), p in zip(snakemake.params.cells, snakemake.input.quality,
                                                strict=True)},
    snakemake.output.plot,
    snakemake.output.csv,
    dataset=snakemake.wildcards.dataset,
    classifier=snakemake.wildcards.classifier,
    metric=snakemake.params.metric,
    augmenter_methods=dict(snakemake.params.augmenter_methods),
)

from imbench.runtime import start

log = start(snakemake)

from imbench.reports.build import generator_tables  # noqa: E402

# params carry the same paths as input.files, grouped by (imbalance, augmenter, seed)
generator_tables(
    {(i, a, int(s)): p for i, a, s, p in snakemake.params.quality},
    {(i, a, int(s)): list(losses) for i, a, s, losses, _ in snakemake.params.generators},
    {(i, a, int(s)): list(sel) for i, a, s, _, sel in snakemake.params.generators},
    dict(zip(snakemake.params.imbalances, snakemake.input.counts, strict=True)),
    snakemake.output.table,
    snakemake.output.quality,
    snakemake.output.times,
    dataset=snakemake.wildcards.dataset,
    order=dict(snakemake.params.order),
)

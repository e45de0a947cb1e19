from imbench.runtime import start

log = start(snakemake)

from imbench.reports.build import index  # noqa: E402

index(
    [dict(e) for e in snakemake.params.entries],
    snakemake.output.index,
    description="Every table and figure of this run, regenerated from results/ by the "
    "workflow's report rules. snakemake --report report.html gives the same with captions.",
)

from imbench.runtime import start

log = start(snakemake)

from imbench.summary import collect, write_summary  # noqa: E402

df = collect(snakemake.input.metrics)
log.info("%d cells, %d rows", len(snakemake.input.metrics), len(df))
write_summary(df, snakemake.output.summary)

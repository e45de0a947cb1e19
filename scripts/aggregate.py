from imbench.runtime import start

log = start(snakemake)

from imbench.summary import collect, other_code, write_summary  # noqa: E402

df = collect(snakemake.input.metrics)
log.info("%d cells, %d rows", len(snakemake.input.metrics), len(df))
stale = other_code(snakemake.input.metrics)
if stale:
    log.warning("%d of %d cells were made by other imbench code than this one (first: %s); "
                "`snakemake --forcerun $(python -m imbench.stale)` reruns what they came from",
                len(stale), len(snakemake.input.metrics), stale[0])
write_summary(df, snakemake.output.summary)

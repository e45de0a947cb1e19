from imbench.runtime import start

log = start(snakemake)

from imbench.io import write_text  # noqa: E402
from imbench.summary import (  # noqa: E402
    metrics_frame,
    other_code,
    other_code_text,
    read_metrics,
    write_summary,
)

metrics = read_metrics(snakemake.input.metrics)
df = metrics_frame(metrics)
log.info("%d cells, %d rows", len(metrics), len(df))
stale = other_code(metrics)
text = other_code_text(stale, len(metrics))
if stale:
    log.warning(text.splitlines()[0])
write_summary(df, snakemake.output.summary)
write_text(snakemake.output.other_code, text)

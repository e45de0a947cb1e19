from imbench.runtime import start

log = start(snakemake)

from imbench.io import write_text  # noqa: E402
from imbench.summary import markdown_tables, read_summary  # noqa: E402

df = read_summary(snakemake.input.summary)
tables = markdown_tables(df[df["dataset"] == snakemake.wildcards.dataset])
write_text(snakemake.output.table, tables[snakemake.wildcards.dataset])

"""Every report rule (rules/report.smk): the job function its table entry names."""

from imbench.runtime import start

log = start(snakemake)

from imbench.reports.job import run  # noqa: E402

run(snakemake)

from snakemake.utils import min_version

min_version("9.0")


# A preset given with --configfile is a whole config: the embedded demo (config.yaml) only
# applies without one, so its digits grid never merges into a preset's.
if not workflow.overwrite_configfiles:
    from imbench.plan.config import check_yaml_syntax

    check_yaml_syntax("config.yaml")  # file, line and column of a syntax error

    configfile: "config.yaml"


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/data.smk"
include: "rules/imbalance.smk"
include: "rules/generators.smk"
include: "rules/augment.smk"
include: "rules/classify.smk"
include: "rules/evaluate.smk"
include: "rules/report.smk"


# Input functions, not lists: every cluster job parses this file again, and a list over the
# whole grid would be built at each parse (a job's own DAG never needs it).
rule all:
    default_target: True
    input:
        lambda wildcards: get_final_output(),

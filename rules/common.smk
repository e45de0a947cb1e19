# Everything that is not a rule: validation, wildcard constraints, the grid and the input
# functions. The logic lives in imbench.plan (the only place that imports it) so that tests
# reach it; every file path pattern is a constant of imbench.plan.layout.
import os

from imbench.plan import Cell, Grid, ReportPlan, layout, prepare_config
from imbench.plan.schema import validate_config
from imbench.plan.cluster import check_workflow_arrays, coalesce_reevaluation_timers

# Duplicate keys in a config file refused; presets: quick_overrides when quick=true,
# data_sources overlay; then the merged config is what the schema checks (the schema file
# with the registries' names and parameters filled in; one ConfigError line, no dump).
prepare_config(config, workflow.configfiles)
validate_config(config, os.path.join(workflow.basedir, "schemas", "config.schema.yaml"))

# Raises imbench.errors.ConfigError naming the key, the bad value and what is allowed;
# then every weights file the user must supply has to be where the config says.
GRID = Grid(config)
GRID.check_user_files()


# A SLURM run with job arrays whose selection --jobs or --max-jobs-per-timespan could cut
# would hang (imbench.plan.cluster): refused once the DAG is built, before any submission.
onstart:
    check_workflow_arrays(workflow)


# Snakemake starts a scheduling timer per finished job and keeps them all while jobs wait;
# one pending wake-up does their work (imbench.plan.cluster). Before the scheduler exists.
coalesce_reevaluation_timers()


# With --sdm conda, envs/*.post-deploy.sh installs this checkout's package into each env.
os.environ.setdefault("IMBENCH_SOURCE", workflow.basedir)


wildcard_constraints:
    dataset=GRID.regex("datasets"),
    imbalance=GRID.regex("imbalances"),
    # an augmenter, or a generator's key (models/: shared by the augmenters that train it)
    augmenter=GRID.regex(
        "augmenters", [*GRID.names("augmenters"), *GRID.generator_keys()]
    ),
    classifier=GRID.regex("classifiers"),
    seed=r"\d+",
    # empty without folds (the paths of a grid without folds stay as they were)
    fold=GRID.fold_regex(),
    unit=r"class\d+|conditional|all",


# train_classifier, train_neural and fit_svm write the same path pattern: each is tied to
# the classifiers whose class declares its stage (imbench.plan.stages).
CPU_CLASSIFIERS = GRID.regex("classifiers", GRID.classifiers_for_stage("cpu"))
NEURAL_CLASSIFIERS = GRID.regex("classifiers", GRID.classifiers_for_stage("neural"))
TWO_STAGE_CLASSIFIERS = GRID.regex(
    "classifiers", GRID.classifiers_for_stage("two_stage")
)
# Report targets and every report rule's inputs and params (imbench.plan.reports).
REPORTS = ReportPlan(GRID)


def cell_of(wildcards):
    return Cell(
        wildcards.dataset,
        wildcards.imbalance,
        wildcards.augmenter,
        wildcards.classifier,
        int(wildcards.seed),
        layout.fold_of(wildcards.fold),
    )


def job_config(kind):
    """An input function: the config a file of ``kind`` depends on (imbench.records)."""
    return lambda wildcards: GRID.job_config(wildcards, kind)


def sampling_strategy(wildcards):
    return GRID.sampling_strategy(
        wildcards.dataset, wildcards.imbalance, wildcards.augmenter
    )


def generator_owner(wildcards):
    """The augmenter whose config a generator job (augmenter wildcard: its key) trains."""
    return GRID.generator_owner(
        wildcards.dataset, wildcards.imbalance, wildcards.augmenter
    )


def generator_strategy(wildcards):
    return GRID.generator_strategy(
        wildcards.dataset, wildcards.imbalance, wildcards.augmenter
    )


def generator_job_config(wildcards):
    return GRID.job_config(
        {**dict(wildcards.items()), "augmenter": generator_owner(wildcards)},
        "generator",
    )


def selection_reference(wildcards):
    """The reference classifier, for a generator whose epoch choice scores in its space."""
    if GRID.selection_needs_reference(generator_owner(wildcards)):
        return layout.path(layout.REFERENCE, wildcards)
    return []


def flip_safe(wildcards):
    return GRID.spec(wildcards.dataset).flip_safe


def generator_files(wildcards):
    """The generator.pt an augment job reads, one per training unit ({} for classic ones)."""
    units = GRID.generator_units(
        wildcards.dataset, wildcards.imbalance, wildcards.augmenter
    )
    where = GRID.generator_wildcards(wildcards)  # shared by +N variants
    return {u: layout.path(layout.GENERATOR, where, unit=u) for u in units}


def augment_inputs(wildcards):
    inputs = {
        "train": layout.path(layout.IMBALANCED, wildcards),
        "counts": layout.path(layout.IMBALANCED_COUNTS, wildcards),
    }
    for unit, path in generator_files(wildcards).items():
        inputs[f"generator_{unit}"] = path
    return inputs


def get_final_output():
    targets = [layout.SUMMARY]
    targets += REPORTS.targets()
    for cell in GRID.cells:
        targets.append(cell.path(layout.CONFUSION))
    targets += REPORTS.quality_targets()
    # the counts side files too: a deleted one is remade with its job (Snakemake does not
    # remake a missing intermediate whose consumers are up to date)
    sides = (layout.IMBALANCED_COUNTS, layout.TRAIN_COUNTS)
    targets += dict.fromkeys(cell.path(p) for cell in GRID.cells for p in sides)
    return targets

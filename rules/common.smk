# Everything that is not a rule: validation, wildcard constraints, the grid and the input
# functions. The logic lives in imbench.workflow so that tests reach it.
import os

from snakemake.utils import validate

from imbench.reports.targets import ReportPlan
from imbench.workflow import (
    Grid,
    augmented_path,
    cell_path,
    imbalanced_path,
    prepare_config,
)

# Presets: quick_overrides when quick=true, data_sources overlay; then the merged config is
# what the schema checks.
prepare_config(config)
validate(config, workflow.source_path("../schemas/config.schema.yaml"))

# Raises imbench.errors.ConfigError naming the key, the bad value and what is allowed.
GRID = Grid(config)

# With --sdm conda, envs/*.post-deploy.sh installs this checkout's package into each env.
os.environ.setdefault("IMBENCH_SOURCE", workflow.basedir)


wildcard_constraints:
    dataset=GRID.regex("datasets"),
    imbalance=GRID.regex("imbalances"),
    augmenter=GRID.regex("augmenters"),
    classifier=GRID.regex("classifiers"),
    seed=r"\d+",
    unit=r"class\d+|conditional|all",


CPU_CLASSIFIERS = GRID.regex("classifiers", GRID.classifiers_for_stage("cpu"))
NEURAL_CLASSIFIERS = GRID.regex("classifiers", GRID.classifiers_for_stage("neural"))
CNN_SVM_CLASSIFIERS = GRID.regex("classifiers", GRID.classifiers_for_stage("cnn_svm"))
GENERATIVE_AUGMENTERS = GRID.regex("augmenters", GRID.augmenters_needing_generator())
# Report targets and the report rules' inputs (imbench.reports.targets).
REPORTS = ReportPlan(GRID)


def dataset_cfg(name):
    return GRID.dataset_cfg(name)


def imbalance_cfg(name):
    return GRID.imbalance_cfg(name)


def augmenter_cfg(name):
    return GRID.augmenter_cfg(name)


def classifier_cfg(name):
    return GRID.classifier_cfg(name)


def cell_of(wildcards):
    from imbench.workflow import Cell

    return Cell(
        wildcards.dataset,
        wildcards.imbalance,
        wildcards.augmenter,
        wildcards.classifier,
        int(wildcards.seed),
    )


def cell_config(wildcards):
    return GRID.cell_config(cell_of(wildcards))


def sampling_strategy(wildcards):
    return GRID.sampling_strategy(
        wildcards.dataset, wildcards.imbalance, wildcards.augmenter
    )


def flip_safe(wildcards):
    return GRID.spec(wildcards.dataset).flip_safe


def generator_dirs(wildcards):
    """Generator files an augment job reads, one per training unit ({} for classic ones)."""
    units = GRID.generator_units(
        wildcards.dataset, wildcards.imbalance, wildcards.augmenter
    )
    base = f"models/{wildcards.dataset}/{wildcards.imbalance}/{wildcards.augmenter}/seed{wildcards.seed}"
    return {unit: f"{base}/{unit}/generator.pt" for unit in units}


def generator_unit_files(wildcards):
    """Samples and selection of the training unit that holds {model} (a per-class model
    trained in the dataset's one `all` job lives in that job's folder)."""
    unit = REPORTS.unit_of_model(
        wildcards.dataset, wildcards.imbalance, wildcards.augmenter, wildcards.model
    )
    base = f"models/{wildcards.dataset}/{wildcards.imbalance}/{wildcards.augmenter}/seed{wildcards.seed}/{unit}"
    return {"samples": f"{base}/samples", "selection": f"{base}/selection.json"}


def augment_inputs(wildcards):
    inputs = {
        "train": imbalanced_path(
            wildcards.dataset, wildcards.imbalance, wildcards.seed
        ),
        "counts": imbalanced_path(
            wildcards.dataset, wildcards.imbalance, wildcards.seed, "counts.json"
        ),
    }
    for unit, path in generator_dirs(wildcards).items():
        inputs[f"generator_{unit}"] = path
    return inputs


def get_report_output():
    """Tables, figures, statistics and reports/index.html (see docs/reports.md)."""
    return REPORTS.targets()


def get_final_output():
    targets = ["results/summary.csv"]
    targets += get_report_output()
    for cell in GRID.cells:
        targets.append(cell_path(cell, "confusion_matrix.png"))
    for dataset, imbalance, augmenter, seed in GRID.unique(
        "dataset", "imbalance", "augmenter", "seed"
    ):
        if GRID.needs_generator(augmenter):
            targets.append(
                f"results/{dataset}/{imbalance}/{augmenter}/seed{seed}/quality.json"
            )
    return targets

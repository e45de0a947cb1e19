"""Every file path pattern of the workflow, each written once.

Rules use these in ``input:``/``output:``/``log:``/``benchmark:``; the grid, the report plan
and the index format the same constants. Wildcards in braces; a pattern's *key* (the part
after the top folder) is also the name of its log and benchmark files.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

# -- keys: the wildcards that identify one file of a kind ---------------------------------
DATASET = "{dataset}"
#: one repetition: a seed and, with ``folds: k`` (k-fold cross-validation), a fold. The
#: ``{fold}`` wildcard is empty without folds and ``/fold<f>`` with them (:func:`fold_token`),
#: so a grid without folds keeps its paths and one with folds gets ``seed0/fold2/``.
REPETITION = "seed{seed}{fold}"
#: the data one repetition trains and tests on: the loader's split, or one fold of it
SPLIT = "{dataset}{fold}"
IMBALANCED_SET = f"{{dataset}}/{{imbalance}}/{REPETITION}"
#: a rebalanced training set: (dataset, imbalance, augmenter, seed, fold)
VARIANT = f"{{dataset}}/{{imbalance}}/{{augmenter}}/{REPETITION}"
#: one generator training job of a variant (``class{c}``, ``conditional`` or ``all``)
UNIT = f"{VARIANT}/{{unit}}"
#: one cell of the grid
CELL = f"{{dataset}}/{{imbalance}}/{{augmenter}}/{{classifier}}/{REPETITION}"
DATASET_CLASSIFIER = "{dataset}/{classifier}"

# -- data ---------------------------------------------------------------------------------
#: what the dataset's loader gives (its training and test split)
LOADED = f"data/raw/{DATASET}.npz"
#: what a repetition's jobs read: LOADED itself without folds, one fold of it with them
RAW = f"data/raw/{SPLIT}.npz"
IMBALANCED = f"data/{IMBALANCED_SET}/imbalanced.npz"
IMBALANCED_COUNTS = f"data/{IMBALANCED_SET}/counts.json"
TRAIN = f"data/{VARIANT}/train.npz"
TRAIN_COUNTS = f"data/{VARIANT}/counts.json"

# -- models -------------------------------------------------------------------------------
GENERATOR = f"models/{UNIT}/generator.pt"
GENERATOR_LOSSES = f"models/{UNIT}/losses.csv"
GENERATOR_SELECTION = f"models/{UNIT}/selection.json"
GENERATOR_SAMPLES = f"models/{UNIT}/samples"
#: a generator job's working folder: never a declared output, so that Snakemake does not
#: delete it when the job fails and the rerun resumes from its checkpoints
GENERATOR_CHECKPOINTS = f"models/{UNIT}/checkpoints"
#: trained on the split's training part only: with folds, one per fold
REFERENCE = f"models/{SPLIT}/reference/classifier.pt"
CNN_MODEL = f"models/{CELL}/cnn.keras"
CNN_FEATURES = f"models/{CELL}/features.npz"
CNN_REPORT = f"models/{CELL}/train_report.json"

# -- results ------------------------------------------------------------------------------
PREDICTIONS = f"results/{CELL}/predictions.npz"
TRAIN_REPORT = f"results/{CELL}/train_report.json"
SVM_REPORT = f"results/{CELL}/svm_report.json"
METRICS = f"results/{CELL}/metrics.json"
CONFUSION = f"results/{CELL}/confusion_matrix.png"
QUALITY = f"results/{VARIANT}/quality.json"
SUMMARY = "results/summary.csv"
#: the metrics files made by other imbench code than the one that wrote the summary
OTHER_CODE = "results/other_code.txt"

# -- reports ------------------------------------------------------------------------------
def report_file(folder: str, key: str, suffix: str = ".png") -> str:
    """``reports/<folder>/<key><suffix>``: the pattern of a report rule's output. A new
    report figure names its folder and key here instead of writing a path."""
    return f"reports/{folder}/{key}{suffix}"


CLASS_COUNTS = report_file("class_counts", IMBALANCED_SET)
REBALANCED_COUNTS = report_file("rebalanced_counts", VARIANT)
TABLE = report_file("tables", DATASET, ".md")
TABLE_CSV = report_file("tables", DATASET, ".csv")
LEADERBOARD = report_file("tables", DATASET, ".leaderboard.md")
RATIO_TABLE = report_file("tables", DATASET, ".by_ratio.md")
RATIO_TABLE_CSV = report_file("tables", DATASET, ".by_ratio.csv")
GENERATOR_TABLE = report_file("tables", DATASET, ".generators.md")
FIT_TABLE = report_file("tables", DATASET, ".fit.md")
FIT_TABLE_CSV = report_file("tables", DATASET, ".fit.csv")
GENERATOR_QUALITY_CSV = report_file("tables", DATASET, ".generators.quality.csv")
GENERATOR_TIMES_CSV = report_file("tables", DATASET, ".generators.times.csv")
CONFUSION_GRID = report_file("confusion", DATASET_CLASSIFIER)
SAMPLES = report_file("samples", VARIANT)
TRANSFORMS = report_file("transforms", VARIANT)
GENERATOR_PROGRESS = report_file("generators", f"{VARIANT}/{{model}}")
GAN_LOSSES = report_file("generators", f"{VARIANT}/losses")
RATIOS = report_file("ratios", DATASET_CLASSIFIER)
CHANGES = report_file("changes", DATASET_CLASSIFIER)
QUALITY_PLOT = report_file("quality", DATASET_CLASSIFIER)
QUALITY_CSV = report_file("quality", DATASET_CLASSIFIER, ".csv")
PRECISION_RECALL = report_file("quality", DATASET_CLASSIFIER, ".precision_recall.png")
STATISTICS_PLOT = report_file("statistics", "{metric}")
STATISTICS_TABLE = report_file("statistics", "{metric}", ".md")
STATISTICS_JSON = report_file("statistics", "{metric}", ".json")
LEARNING_CURVES = report_file("learning_curves", CELL)
REPRODUCTION = report_file("reproduction", "{preset}", ".md")
REPRODUCTION_CSV = report_file("reproduction", "{preset}", ".csv")
REPRODUCTION_PLOT = report_file("reproduction", "{preset}")
REAL_OR_FAKE = report_file("real_or_fake", VARIANT, "")
INDEX = "reports/index.html"


def log(rule: str, key: str) -> str:
    """``logs/<rule>/<key>.log``: one log per job, named by the job's wildcards."""
    return f"logs/{rule}/{key}.log"


def benchmark(rule: str, key: str) -> str:
    """``benchmarks/<rule>/<key>.tsv``."""
    return f"benchmarks/{rule}/{key}.tsv"


def fold_token(fold: Any) -> str:
    """The ``{fold}`` wildcard's value: "" without folds (None or ""), ``/fold<f>`` for fold
    f (an int, its digits, or the token itself)."""
    if fold is None or fold == "":
        return ""
    if isinstance(fold, str) and fold.startswith("/fold"):
        return fold
    return f"/fold{int(fold)}"


def fold_of(token: Any) -> int | None:
    """The fold number of a ``{fold}`` wildcard value (None without folds)."""
    token = fold_token(token)
    return int(token[len("/fold"):]) if token else None


def path(pattern: str, wildcards: Mapping[str, Any] | None = None, **values: Any) -> str:
    """``pattern`` with its wildcards filled (from a mapping, a Snakemake ``wildcards``
    object's items, and/or keywords). A ``fold`` value may be a fold number or None."""
    items = {**(dict(wildcards.items()) if wildcards is not None else {}), **values}
    if "fold" in items:
        items["fold"] = fold_token(items["fold"])
    return pattern.format(**items)


def unit_files_in(folder: str | Path) -> dict[str, Path]:
    """A generator unit's files (``imbench.generators.train.UnitFiles`` keywords) inside
    ``folder``, named as the workflow names them: for tests and benchmarks that train a unit
    outside the workflow."""
    wc = {"dataset": "d", "imbalance": "i", "augmenter": "a", "seed": 0, "fold": None,
          "unit": "u"}
    unit_dir = Path(path(GENERATOR, wc)).parent
    files = {"generator": GENERATOR, "losses": GENERATOR_LOSSES,
             "selection": GENERATOR_SELECTION, "samples": GENERATOR_SAMPLES,
             "checkpoints": GENERATOR_CHECKPOINTS}
    return {k: Path(folder) / Path(path(p, wc)).relative_to(unit_dir) for k, p in files.items()}

"""Test-set metrics of one cell, as a JSON-serialisable dict.

Averaging conventions (also written into the result under ``definitions``):

* macro precision / recall / F1 and balanced accuracy average over the classes that occur in
  ``y_true`` (a class with no test image has no recall to average); ``per_class`` still lists
  every class ``0 .. n_classes-1``. With every class in the test set this is sklearn's plain
  macro average. ``zero_division=0`` everywhere (a never-predicted class has precision 0).
* ``g_mean`` is imbalanced-learn's ``geometric_mean_score(average="multiclass")`` over the same
  classes, with ``correction=0``: one class with recall 0 makes it 0.
* ``auc_ovr_macro`` needs only a per-column ranking, so decision values and probabilities give
  the same AUC whenever they order each column's images alike.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .params import Number, Param, ParamSpec

#: The scalar metrics, in the order tables show them.
METRIC_NAMES: tuple[str, ...] = (
    "accuracy",
    "balanced_accuracy",
    "precision_macro",
    "recall_macro",
    "f1_macro",
    "g_mean",
    "auc_ovr_macro",
    "minority_recall",
    "minority_precision",
    "minority_f1",
    "minority_auc",
    "mcc",
    "pr_auc_macro",
    "ece",
    "many_shot_accuracy",
    "medium_shot_accuracy",
    "few_shot_accuracy",
)

#: long-tail class groups by training images: CIFAR-100-LT's many (> 100) and few (< 20) of
#: its largest class's 500 (Liu et al. 2019; Cao et al. 2019), as fractions of the largest
#: training class, so that a small or a large set splits the same way
#: the config's ``shot_thresholds`` (CIFAR-100-LT's 100 and 20 of 500 training images)
SHOTS = ParamSpec(
    Param("many", 0.2, Number(0, 1, lo_open=True),
          "many-shot: more than this fraction of the largest class's training images"),
    Param("few", 0.04, Number(0, 1, lo_open=True),
          "few-shot: fewer than this fraction of the largest class's training images"),
)
SHOT_THRESHOLDS: dict[str, float] = SHOTS.defaults()
ECE_BINS = 15

DEFINITIONS: dict[str, str] = {
    "accuracy": "fraction of test images predicted correctly",
    "balanced_accuracy": (
        "ACSA, average class-specific accuracy: mean over classes present in y_true of "
        "per-class recall (= recall_macro)"
    ),
    "precision_macro": "unweighted mean over classes present in y_true of precision "
    "(zero_division=0)",
    "recall_macro": "unweighted mean over classes present in y_true of recall",
    "f1_macro": "unweighted mean over classes present in y_true of per-class F1 "
    "(zero_division=0)",
    "g_mean": (
        "imblearn geometric_mean_score(average='multiclass', correction=0): the n-th root of "
        "the product of the n per-class recalls of the classes present in y_true; 0 if any "
        "of them is 0"
    ),
    "auc_ovr_macro": (
        "one-vs-rest macro ROC AUC: mean over classes c present in y_true (with at least one "
        "other test image) of roc_auc_score(y_true == c, scores[:, c]); valid for decision "
        "values and probabilities alike; skipped classes listed in auc_skipped_classes"
    ),
    "minority_recall": (
        "mean recall over minority_classes (per class in minority_recall_per_class); null "
        "when no minority classes are given"
    ),
    "minority_precision": "mean precision over minority_classes (zero_division=0); null "
    "when no minority classes are given",
    "minority_f1": "mean F1 over minority_classes (zero_division=0); with one minority class, "
    "the positive class's F1 that binary studies report",
    "minority_auc": "mean over minority_classes of the one-vs-rest ROC AUC (auc_per_class); "
    "null without scores or minority classes",
    "confusion_matrix": "counts, rows = true class, columns = predicted class, 0..n_classes-1",
    "mcc": "sklearn matthews_corrcoef (multi-class), in [-1, 1]",
    "pr_auc_macro": (
        "one-vs-rest macro average precision (area under the precision-recall curve): mean "
        "over classes present in y_true of average_precision_score(y_true == c, "
        "scores[:, c]); valid for decision values and probabilities alike"
    ),
    "ece": (
        f"expected calibration error, {ECE_BINS} equal-width confidence bins (Guo et al. "
        "2017): sum over bins of |bin| / N * |accuracy - mean confidence|, confidence = the "
        "largest probability; null for decision values"
    ),
    "many_shot_accuracy": (
        "mean recall over the classes with more than shot_thresholds.many x the largest "
        "class's training images (shot_groups.many); null when the group is empty"
    ),
    "medium_shot_accuracy": "mean recall over the classes between the two thresholds",
    "few_shot_accuracy": (
        "mean recall over the classes with fewer than shot_thresholds.few x the largest "
        "class's training images"
    ),
}


def shot_groups(train_counts: Sequence[int], thresholds: dict[str, float] | None = None
                ) -> dict[str, list[int]]:
    """Classes split into ``many``/``medium``/``few`` by training images: more than
    ``many`` x, fewer than ``few`` x the largest class's count."""
    t = {**SHOT_THRESHOLDS, **(thresholds or {})}
    counts = np.asarray(train_counts, dtype=np.float64)
    top = counts.max() if counts.size else 0.0
    groups: dict[str, list[int]] = {"many": [], "medium": [], "few": []}
    for c, n in enumerate(counts):
        group = "many" if n > t["many"] * top else "few" if n < t["few"] * top else "medium"
        groups[group].append(c)
    return groups


def expected_calibration_error(y_true: np.ndarray, probabilities: np.ndarray,
                               bins: int = ECE_BINS) -> float:
    """ECE over ``bins`` equal-width bins of the top-class probability."""
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == y_true
    edges = np.linspace(0.0, 1.0, bins + 1)
    # bin i holds (edges[i], edges[i+1]]; a confidence of exactly 0 goes to the first
    which = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, bins - 1)
    ece = 0.0
    for b in range(bins):
        members = which == b
        if members.any():
            ece += members.mean() * abs(correct[members].mean() - confidence[members].mean())
    return float(ece)


def compute_metrics(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    scores: np.ndarray | None,
    n_classes: int,
    *,
    class_names: Sequence[str] | None = None,
    minority_classes: Sequence[int] | None = None,
    score_kind: str | None = None,
    train_counts: Sequence[int] | None = None,
    shot_thresholds: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Every metric of the benchmark for one set of test predictions.

    ``scores`` is ``(N, n_classes)`` (column c for class c); ``None`` leaves
    ``auc_ovr_macro`` null. ``train_counts`` (per-class training images) define the
    many/medium/few-shot groups; without them those accuracies are null. Returns plain
    Python floats, ints, lists and dicts.
    """
    from imblearn.metrics import geometric_mean_score
    from sklearn.metrics import (
        average_precision_score,
        confusion_matrix,
        matthews_corrcoef,
        precision_recall_fscore_support,
        roc_auc_score,
    )

    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    n = len(y_true)
    if n == 0 or y_pred.shape != (n,):
        raise ValueError(f"need non-empty y_true and y_pred of equal length; got {n}, "
                         f"{y_pred.shape}")
    labels = np.arange(n_classes)
    for name, arr in (("y_true", y_true), ("y_pred", y_pred)):
        if arr.min() < 0 or arr.max() >= n_classes:
            raise ValueError(f"{name} values must lie in 0..{n_classes - 1}")
    if class_names is None:
        class_names = [str(c) for c in labels]
    if len(class_names) != n_classes:
        raise ValueError(f"{len(class_names)} class names for {n_classes} classes")

    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    present = support > 0

    # labels= restricts the g-mean to classes with test images; without it imblearn also
    # counts a class that is only predicted, whose 0/0 recall would zero the g-mean.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g_mean = geometric_mean_score(
            y_true, y_pred, labels=labels[present], average="multiclass", correction=0.0
        )

    auc: float | None = None
    auc_per_class: dict[str, float] = {}
    auc_skipped: list[int] = []
    pr_auc: float | None = None
    pr_auc_per_class: dict[str, float] = {}
    ece: float | None = None
    if scores is not None:
        scores = np.asarray(scores, dtype=np.float64)
        if scores.shape != (n, n_classes):
            raise ValueError(f"scores must be ({n}, {n_classes}); got {scores.shape}")
        for c in labels:
            positives = y_true == c
            # AUC is undefined without both a positive and a negative test image.
            if positives.all() or not positives.any():
                auc_skipped.append(int(c))
                continue
            auc_per_class[str(c)] = float(roc_auc_score(positives, scores[:, c]))
            pr_auc_per_class[str(c)] = float(average_precision_score(positives, scores[:, c]))
        if auc_per_class:
            auc = float(np.mean(list(auc_per_class.values())))
            pr_auc = float(np.mean(list(pr_auc_per_class.values())))
        if score_kind == "probability":
            ece = expected_calibration_error(y_true, scores)

    minority_recall: float | None = None
    minority_per_class: dict[str, float] | None = None
    minority_scores: dict[str, float | None] = {"precision": None, "f1": None, "auc": None}
    if minority_classes:
        minority = sorted({int(c) for c in minority_classes})
        bad = [c for c in minority if not 0 <= c < n_classes]
        if bad:
            raise ValueError(f"minority classes {bad} outside 0..{n_classes - 1}")
        scored = [c for c in minority if present[c]]
        minority_per_class = {str(c): float(recall[c]) for c in scored}
        if scored:
            minority_recall = float(np.mean(recall[scored]))
            minority_scores["precision"] = float(np.mean(precision[scored]))
            minority_scores["f1"] = float(np.mean(f1[scored]))
            aucs = [auc_per_class[str(c)] for c in scored if str(c) in auc_per_class]
            minority_scores["auc"] = float(np.mean(aucs)) if aucs else None

    shots: dict[str, float | None] = {"many": None, "medium": None, "few": None}
    groups = None
    if train_counts is not None:
        if len(train_counts) != n_classes:
            raise ValueError(f"{len(train_counts)} training counts for {n_classes} classes")
        groups = shot_groups(train_counts, shot_thresholds)
        for group, classes in groups.items():
            scored = [recall[c] for c in classes if present[c]]
            shots[group] = float(np.mean(scored)) if scored else None

    cm = confusion_matrix(y_true, y_pred, labels=labels)
    return {
        "n_test": int(n),
        "n_classes": int(n_classes),
        "score_kind": score_kind,
        "accuracy": float(np.mean(y_true == y_pred)),
        "balanced_accuracy": float(recall[present].mean()),
        "precision_macro": float(precision[present].mean()),
        "recall_macro": float(recall[present].mean()),
        "f1_macro": float(f1[present].mean()),
        "g_mean": float(g_mean),
        "auc_ovr_macro": auc,
        "auc_per_class": auc_per_class,
        "auc_skipped_classes": auc_skipped,
        "minority_classes": sorted({int(c) for c in minority_classes or ()}),
        "minority_recall": minority_recall,
        "minority_recall_per_class": minority_per_class,
        "minority_precision": minority_scores["precision"],
        "minority_f1": minority_scores["f1"],
        "minority_auc": minority_scores["auc"],
        "mcc": float(matthews_corrcoef(y_true, y_pred)),
        "pr_auc_macro": pr_auc,
        "pr_auc_per_class": pr_auc_per_class,
        "ece": ece,
        "many_shot_accuracy": shots["many"],
        "medium_shot_accuracy": shots["medium"],
        "few_shot_accuracy": shots["few"],
        "shot_groups": groups,
        "shot_thresholds": {**SHOT_THRESHOLDS, **(shot_thresholds or {})},
        "per_class": [
            {
                "class": int(c),
                "name": str(class_names[c]),
                "precision": float(precision[c]),
                "recall": float(recall[c]),
                "f1": float(f1[c]),
                "support": int(support[c]),
            }
            for c in labels
        ],
        "confusion_matrix": cm.astype(int).tolist(),
        "definitions": dict(DEFINITIONS),
    }

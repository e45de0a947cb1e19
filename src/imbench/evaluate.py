"""The evaluate stage: predictions of one cell -> metrics.json and its confusion matrix."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from . import records
from .errors import DataError
from .io import array_digest
from .metrics import compute_metrics
from .provenance import provenance
from .reports.plots import plot_confusion_matrix


def evaluate_cell(
    predictions_path: str | os.PathLike[str],
    counts_path: str | os.PathLike[str],
    raw_path: str | os.PathLike[str],
    *,
    metrics_path: str | os.PathLike[str],
    confusion_path: str | os.PathLike[str] | None,
    cell: dict[str, Any],
    cell_config: dict[str, Any],
    seed: int,
    shot_thresholds: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Compute and write the cell's metrics; returns them.

    Every file is checked against its record (:mod:`imbench.records`) and the cell's
    config. Scores are made against the labels of the dataset's original test set, read
    from the raw file, never against the ``y_true`` a predictions file carries: that must
    equal them, row for row, and every test image must be scored exactly once (a sub-task:
    every test image of its ``task_classes``). Predictions made on another test set are
    refused by their ``test_sha256``.
    """
    pred = records.load(predictions_path, "predictions", cell_config)
    raw = records.load(raw_path, "raw", cell_config)
    imbalanced = records.read_json_describing(counts_path, "imbalanced", cell_config)
    if "raw" in pred.record["made_from"]:
        records.check_made_from(pred.record, "raw", raw.record, predictions_path)
    expected = array_digest(raw["x_test"], raw["y_test"])
    got = str(pred["test_sha256"])
    if got != expected:
        raise DataError(
            f"{predictions_path}: predictions were made on a test set with digest {got}, "
            f"not the original test set of {raw_path} ({expected})"
        )
    class_names = [str(c) for c in raw["class_names"]]
    minority = imbalanced.get("minority_classes") or None
    labels, task = scored_labels(raw["y_test"].astype(np.int64), pred, predictions_path)
    if task is not None:
        # A sub-task on part of the test set (eGAN: minority vs majority class): its own
        # label space, whose class 1 is the minority.
        class_names = [str(c) for c in pred["class_names"]]
        minority = [1]
    metrics = compute_metrics(
        labels, pred["y_pred"], pred["scores"], len(class_names),
        class_names=class_names,
        minority_classes=minority,
        score_kind=str(pred["score_kind"]),
        # long-tail groups by the imbalanced set's real images (a sub-task has none)
        train_counts=None if task is not None else imbalanced["counts"],
        shot_thresholds=shot_thresholds,
    )
    metrics["cell"] = cell
    metrics["test_sha256"] = expected
    metrics["n_test"] = int(len(labels))
    metrics["training_counts_imbalanced"] = imbalanced["counts"]
    metrics["provenance"] = provenance(cell_config, seed)
    records.write_json_result(metrics_path, metrics, "metrics",
                              made_from={"predictions": pred.record, "raw": raw.record})
    if confusion_path is not None:
        plot_confusion_matrix(
            metrics["confusion_matrix"], class_names, confusion_path,
            title=f"{cell['dataset']} / {cell['imbalance']} / {cell['augmenter']} / "
            f"{cell['classifier']} / seed {cell['seed']}"
            + (f", fold {cell['fold']}" if cell.get("fold") is not None else ""),
        )
    return metrics


def scored_labels(y_test: np.ndarray, pred: dict[str, np.ndarray], path: str | os.PathLike[str]
                ) -> tuple[np.ndarray, list[int] | None]:
    """The labels to score ``pred`` against, from the original test labels ``y_test``, and
    the sub-task's original classes (None for the full task). Raises :class:`DataError`
    unless the predictions cover every test image (of the sub-task's classes) exactly once
    and their stored ``y_true`` equals those labels."""
    n = len(pred["y_pred"])
    if "test_indices" in pred:
        idx = pred["test_indices"].astype(np.int64)
        task = [int(c) for c in pred.get("task_classes", [])]
        if len(task) < 2 or len(set(task)) != len(task):
            raise DataError(f"{path}: a sub-task's predictions need task_classes (the original "
                            f"class of each label, distinct); got {task}")
        wanted = np.flatnonzero(np.isin(y_test, task))
        if len(np.unique(idx)) != len(idx) or not np.array_equal(np.sort(idx), wanted):
            raise DataError(f"{path}: test_indices must list each of the {len(wanted)} test "
                            f"images of classes {task} exactly once; got {len(idx)} indices, "
                            f"{len(np.unique(idx))} distinct")
        lookup = {c: i for i, c in enumerate(task)}
        labels = np.array([lookup[int(c)] for c in y_test[idx]], dtype=np.int64)
    else:
        task = None
        if n != len(y_test):
            raise DataError(f"{path}: {n} predictions for a test set of {len(y_test)} images; "
                            f"every test image must be scored exactly once")
        labels = y_test
    stored = pred["y_true"].astype(np.int64)
    if stored.shape != labels.shape or not np.array_equal(stored, labels):
        wrong = int((stored != labels).sum()) if stored.shape == labels.shape else n
        raise DataError(f"{path}: its y_true differs from the original test labels in "
                        f"{wrong} of {len(labels)} rows; delete it and rerun")
    return labels, task

"""The evaluate stage: predictions of one cell -> metrics.json and its confusion matrix."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from .errors import DataError
from .io import array_digest, load_npz, read_json, write_json
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
) -> dict[str, Any]:
    """Compute and write the cell's metrics; returns them.

    Refuses predictions made on anything but the dataset's original test set: their
    ``test_sha256`` must equal the digest of the raw file's ``x_test, y_test``.
    """
    pred = load_npz(predictions_path)
    raw = load_npz(raw_path)
    expected = array_digest(raw["x_test"], raw["y_test"])
    got = str(pred["test_sha256"])
    if got != expected:
        raise DataError(
            f"{predictions_path}: predictions were made on a test set with digest {got}, "
            f"not the original test set of {raw_path} ({expected})"
        )
    imbalanced = read_json(counts_path)
    class_names = [str(c) for c in raw["class_names"]]
    minority = imbalanced.get("minority_classes") or None
    if "test_indices" in pred:
        # A sub-task on part of the test set (eGAN: minority vs majority class): its own label
        # space, whose class 1 is the minority. The labels must be the original test labels.
        class_names = [str(c) for c in pred["class_names"]]
        chosen = raw["y_test"][pred["test_indices"]]
        pos = np.unique(chosen[pred["y_true"] == 1])
        neg = np.unique(chosen[pred["y_true"] == 0])
        if len(pos) != 1 or len(neg) != 1 or pos[0] == neg[0]:
            raise DataError(f"{predictions_path}: y_true does not follow the test labels")
        minority = [1]
    metrics = compute_metrics(
        pred["y_true"], pred["y_pred"], pred["scores"], len(class_names),
        class_names=class_names,
        minority_classes=minority,
        score_kind=str(pred["score_kind"]),
    )
    metrics["cell"] = cell
    metrics["test_sha256"] = expected
    metrics["n_test"] = int(len(pred["y_true"]))
    metrics["training_counts_imbalanced"] = imbalanced["counts"]
    metrics["provenance"] = provenance(cell_config, seed)
    write_json(metrics_path, metrics)
    if confusion_path is not None:
        plot_confusion_matrix(
            metrics["confusion_matrix"], class_names, confusion_path,
            title=f"{cell['dataset']} / {cell['imbalance']} / {cell['augmenter']} / "
            f"{cell['classifier']} / seed {cell['seed']}",
        )
    return metrics

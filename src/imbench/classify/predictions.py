"""``predictions.npz``: what a classifier said about the test set, and which test set it was.

Keys (docs/contributing.md): ``y_true``, ``y_pred`` (int64), ``scores`` (float64 ``(N, C)``),
``score_kind`` and ``test_sha256`` (0-d str arrays). The digest, always of the whole original
test set the classifier was given, lets the metrics stage refuse predictions made on a
different test set than the one it is told about. Every classifier's predictions are made by
:func:`predict_test` (or, for cnn_svm's second stage, :func:`predictions_from_scores`).

A classifier that answers a sub-task (eGAN: one minority class against one majority class)
adds ``test_indices`` (which test images it scored, int64), ``task_classes`` (the original
class of each of its labels, int64) and ``class_names`` (the names of its own label space,
str). The metrics stage scores against the original test labels, never the stored
``y_true``: it must equal them, and a sub-task must score every test image of its classes
exactly once.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import records
from ..io import array_digest, load_npz, save_npz
from .base import Classifier

SCORE_KINDS = ("probability", "decision")
KEYS = ("y_true", "y_pred", "scores", "score_kind", "test_sha256")


def _check(
    y_true: np.ndarray, y_pred: np.ndarray, scores: np.ndarray, score_kind: str
) -> None:
    if score_kind not in SCORE_KINDS:
        raise ValueError(f"score_kind must be one of {SCORE_KINDS}; got {score_kind!r}")
    n = len(y_true)
    if y_true.shape != (n,) or y_pred.shape != (n,):
        raise ValueError(f"y_true and y_pred must be (N,); got {y_true.shape}, {y_pred.shape}")
    if scores.ndim != 2 or scores.shape[0] != n:
        raise ValueError(f"scores must be ({n}, n_classes); got {scores.shape}")


def save_predictions(
    path: str | os.PathLike[str],
    *,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    scores: np.ndarray,
    score_kind: str,
    test_sha256: str,
    test_indices: np.ndarray | None = None,
    class_names: list[str] | None = None,
    task_classes: list[int] | None = None,
    config: Mapping[str, Any] | None = None,
    made_from: Mapping[str, Mapping[str, Any]] | None = None,
) -> None:
    """Write ``predictions.npz`` atomically with the dtypes of docs/contributing.md; with the
    cell's ``config``, with its record (:mod:`imbench.records`) too, as the workflow does."""
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    scores = np.asarray(scores, dtype=np.float64)
    _check(y_true, y_pred, scores, score_kind)
    extra = {}
    if test_indices is not None:
        extra["test_indices"] = np.asarray(test_indices, dtype=np.int64)
        if extra["test_indices"].shape != y_true.shape:
            raise ValueError("test_indices must give one test image per prediction")
    if class_names is not None:
        extra["class_names"] = np.array([str(c) for c in class_names])
    if task_classes is not None:
        extra["task_classes"] = np.asarray(task_classes, dtype=np.int64)
    arrays = dict(
        y_true=y_true,
        y_pred=y_pred,
        scores=scores,
        score_kind=np.array(score_kind),
        test_sha256=np.array(str(test_sha256)),
        **extra,
    )
    if config is None:
        save_npz(path, **arrays)
    else:
        records.save(path, "predictions", config, made_from=made_from, **arrays)


def load_predictions(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read ``predictions.npz``; ``score_kind`` and ``test_sha256`` come back as ``str``."""
    data = load_npz(path)
    missing = [k for k in KEYS if k not in data]
    if missing:
        raise ValueError(f"{path}: predictions file lacks {missing}")
    out: dict[str, Any] = {
        "y_true": data["y_true"].astype(np.int64, copy=False),
        "y_pred": data["y_pred"].astype(np.int64, copy=False),
        "scores": data["scores"].astype(np.float64, copy=False),
        "score_kind": str(data["score_kind"].item()),
        "test_sha256": str(data["test_sha256"].item()),
    }
    _check(out["y_true"], out["y_pred"], out["scores"], out["score_kind"])
    return out


def predictions_from_scores(
    scores: np.ndarray, y_true: np.ndarray, *, score_kind: str, test_sha256: str,
    classes: np.ndarray | None = None, test_indices: np.ndarray | None = None,
    class_names: list[str] | None = None, task_classes: list[int] | None = None,
) -> dict[str, Any]:
    """The keyword set of :func:`save_predictions` from a classifier's test scores.

    ``y_pred`` is the argmax of the scores (ties → lowest class), so predictions and the
    scores used for AUC can never disagree. ``classes``: the label of each score column
    (default: column index).
    """
    scores = np.asarray(scores, dtype=np.float64)
    classes = np.arange(scores.shape[1]) if classes is None else np.asarray(classes)
    out: dict[str, Any] = {
        "y_true": np.asarray(y_true, dtype=np.int64),
        "y_pred": classes[np.argmax(scores, axis=1)].astype(np.int64),
        "scores": scores,
        "score_kind": score_kind,
        "test_sha256": str(test_sha256),
    }
    if test_indices is not None:
        out["test_indices"] = np.asarray(test_indices, dtype=np.int64)
        out["class_names"] = list(class_names or [])
        out["task_classes"] = list(task_classes or [])
    return out


def predict_test(classifier: Classifier, x_test: np.ndarray, y_test: np.ndarray
                 ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Score the test set once: ``(save_predictions keywords, evaluation record)``.

    The classifier chooses its evaluation set (eGAN keeps the test images of its two classes
    and relabels them; the record says so); the digest is always of the whole test set it
    was given, which the metrics stage checks against the dataset's original.
    """
    x_eval, y_eval, task = classifier.evaluation_set(x_test, y_test)
    task = dict(task)
    indices = task.pop("test_indices", None)
    task_classes = task.pop("task_classes", None)
    digest = array_digest(x_test, y_test)
    predictions = predictions_from_scores(
        classifier.predict_scores(x_eval), y_eval, score_kind=classifier.score_kind,
        test_sha256=digest, classes=getattr(classifier, "classes_", None),
        test_indices=indices, class_names=task.get("class_names"), task_classes=task_classes)
    return predictions, {**task, "test_sha256": digest}

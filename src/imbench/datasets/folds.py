"""k-fold cross-validation splits of a dataset's training images (seed 003 §4.1: "5-fold
cross-validation ... and average the result").

With ``folds: k`` in the config, the repetition axis is (seed, fold): fold f's raw file holds
the loader's training images of fold f as its *test* set and the other k - 1 folds as its
training set; the loader's own test split is not used, so no image is both trained on and
tested on within a fold, and over the k folds every kept training image is tested once.

* **Stratified, equal per class**: each class is shuffled (seeded by ``fold_seed`` and the
  class) and dealt into k folds of ``n_c // k`` images; the ``n_c mod k`` left over (fewer
  than k per class) are left out of every fold and recorded. So every fold has the same
  per-class counts, known before any data is loaded (:func:`fold_counts`), which the plan
  needs to know a fold's minority classes.
* **The same split for every seed**: the assignment depends on ``fold_seed`` only, so seeds
  repeat training on the same k splits and results pair by (seed, fold).
* The imbalance protocol then subsamples each fold's training part with the cell's seed: the
  minority images a fold trains on come from its own training part, so they change from
  fold to fold, as the study's cross-validation over the minority samples does.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .. import records
from ..errors import ConfigError, DataError


def check_folds(k: Any, key: str = "folds") -> int:
    """``k`` as the number of folds (an integer >= 2), or a ConfigError naming it."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 2:
        raise ConfigError(key, k, "an integer >= 2 (k-fold cross-validation), or leave it out")
    return k


def fold_counts(counts: Sequence[int], k: int) -> tuple[int, ...]:
    """Per-class training counts of every fold, from the loader's training counts."""
    return tuple((k - 1) * (n // k) for n in counts)


def fold_assignment(y: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Fold (0..k-1) of every training image, -1 for the ``n_c mod k`` left out of all folds.

    Classes are dealt independently (a generator per class, seeded by ``(seed, k, c)``), so
    one class's split does not change when another class is added or removed."""
    y = np.asarray(y)
    out = np.full(len(y), -1, dtype=np.int64)
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        per_fold = len(idx) // k
        if per_fold == 0:
            raise DataError(f"class {int(c)} has {len(idx)} training images, fewer than the "
                            f"{k} folds: every fold's test part needs one")
        perm = np.random.default_rng([int(seed), int(k), int(c)]).permutation(idx)
        for f in range(k):
            out[perm[f * per_fold:(f + 1) * per_fold]] = f
    return out


def make_fold(
    source: str | os.PathLike[str], path: str | os.PathLike[str], *, k: int, fold: int,
    seed: int, source_config: Mapping[str, Any], config: Mapping[str, Any],
) -> dict[str, Any]:
    """The make_fold job: fold ``fold`` of the raw file ``source`` (the loader's data) as a raw
    file of its own at ``path``: training part = the other folds, test part = this fold.
    Both keep the loader's order; ``fold_train_indices`` / ``fold_test_indices`` say which
    of the loader's training images each holds. Returns the counts written."""
    if not 0 <= fold < k:
        raise ConfigError("fold", fold, f"0 .. {k - 1}")
    data = records.load(source, "raw", source_config)
    x, y = data["x_train"], data["y_train"]
    assign = fold_assignment(y, k, seed)
    train = np.flatnonzero((assign >= 0) & (assign != fold))
    test = np.flatnonzero(assign == fold)
    records.save(
        path, "raw", config, made_from={"raw": data.record},
        x_train=x[train], y_train=y[train], x_test=x[test], y_test=y[test],
        class_names=data["class_names"],
        # which of the loader's training images each part holds, and those left out
        fold_train_indices=train, fold_test_indices=test,
        fold_left_out_indices=np.flatnonzero(assign < 0),
    )
    n = len(data["class_names"])
    return {"train": np.bincount(y[train], minlength=n).tolist(),
            "test": np.bincount(y[test], minlength=n).tolist(),
            "left_out": int((assign < 0).sum())}

"""The single-stage classify step: fit on the (rebalanced) training set, predict the test set."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np


def fit_and_predict(
    method: str,
    params: Mapping[str, Any],
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    n_classes: int,
    seed: int,
    n_jobs: int = 1,
) -> dict[str, Any]:
    """Fit the registered classifier ``method`` and return ``save_predictions`` keywords.

    The test set is touched once, after fitting, and its digest travels with the predictions
    so the evaluate stage can prove it was the original one.
    """
    from . import CLASSIFIERS
    from .predictions import predict_test

    clf = CLASSIFIERS[method](random_state=seed, n_jobs=n_jobs, **dict(params))
    clf.fit(x_train, y_train, n_classes=n_classes)
    return predict_test(clf, x_test, y_test)

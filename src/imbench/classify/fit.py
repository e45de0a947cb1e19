"""The single-job classify step: fit on the (rebalanced) training set, predict the test set."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .base import Classifier


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
    synthetic: np.ndarray | None = None,
) -> tuple[Classifier, dict[str, Any], dict[str, Any]]:
    """Fit the registered classifier ``method``, then score the test set once.

    Returns ``(classifier, save_predictions keywords, report)``: the report is what the fit
    recorded plus the evaluation record (which test images, which digest). The test set is
    touched only after fitting, except by a classifier asked for per-epoch test curves
    (eGAN's ``as_published_test_curves``), which only records them.
    """
    from . import CLASSIFIERS
    from .predictions import predict_test

    clf = CLASSIFIERS[method](random_state=seed, n_jobs=n_jobs, **dict(params))
    if getattr(clf, "monitors_test", False) and clf.params.get("as_published_test_curves"):
        # per-epoch test scores for a labelled "as published (selected on test)" number;
        # the classifier keeps them apart from its model choice (tests/test_neural.py)
        clf.fit(x_train, y_train, n_classes, synthetic=synthetic,
                test_monitor=(x_test, y_test))
    else:
        clf.fit(x_train, y_train, n_classes, synthetic=synthetic)
    predictions, evaluation = predict_test(clf, x_test, y_test)
    return clf, predictions, {**clf.training_report(), "evaluation": evaluation}

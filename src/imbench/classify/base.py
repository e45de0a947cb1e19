"""The classifier contract: ``fit(x, y, n_classes, synthetic=...)`` then ``predict_scores(x)``.

Images arrive as uint8 ``(N, H, W, C)``; each classifier does its own scaling. Scores are
``(N, n_classes)`` with column ``c`` for class ``c`` (also for classes absent from training):
probabilities where the model has them, otherwise decision values (both rank-valid for
one-vs-rest AUC).

A classifier class describes itself: ``stage`` says which workflow rules train it
(``imbench.plan.stages``: "cpu", "neural" or "two_stage"), ``score_kind`` what its scores
are, ``parameters`` every tunable key (default, allowed values, meaning; imbench.params).
The config holds overrides only; ``check_params`` returns the defaults updated by the
overrides and raises a ``ConfigError`` for an unknown key or a bad value (the convention of
every registry entry).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..params import Declared


class Classifier(Declared):
    #: which rules train it: "cpu" (train_classifier), "neural" (train_neural, a GPU rule),
    #: "two_stage" (train_cnn on a GPU, then fit_svm on a CPU)
    stage: ClassVar[str] = "cpu"
    #: "probability" or "decision": what ``predict_scores`` returns
    score_kind: ClassVar[str] = "probability"
    # ... and ``name``, ``parameters`` (imbench.params.Declared)

    def __init__(
        self, *, random_state: int | None = None, n_jobs: int = 1, **params: Any
    ) -> None:
        self.random_state = random_state
        self.n_jobs = n_jobs
        # Resolved here so that a bad config fails before any (possibly long) fit.
        self.params = self.check_params(params)

    def fit(self, x: np.ndarray, y: np.ndarray, n_classes: int | None = None, *,
            synthetic: np.ndarray | None = None) -> Classifier:
        """Train on ``x, y``; ``synthetic`` (bool per image) marks generated images, which
        a classifier with a validation split keeps out of it."""
        raise NotImplementedError

    def predict_scores(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.classes_)[np.argmax(self.predict_scores(x), axis=1)]

    def evaluation_set(
        self, x_test: np.ndarray, y_test: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
        """The test images this classifier is scored on, their labels in its label space,
        and a record of any selection (the whole test set for a multi-class classifier;
        eGAN keeps two classes and relabels them)."""
        return x_test, np.asarray(y_test, np.int64), {"task": "multiclass",
                                                      "n_test": len(y_test)}

    def training_report(self) -> dict[str, Any]:
        """What the fit recorded (epochs, splits, history ...); empty by default."""
        return dict(getattr(self, "report_", {}))

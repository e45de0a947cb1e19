"""The classifier contract: ``fit(x, y)`` then ``predict_scores(x)``.

Images arrive as uint8 ``(N, H, W, C)``; each classifier does its own scaling. Scores are
``(N, n_classes)``: probabilities where the model has them, otherwise decision values (both
rank-valid for one-vs-rest AUC).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np


class Classifier:
    #: registry name, set by each subclass
    name: ClassVar[str] = ""
    #: "probability" or "decision": what ``predict_scores`` returns
    score_kind: ClassVar[str] = "probability"

    def __init__(
        self, *, random_state: int | None = None, n_jobs: int = 1, **params: Any
    ) -> None:
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.params = params

    def fit(self, x: np.ndarray, y: np.ndarray, n_classes: int | None = None) -> "Classifier":
        raise NotImplementedError

    def predict_scores(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.classes_)[np.argmax(self.predict_scores(x), axis=1)]

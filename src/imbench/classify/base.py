"""The classifier contract: ``fit(x, y, n_classes)`` then ``predict_scores(x)``.

Images arrive as uint8 ``(N, H, W, C)``; each classifier does its own scaling. Scores are
``(N, n_classes)`` with column ``c`` for class ``c`` (also for classes absent from training):
probabilities where the model has them, otherwise decision values (both rank-valid for
one-vs-rest AUC).

Parameters follow the augmenters' pattern: a subclass lists every tunable key with its default
in ``default_params``; the config holds overrides only, and ``check_params`` returns the
defaults updated by the overrides, raising a ``ConfigError`` for an unknown key.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from ..errors import ConfigError


class Classifier:
    #: registry name, set by each subclass
    name: ClassVar[str] = ""
    #: "probability" or "decision": what ``predict_scores`` returns
    score_kind: ClassVar[str] = "probability"
    #: every accepted parameter and its default; the config overrides a subset
    default_params: ClassVar[dict[str, Any]] = {}

    def __init__(
        self, *, random_state: int | None = None, n_jobs: int = 1, **params: Any
    ) -> None:
        self.random_state = random_state
        self.n_jobs = n_jobs
        # Resolved here so that a bad config fails before any (possibly long) fit.
        self.params = self.check_params(params)

    @classmethod
    def check_params(cls, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Return ``default_params`` updated by ``params``.

        Raises ``ConfigError`` naming an unknown key and the allowed keys. Subclasses extend
        this to validate values (call ``super().check_params`` first).
        """
        params = dict(params or {})
        for key, value in params.items():
            if key not in cls.default_params:
                raise ConfigError(key, value, sorted(cls.default_params))
        # Deep copy so that a mutable default (list, dict) is never shared between instances.
        resolved = copy.deepcopy(cls.default_params)
        resolved.update(params)
        return resolved

    def fit(self, x: np.ndarray, y: np.ndarray, n_classes: int | None = None) -> Classifier:
        raise NotImplementedError

    def predict_scores(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.classes_)[np.argmax(self.predict_scores(x), axis=1)]

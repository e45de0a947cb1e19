"""``ros``: random oversampling, i.e. exact copies of randomly chosen real images."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from .base import Augmenter


class RandomOverSampler(Augmenter):
    """Duplicate images of each class drawn uniformly with replacement (imblearn's
    ``RandomOverSampler`` without shrinkage), reimplemented so the draw uses the base class's
    ``RandomState`` and images stay 4-D uint8 without a flatten/reshape round trip."""

    name: ClassVar[str] = "ros"

    def _generate(
        self, x: np.ndarray, y: np.ndarray, cls: int, n: int, rng: np.random.RandomState
    ) -> np.ndarray:
        idx = np.flatnonzero(y == cls)
        return x[idx[rng.randint(0, len(idx), size=n)]].copy()

"""``none``: the baseline that trains on the imbalanced set as it is."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from .base import Augmenter, check_xy


class NoAugmenter(Augmenter):
    """Return the input unchanged; ``sampling_strategy`` is ignored (nothing is added)."""

    name: ClassVar[str] = "none"
    baseline: ClassVar[bool] = True

    def fit_resample(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self._resolve_params()
        check_xy(x, y)
        self.sampling_strategy_: dict[int, int] = {}
        self.n_original_ = len(y)
        self.synthetic_mask_ = np.zeros(len(y), dtype=bool)
        return x.copy(), y.astype(np.int64)

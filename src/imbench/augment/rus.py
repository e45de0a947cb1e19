"""``rus``: random undersampling of the larger classes."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from ..sampling import class_counts, resolve_sampling_strategy
from .base import Augmenter, check_xy


class RandomUnderSampler(Augmenter):
    """Drop random images (without replacement) until each class has its target count.

    ``sampling_strategy`` is resolved with ``kind="under"``, so ``sampling_strategy_`` is
    ``{class: number of images kept}`` (``"auto"``: every class down to the minority count).
    Kept images stay in their original order; nothing is synthetic.
    """

    name: ClassVar[str] = "rus"
    kind: ClassVar[str] = "under"

    def fit_resample(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self._resolve_params()
        check_xy(x, y)
        self.sampling_strategy_ = resolve_sampling_strategy(
            self.sampling_strategy, class_counts(y), kind="under"
        )
        from sklearn.utils import check_random_state  # lazy: the plan imports this module

        rng = check_random_state(self.random_state)
        keep = np.ones(len(y), dtype=bool)
        for c, n_keep in self.sampling_strategy_.items():
            idx = np.flatnonzero(y == c)
            if n_keep < len(idx):
                drop = rng.choice(idx, size=len(idx) - n_keep, replace=False)
                keep[drop] = False
        self.n_original_ = int(keep.sum())
        self.synthetic_mask_ = np.zeros(self.n_original_, dtype=bool)
        return x[keep], y[keep].astype(np.int64)

"""The augment stage as one call: an imbalanced training set in, a rebalanced one out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..sampling import class_counts


def rebalance(
    x: np.ndarray,
    y: np.ndarray,
    *,
    method: str,
    sampling_strategy: Any = "auto",
    params: Mapping[str, Any] | None = None,
    seed: int = 0,
    flip_safe: bool = False,
    generators: Mapping[str, str] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    """Resample with the registered augmenter ``method``.

    Returns images, labels, a synthetic mask (True for generated images) and a summary
    (counts before/after, images added per class, resolved parameters).
    """
    from . import AUGMENTERS

    cls = AUGMENTERS[method]
    params = dict(params or {})
    if "flip_safe" in cls.default_params:
        # Whether a horizontal flip keeps the label is a fact of the dataset, not a choice.
        params["flip_safe"] = bool(flip_safe)
    # the augmenter checks its params (once, at fit time, imbalanced-learn style)
    augmenter = cls(sampling_strategy=sampling_strategy, random_state=seed, **params)
    if cls.generator is not None:
        augmenter.set_generators(dict(generators or {}))
    n_classes = int(y.max()) + 1 if y.size else 0
    before = class_counts(y, n_classes)
    x_res, y_res = augmenter.fit_resample(x, y)
    after = class_counts(y_res, n_classes)
    present = [n for n in after.values() if n > 0]
    info = {
        "method": method,
        "sampling_strategy": sampling_strategy,
        "params": params,
        "counts_before": list(before.values()),
        "counts": list(after.values()),
        "added": {int(c): int(n) for c, n in augmenter.sampling_strategy_.items()},
        "n_synthetic": int(augmenter.synthetic_mask_.sum()),
        "rho": max(present) / min(present) if present else None,
    }
    return x_res, y_res, augmenter.synthetic_mask_, info

"""The augmenter contract, modelled on imbalanced-learn's samplers without inheriting from them:
keyword-only ``__init__`` that only stores its arguments, ``sampling_strategy`` resolved to a
``{class: n_to_generate}`` dict, ``random_state`` through ``check_random_state`` and one entry
point, ``fit_resample``."""

from __future__ import annotations

import time
from typing import Any, ClassVar

import numpy as np

from ..params import Declared
from ..sampling import SamplingStrategy, class_counts, resolve_sampling_strategy


class Augmenter(Declared):
    """Base class: subclasses implement ``_generate`` (oversamplers) or override
    ``fit_resample`` (undersamplers).

    After ``fit_resample``: ``sampling_strategy_`` (``{class: n added}``), ``n_original_``
    (how many of the returned images are originals; they come first, unchanged) and
    ``synthetic_mask_`` (True for generated images).
    """

    # What the workflow reads of an augmenter while it builds the DAG (no side tables):
    #: "over" adds images, "under" removes them
    kind: ClassVar[str] = "over"
    #: the kind of trained generator it samples ("per_class" or "conditional", a separate
    #: workflow stage), or None
    generator: ClassVar[str | None] = None
    #: the images it adds are new images (not copies): shown beside real ones, scored
    synthesises: ClassVar[bool] = False
    #: each added image is made from one real image, so examples per source can be drawn
    single_image: ClassVar[bool] = False
    #: trains on the imbalanced set as it is: the imbalanced baseline of every comparison
    baseline: ClassVar[bool] = False
    # ... and ``name``, ``parameters`` (imbench.params.Declared: every ``params`` key)

    def __init__(
        self,
        *,
        sampling_strategy: SamplingStrategy = "auto",
        random_state: int | np.random.RandomState | None = None,
        **params: Any,
    ) -> None:
        self.sampling_strategy = sampling_strategy
        self.random_state = random_state
        self.params = params

    def _resolve_params(self) -> dict[str, Any]:
        """Validate ``self.params`` (imblearn style: at fit time, not in ``__init__``) and
        return them merged over the defaults; also stored as ``params_``. Checks that need a
        param the caller left at its default (transforms' ``flip_safe``) run in full here."""
        self.params_ = self.check_params({**self.default_params, **self.params})
        return self.params_

    def fit_resample(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the original images followed by the new ones, and their labels."""
        self._resolve_params()
        #: what the augmenter changed from its params, one sentence each (logged, recorded)
        self.notes_: list[str] = []
        check_xy(x, y)
        counts = class_counts(y)
        self.sampling_strategy_ = resolve_sampling_strategy(
            self.sampling_strategy, counts, kind=self.kind
        )
        from sklearn.utils import check_random_state  # lazy: the plan imports this module

        rng = check_random_state(self.random_state)
        new_x, new_y = [x], [y]
        #: seconds each class's new images took (a diffusion model's sampling is costly)
        self.generation_seconds_: dict[int, float] = {}
        for c, n in self.sampling_strategy_.items():
            if n <= 0:
                continue
            start = time.perf_counter()
            gen = self._generate(x, y, c, n, rng)
            self.generation_seconds_[int(c)] = round(time.perf_counter() - start, 3)
            if gen.shape != (n, *x.shape[1:]) or gen.dtype != np.uint8:
                raise RuntimeError(
                    f"{type(self).__name__} returned {gen.shape} {gen.dtype} for class {c}; "
                    f"expected {(n, *x.shape[1:])} uint8"
                )
            new_x.append(gen)
            new_y.append(np.full(n, c, dtype=np.int64))
        self.n_original_ = len(y)
        x_res, y_res = np.concatenate(new_x), np.concatenate(new_y).astype(np.int64)
        self.synthetic_mask_ = np.arange(len(y_res)) >= self.n_original_
        return x_res, y_res

    def _generate(
        self, x: np.ndarray, y: np.ndarray, cls: int, n: int, rng: np.random.RandomState
    ) -> np.ndarray:
        """Return ``n`` new uint8 images of class ``cls``."""
        raise NotImplementedError


def check_xy(x: np.ndarray, y: np.ndarray) -> None:
    if x.ndim != 4 or x.dtype != np.uint8:
        raise ValueError(f"images must be uint8 (N, H, W, C); got {x.dtype} {x.shape}")
    if y.shape != (x.shape[0],):
        raise ValueError(f"labels must be shaped ({x.shape[0]},); got {y.shape}")

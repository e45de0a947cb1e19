"""The augmenter contract, modelled on imbalanced-learn's samplers without inheriting from them:
keyword-only ``__init__`` that only stores its arguments, ``sampling_strategy`` resolved to a
``{class: n_to_generate}`` dict, ``random_state`` through ``check_random_state`` and one entry
point, ``fit_resample``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
from sklearn.utils import check_random_state

from ..errors import ConfigError

SamplingStrategy = str | float | Mapping[int, int]

_STRING_STRATEGIES = ("auto", "not majority", "minority", "all", "not minority")


def class_counts(y: np.ndarray, n_classes: int | None = None) -> dict[int, int]:
    """``{class: count}`` for every class in ``0 .. n_classes-1`` (zeros included)."""
    n = int(n_classes if n_classes is not None else (y.max() + 1 if y.size else 0))
    counts = np.bincount(y.astype(np.int64), minlength=n)
    return {c: int(counts[c]) for c in range(n)}


def resolve_sampling_strategy(
    sampling_strategy: SamplingStrategy, counts: Mapping[int, int], kind: str = "over"
) -> dict[int, int]:
    """Resolve imbalanced-learn's ``sampling_strategy`` vocabulary.

    For ``kind="over"`` the result is ``{class: number of images to add}``; for
    ``kind="under"`` it is ``{class: number of images to keep}``.

    * ``"auto"`` / ``"not majority"``: every class but the majority, to the majority count
      (under: every class but the minority, down to the minority count);
    * ``"minority"``: only the smallest class; ``"all"``: every class;
      ``"not minority"``: every class but the smallest;
    * a float ``r`` in (0, 1]: each smaller class up to ``r * n_max`` (under: each larger class
      down to ``n_min / r``);
    * a dict ``{class: target count}``: the count each named class should end with.
    """
    present = {c: n for c, n in counts.items() if n > 0}
    if not present:
        raise ConfigError("sampling_strategy", dict(counts), "a training set with images")
    n_max, n_min = max(present.values()), min(present.values())
    majority = min(c for c, n in present.items() if n == n_max)
    minority = min(c for c, n in present.items() if n == n_min)
    over = kind == "over"
    if isinstance(sampling_strategy, str):
        if sampling_strategy not in _STRING_STRATEGIES:
            raise ConfigError("sampling_strategy", sampling_strategy, _STRING_STRATEGIES)
        target = n_max if over else n_min
        if sampling_strategy in ("auto", "not majority" if over else "not minority"):
            chosen = [c for c in present if c != (majority if over else minority)]
        elif sampling_strategy == "minority":
            chosen = [minority]
        elif sampling_strategy == "all":
            chosen = list(present)
        elif sampling_strategy == "not minority":
            chosen = [c for c in present if c != minority]
        else:  # "not majority" when undersampling
            chosen = [c for c in present if c != majority]
        targets = {c: target for c in chosen}
    elif isinstance(sampling_strategy, Mapping):
        targets = {}
        for c, t in sampling_strategy.items():
            try:
                c = int(c)
            except (TypeError, ValueError):
                raise ConfigError("sampling_strategy", c, f"classes {sorted(counts)}") from None
            if c not in counts:
                raise ConfigError("sampling_strategy", c, f"classes {sorted(counts)}")
            # int("5") or int(2.7) would silently accept a typo, so demand a real integer
            if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or t < 0:
                raise ConfigError(f"sampling_strategy[{c}]", t, "an integer count >= 0")
            targets[c] = int(t)
    elif isinstance(sampling_strategy, (int, float)) and not isinstance(sampling_strategy, bool):
        r = float(sampling_strategy)
        if not 0.0 < r <= 1.0:
            raise ConfigError("sampling_strategy", sampling_strategy, "a float in (0, 1]")
        if over:
            targets = {c: int(round(r * n_max)) for c in present}
        else:
            targets = {c: int(round(n_min / r)) for c in present}
    else:
        raise ConfigError(
            "sampling_strategy", sampling_strategy,
            f"one of {_STRING_STRATEGIES}, a float in (0, 1] or a {{class: count}} dict",
        )
    if over:
        return {c: max(0, t - counts[c]) for c, t in sorted(targets.items()) if t > counts[c]}
    return {c: min(counts[c], t) for c, t in sorted(targets.items())}


class Augmenter:
    """Base class: subclasses implement ``_generate`` (oversamplers) or override
    ``fit_resample`` (undersamplers).

    After ``fit_resample``: ``sampling_strategy_`` (``{class: n added}``), ``n_original_``
    (how many of the returned images are originals; they come first, unchanged) and
    ``synthetic_mask_`` (True for generated images).
    """

    #: registry name, set by each subclass
    name: ClassVar[str] = ""
    #: "over" adds images, "under" removes them
    kind: ClassVar[str] = "over"
    #: True when the augmenter needs a trained generator (a separate workflow stage)
    needs_generator: ClassVar[bool] = False
    #: every accepted ``params`` key with its default; config holds overrides only, so a key
    #: missing here is a typo and is rejected (see ``check_params``)
    default_params: ClassVar[dict[str, Any]] = {}

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

    @classmethod
    def check_params(cls, params: Mapping[str, Any], key: str = "params") -> None:
        """Raise ConfigError for an unknown or invalid ``params`` key.

        A classmethod so the workflow can validate config before any job runs; ``key`` is the
        config path prefix used in the message (e.g. ``"augmenters.smote.params"``).
        """
        allowed = sorted(cls.default_params)
        for k in params:
            if k not in cls.default_params:
                raise ConfigError(
                    f"{key}.{k}", params[k],
                    f"keys {allowed}" if allowed else f"no params for {cls.name!r}",
                )
        cls._check_values({**cls.default_params, **params}, key)

    @classmethod
    def _check_values(cls, params: Mapping[str, Any], key: str) -> None:
        """Validate the merged params' values; subclasses override. Raise ConfigError."""

    def _resolve_params(self) -> dict[str, Any]:
        """Validate ``self.params`` (imblearn style: at fit time, not in ``__init__``) and
        return them merged over the defaults; also stored as ``params_``."""
        # the merged dict, so checks that need a param the caller left at its default
        # (e.g. transforms' flip_safe) run in full here even if skipped in check_params
        self.params_ = {**self.default_params, **self.params}
        self.check_params(self.params_)
        return self.params_

    def fit_resample(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the original images followed by the new ones, and their labels."""
        self._resolve_params()
        _check_xy(x, y)
        counts = class_counts(y)
        self.sampling_strategy_ = resolve_sampling_strategy(
            self.sampling_strategy, counts, kind=self.kind
        )
        rng = check_random_state(self.random_state)
        new_x, new_y = [x], [y]
        for c, n in self.sampling_strategy_.items():
            if n <= 0:
                continue
            gen = self._generate(x, y, c, n, rng)
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


def _check_xy(x: np.ndarray, y: np.ndarray) -> None:
    if x.ndim != 4 or x.dtype != np.uint8:
        raise ValueError(f"images must be uint8 (N, H, W, C); got {x.dtype} {x.shape}")
    if y.shape != (x.shape[0],):
        raise ValueError(f"labels must be shaped ({x.shape[0]},); got {y.shape}")

"""How many images each class gets: class counts, imbalanced-learn's ``sampling_strategy``
vocabulary, and imbench's ``protocol`` strategy.

This module sits low in the layers (numpy only): the DAG-time plan, the augment and
generator jobs and the augmenters all resolve a strategy through it, so ``protocol`` means the
same thing everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .errors import ConfigError

SamplingStrategy = str | float | Mapping[int, int]

#: the placeholder strategy: every class the imbalance protocol shrank, up to the largest class
PROTOCOL = "protocol"
STRING_STRATEGIES = ("auto", "not majority", "minority", "all", "not minority")
#: every value ``sampling_strategy`` may take in a config, for error messages
ALLOWED = (f"{PROTOCOL!r}, one of {STRING_STRATEGIES}, a float in (0, 1] or a "
           "{class: target count} mapping")


def class_counts(y: np.ndarray, n_classes: int | None = None) -> dict[int, int]:
    """``{class: count}`` for every class in ``0 .. n_classes-1`` (zeros included)."""
    n = int(n_classes if n_classes is not None else (y.max() + 1 if y.size else 0))
    counts = np.bincount(y.astype(np.int64), minlength=n)
    return {c: int(counts[c]) for c in range(n)}


def class_count_list(y: np.ndarray, n_classes: int) -> list[int]:
    """:func:`class_counts` as a list indexed by class."""
    return list(class_counts(np.asarray(y), n_classes).values())


def protocol_strategy(original_counts: Sequence[int], counts: Sequence[int]) -> dict[int, int]:
    """``sampling_strategy: protocol``: every class the imbalance protocol shrank, up to the
    largest class of the imbalanced set (what seed 000 did). A dataset's natural small
    differences in class size are left alone, so per-class generators are trained for the
    minority classes only."""
    target = max(counts)
    return {c: int(target) for c, (o, n) in enumerate(zip(original_counts, counts, strict=True))
            if n < o and n < target}


def concrete_strategy(strategy: Any, kind: str, original_counts: Sequence[int] | None,
                      counts: Sequence[int] | None) -> Any:
    """``strategy`` with the ``protocol`` placeholder made concrete.

    Undersamplers read ``protocol`` as imbalanced-learn's ``"auto"``; oversamplers get
    :func:`protocol_strategy` of the imbalanced set's counts, or ``protocol`` back when the
    counts are not known yet (a folder dataset while the DAG is built). Any other value is
    returned as it is.
    """
    if strategy != PROTOCOL:
        return strategy
    if kind == "under":
        return "auto"
    if original_counts is None or counts is None:
        return PROTOCOL
    return protocol_strategy(original_counts, counts)


def check_strategy(strategy: Any, key: str, n_classes: int | None = None) -> None:
    """Raise ConfigError unless ``strategy`` is a value ``sampling_strategy`` accepts: the
    check the DAG build runs, before any count is known (``n_classes`` bounds the classes a
    mapping may name when the dataset's class list is known)."""
    if isinstance(strategy, str):
        if strategy != PROTOCOL and strategy not in STRING_STRATEGIES:
            raise ConfigError(key, strategy, ALLOWED)
    elif isinstance(strategy, Mapping):
        for c, t in strategy.items():
            if not _is_int(c) or int(c) < 0 or (n_classes is not None and int(c) >= n_classes):
                allowed = (f"class indices 0..{n_classes - 1}" if n_classes is not None
                           else "class indices >= 0")
                raise ConfigError(f"{key}.{c}", c, allowed)
            if not _is_int(t) or t < 0:
                raise ConfigError(f"{key}.{c}", t, "an integer target count >= 0")
    elif isinstance(strategy, (int, float)) and not isinstance(strategy, bool):
        if not 0.0 < float(strategy) <= 1.0:
            raise ConfigError(key, strategy, "a float in (0, 1]")
    else:
        raise ConfigError(key, strategy, ALLOWED)


def _is_int(v: object) -> bool:
    # int("5") or int(2.7) would silently accept a typo, so demand a real integer
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


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
        if sampling_strategy not in STRING_STRATEGIES:
            raise ConfigError("sampling_strategy", sampling_strategy, STRING_STRATEGIES)
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
            if not _is_int(t) or t < 0:
                raise ConfigError(f"sampling_strategy[{c}]", t, "an integer count >= 0")
            # imbalanced-learn refuses these too: a silent skip would record a target that
            # was never reached
            if over and t < counts[c]:
                raise ConfigError(f"sampling_strategy[{c}]", t,
                                  f"a target >= the class's {counts[c]} images (an "
                                  f"oversampler only adds images)")
            if not over and t > counts[c]:
                raise ConfigError(f"sampling_strategy[{c}]", t,
                                  f"a target <= the class's {counts[c]} images (an "
                                  f"undersampler only removes images)")
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
            f"one of {STRING_STRATEGIES}, a float in (0, 1] or a {{class: count}} dict",
        )
    if over:
        return {c: max(0, t - counts[c]) for c, t in sorted(targets.items()) if t > counts[c]}
    return {c: min(counts[c], t) for c, t in sorted(targets.items())}


__all__ = ["ALLOWED", "PROTOCOL", "STRING_STRATEGIES", "check_strategy", "class_counts",
           "concrete_strategy", "protocol_strategy", "resolve_sampling_strategy"]

"""Imbalance protocols: turn a (roughly) balanced training set into an imbalanced one.

A protocol is a config mapping ``{protocol: <name>, ...}``. ``target_counts`` computes the
per-class sizes from the original counts alone (so the workflow can plan at DAG time, with no
data loaded); ``make_imbalanced`` then draws that many images per class with a seeded
generator. The test set is never imbalanced.

Protocols (``n_max`` = the largest original class, ``C`` = number of classes):

* ``none``: keep everything.
* ``drop``: ``drop: {class: n_removed}``.
* ``keep_ratio``: ``keep: {class: fraction in (0, 1]}``; keeps ``floor(fraction * n_c)``.
* ``step`` (Buda et al. 2018): ``mu`` = fraction of classes that are minority, ``rho`` =
  majority/minority ratio >= 1; minority classes get ``floor(n_max / rho)`` images, majority
  classes keep all of theirs. The minority classes are ``classes: [..]`` when given, else the
  LAST ``round(mu * C)`` classes (half rounded up). With both, ``len(classes)`` must equal
  ``round(mu * C)``.
* ``linear`` (Buda et al. 2018): ``rho``; rank ``i`` gets
  ``floor(n_max * (1 - (1 - 1/rho) * i / (C - 1)))``: ``n_max`` for rank 0 down to
  ``n_max / rho`` for the last.
* ``exponential`` (CIFAR-10-LT, Cui et al. 2019): ``rho``; rank ``i`` gets
  ``floor(n_max * rho ** (-i / (C - 1)))``.
* ``counts``: ``counts: {class: n}``; unnamed classes keep all.

For ``linear``/``exponential`` rank ``i`` is class ``i`` unless ``order: [..]`` (a permutation
of the classes) says ``order[i]`` gets rank ``i``. Every target is capped at the class's own
size: a protocol never invents images, so on datasets whose classes differ in size (MNIST)
the produced ratio can differ slightly from ``rho``; ``info["rho"]`` reports the real one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from .errors import ConfigError

# floor() of products like 0.29 * 100 = 28.999999999999996 must give 29, not 28
_EPS = 1e-9

_Counts = list[int]


def _floor(v: float) -> int:
    return int(math.floor(v + _EPS))


def _n_minority(mu: float, n_classes: int) -> int:
    # round half up (Python's round() is banker's rounding: round(2.5) == 2)
    return int(math.floor(mu * n_classes + 0.5))


def _ranked(cfg: Mapping[str, Any], counts: Sequence[int], fractions: list[float]) -> _Counts:
    """Give rank ``i`` (class ``order[i]``) ``floor(n_max * fractions[i])``, capped."""
    n_max = max(counts)
    order = list(cfg.get("order", range(len(counts))))
    out = list(counts)
    for rank, c in enumerate(order):
        out[int(c)] = min(counts[int(c)], _floor(n_max * fractions[rank]))
    return out


def _none(cfg: Mapping[str, Any], counts: Sequence[int]) -> _Counts:
    return list(counts)


def _drop(cfg: Mapping[str, Any], counts: Sequence[int]) -> _Counts:
    out = list(counts)
    for c, n in cfg.get("drop", {}).items():
        out[int(c)] -= int(n)
    return out


def _keep_ratio(cfg: Mapping[str, Any], counts: Sequence[int]) -> _Counts:
    out = list(counts)
    for c, f in cfg.get("keep", {}).items():
        out[int(c)] = _floor(float(f) * counts[int(c)])
    return out


def _step(cfg: Mapping[str, Any], counts: Sequence[int]) -> _Counts:
    minority = _step_minority(cfg, len(counts))
    size = _floor(max(counts) / float(cfg["rho"]))
    return [min(n, size) if c in minority else n for c, n in enumerate(counts)]


def _step_minority(cfg: Mapping[str, Any], n_classes: int) -> list[int]:
    if "classes" in cfg:
        return [int(c) for c in cfg["classes"]]
    k = _n_minority(float(cfg["mu"]), n_classes)
    return list(range(n_classes - k, n_classes))


def _linear(cfg: Mapping[str, Any], counts: Sequence[int]) -> _Counts:
    rho, last = float(cfg["rho"]), max(len(counts) - 1, 1)
    return _ranked(cfg, counts, [1 - (1 - 1 / rho) * i / last for i in range(len(counts))])


def _exponential(cfg: Mapping[str, Any], counts: Sequence[int]) -> _Counts:
    rho, last = float(cfg["rho"]), max(len(counts) - 1, 1)
    return _ranked(cfg, counts, [rho ** (-i / last) for i in range(len(counts))])


def _counts(cfg: Mapping[str, Any], counts: Sequence[int]) -> _Counts:
    out = list(counts)
    for c, n in cfg.get("counts", {}).items():
        out[int(c)] = int(n)
    return out


#: protocol name -> function(cfg, original counts) -> target counts (cfg already checked)
PROTOCOLS: dict[str, Callable[[Mapping[str, Any], Sequence[int]], _Counts]] = {
    "none": _none,
    "drop": _drop,
    "keep_ratio": _keep_ratio,
    "step": _step,
    "linear": _linear,
    "exponential": _exponential,
    "counts": _counts,
}

#: keys each protocol accepts besides ``protocol``; the second set lists the required ones
_KEYS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "none": (frozenset(), frozenset()),
    "drop": (frozenset({"drop"}), frozenset({"drop"})),
    "keep_ratio": (frozenset({"keep"}), frozenset({"keep"})),
    "step": (frozenset({"mu", "rho", "classes"}), frozenset({"rho"})),
    "linear": (frozenset({"rho", "order"}), frozenset({"rho"})),
    "exponential": (frozenset({"rho", "order"}), frozenset({"rho"})),
    "counts": (frozenset({"counts"}), frozenset({"counts"})),
}


def _is_int(v: object) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def _class_index(key: str, c: object, n_classes: int | None) -> int:
    """Parse a class key (YAML gives ints, JSON gives digit strings) and range-check it."""
    allowed = f"a class index in 0..{n_classes - 1}" if n_classes else "a class index >= 0"
    if isinstance(c, str) and c.strip().isdigit():
        c = int(c)
    if not _is_int(c) or int(c) < 0 or (n_classes is not None and int(c) >= n_classes):
        raise ConfigError(key, c, allowed)
    return int(c)


def _check_class_map(
    key: str, value: object, n_classes: int | None
) -> dict[int, tuple[str, object]]:
    if not isinstance(value, Mapping) or not value:
        raise ConfigError(key, value, "a non-empty {class: value} mapping")
    out: dict[int, tuple[str, object]] = {}
    for c, v in value.items():
        idx = _class_index(f"{key}.{c}", c, n_classes)
        if idx in out:
            raise ConfigError(f"{key}.{c}", c, "each class once")
        out[idx] = (f"{key}.{c}", v)
    return out


def _check_rho(prefix: str, cfg: Mapping[str, Any]) -> float:
    rho = cfg["rho"]
    if not _is_number(rho) or not math.isfinite(rho) or rho < 1:
        raise ConfigError(f"{prefix}.rho", rho, "a number >= 1")
    return float(rho)


def _check_class_list(key: str, value: object, n_classes: int | None) -> list[int]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or not value:
        raise ConfigError(key, value, "a non-empty list of class indices")
    out = [_class_index(f"{key}.{i}", c, n_classes) for i, c in enumerate(value)]
    if len(set(out)) != len(out):
        raise ConfigError(key, list(value), "each class once")
    return out


def _validate(
    prefix: str, cfg: Mapping[str, Any], counts: Sequence[int] | None, n_classes: int | None
) -> None:
    if not isinstance(cfg, Mapping):
        raise ConfigError(prefix, cfg, "a mapping with a 'protocol' key")
    if counts is not None:
        counts = [int(n) for n in counts]
        if n_classes is not None and n_classes != len(counts):
            raise ConfigError(f"{prefix}.n_classes", n_classes, f"{len(counts)} (len(counts))")
        n_classes = len(counts)
    name = cfg.get("protocol")
    if not isinstance(name, str) or name not in PROTOCOLS:
        raise ConfigError(f"{prefix}.protocol", name, sorted(PROTOCOLS))
    accepted, required = _KEYS[name]
    for k in cfg:
        if k != "protocol" and k not in accepted:
            raise ConfigError(f"{prefix}.{k}", cfg[k], f"keys for {name!r}: {sorted(accepted)}")
    for k in sorted(required):
        if k not in cfg:
            raise ConfigError(f"{prefix}.{k}", None, f"a value (required by {name!r})")

    sizes = dict(enumerate(counts)) if counts is not None else None
    if name == "drop":
        for c, (key, n) in _check_class_map(f"{prefix}.drop", cfg["drop"], n_classes).items():
            if not _is_int(n) or n < 0:
                raise ConfigError(key, n, "an integer number of images to remove >= 0")
            if sizes is not None and n > sizes[c]:
                raise ConfigError(key, n, f"at most the class size {sizes[c]}")
    elif name == "keep_ratio":
        for _, (key, f) in _check_class_map(f"{prefix}.keep", cfg["keep"], n_classes).items():
            if not _is_number(f) or not 0 < f <= 1:
                raise ConfigError(key, f, "a fraction in (0, 1]")
    elif name == "counts":
        for c, (key, n) in _check_class_map(f"{prefix}.counts", cfg["counts"], n_classes).items():
            if not _is_int(n) or n < 1:
                raise ConfigError(key, n, "an integer number of images to keep >= 1")
            if sizes is not None and n > sizes[c]:
                raise ConfigError(key, n, f"at most the class size {sizes[c]}")
    elif name == "step":
        _check_rho(prefix, cfg)
        if "mu" not in cfg and "classes" not in cfg:
            raise ConfigError(f"{prefix}.mu", None, "a fraction in (0, 1) (or give 'classes')")
        if "mu" in cfg:
            mu = cfg["mu"]
            if not _is_number(mu) or not 0 < mu < 1:
                raise ConfigError(f"{prefix}.mu", mu, "a fraction in (0, 1)")
        if "classes" in cfg:
            chosen = _check_class_list(f"{prefix}.classes", cfg["classes"], n_classes)
            if "mu" in cfg and n_classes is not None:
                k = _n_minority(float(cfg["mu"]), n_classes)
                if k != len(chosen):
                    raise ConfigError(
                        f"{prefix}.classes", list(cfg["classes"]),
                        f"{k} classes (round(mu * n_classes) = round({cfg['mu']} * {n_classes}))",
                    )
        if n_classes is not None:
            k = len(_step_minority(cfg, n_classes))
            if not 1 <= k < n_classes:
                # a step with no minority (or no majority) class is no imbalance at all
                raise ConfigError(
                    f"{prefix}.mu", cfg.get("mu"),
                    f"a fraction giving 1..{n_classes - 1} minority classes of {n_classes}",
                )
    elif name in ("linear", "exponential"):
        _check_rho(prefix, cfg)
        if "order" in cfg:
            order = _check_class_list(f"{prefix}.order", cfg["order"], n_classes)
            if n_classes is not None and sorted(order) != list(range(n_classes)):
                raise ConfigError(
                    f"{prefix}.order", list(cfg["order"]),
                    f"a permutation of all classes 0..{n_classes - 1}",
                )

    if counts is not None:
        targets = PROTOCOLS[name](_normalised(cfg), counts)
        empty = [c for c, n in enumerate(targets) if n < 1]
        if empty:
            c = empty[0]
            raise ConfigError(
                prefix, dict(cfg),
                f"a protocol leaving every class >= 1 image; class {c} "
                f"(size {counts[c]}) would keep {targets[c]}",
            )


def _normalised(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Class keys as ints (JSON delivers them as strings)."""
    out = dict(cfg)
    for k in ("drop", "keep", "counts"):
        if isinstance(out.get(k), Mapping):
            out[k] = {int(c): v for c, v in out[k].items()}
    return out


def check_protocol(
    name: str,
    cfg: Mapping[str, Any],
    counts: Sequence[int] | None,
    n_classes: int | None,
) -> None:
    """Raise ConfigError (key ``imbalances.<name>....``) if ``cfg`` is not a valid protocol.

    With ``counts`` (original per-class train sizes) everything is checked, including that
    no class would end up empty; with only ``n_classes`` (e.g. folder datasets whose sizes
    are unknown until loaded) class indices are range-checked; with neither, only structure
    and value types/ranges.
    """
    _validate(f"imbalances.{name}", cfg, counts, n_classes)


def target_counts(cfg: Mapping[str, Any], counts: Sequence[int]) -> list[int]:
    """Per-class train sizes the protocol produces from the original ``counts``. Pure."""
    _validate("imbalance", cfg, counts, None)
    return PROTOCOLS[cfg["protocol"]](_normalised(cfg), [int(n) for n in counts])


def imbalance_ratio(counts: Sequence[int]) -> float:
    """``max / min`` of the class counts (``inf`` when a class is empty)."""
    if len(counts) == 0:
        raise ValueError("imbalance_ratio of no classes")
    lo, hi = min(counts), max(counts)
    return math.inf if lo == 0 else float(hi) / float(lo)


def select_indices(
    y: np.ndarray, cfg: Mapping[str, Any], seed: int, n_classes: int | None = None
) -> np.ndarray:
    """Sorted indices into ``y`` of the images the protocol keeps.

    Each class draws from its own generator seeded by ``(seed, class)`` and keeps a prefix of
    a random permutation, so (a) changing one class's target never changes which images
    another class keeps, and (b) for one seed a harsher protocol keeps a subset of a milder
    one's images (step rho=40 within rho=20), which keeps comparisons across protocols paired.
    """
    y = np.asarray(y)
    n = int(n_classes if n_classes is not None else y.max() + 1)
    counts = np.bincount(y.astype(np.int64), minlength=n)
    targets = target_counts(cfg, counts.tolist())
    keep = []
    for c, t in enumerate(targets):
        idx = np.flatnonzero(y == c)
        if t < len(idx):
            rng = np.random.default_rng([int(seed), c])
            idx = idx[rng.permutation(len(idx))[:t]]
        keep.append(idx)
    # sorting keeps the kept images in their original relative order
    return np.sort(np.concatenate(keep)) if keep else np.zeros(0, dtype=np.int64)


def make_imbalanced(
    x: np.ndarray,
    y: np.ndarray,
    cfg: Mapping[str, Any],
    seed: int,
    class_names: Sequence[str] | None = None,
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Subsample the training set ``(x, y)`` by ``cfg`` without replacement, seeded.

    Returns the kept images and labels (original order) and an ``info`` dict:
    ``protocol``, ``original_counts``, ``counts``, ``rho`` (max/min of ``counts``),
    ``minority_classes`` (the classes the protocol shrank below the largest class: a
    dataset's natural small differences in class size, as in digits or MNIST, do not make a
    class a minority, so ``none`` has none; this matches ``workflow.protocol_strategy``)
    and ``class_names`` if given.
    """
    y = np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} images but y has {len(y)} labels")
    n = len(class_names) if class_names is not None else int(y.max()) + 1
    original = np.bincount(y.astype(np.int64), minlength=n).tolist()
    keep = select_indices(y, cfg, seed, n_classes=n)
    x_out, y_out = x[keep], y[keep].astype(np.int64)
    produced = np.bincount(y_out, minlength=n).tolist()
    info: dict[str, Any] = {
        "protocol": dict(cfg),
        "original_counts": original,
        "counts": produced,
        "rho": imbalance_ratio(produced),
        "minority_classes": [
            c for c, k in enumerate(produced) if k < original[c] and k < max(produced)
        ],
    }
    if class_names is not None:
        info["class_names"] = [str(s) for s in class_names]
    return x_out, y_out, info

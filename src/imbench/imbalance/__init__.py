"""Imbalance protocols: turn a (roughly) balanced training set into an imbalanced one.

A protocol is a config mapping ``{protocol: <name>, ...}`` naming a registered
:class:`~imbench.imbalance.base.Protocol` (``protocols.py``). ``target_counts`` computes the
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
  ``floor(n_max * rho ** (-i / (C - 1)))``. ``selection: cao2019`` keeps the images
  Cao et al.'s (LDAM-DRW) ``IMBALANCECIFAR10`` keeps instead of imbench's seeded draw.
* ``counts``: ``counts: {class: n}``; unnamed classes keep all.

For ``linear``/``exponential`` rank ``i`` is class ``i`` unless ``order: [..]`` (a permutation
of the classes) says ``order[i]`` gets rank ``i``. Every target is capped at the class's own
size: a protocol never invents images, so on datasets whose classes differ in size (MNIST)
the produced ratio can differ slightly from ``rho``; ``info["rho"]`` reports the real one.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..registry import Registry
from .base import Protocol, normalised

#: protocol name -> a :class:`~imbench.imbalance.base.Protocol` (one class, one line here)
PROTOCOLS = Registry(
    "protocol",
    {
        "none": "imbench.imbalance.protocols:NoProtocol",
        "drop": "imbench.imbalance.protocols:Drop",
        "keep_ratio": "imbench.imbalance.protocols:KeepRatio",
        "step": "imbench.imbalance.protocols:Step",
        "linear": "imbench.imbalance.protocols:Linear",
        "exponential": "imbench.imbalance.protocols:Exponential",
        "counts": "imbench.imbalance.protocols:ExplicitCounts",
    },
)


def get_protocol(cfg: Mapping[str, Any], prefix: str = "imbalance") -> Protocol:
    """The protocol object ``cfg`` names (ConfigError naming ``prefix.protocol`` if unknown)."""
    if not isinstance(cfg, Mapping):
        raise ConfigError(prefix, cfg, "a mapping with a 'protocol' key")
    name = cfg.get("protocol")
    if not isinstance(name, str) or name not in PROTOCOLS:
        raise ConfigError(f"{prefix}.protocol", name, sorted(PROTOCOLS))
    return PROTOCOLS[name]()


def _validate(prefix: str, cfg: Mapping[str, Any], counts: Sequence[int] | None,
              n_classes: int | None) -> Protocol:
    protocol = get_protocol(cfg, prefix)
    if counts is not None:
        counts = [int(n) for n in counts]
        if n_classes is not None and n_classes != len(counts):
            raise ConfigError(f"{prefix}.n_classes", n_classes, f"{len(counts)} (len(counts))")
        n_classes = len(counts)
    protocol.check(prefix, cfg, counts, n_classes)
    return protocol


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
    protocol = _validate("imbalance", cfg, counts, None)
    return protocol.targets(normalised(cfg), [int(n) for n in counts])


def imbalance_ratio(counts: Sequence[int]) -> float:
    """``max / min`` of the class counts (``inf`` when a class is empty)."""
    if len(counts) == 0:
        raise ValueError("imbalance_ratio of no classes")
    lo, hi = min(counts), max(counts)
    return math.inf if lo == 0 else float(hi) / float(lo)


def select_indices(
    y: np.ndarray, cfg: Mapping[str, Any], seed: int, n_classes: int | None = None
) -> np.ndarray:
    """Sorted indices into ``y`` of the images the protocol keeps (its ``select``: by
    default a seeded draw per class, see :meth:`~imbench.imbalance.base.Protocol.select`)."""
    y = np.asarray(y)
    n = int(n_classes if n_classes is not None else y.max() + 1)
    counts = np.bincount(y.astype(np.int64), minlength=n)
    protocol = _validate("imbalance", cfg, counts.tolist(), None)
    targets = protocol.targets(normalised(cfg), counts.tolist())
    return protocol.select(normalised(cfg), y, targets, seed)


def indices_sha256(indices: np.ndarray) -> str:
    """Digest of the kept training indices (int64, ascending), recorded in counts.json so a
    subset can be compared with another tool's."""
    return hashlib.sha256(np.ascontiguousarray(indices, dtype="<i8").tobytes()).hexdigest()


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
    ``indices_sha256`` (:func:`indices_sha256` of the kept indices),
    ``minority_classes`` (the classes the protocol shrank below the largest class: a
    dataset's natural small differences in class size, as in digits or MNIST, do not make a
    class a minority, so ``none`` has none; this matches ``sampling.protocol_strategy``)
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
        "indices_sha256": indices_sha256(keep),
        "minority_classes": [
            c for c, k in enumerate(produced) if k < original[c] and k < max(produced)
        ],
    }
    if class_names is not None:
        info["class_names"] = [str(s) for s in class_names]
    return x_out, y_out, info


def imbalance_raw(
    raw_path: str | os.PathLike[str],
    train_path: str | os.PathLike[str],
    counts_path: str | os.PathLike[str],
    *,
    protocol: Mapping[str, Any],
    cell: Mapping[str, Any],
    seed: int,
    original_counts: Sequence[int] | None = None,
) -> dict[str, Any]:
    """The make_imbalanced job: the imbalanced training set of the raw file (its test set
    is never read into the result) and its counts.json; returns the counts info.

    ``original_counts``: the per-class training counts the plan was built from (None when
    only loading can tell). A raw copy with other counts is stale (its source changed):
    an error, never a result that mixes the two.
    """
    from .. import records
    from ..errors import DataError
    from ..provenance import provenance

    raw = records.load(raw_path, "raw", cell)
    class_names = [str(c) for c in raw["class_names"]]
    observed = np.bincount(raw["y_train"].astype(np.int64), minlength=len(class_names))
    if original_counts is not None and observed.tolist() != list(original_counts):
        raise DataError(f"{raw_path}: its training counts {observed.tolist()} differ from "
                        f"the counts {list(original_counts)} the plan was made from (its "
                        f"source changed after it was copied); delete it and rerun")
    x, y, info = make_imbalanced(raw["x_train"], raw["y_train"], protocol, seed,
                                 class_names=class_names)
    info["provenance"] = provenance(dict(cell), seed)
    record = records.save(train_path, "imbalanced", cell, made_from={"raw": raw.record},
                          x=x, y=y)
    records.write_json_describing(counts_path, info, "imbalanced", cell, record)
    return info

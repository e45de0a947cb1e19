"""The built-in imbalance protocols; each is one class and one registry line.

``n_max`` = the largest original class, ``C`` = the number of classes. Every target is capped
at the class's own size: a protocol never invents images.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..params import ClassMap, Int, ListOf, Number, Param, ParamSpec, one_of, optional
from .base import Counts, Protocol, check_class_list, check_class_map, floor

#: majority / minority size ratio: the key step, linear and exponential share
RHO = Param("rho", None, Number(1), "majority / minority size ratio", required=True)


def n_minority(mu: float, n_classes: int) -> int:
    # round half up (Python's round() is banker's rounding: round(2.5) == 2)
    return int(math.floor(mu * n_classes + 0.5))


class NoProtocol(Protocol):
    """``none``: keep everything (the original set)."""

    name = "none"
    example = {"protocol": "none"}
    original = True

    def targets(self, cfg: Mapping[str, Any], counts: Sequence[int]) -> Counts:
        return list(counts)


class Drop(Protocol):
    """``drop: {class: n_removed}`` (seed 000)."""

    name = "drop"
    example = {"protocol": "drop", "drop": {3: 530, 4: 550}}
    parameters = ParamSpec(Param("drop", None, ClassMap(Int(0)),
                                 "{class: training images removed}", required=True))

    def check_values(self, prefix: str, cfg: Mapping[str, Any], counts: Sequence[int] | None,
                     n_classes: int | None) -> None:
        for c, (key, n) in check_class_map(f"{prefix}.drop", cfg["drop"], n_classes).items():
            if counts is not None and n > counts[c]:
                raise ConfigError(key, n, f"at most the class size {counts[c]}")

    def targets(self, cfg: Mapping[str, Any], counts: Sequence[int]) -> Counts:
        out = list(counts)
        for c, n in cfg["drop"].items():
            out[int(c)] -= int(n)
        return out


class KeepRatio(Protocol):
    """``keep: {class: fraction in (0, 1]}``; keeps ``floor(fraction * n_c)`` (seed 002)."""

    name = "keep_ratio"
    example = {"protocol": "keep_ratio", "keep": {1: 0.2}}
    parameters = ParamSpec(Param("keep", None, ClassMap(Number(0, 1, lo_open=True)),
                                 "{class: fraction of its training images kept}",
                                 required=True))

    def check_values(self, prefix: str, cfg: Mapping[str, Any], counts: Sequence[int] | None,
                     n_classes: int | None) -> None:
        check_class_map(f"{prefix}.keep", cfg["keep"], n_classes)

    def targets(self, cfg: Mapping[str, Any], counts: Sequence[int]) -> Counts:
        out = list(counts)
        for c, f in cfg["keep"].items():
            out[int(c)] = floor(float(f) * counts[int(c)])
        return out


class ExplicitCounts(Protocol):
    """``counts: {class: n}``; unnamed classes keep all."""

    name = "counts"
    example = {"protocol": "counts", "counts": {0: 100, 1: 50}}
    parameters = ParamSpec(Param("counts", None, ClassMap(Int(1)),
                                 "{class: training images kept}", required=True))

    def check_values(self, prefix: str, cfg: Mapping[str, Any], counts: Sequence[int] | None,
                     n_classes: int | None) -> None:
        for c, (key, n) in check_class_map(f"{prefix}.counts", cfg["counts"],
                                           n_classes).items():
            if counts is not None and n > counts[c]:
                raise ConfigError(key, n, f"at most the class size {counts[c]}")

    def targets(self, cfg: Mapping[str, Any], counts: Sequence[int]) -> Counts:
        out = list(counts)
        for c, n in cfg["counts"].items():
            out[int(c)] = int(n)
        return out


class Step(Protocol):
    """Step imbalance (Buda et al. 2018): ``mu`` = fraction of classes that are minority,
    ``rho`` = majority/minority ratio >= 1; minority classes get ``floor(n_max / rho)``
    images, majority classes keep all of theirs. The minority classes are ``classes: [..]``
    when given, else the LAST ``round(mu * C)`` classes (half rounded up). With both,
    ``len(classes)`` must equal ``round(mu * C)``. ``cap`` first subsamples every class to
    at most that many images (seed 001 §3.1: "no more than 5 000 examples"), so ``n_max`` is
    the capped size."""

    name = "step"
    example = {"protocol": "step", "mu": 0.1, "rho": 20, "classes": [0]}
    parameters = ParamSpec(
        Param("mu", None, Number(0, 1, lo_open=True, hi_open=True),
              "fraction of the classes that are minority classes (or give classes)"),
        RHO,
        Param("classes", None, ListOf(Int(0), min_length=1),
              "the minority classes (default: the last round(mu x C))"),
        Param("cap", None, optional(Int(1)),
              "every class first subsampled (seeded, uniformly) to at most this many images; "
              "null: no cap"),
    )

    @staticmethod
    def minority(cfg: Mapping[str, Any], n_classes: int) -> list[int]:
        if "classes" in cfg:
            return [int(c) for c in cfg["classes"]]
        k = n_minority(float(cfg["mu"]), n_classes)
        return list(range(n_classes - k, n_classes))

    def check_values(self, prefix: str, cfg: Mapping[str, Any], counts: Sequence[int] | None,
                     n_classes: int | None) -> None:
        if "mu" not in cfg and "classes" not in cfg:
            raise ConfigError(f"{prefix}.mu", None, "a fraction in (0, 1) (or give 'classes')")
        if "classes" in cfg:
            chosen = check_class_list(f"{prefix}.classes", cfg["classes"], n_classes)
            if "mu" in cfg and n_classes is not None:
                k = n_minority(float(cfg["mu"]), n_classes)
                if k != len(chosen):
                    raise ConfigError(
                        f"{prefix}.classes", list(cfg["classes"]),
                        f"{k} classes (round(mu * n_classes) = round({cfg['mu']} * {n_classes}))",
                    )
        if n_classes is not None:
            k = len(self.minority(cfg, n_classes))
            if not 1 <= k < n_classes:
                # a step with no minority (or no majority) class is no imbalance at all
                raise ConfigError(
                    f"{prefix}.mu", cfg.get("mu"),
                    f"a fraction giving 1..{n_classes - 1} minority classes of {n_classes}",
                )

    def targets(self, cfg: Mapping[str, Any], counts: Sequence[int]) -> Counts:
        minority = self.minority(cfg, len(counts))
        cap = cfg.get("cap")
        capped = [n if cap is None else min(n, int(cap)) for n in counts]
        size = floor(max(capped) / float(cfg["rho"]))
        return [min(n, size) if c in minority else n for c, n in enumerate(capped)]


class _Ranked(Protocol):
    """Rank ``i`` (class ``order[i]``, default class ``i``; ``order`` a permutation of the
    classes) gets ``floor(n_max * fraction(i))``, capped at the class size."""

    parameters = ParamSpec(
        RHO,
        Param("order", None, ListOf(Int(0), min_length=1),
              "the classes from largest to smallest (default: 0, 1, ..., C - 1)"),
    )

    def fractions(self, rho: float, n_classes: int) -> list[float]:
        raise NotImplementedError

    def check_values(self, prefix: str, cfg: Mapping[str, Any], counts: Sequence[int] | None,
                     n_classes: int | None) -> None:
        if "order" in cfg:
            order = check_class_list(f"{prefix}.order", cfg["order"], n_classes)
            if n_classes is not None and sorted(order) != list(range(n_classes)):
                raise ConfigError(
                    f"{prefix}.order", list(cfg["order"]),
                    f"a permutation of all classes 0..{n_classes - 1}",
                )

    def targets(self, cfg: Mapping[str, Any], counts: Sequence[int]) -> Counts:
        n_max = max(counts)
        fractions = self.fractions(float(cfg["rho"]), len(counts))
        out = list(counts)
        for rank, c in enumerate(cfg.get("order", range(len(counts)))):
            out[int(c)] = min(counts[int(c)], floor(n_max * fractions[rank]))
        return out


class Linear(_Ranked):
    """Linear imbalance (Buda et al. 2018): rank ``i`` gets
    ``floor(n_max * (1 - (1 - 1/rho) * i / (C - 1)))``, ``n_max`` down to ``n_max / rho``."""

    name = "linear"
    example = {"protocol": "linear", "rho": 10}

    def fractions(self, rho: float, n_classes: int) -> list[float]:
        last = max(n_classes - 1, 1)
        return [1 - (1 - 1 / rho) * i / last for i in range(n_classes)]


SELECTIONS = ("imbench", "cao2019")


class Exponential(_Ranked):
    """Long-tailed (CIFAR-10-LT, Cui et al. 2019): rank ``i`` gets
    ``floor(n_max * rho ** (-i / (C - 1)))``.

    ``selection``: ``imbench`` (default) is the seeded per-class draw every protocol uses;
    ``cao2019`` keeps exactly the images of kaidic/LDAM-DRW's ``IMBALANCECIFAR10``
    (``imb_factor = 1 / rho``, ``rand_number = 0``): NumPy's legacy generator seeded once with
    ``cao_seed`` (0), then for each class in ascending order the positions of its images in
    the training order are shuffled in place and the first ``n_c`` kept. The cell's seed
    does not enter (the subset is theirs, the same for every seed). Their counts
    ``int(n_max * imb_factor ** (i / (C - 1)))`` equal the targets above. The subset is theirs
    only when the training set is in the official order (CIFAR-10's ``data_batch_1..5``, as
    the ``cifar10`` loader reads the archive): a source that stores the images in another
    order selects the same positions of other images. ``counts.json`` records
    ``indices_sha256`` to compare.
    """

    name = "exponential"
    example = {"protocol": "exponential", "rho": 100}
    parameters = _Ranked.parameters + ParamSpec(
        Param("selection", "imbench", one_of(*SELECTIONS),
              "imbench (the seeded per-class draw) or cao2019 (exactly the images "
              "kaidic/LDAM-DRW's IMBALANCECIFAR10 keeps; needs the official training order)"),
        Param("cao_seed", 0, Int(0), "cao2019: their rand_number"),
    )

    def fractions(self, rho: float, n_classes: int) -> list[float]:
        last = max(n_classes - 1, 1)
        return [rho ** (-i / last) for i in range(n_classes)]

    def check_values(self, prefix: str, cfg: Mapping[str, Any], counts: Sequence[int] | None,
                     n_classes: int | None) -> None:
        super().check_values(prefix, cfg, counts, n_classes)
        if cfg.get("selection", "imbench") == "cao2019" and "order" in cfg:
            # their class i is rank i
            raise ConfigError(f"{prefix}.order", cfg["order"],
                              "no order with selection: cao2019 (rank i is class i there)")

    def select(self, cfg: Mapping[str, Any], y: np.ndarray, targets: Sequence[int],
               seed: int) -> np.ndarray:
        if cfg.get("selection", "imbench") != "cao2019":
            return super().select(cfg, y, targets, seed)
        rng = np.random.RandomState(int(cfg.get("cao_seed", 0)))  # = np.random.seed(0)
        keep = []
        for c, t in enumerate(targets):
            idx = np.flatnonzero(y == c)  # np.where(targets_np == the_class)[0]
            rng.shuffle(idx)
            keep.append(idx[:t])
        return np.sort(np.concatenate(keep))



"""The protocol contract and the checks protocols share.

A protocol turns the original per-class training counts into target counts, from the counts
alone (so the workflow can plan at DAG time, with no data loaded), and validates its own
config keys. :func:`imbench.imbalance.make_imbalanced` then draws that many images per class.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from ..errors import ConfigError
from ..params import Int, ParamSpec

# floor() of products like 0.29 * 100 = 28.999999999999996 must give 29, not 28
_EPS = 1e-9

Counts = list[int]


def floor(v: float) -> int:
    return int(math.floor(v + _EPS))


def class_index(key: str, c: object, n_classes: int | None) -> int:
    """Parse a class key (YAML gives ints, JSON gives digit strings) and range-check it."""
    allowed = f"a class index in 0..{n_classes - 1}" if n_classes else "a class index >= 0"
    if isinstance(c, str) and c.strip().isdigit():
        c = int(c)
    if not Int(0).ok(c) or (n_classes is not None and int(c) >= n_classes):
        raise ConfigError(key, c, allowed)
    return int(c)


def check_class_map(key: str, value: object, n_classes: int | None
                    ) -> dict[int, tuple[str, object]]:
    """``{class: value}`` -> ``{class index: (config key, value)}``, each class once."""
    if not isinstance(value, Mapping) or not value:
        raise ConfigError(key, value, "a non-empty {class: value} mapping")
    out: dict[int, tuple[str, object]] = {}
    for c, v in value.items():
        idx = class_index(f"{key}.{c}", c, n_classes)
        if idx in out:
            raise ConfigError(f"{key}.{c}", c, "each class once")
        out[idx] = (f"{key}.{c}", v)
    return out


def check_class_list(key: str, value: object, n_classes: int | None) -> list[int]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or not value:
        raise ConfigError(key, value, "a non-empty list of class indices")
    out = [class_index(f"{key}.{i}", c, n_classes) for i, c in enumerate(value)]
    if len(set(out)) != len(out):
        raise ConfigError(key, list(value), "each class once")
    return out


def normalised(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Class keys of the class maps as ints (JSON delivers them as strings)."""
    out = dict(cfg)
    for k, v in out.items():
        if isinstance(v, Mapping):
            out[k] = {int(c): x for c, x in v.items()}
    return out


class Protocol:
    """One imbalance protocol: its config keys, their checks, and the target counts.

    Subclasses set ``name``, ``parameters`` (the keys accepted besides ``protocol``) and
    ``example`` (a valid config for 10 classes of 600 images, for docs and the contract
    test) and implement ``targets``; ``check_values`` adds the checks that need the classes
    or relate keys (it runs after the declared ones). ``original``: the protocol keeps the
    training set as it is (the "Original" row of every table).
    """

    name: ClassVar[str] = ""
    #: its config keys besides ``protocol`` (imbench.params): what is allowed and what it
    #: means; a default is what an absent key stands for (the config is read as written)
    parameters: ClassVar[ParamSpec] = ParamSpec()
    original: ClassVar[bool] = False
    example: ClassVar[dict[str, Any]] = {}

    def check(self, prefix: str, cfg: Mapping[str, Any], counts: Sequence[int] | None,
              n_classes: int | None) -> None:
        """Raise ConfigError (key ``prefix.<key>``) if ``cfg`` is not valid for this protocol.

        With ``counts`` (original per-class train sizes) everything is checked, including
        that no class would end up empty; with only ``n_classes`` class indices are
        range-checked; with neither, only the declared keys and values.
        """
        self.parameters.check(cfg, prefix, self.name, ignore=("protocol",))
        self.check_values(prefix, cfg, counts, n_classes)
        if counts is not None:
            targets = self.targets(normalised(cfg), counts)
            empty = [c for c, n in enumerate(targets) if n < 1]
            if empty:
                c = empty[0]
                raise ConfigError(
                    prefix, dict(cfg),
                    f"a protocol leaving every class >= 1 image; class {c} "
                    f"(size {counts[c]}) would keep {targets[c]}",
                )

    def check_values(self, prefix: str, cfg: Mapping[str, Any], counts: Sequence[int] | None,
                     n_classes: int | None) -> None:
        """The protocol's own value checks (``n_classes`` is ``len(counts)`` when known)."""

    def targets(self, cfg: Mapping[str, Any], counts: Sequence[int]) -> Counts:
        """Per-class target sizes from the original ``counts`` (``cfg`` already checked, its
        class keys ints)."""
        raise NotImplementedError

    def select(self, cfg: Mapping[str, Any], y: np.ndarray, targets: Sequence[int],
               seed: int) -> np.ndarray:
        """Sorted indices into ``y`` of the images kept (``targets[c]`` of class ``c``).

        Each class draws from its own generator seeded by ``(seed, class)`` and keeps a prefix
        of a random permutation, so (a) changing one class's target never changes which images
        another class keeps, and (b) for one seed a harsher protocol keeps a subset of a milder
        one's images (step rho=40 within rho=20), which keeps comparisons across protocols
        paired.
        """
        keep = []
        for c, t in enumerate(targets):
            idx = np.flatnonzero(y == c)
            if t < len(idx):
                rng = np.random.default_rng([int(seed), c])
                idx = idx[rng.permutation(len(idx))[:t]]
            keep.append(idx)
        # sorting keeps the kept images in their original relative order
        return np.sort(np.concatenate(keep)) if keep else np.zeros(0, dtype=np.int64)

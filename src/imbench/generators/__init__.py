"""Generative models for minority-class oversampling.

This module is deliberately light (no torch import): the workflow calls
:func:`generator_units` and :func:`load_config` when it builds the DAG. The torch code lives in
``nets``, ``methods``, ``train`` and ``sampling``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

from ..errors import ConfigError
from ..params import ParamSpec
from ..registry import Registry, load_attribute
from . import parameters as P
from .parameters import SHARED

#: how a method's models cover the classes
KINDS = ("per_class", "conditional")


@dataclass(frozen=True)
class GeneratorMethod:
    """A generator method as the DAG build sees it, without importing torch.

    ``kind``: ``"per_class"`` (one model per class that receives images, seed 000) or
    ``"conditional"`` (one model for every class). ``impl``: the torch class (a
    :class:`~imbench.generators.methods.GanMethod`, usually as ``"module:Class"`` so that it is
    imported only when used), which declares the losses and the training hooks itself.
    ``params``: the method's own parameters beside :data:`~.parameters.SHARED` (one of the
    same name narrows the shared one); ``unused``: shared ones it has no use for (left out of
    its declaration, so setting one is an error); ``check``: the test of relations between
    its parameters (a ConfigError naming ``key``). Defaults: the declarations, updated by
    ``configs/<name>.yaml`` when the package has one, then by ``defaults`` (for a method
    defined outside this package).
    """

    kind: str
    impl: str | type
    params: ParamSpec = field(default_factory=ParamSpec)
    unused: tuple[str, ...] = ()
    defaults: Mapping[str, Any] = field(default_factory=dict)
    check: Callable[[dict[str, Any], str], None] | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"generator kind {self.kind!r}; allowed: {KINDS}")

    @property
    def conditional(self) -> bool:
        return self.kind == "conditional"

    def load(self) -> Any:
        """The torch implementation (imports torch)."""
        return load_attribute(self.impl) if isinstance(self.impl, str) else self.impl


_M = "imbench.generators.methods"
_D = "imbench.generators.diffusion"

#: every generator method: one line each (every one is an augmenter too, see imbench.augment)
GENERATORS = Registry(
    "generator",
    {
        "gan": GeneratorMethod("per_class", f"{_M}:VanillaGan", P.GAN + P.FRAME),
        "dcgan": GeneratorMethod("per_class", f"{_M}:Dcgan", P.FRAME),
        "wgan_gp": GeneratorMethod("per_class", f"{_M}:WganGp", P.WGAN_GP + P.FRAME),
        "cgan": GeneratorMethod("conditional", f"{_M}:Cgan", P.FRAME),
        "acgan": GeneratorMethod("conditional", f"{_M}:Acgan", P.FRAME + P.ARCH),
        "cs_acgan": GeneratorMethod("conditional", f"{_M}:CsAcgan",
                                    P.CS_ACGAN + P.FRAME + P.ARCH),
        "bagan": GeneratorMethod("conditional", f"{_M}:Bagan", P.BAGAN),
        "deepsmote": GeneratorMethod("conditional", f"{_M}:DeepSmote", P.DEEPSMOTE),
        "cyclegan": GeneratorMethod("per_class", f"{_M}:CycleGan", P.CYCLEGAN),
        "ddpm": GeneratorMethod("conditional", f"{_D}:Ddpm", P.DDPM + P.GUIDANCE,
                                **P.DIFFUSION),
        "ddpm_per_class": GeneratorMethod("per_class", f"{_D}:DdpmPerClass", P.DDPM,
                                          **P.DIFFUSION),
    },
)

_UNIT_RE = re.compile(r"^(class(\d+)|conditional|all)$")


def check_method(method: str) -> str:
    return GENERATORS.check(method, "method")


#: how the models of a per-class method are split into jobs (augmenter key ``training_jobs``)
TRAINING_JOBS = ("per_class", "one")


def generator_units(
    method: str, expected_counts: Sequence[int] | None, sampling_strategy: Any = "auto",
    training_jobs: str = "per_class",
) -> list[str]:
    """The training jobs ("units") a generative augmenter needs.

    Conditional methods train one model: ``["conditional"]``. Per-class methods train one model
    per class that receives images (``class{c}``), each its own job so that a cluster runs
    them side by side; with ``training_jobs="one"``, or when the counts are unknown at DAG
    time (``None``, e.g. a folder dataset), one job, ``"all"``, trains every such class in
    turn (on one GPU that was faster than separate jobs sharing it: docs/cluster.md).
    """
    check_method(method)
    if training_jobs not in TRAINING_JOBS:
        raise ConfigError("training_jobs", training_jobs, list(TRAINING_JOBS))
    if GENERATORS[method].conditional:
        return ["conditional"]
    if expected_counts is None or training_jobs == "one":
        return ["all"]
    from ..sampling import resolve_sampling_strategy

    todo = resolve_sampling_strategy(
        sampling_strategy, {c: int(n) for c, n in enumerate(expected_counts)}, "over"
    )
    return [f"class{c}" for c, n in todo.items() if n > 0]


def parse_unit(unit: str) -> int | str:
    """``"class3"`` -> 3; ``"conditional"`` / ``"all"`` unchanged."""
    m = _UNIT_RE.match(unit)
    if not m:
        raise ConfigError("unit", unit, "'class<k>', 'conditional' or 'all'")
    return int(m.group(2)) if m.group(2) is not None else unit


@cache
def _read_yaml(name: str) -> dict[str, Any]:
    path = resources.files(__package__).joinpath("configs", f"{name}.yaml")
    if not path.is_file():
        return {}
    return yaml.safe_load(path.read_text()) or {}


def spec(method: str) -> ParamSpec:
    """Every parameter of ``method`` with its package defaults (declarations, then
    ``configs/<method>.yaml``, then the entry's ``defaults``)."""
    entry = GENERATORS[check_method(method)]
    cached = _SPECS.get(method)
    if cached is None or cached[0] is not entry:  # a toy registered again in the tests
        declared = SHARED.without(*entry.unused).merged(entry.params)
        cached = _SPECS[method] = (entry, declared.with_defaults(
            **{**_read_yaml(method), **entry.defaults}))
    return cached[1]


_SPECS: dict[str, tuple[GeneratorMethod, ParamSpec]] = {}


def default_config(method: str) -> dict[str, Any]:
    """Package defaults for ``method``."""
    return spec(method).defaults()


def load_config(method: str, overrides: Mapping[str, Any] | None = None,
                key: str | None = None) -> dict[str, Any]:
    """Resolved hyper-parameters: ConfigError for a key the method does not know or a value
    its declaration does not allow. ``key``: the config path named in errors (default
    ``"<method>.params"``)."""
    prefix = key or f"{method}.params"
    cfg = spec(method).resolve(overrides, prefix, method)
    if (cfg["epochs"] is None) == (cfg["iterations"] is None):
        # one budget, never two that silently disagree
        raise ConfigError(f"{prefix}.epochs / iterations", (cfg["epochs"], cfg["iterations"]),
                          "exactly one of them set (epochs: null to budget in iterations)")
    check = GENERATORS[method].check
    if check is not None:
        check(cfg, prefix)
    return cfg


def needs_reference(method: str, overrides: Mapping[str, Any] | None = None) -> bool:
    """Whether the method's epoch choice scores checkpoints in the reference classifier's
    feature space (the training job then takes the reference classifier as an input)."""
    cfg = load_config(method, overrides)
    return cfg["selection"] != "last" and cfg["selection_features"] == "reference"


__all__ = [
    "GENERATORS", "KINDS", "TRAINING_JOBS", "GeneratorMethod", "check_method", "default_config",
    "generator_units", "load_config", "parse_unit", "spec",
]

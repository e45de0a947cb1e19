"""Generative models for minority-class oversampling.

This module is deliberately light (no torch import): the workflow calls
:func:`generator_units` and :func:`load_config` when it builds the DAG. The torch code lives in
``nets``, ``methods``, ``train`` and ``sampling``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError
from ..registry import Registry, load_attribute

#: how a method's models cover the classes
KINDS = ("per_class", "conditional")


@dataclass(frozen=True)
class GeneratorMethod:
    """A generator method as the DAG build sees it, without importing torch.

    ``kind``: ``"per_class"`` (one model per class that receives images, seed 000) or
    ``"conditional"`` (one model for every class). ``impl``: the torch class (a
    :class:`~imbench.generators.methods.GanMethod`, usually as ``"module:Class"`` so that it is
    imported only when used), which declares the losses and the training hooks itself.
    Defaults: ``configs/defaults.yaml``, updated by ``configs/<name>.yaml`` when the package
    has one, then by ``defaults`` (for a method defined outside this package).
    """

    kind: str
    impl: str | type
    defaults: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"generator kind {self.kind!r}; allowed: {KINDS}")

    @property
    def conditional(self) -> bool:
        return self.kind == "conditional"

    def load(self) -> Any:
        """The torch implementation (imports torch)."""
        return load_attribute(self.impl) if isinstance(self.impl, str) else self.impl


#: every generator method: one line each (every one is an augmenter too, see imbench.augment)
GENERATORS = Registry(
    "generator",
    {
        "gan": GeneratorMethod("per_class", "imbench.generators.methods:VanillaGan"),
        "dcgan": GeneratorMethod("per_class", "imbench.generators.methods:Dcgan"),
        "wgan_gp": GeneratorMethod("per_class", "imbench.generators.methods:WganGp"),
        "cgan": GeneratorMethod("conditional", "imbench.generators.methods:Cgan"),
        "acgan": GeneratorMethod("conditional", "imbench.generators.methods:Acgan"),
        "cs_acgan": GeneratorMethod("conditional", "imbench.generators.methods:CsAcgan"),
        "bagan": GeneratorMethod("conditional", "imbench.generators.methods:Bagan"),
        "deepsmote": GeneratorMethod("conditional", "imbench.generators.methods:DeepSmote"),
        "cyclegan": GeneratorMethod("per_class", "imbench.generators.methods:CycleGan"),
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


def default_config(method: str) -> dict[str, Any]:
    """Package defaults for ``method``: ``defaults.yaml`` updated by ``<method>.yaml``."""
    check_method(method)
    return {**_read_yaml("defaults"), **_read_yaml(method), **GENERATORS[method].defaults}


def load_config(method: str, overrides: Mapping[str, Any] | None = None,
                key: str | None = None) -> dict[str, Any]:
    """Resolved hyper-parameters; an override key the method does not know is a ConfigError.

    ``key``: the config path named in errors (default ``"<method>.params"``).
    """
    cfg = default_config(method)
    prefix = key or f"{method}.params"
    for k, value in (overrides or {}).items():
        if k not in cfg:
            raise ConfigError(f"{prefix}.{k}", value, sorted(cfg))
        cfg[k] = value
    _check_values(prefix, method, cfg)
    return cfg


_CHOICES = {
    "init": ("normal", "xavier", "default"),
    "g_act": ("relu", "leaky"),
    "g_norm": ("batch", "none"),
    "d_norm": ("batch", "none"),
    "fake_labels": ("uniform", "real"),
    "selection": ("kid", "fid", "precision", "recall", "density", "coverage", "last"),
    "selection_features": ("random", "reference"),
    "cs_weights": ("literal", "normalised"),
}
_POSITIVE_INT = (
    "batch_size", "latent_dim", "width", "n_critic", "checkpoint_every", "sample_every",
    "grid_size", "selection_samples", "hidden", "cs_eval_per_class", "k_neighbors",
    "source_max",
)


def needs_reference(method: str, overrides: Mapping[str, Any] | None = None) -> bool:
    """Whether the method's epoch choice scores checkpoints in the reference classifier's
    feature space (the training job then takes the reference classifier as an input)."""
    cfg = load_config(method, overrides)
    return cfg["selection"] != "last" and cfg["selection_features"] == "reference"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_values(prefix: str, method: str, cfg: dict[str, Any]) -> None:
    for key, allowed in _CHOICES.items():
        if key in cfg and cfg[key] not in allowed:
            raise ConfigError(f"{prefix}.{key}", cfg.get(key), allowed)
    for key in _POSITIVE_INT:
        if key in cfg and (not isinstance(cfg[key], int) or cfg[key] < 1):
            raise ConfigError(f"{prefix}.{key}", cfg[key], "an integer >= 1")
    for key in ("epochs", "iterations"):
        if cfg[key] is not None and (not _is_int(cfg[key]) or cfg[key] < 1):
            raise ConfigError(f"{prefix}.{key}", cfg[key], "null or an integer >= 1")
    if (cfg["epochs"] is None) == (cfg["iterations"] is None):
        # one budget, never two that silently disagree
        raise ConfigError(f"{prefix}.epochs / iterations", (cfg["epochs"], cfg["iterations"]),
                          "exactly one of them set (epochs: null to budget in iterations)")
    if not _is_int(cfg["min_iters_per_epoch"]) or cfg["min_iters_per_epoch"] < 0:
        raise ConfigError(f"{prefix}.min_iters_per_epoch", cfg["min_iters_per_epoch"],
                          "an integer >= 0")
    tol = cfg["selection_tolerance"]
    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not 0 <= tol < math.inf:
        raise ConfigError(f"{prefix}.selection_tolerance", tol, "a number >= 0")
    if not 0.0 <= float(cfg["holdout_fraction"]) < 1.0:
        raise ConfigError(f"{prefix}.holdout_fraction", cfg["holdout_fraction"],
                          "a float in [0, 1)")
    if "pool_size" in cfg and (not _is_int(cfg["pool_size"]) or cfg["pool_size"] < 0):
        raise ConfigError(f"{prefix}.pool_size", cfg["pool_size"], "an integer >= 0")
    if cfg.get("source_class") is not None and (not _is_int(cfg["source_class"])
                                                or cfg["source_class"] < 0):
        raise ConfigError(f"{prefix}.source_class", cfg["source_class"],
                          "null (the largest other class) or a class index >= 0")
    folder = cfg.get("source_folder")
    if folder is not None and (not isinstance(folder, str)
                               or not Path(folder).expanduser().is_dir()):
        # before any job: the training job would otherwise fail after the DAG was built
        raise ConfigError(f"{prefix}.source_folder", folder,
                          "null (a class of the dataset) or an existing folder of images")
    for key in ("lambda_cycle", "lambda_identity"):
        if key in cfg and (isinstance(cfg[key], bool) or not isinstance(cfg[key], (int, float))
                           or cfg[key] < 0):
            raise ConfigError(f"{prefix}.{key}", cfg[key], "a number >= 0")
    if method == "wgan_gp" and cfg["d_norm"] == "batch":
        # batch norm makes each critic output depend on the whole batch, which breaks the
        # per-sample gradient penalty (Gulrajani et al. §4)
        raise ConfigError(f"{prefix}.d_norm", "batch", ["none"])


__all__ = [
    "GENERATORS", "KINDS", "TRAINING_JOBS", "GeneratorMethod", "check_method", "default_config",
    "generator_units", "load_config", "parse_unit",
]

"""The benchmark grid: config checks that a JSON schema cannot express, and the expansion of
``datasets × imbalances × augmenters × classifiers × seeds`` (minus exclusions) into cells and
file targets. ``rules/common.smk`` is a thin layer over this module so that tests reach it."""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError

AXES = ("dataset", "imbalance", "augmenter", "classifier", "seed")
_SECTIONS = {"dataset": "datasets", "imbalance": "imbalances", "augmenter": "augmenters",
             "classifier": "classifiers"}
# Names become path components and wildcard values: keep them plain.
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")


def canonical(obj: Any) -> Any:
    """``obj`` with every mapping's keys sorted, recursively.

    Rule params are compared by their text: without this, reordering keys in a YAML file
    would look like a parameter change and rerun every job.
    """
    if isinstance(obj, Mapping):
        return {k: canonical(obj[k]) for k in sorted(obj, key=str)}
    if isinstance(obj, (list, tuple)):
        return [canonical(v) for v in obj]
    return obj


@dataclass(frozen=True, order=True)
class Cell:
    dataset: str
    imbalance: str
    augmenter: str
    classifier: str
    seed: int

    def as_dict(self) -> dict[str, Any]:
        return {axis: getattr(self, axis) for axis in AXES}


def protocol_strategy(original_counts: Sequence[int], counts: Sequence[int]) -> dict[int, int]:
    """``sampling_strategy: protocol``: every class the imbalance protocol shrank, up to the
    largest class of the imbalanced set (what seed 000 did). A dataset's natural small
    differences in class size are left alone, so per-class generators are trained for the
    minority classes only."""
    target = max(counts)
    return {c: int(target) for c, (o, n) in enumerate(zip(original_counts, counts, strict=True))
            if n < o and n < target}


def merge_overrides(base: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge ``overrides`` into ``base`` in place: mappings merge key by key, ``None``
    removes the key, anything else (lists, scalars) replaces it. Returns ``base``."""
    for key, value in overrides.items():
        if value is None:
            base.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(base.get(key), Mapping):
            merged = dict(base[key])
            merge_overrides(merged, value)
            base[key] = merged
        else:
            base[key] = _plain(value)
    return base


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def apply_quick(config: dict[str, Any]) -> dict[str, Any]:
    """With ``quick: true``, merge the preset's ``quick_overrides`` block into ``config``
    (in place; see :func:`merge_overrides`) so one preset file holds both scales:
    ``snakemake --configfile configs/seed000.yaml --config quick=true``."""
    quick = config.get("quick", False)
    if isinstance(quick, str):
        # `--config quick=true` arrives as the string "true" (Snakemake parses only
        # "True"/"False" as booleans)
        words = {"true": True, "yes": True, "on": True, "1": True,
                 "false": False, "no": False, "off": False, "0": False}
        if quick.strip().lower() not in words:
            raise ConfigError("quick", quick, "true or false")
        config["quick"] = words[quick.strip().lower()]
    overrides = config.get("quick_overrides")
    if overrides is not None and not isinstance(overrides, Mapping):
        raise ConfigError("quick_overrides", overrides, "a mapping of config overrides")
    if config.get("quick") and overrides:
        merge_overrides(config, overrides)
    return config


def apply_data_sources(config: dict[str, Any]) -> dict[str, Any]:
    """``data_sources: {loader: local file or folder}`` gives every dataset entry with that
    loader and no ``source:`` of its own that ``source`` (in place). Lets one overlay file,
    passed as a second ``--configfile``, point any preset at local copies without adding
    datasets the preset does not use."""
    sources = config.get("data_sources") or {}
    if not isinstance(sources, Mapping):
        raise ConfigError("data_sources", sources, "a mapping {loader name: path}")
    datasets = config.get("datasets")
    if not sources or not isinstance(datasets, Mapping):
        return config
    for name in list(datasets):
        entry = dict(datasets[name] or {})
        loader = entry.get("loader", name)
        if "source" not in entry and loader in sources and sources[loader] is not None:
            entry["source"] = str(sources[loader])
            datasets[name] = entry
    return config


def prepare_config(config: dict[str, Any]) -> dict[str, Any]:
    """What ``rules/common.smk`` does to the config before validating it: the quick scale
    of a preset, then local data sources. In place (Snakemake's ``config`` object)."""
    return apply_data_sources(apply_quick(config))


def imbalanced_path(dataset: str, imbalance: str, seed: int, name: str = "imbalanced.npz") -> str:
    return f"data/{dataset}/{imbalance}/seed{seed}/{name}"


def augmented_path(dataset: str, imbalance: str, augmenter: str, seed: int,
                   name: str = "train.npz") -> str:
    return f"data/{dataset}/{imbalance}/{augmenter}/seed{seed}/{name}"


def cell_path(cell: Cell, name: str) -> str:
    return (f"results/{cell.dataset}/{cell.imbalance}/{cell.augmenter}/{cell.classifier}/"
            f"seed{cell.seed}/{name}")


class Grid:
    """A checked config and its cells.

    Raises :class:`ConfigError` (naming the key, the bad value and what is allowed) for every
    problem found, before any job starts.
    """

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config
        for section in (*_SECTIONS.values(), "seeds"):
            if not config.get(section):
                raise ConfigError(section, config.get(section), "a non-empty list/mapping")
            if section != "seeds":
                for name in config[section]:
                    if not isinstance(name, str) or not _NAME.match(name):
                        raise ConfigError(f"{section}.{name}", name,
                                          "names matching [A-Za-z][A-Za-z0-9_.-]*")
        self._check_datasets()
        self._check_imbalances()
        self._check_methods()
        self.cells = self._expand()

    # -- per-section lookups used as rule params -------------------------------------------
    def dataset_cfg(self, name: str) -> dict[str, Any]:
        """The dataset entry with ``loader`` filled in (defaults to the entry's name)."""
        cfg = dict(self.config["datasets"][name] or {})
        cfg.setdefault("loader", name)
        return canonical(cfg)

    def imbalance_cfg(self, name: str) -> dict[str, Any]:
        return canonical(self.config["imbalances"][name])

    def augmenter_cfg(self, name: str) -> dict[str, Any]:
        cfg = dict(self.config["augmenters"][name])
        cfg.setdefault("sampling_strategy", "protocol")
        cfg["params"] = dict(cfg.get("params") or {})
        return canonical(cfg)

    def classifier_cfg(self, name: str) -> dict[str, Any]:
        cfg = dict(self.config["classifiers"][name])
        cfg["params"] = dict(cfg.get("params") or {})
        return canonical(cfg)

    def cell_config(self, cell: Cell) -> dict[str, Any]:
        """Everything in the config that a cell's numbers depend on."""
        return {
            "dataset": {"name": cell.dataset, **self.dataset_cfg(cell.dataset)},
            "imbalance": {"name": cell.imbalance, **self.imbalance_cfg(cell.imbalance)},
            "augmenter": {"name": cell.augmenter, **self.augmenter_cfg(cell.augmenter)},
            "classifier": {"name": cell.classifier, **self.classifier_cfg(cell.classifier)},
        }

    def spec(self, dataset: str) -> Any:
        from .datasets import get_spec

        return get_spec(self.dataset_cfg(dataset)["loader"])

    def original_counts(self, dataset: str) -> list[int] | None:
        """Per-class training counts known before loading (None when only loading can tell)."""
        # Memoised: input functions ask once per job (tens of thousands of times in a paper
        # grid), and digits' counts come from loading and splitting the data (5 ms a time).
        cache = self.__dict__.setdefault("_original_counts", {})
        if dataset not in cache:
            options = {k: v for k, v in self.dataset_cfg(dataset).items() if k != "loader"}
            counts = self.spec(dataset).train_counts(options)
            cache[dataset] = None if counts is None else tuple(counts)
        counts = cache[dataset]
        return None if counts is None else list(counts)

    def expected_counts(self, dataset: str, imbalance: str) -> list[int] | None:
        """Per-class counts of the imbalanced set, known before any data is loaded."""
        from .imbalance import target_counts

        counts = self.original_counts(dataset)
        return None if counts is None else list(target_counts(self.imbalance_cfg(imbalance),
                                                              counts))

    def sampling_strategy(self, dataset: str, imbalance: str, augmenter: str) -> Any:
        """The augmenter's ``sampling_strategy`` for one imbalanced set.

        ``"protocol"`` (the default) becomes a ``{class: target count}`` dict when the counts
        are known before loading; otherwise it stays ``"protocol"`` and the augment job
        resolves it from the imbalanced set's counts.json. Undersamplers read it as
        ``"auto"``. Any other value is imbalanced-learn's vocabulary, passed through.
        """
        from .augment import AUGMENTERS

        cfg = self.augmenter_cfg(augmenter)
        strategy = cfg["sampling_strategy"]
        if strategy != "protocol":
            return strategy
        if AUGMENTERS[cfg["method"]].kind == "under":
            return "auto"
        original = self.original_counts(dataset)
        if original is None:
            return "protocol"
        return protocol_strategy(original, self.expected_counts(dataset, imbalance))

    # -- targets ---------------------------------------------------------------------------
    def names(self, section: str) -> list[str]:
        return list(self.config[section])

    def regex(self, section: str, names: Sequence[str] | None = None) -> str:
        """A wildcard constraint matching exactly the configured names of a section."""
        names = self.names(section) if names is None else list(names)
        if not names:
            return "(?!)"  # matches nothing
        return "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))

    def unique(self, *axes: str) -> list[tuple[Any, ...]]:
        return sorted({tuple(getattr(c, a) for a in axes) for c in self.cells})

    def metrics_targets(self) -> list[str]:
        return [cell_path(c, "metrics.json") for c in self.cells]

    def cells_of_dataset(self, dataset: str) -> list[Cell]:
        return [c for c in self.cells if c.dataset == dataset]

    def classifiers_for_stage(self, stage: str) -> list[str]:
        from .classify import CLASSIFIER_STAGES

        return [n for n in self.names("classifiers")
                if CLASSIFIER_STAGES.get(self.classifier_cfg(n)["method"]) == stage]

    def generator_units(self, dataset: str, imbalance: str, augmenter: str) -> list[str]:
        """The generator training jobs of a generative augmenter on one imbalanced set
        (``class{c}``, ``all`` or ``conditional``; [] for classic augmenters)."""
        return self._units(dataset, imbalance, augmenter,
                           self.augmenter_cfg(augmenter).get("training_jobs", "per_class"))

    def generator_models(self, dataset: str, imbalance: str, augmenter: str) -> list[str]:
        """The models those jobs train, one figure each: ``class{c}`` per minority class
        however the jobs are split, ``conditional``, or ``all`` when the counts are only
        known after loading."""
        return self._units(dataset, imbalance, augmenter, "per_class")

    def _units(self, dataset: str, imbalance: str, augmenter: str, jobs: str) -> list[str]:
        from .generators import generator_units

        if not self.needs_generator(augmenter):
            return []
        return generator_units(self.augmenter_cfg(augmenter)["method"],
                               self.expected_counts(dataset, imbalance),
                               self.sampling_strategy(dataset, imbalance, augmenter), jobs)

    def needs_generator(self, augmenter: str) -> bool:
        """Whether this augmenter's method trains a generator (input functions ask this per
        job: it looks at one augmenter, not the whole section)."""
        from .generators import GENERATOR_KINDS

        return self.augmenter_cfg(augmenter)["method"] in GENERATOR_KINDS

    def augmenters_needing_generator(self) -> list[str]:
        return [n for n in self.names("augmenters") if self.needs_generator(n)]

    # -- checks ----------------------------------------------------------------------------
    def _check_datasets(self) -> None:
        from .datasets import DATASETS

        for name in self.names("datasets"):
            cfg = self.dataset_cfg(name)
            loader = DATASETS.check(cfg["loader"], f"datasets.{name}.loader")
            spec = self.spec(name)
            allowed = {"loader", *spec.allowed_options}
            for key in cfg:
                if key not in allowed:
                    raise ConfigError(f"datasets.{name}.{key}", cfg[key], sorted(allowed))
            for key in ("source", "path"):
                if cfg.get(key) is not None and not Path(str(cfg[key])).expanduser().exists():
                    raise ConfigError(f"datasets.{name}.{key}", cfg[key],
                                      "an existing local file or folder")
            if loader == "folder" and not cfg.get("path"):
                raise ConfigError(f"datasets.{name}.path", None,
                                  "a folder with one sub-folder of images per class")

    def _check_imbalances(self) -> None:
        from .imbalance import check_protocol

        for imbalance in self.names("imbalances"):
            cfg = self.imbalance_cfg(imbalance)
            for dataset in self.names("datasets"):
                if self._excluded_pair("dataset", dataset, "imbalance", imbalance):
                    continue
                spec = self.spec(dataset)
                counts = self.original_counts(dataset)
                check_protocol(imbalance, cfg, counts,
                               len(spec.class_names) if spec.class_names else None)

    def _check_methods(self) -> None:
        from .augment import AUGMENTERS
        from .classify import CLASSIFIERS

        for section, registry in (("augmenters", AUGMENTERS), ("classifiers", CLASSIFIERS)):
            getter = self.augmenter_cfg if section == "augmenters" else self.classifier_cfg
            for name in self.names(section):
                cfg = getter(name)
                if "method" not in cfg:
                    raise ConfigError(f"{section}.{name}.method", None, sorted(registry))
                cls = registry[registry.check(cfg["method"], f"{section}.{name}.method")]
                prefix = f"{section}.{name}.params"
                if section == "augmenters":
                    cls.check_params(cfg["params"], key=prefix)
                    self._check_training_jobs(name, cfg)
                    if "flip_safe" in cls.default_params:
                        # A label-unsafe flip is an error on the datasets it would run on.
                        for dataset in self.names("datasets"):
                            if not self._excluded_pair("dataset", dataset, "augmenter", name):
                                cls.check_params({**cfg["params"],
                                                  "flip_safe": self.spec(dataset).flip_safe},
                                                 key=prefix)
                    continue
                try:  # classifiers name the bare parameter key
                    cls.check_params(cfg["params"])
                except ConfigError as err:
                    raise ConfigError(f"{prefix}.{err.key}", err.value, err.allowed) from None
        seeds = self.config["seeds"]
        if len(set(seeds)) != len(seeds):
            raise ConfigError("seeds", seeds, "distinct integers")

    def _check_training_jobs(self, name: str, cfg: Mapping[str, Any]) -> None:
        from .generators import GENERATOR_KINDS, TRAINING_JOBS

        if "training_jobs" not in cfg:
            return
        key, value = f"augmenters.{name}.training_jobs", cfg["training_jobs"]
        if value not in TRAINING_JOBS:
            raise ConfigError(key, value, list(TRAINING_JOBS))
        if GENERATOR_KINDS.get(cfg["method"]) != "per_class":
            per_class = sorted(m for m, k in GENERATOR_KINDS.items() if k == "per_class")
            raise ConfigError(key, value, f"only for per-class generators {per_class} "
                                          f"(method {cfg['method']!r} trains one model)")

    def _excluded_pair(self, axis_a: str, a: str, axis_b: str, b: str) -> bool:
        """True when an exclusion names exactly (and only) these two axes' values."""
        for rule in self.config.get("exclude") or []:
            if set(rule) <= {axis_a, axis_b} and rule.get(axis_a, a) == a \
                    and rule.get(axis_b, b) == b:
                return True
        return False

    def _expand(self) -> list[Cell]:
        exclude = list(self.config.get("exclude") or [])
        for i, rule in enumerate(exclude):
            for axis, value in rule.items():
                if axis not in AXES:
                    raise ConfigError(f"exclude[{i}].{axis}", value, AXES)
                allowed = (self.config["seeds"] if axis == "seed"
                           else self.names(_SECTIONS[axis]))
                if value not in allowed:
                    raise ConfigError(f"exclude[{i}].{axis}", value, allowed)
        cells = []
        for values in itertools.product(
            self.names("datasets"), self.names("imbalances"), self.names("augmenters"),
            self.names("classifiers"), self.config["seeds"],
        ):
            cell = Cell(*values)
            if any(all(getattr(cell, k) == v for k, v in rule.items()) for rule in exclude):
                continue
            cells.append(cell)
        if not cells:
            raise ConfigError("exclude", exclude, "exclusions that leave at least one cell")
        return sorted(cells)

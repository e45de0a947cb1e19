"""The benchmark grid: config checks that a JSON schema cannot express, and the expansion of
``datasets × imbalances × augmenters × classifiers × seeds`` (minus exclusions) into cells.

What kind of thing a method is (a classifier's stage, whether an augmenter samples a
generator and of which kind, whether it is the baseline) is read from the registry entries
themselves; the baseline augmenters and the original imbalances are sets computed here once.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..sampling import check_strategy, concrete_strategy
from . import layout
from .config import canonical
from .stages import CLASSIFIER_STAGES

AXES = ("dataset", "imbalance", "augmenter", "classifier", "seed", "fold")
SECTIONS = {"dataset": "datasets", "imbalance": "imbalances", "augmenter": "augmenters",
            "classifier": "classifiers"}
# Names become path components and wildcard values: keep them plain.
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")


@dataclass(frozen=True, order=True)
class Cell:
    dataset: str
    imbalance: str
    augmenter: str
    classifier: str
    seed: int
    #: the fold of k-fold cross-validation (``folds: k``); None without folds
    fold: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {axis: getattr(self, axis) for axis in AXES}

    def ident(self) -> dict[str, Any]:
        """What a result file records as its cell: :meth:`as_dict` without a fold when there
        are no folds (so such a grid's files are as they always were)."""
        out = self.as_dict()
        if self.fold is None:
            del out["fold"]
        return out

    @property
    def repetition(self) -> tuple[int, int | None]:
        """(seed, fold): what results are averaged and paired over."""
        return (self.seed, self.fold)

    def path(self, pattern: str) -> str:
        """``pattern`` (a :mod:`~imbench.plan.layout` constant) for this cell."""
        return layout.path(pattern, self.as_dict())


class Grid:
    """A checked config and its cells.

    Raises :class:`ConfigError` (naming the key, the bad value and what is allowed) for every
    problem found, before any job starts.
    """

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config
        for section in (*SECTIONS.values(), "seeds"):
            if not config.get(section):
                raise ConfigError(section, config.get(section), "a non-empty list/mapping")
            if section != "seeds":
                for name in config[section]:
                    if not isinstance(name, str) or not _NAME.match(name):
                        raise ConfigError(f"{section}.{name}", name,
                                          "names matching [A-Za-z][A-Za-z0-9_.-]*")
        # per-name lookups that input functions repeat for every job (tens of thousands in a
        # paper-scale grid), memoised
        self._cache: dict[tuple[str, str], Any] = {}
        #: k of k-fold cross-validation (None: the loader's own split, once per seed)
        self.folds: int | None = None
        if config.get("folds") is not None:
            from ..datasets.folds import check_folds

            self.folds = check_folds(config["folds"])
        self.fold_seed = config.get("fold_seed", 0)
        if isinstance(self.fold_seed, bool) or not isinstance(self.fold_seed, int):
            raise ConfigError("fold_seed", self.fold_seed, "an integer")
        self._check_datasets()
        self._check_imbalances()
        self._check_methods()
        self.cells = self._expand()
        self._check_cell_counts()
        #: augmenters that train on the imbalanced set as it is (their class's ``baseline``)
        self.baselines = frozenset(a for a in self.names("augmenters")
                                   if self.augmenter_class(a).baseline)
        #: imbalances that stand for the original set: a protocol that keeps everything, or
        #: one that leaves every class the same size or keeps the same fraction of every
        #: class on every dataset it runs on (a subsample, as in the quick presets)
        self.originals = frozenset(i for i in self.names("imbalances") if self._is_original(i))

    # -- per-section lookups used as rule params -------------------------------------------
    def _memo(self, kind: str, name: str, make: Any) -> Any:
        key = (kind, name)
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

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

    def selection_needs_reference(self, augmenter: str) -> bool:
        """Whether the augmenter's generators choose their epoch in the reference
        classifier's feature space (their training jobs then read it)."""
        from ..generators import GENERATORS, needs_reference

        cfg = self.augmenter_cfg(augmenter)
        return cfg["method"] in GENERATORS and needs_reference(cfg["method"], cfg["params"])

    def classifier_cfg(self, name: str) -> dict[str, Any]:
        cfg = dict(self.config["classifiers"][name])
        cfg["params"] = dict(cfg.get("params") or {})
        return canonical(cfg)

    def source_sha256(self, dataset: str) -> str | None:
        """Content fingerprint of a dataset's local ``path``/``source`` (None without one):
        part of the dataset's config, so that editing the folder or file reruns what was
        made from it."""
        from ..datasets.fingerprint import source_fingerprint

        def digest() -> str | None:
            cfg = self.dataset_cfg(dataset)
            where = cfg.get("path") or cfg.get("source")
            return None if where is None else source_fingerprint(
                str(where), self.config.get("cache_dir", ".cache/imbench"))

        return self._memo("source_sha256", dataset, digest)

    def section(self, axis: str, name: str) -> dict[str, Any]:
        """One axis's part of a job's config: the entry with its name (and, for a dataset
        read from a local file or folder, that source's fingerprint)."""
        getter = {"dataset": self.dataset_cfg, "imbalance": self.imbalance_cfg,
                  "augmenter": self.augmenter_cfg, "classifier": self.classifier_cfg}[axis]
        out = {"name": name, **getter(name)}
        if axis == "dataset" and (digest := self.source_sha256(name)) is not None:
            out["source_sha256"] = digest
        return out

    def job_config(self, wildcards: Mapping[str, Any], kind: str) -> dict[str, Any]:
        """The config a file of ``kind`` (:data:`imbench.records.KINDS`) depends on, for the
        wildcards of the job that makes or reads it: its record's ``config_sha256``."""
        from ..records import KINDS

        values = dict(wildcards.items())

        def part(axis: str) -> dict[str, Any]:
            if axis == "generator":  # a projection of the augmenter entry, not an entry
                return self.generator_training(str(values["dataset"]),
                                               str(values["imbalance"]),
                                               str(values["augmenter"]))
            return self.section(axis, str(values[axis]))

        out = {axis: part(axis) for axis in KINDS[kind]}
        fold = layout.fold_of(values.get("fold"))
        if fold is not None and "dataset" in out:
            # every file of a fold records it: a file of another fold is refused
            out["dataset"] = {**out["dataset"],
                              "fold": {"k": self.folds, "seed": self.fold_seed, "fold": fold}}
        if kind == "train" and self.needs_generator(str(values["augmenter"])):
            # the augment job also checks the generator files it samples against this
            out["generator"] = part("generator")
        return out

    def cell_config(self, cell: Cell) -> dict[str, Any]:
        """Everything in the config that a cell's numbers depend on."""
        return self.job_config(cell.as_dict(), "predictions")

    def augmenter_class(self, name: str) -> Any:
        from ..augment import AUGMENTERS

        return self._memo("augmenter", name,
                          lambda: AUGMENTERS[self.config["augmenters"][name]["method"]])

    def classifier_class(self, name: str) -> Any:
        from ..classify import CLASSIFIERS

        return self._memo("classifier", name,
                          lambda: CLASSIFIERS[self.config["classifiers"][name]["method"]])

    def protocol(self, imbalance: str) -> Any:
        from ..imbalance import get_protocol

        return self._memo("protocol", imbalance, lambda: get_protocol(
            self.imbalance_cfg(imbalance), f"imbalances.{imbalance}"))

    def spec(self, dataset: str) -> Any:
        from ..datasets import get_spec

        cfg = self.dataset_cfg(dataset)
        spec = get_spec(cfg["loader"])
        if cfg.get("verify") is False and spec.counts is not None:
            from ..datasets.npz_source import npz_train_counts

            # data accepted unverified need not have the official sizes: count its file
            # (None where only loading can tell)
            n = len(spec.class_names)
            spec = replace(spec, counts_fn=lambda _: npz_train_counts(cfg.get("source"), n))
        return spec.with_options({k: v for k, v in cfg.items() if k != "loader"})

    def loader_counts(self, dataset: str) -> tuple[int, ...] | None:
        """Per-class counts of the loader's training split, known before loading (None when
        only loading can tell)."""
        def count() -> tuple[int, ...] | None:
            options = {k: v for k, v in self.dataset_cfg(dataset).items() if k != "loader"}
            counts = self.spec(dataset).train_counts(options)
            return None if counts is None else tuple(counts)

        # digits' counts come from loading and splitting the data (5 ms a time)
        return self._memo("loader_counts", dataset, count)

    def original_counts(self, dataset: str) -> list[int] | None:
        """Per-class training counts of a repetition (the loader's split, or a fold's
        training part), known before loading (None when only loading can tell)."""
        counts = self.loader_counts(dataset)
        if counts is not None and self.folds is not None:
            from ..datasets.folds import fold_counts

            counts = fold_counts(counts, self.folds)
        return None if counts is None else list(counts)

    def expected_counts(self, dataset: str, imbalance: str) -> list[int] | None:
        """Per-class counts of the imbalanced set, known before any data is loaded."""
        from ..imbalance import target_counts

        counts = self.original_counts(dataset)
        return None if counts is None else list(target_counts(self.imbalance_cfg(imbalance),
                                                              counts))

    def sampling_strategy(self, dataset: str, imbalance: str, augmenter: str) -> Any:
        """The augmenter's ``sampling_strategy`` for one imbalanced set, with ``protocol``
        (the default) made concrete where the counts are known before loading (see
        :func:`imbench.sampling.concrete_strategy`); jobs resolve what is left from the
        imbalanced set's counts.json."""
        strategy = self.augmenter_cfg(augmenter)["sampling_strategy"]
        original = self.original_counts(dataset)
        return concrete_strategy(
            strategy, self.augmenter_class(augmenter).kind, original,
            None if original is None else self.expected_counts(dataset, imbalance))

    # -- targets ---------------------------------------------------------------------------
    def names(self, section: str) -> list[str]:
        return list(self.config[section])

    def repetitions(self) -> list[tuple[int, int | None]]:
        """(seed, fold) of every repetition, in config order."""
        folds = list(range(self.folds)) if self.folds is not None else [None]
        return [(s, f) for s in self.config["seeds"] for f in folds]

    def repetition_rank(self, repetition: tuple[int, int | None]) -> int:
        """A repetition's place in config order (the first is what single-run figures
        show)."""
        ranks = self._memo("repetition_rank", "", lambda: {
            r: n for n, r in enumerate(self.repetitions())})
        return ranks[repetition]

    def fold_regex(self, fold_file: bool = False) -> str:
        """The ``{fold}`` wildcard's constraint: empty without folds, else one of the folds.
        ``fold_file``: the constraint of the rule that writes a fold's raw file (a fold, never
        empty: the loader's own file is another rule's)."""
        if self.folds is None:
            # "(?:)" matches only "" (an empty constraint would mean "no constraint")
            return "(?!)" if fold_file else "(?:)"
        return "/fold(?:" + "|".join(str(f) for f in range(self.folds)) + ")"

    def regex(self, section: str, names: Sequence[str] | None = None) -> str:
        """A wildcard constraint matching exactly the configured names of a section."""
        names = self.names(section) if names is None else list(names)
        if not names:
            return "(?!)"  # matches nothing
        return "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))

    def unique(self, *axes: str) -> list[tuple[Any, ...]]:
        return sorted({tuple(getattr(c, a) for a in axes) for c in self.cells})

    def metrics_targets(self) -> list[str]:
        return [c.path(layout.METRICS) for c in self.cells]

    def cells_of_dataset(self, dataset: str) -> list[Cell]:
        return [c for c in self.cells if c.dataset == dataset]

    def classifiers_for_stage(self, stage: str) -> list[str]:
        """Classifier names whose class declares ``stage``."""
        return [n for n in self.names("classifiers") if self.classifier_class(n).stage == stage]

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
        from ..generators import generator_units

        if not self.needs_generator(augmenter):
            return []
        return generator_units(self.augmenter_cfg(augmenter)["method"],
                               self.expected_counts(dataset, imbalance),
                               self.sampling_strategy(dataset, imbalance, augmenter), jobs)

    def needs_generator(self, augmenter: str) -> bool:
        """Whether this augmenter samples a trained generator (its class says so)."""
        return self.augmenter_class(augmenter).generator is not None

    def generator_training(self, dataset: str, imbalance: str, augmenter: str
                           ) -> dict[str, Any]:
        """What training a generative augmenter's generators depends on, and nothing else:
        its method, params and job split, and, when one job trains for several classes
        (``conditional``, ``all``), which classes receive images (epoch choice scores those).
        How many images are drawn does not change training, so augmenters that differ only
        in that share their generators (:meth:`generator_key`)."""
        from ..sampling import resolve_sampling_strategy

        cfg = self.augmenter_cfg(augmenter)
        out = {"method": cfg["method"], "params": cfg["params"],
               "training_jobs": cfg.get("training_jobs", "per_class")}
        folder = cfg["params"].get("source_folder")
        if folder is not None:
            from ..datasets.fingerprint import source_fingerprint

            # a second image domain (CycleGAN): editing it retrains, as a dataset's source
            out["source_folder_sha256"] = self._memo(
                "source_folder", str(folder), lambda: source_fingerprint(
                    os.path.expanduser(str(folder)),
                    self.config.get("cache_dir", ".cache/imbench")))
        units = self.generator_units(dataset, imbalance, augmenter)
        if any(not u.startswith("class") for u in units):
            strategy = self.sampling_strategy(dataset, imbalance, augmenter)
            counts = self.expected_counts(dataset, imbalance)
            if counts is None or isinstance(strategy, str) and strategy == "protocol":
                out["sampling_strategy"] = strategy  # classes unknown yet: no sharing
            else:
                have = {c: n for c, n in enumerate(counts) if n > 0}
                out["classes"] = sorted(c for c, n in resolve_sampling_strategy(
                    strategy, have, "over").items() if n > 0)
        return canonical(out)

    def generator_key(self, dataset: str, imbalance: str, augmenter: str) -> str:
        """Where a generator's files are stored: ``<method>-<digest>`` of its
        :meth:`generator_training`, so augmenters that differ only in how many images they
        draw (the +N variants) train it once, and reordering or renaming them retrains
        nothing."""
        from ..io import json_digest

        def key() -> str:
            training = self.generator_training(dataset, imbalance, augmenter)
            return f"{training['method']}-{json_digest(training)[:12]}"

        return self._memo("generator_key", f"{dataset}\0{imbalance}\0{augmenter}", key)

    def generator_owner(self, dataset: str, imbalance: str, key: str) -> str:
        """An augmenter whose generator is ``key``: the first by name among those sharing it
        (any gives the same training; the order of the config does not matter)."""
        def owner() -> str:
            for name in sorted(self.augmenters_needing_generator()):
                if self.generator_key(dataset, imbalance, name) == key:
                    return name
            raise KeyError(f"no augmenter of {dataset}/{imbalance} trains generator {key}")

        return self._memo("generator_owner", f"{dataset}\0{imbalance}\0{key}", owner)

    def generator_keys(self) -> list[str]:
        """Every generator key of the grid (the augmenter wildcard's other values)."""
        return sorted({self.generator_key(c.dataset, c.imbalance, c.augmenter)
                       for c in self.cells if self.needs_generator(c.augmenter)})

    def generator_strategy(self, dataset: str, imbalance: str, key: str) -> Any:
        """What the training job of generator ``key`` is told about the classes it makes
        images for: the sorted classes where the DAG knows them (the same for every sharer,
        whatever each draws), else its owner's ``sampling_strategy``."""
        owner = self.generator_owner(dataset, imbalance, key)
        training = self.generator_training(dataset, imbalance, owner)
        if "classes" in training:
            return list(training["classes"])
        return self.sampling_strategy(dataset, imbalance, owner)

    def generator_wildcards(self, wildcards: Mapping[str, Any]) -> dict[str, Any]:
        """``wildcards`` with the augmenter replaced by its :meth:`generator_key`: where the
        generator files an augment job or a figure reads are."""
        wc = dict(wildcards.items())
        wc["augmenter"] = self.generator_key(wc["dataset"], wc["imbalance"], wc["augmenter"])
        return wc

    def augmenters_needing_generator(self) -> list[str]:
        return [n for n in self.names("augmenters") if self.needs_generator(n)]

    def _is_original(self, imbalance: str) -> bool:
        if self.protocol(imbalance).original:
            return True
        datasets = sorted({c.dataset for c in self.cells if c.imbalance == imbalance})

        def unchanged(dataset: str) -> bool:
            counts = self.expected_counts(dataset, imbalance)
            if counts is None:
                return False
            if len(set(counts)) == 1:
                return True
            fractions = [k / n for k, n in zip(counts, self.original_counts(dataset) or [],
                                               strict=True) if n]
            # the class proportions kept (to rounding): the original distribution, smaller
            return bool(fractions) and max(fractions) <= 1.01 * min(fractions)

        return bool(datasets) and all(unchanged(d) for d in datasets)

    # -- checks ----------------------------------------------------------------------------
    def _check_datasets(self) -> None:
        from ..datasets import DATASETS, get_spec

        for name in self.names("datasets"):
            cfg = self.dataset_cfg(name)
            loader = DATASETS.check(cfg["loader"], f"datasets.{name}.loader")
            spec = get_spec(loader)  # the loader's own spec: keys and values before any task
            spec.check_options({k: v for k, v in cfg.items() if k != "loader"},
                               key=f"datasets.{name}")
            for key in ("source", "path"):
                if cfg.get(key) is not None and not Path(str(cfg[key])).expanduser().exists():
                    raise ConfigError(f"datasets.{name}.{key}", cfg[key],
                                      "an existing local file or folder")
            if loader == "folder" and not cfg.get("path"):
                raise ConfigError(f"datasets.{name}.path", None,
                                  "a folder with one sub-folder of images per class")
            if self.folds is not None:
                self._check_folds(name, cfg)

    def _check_folds(self, name: str, cfg: Mapping[str, Any]) -> None:
        # folds split the loader's training images; its test split is not used
        for key in ("test_per_class", "test_subset_seed"):
            if cfg.get(key) is not None:
                raise ConfigError(f"datasets.{name}.{key}", cfg[key],
                                  f"null with folds: {self.folds} (the test part of each fold "
                                  "is a fold of the training split; the loader's test split "
                                  "is not used)")
        counts = self.loader_counts(name)
        small = [c for c, n in enumerate(counts or []) if n < self.folds]
        if small:
            raise ConfigError("folds", self.folds,
                              f"at most the smallest class of datasets.{name} (class "
                              f"{small[0]} has {counts[small[0]]} training images)")

    def _check_imbalances(self) -> None:
        from ..imbalance import check_protocol

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
        from ..augment import AUGMENTERS
        from ..classify import CLASSIFIERS

        for section, registry in (("augmenters", AUGMENTERS), ("classifiers", CLASSIFIERS)):
            getter = self.augmenter_cfg if section == "augmenters" else self.classifier_cfg
            for name in self.names(section):
                cfg = getter(name)
                if "method" not in cfg:
                    raise ConfigError(f"{section}.{name}.method", None, sorted(registry))
                registry.check(cfg["method"], f"{section}.{name}.method")
        for name in self.names("augmenters"):
            self._check_augmenter(name)
        for name in self.names("classifiers"):
            cls = self.classifier_class(name)
            cls.check_params(self.classifier_cfg(name)["params"],
                             key=f"classifiers.{name}.params")
            if cls.stage not in CLASSIFIER_STAGES:
                raise ConfigError(f"classifiers.{name}.method", cls.name,
                                  f"a classifier whose stage is one of {sorted(CLASSIFIER_STAGES)}"
                                  f" (its class declares {cls.stage!r})")
        from ..metrics import SHOTS

        shots = SHOTS.resolve(self.config.get("shot_thresholds"), "shot_thresholds")
        if shots["few"] >= shots["many"]:
            raise ConfigError("shot_thresholds.few", shots["few"],
                              f"a fraction below shot_thresholds.many ({shots['many']})")
        seeds = self.config["seeds"]
        if len(set(seeds)) != len(seeds):
            raise ConfigError("seeds", seeds, "distinct integers")
        weights = (self.config.get("generator_quality") or {}).get("inception_weights")
        if weights is not None and not Path(os.path.expanduser(str(weights))).is_file():
            from ..inception import INCEPTION_URL

            # before any job: the quality jobs would otherwise fail one by one
            raise ConfigError("generator_quality.inception_weights", weights,
                              f"an existing file (download {INCEPTION_URL} on a machine with "
                              "network access and copy it here), or null")

    def _check_cell_counts(self) -> None:
        """Each classifier against the training counts of every set it trains on, where a
        classifier declares such a check (``check_counts``: eGAN's validation part)."""
        for dataset, imbalance, classifier in self.unique("dataset", "imbalance",
                                                          "classifier"):
            check = getattr(self.classifier_class(classifier), "check_counts", None)
            counts = self.expected_counts(dataset, imbalance) if check else None
            if counts is not None:
                check(self.classifier_cfg(classifier)["params"], counts,
                      f"classifiers.{classifier}.params",
                      f"imbalance {imbalance!r} on dataset {dataset!r}")

    def user_files(self) -> list[tuple[str, str, str]]:
        """``(config key, path, where to get it)`` of every weights file the grid's
        classifiers read but imbench never downloads (torchvision's ResNet-18, a
        ``weights_dir``'s Keras files)."""
        out = []
        for name in sorted({c.classifier for c in self.cells}):
            files = getattr(self.classifier_class(name), "user_files", None)
            if files:
                out += files(self.classifier_cfg(name)["params"], f"classifiers.{name}.params")
        return out

    def check_user_files(self) -> None:
        """ConfigError for a :meth:`user_files` file that is not there, naming the file, the
        config key and where to get it. Called by the workflow at DAG build, where relative
        paths are the run's."""
        for key, path, url in self.user_files():
            if not Path(os.path.expanduser(path)).is_file():
                raise ConfigError(key, path, f"an existing file: download {url} on a machine "
                                  "with network access and copy it to that path (imbench "
                                  "does not download it)")

    def _check_augmenter(self, name: str) -> None:
        cfg, cls = self.augmenter_cfg(name), self.augmenter_class(name)
        prefix = f"augmenters.{name}.params"
        cls.check_params(cfg["params"], key=prefix)
        datasets = [d for d in self.names("datasets")
                    if not self._excluded_pair("dataset", d, "augmenter", name)]
        if "flip_safe" in cls.default_params:
            # A label-unsafe flip is an error on the datasets it would run on.
            for dataset in datasets:
                cls.check_params({**cfg["params"], "flip_safe": self.spec(dataset).flip_safe},
                                 key=prefix)
        n_classes = {len(self.spec(d).class_names) or None for d in datasets}
        check_strategy(cfg["sampling_strategy"], f"augmenters.{name}.sampling_strategy",
                       min((n for n in n_classes if n), default=None))
        self._check_training_jobs(name, cfg)

    def _check_training_jobs(self, name: str, cfg: Mapping[str, Any]) -> None:
        from ..generators import GENERATORS, TRAINING_JOBS

        if "training_jobs" not in cfg:
            return
        key, value = f"augmenters.{name}.training_jobs", cfg["training_jobs"]
        if value not in TRAINING_JOBS:
            raise ConfigError(key, value, list(TRAINING_JOBS))
        if self.augmenter_class(name).generator != "per_class":
            per_class = sorted(m for m in GENERATORS if GENERATORS[m].kind == "per_class")
            raise ConfigError(key, value, f"only for per-class generators {per_class} "
                                          f"(method {cfg['method']!r} trains one model)")

    def _excluded_pair(self, axis_a: str, a: str, axis_b: str, b: str) -> bool:
        """True when an exclusion names exactly (and only) these two axes' values."""
        for rule in self.config.get("exclude") or []:
            if set(rule) <= {axis_a, axis_b} and _matches(rule.get(axis_a, a), a) \
                    and _matches(rule.get(axis_b, b), b):
                return True
        return False

    def _expand(self) -> list[Cell]:
        exclude = list(self.config.get("exclude") or [])
        for i, rule in enumerate(exclude):
            for axis, value in rule.items():
                if axis not in AXES:
                    raise ConfigError(f"exclude[{i}].{axis}", value, AXES)
                allowed = (self.config["seeds"] if axis == "seed"
                           else list(range(self.folds or 0)) if axis == "fold"
                           else self.names(SECTIONS[axis]))
                for v in (value if isinstance(value, list) else [value]):
                    if v not in allowed:
                        raise ConfigError(f"exclude[{i}].{axis}", v, allowed)
        cells = []
        for *values, (seed, fold) in itertools.product(
            self.names("datasets"), self.names("imbalances"), self.names("augmenters"),
            self.names("classifiers"), self.repetitions(),
        ):
            cell = Cell(*values, seed, fold)
            if any(all(_matches(v, getattr(cell, k)) for k, v in rule.items())
                   for rule in exclude):
                continue
            cells.append(cell)
        if not cells:
            raise ConfigError("exclude", exclude, "exclusions that leave at least one cell")
        return sorted(cells)


def _matches(rule_value: Any, value: Any) -> bool:
    """An exclusion's value (one, or a list of them) names ``value``."""
    return value in rule_value if isinstance(rule_value, list) else value == rule_value

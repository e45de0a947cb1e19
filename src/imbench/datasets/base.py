"""The objects every loader shares: the loaded :class:`Dataset`, the static
:class:`DatasetSpec`, option checking and the deterministic stratified split."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..errors import ConfigError, DataError
from ..params import BOOL, Int, ListOf, Number, Param, ParamSpec, Text, one_of, optional

#: options every built-in (downloadable) loader takes
BUILTIN = ParamSpec(
    Param("source", None, optional(Text()),
          "a local file or folder to read instead of downloading"),
    Param("verify", True, BOOL, "verify the content checksums of the built-in files"),
)
#: options of a loader that splits a test set off when the data has none
SPLIT = ParamSpec(
    Param("test_fraction", 0.2, Number(0, 1, lo_open=True, hi_open=True),
          "fraction of each class held out as the test set (a stratified split)"),
    Param("split_seed", 0, Int(), "seed of that split (not the grid's seeds: every seed "
          "sees the same test set)"),
)
#: options every loader takes: a balanced subset of the test split (seed 000 §4.4 scores on
#: 650 test images per class), fixed by its seed and stored in the raw file; a binary task,
#: one class against the rest (seed 002 §4), whose label 1 is that class; or a subset of the
#: classes, relabelled 0, 1, ... in that order (seed 004's two-class tiny set)
COMMON = ParamSpec(
    Param("test_per_class", None, optional(Int(1)),
          "score on a balanced subset of the test split with this many images per class, "
          "drawn with test_subset_seed and stored in the raw file (null: the whole split)"),
    Param("test_subset_seed", 0, Int(), "seed of that subset (every grid seed scores on the "
          "same images)"),
    Param("one_vs_rest", None, optional(Int(0)),
          "a binary task: this class (label 1) against all the others (label 0)"),
    Param("one_vs_rest_test", "all", one_of("all", "balanced"),
          "with one_vs_rest, the test set: all (the whole split, 1 : k-1) or balanced "
          "(every test image of the class and as many others, stratified over the other "
          "classes, drawn with test_subset_seed and stored in the raw file)"),
    Param("classes", None, optional(ListOf(Int(0), min_length=2)),
          "keep only these classes (train and test), relabelled 0, 1, ... in this order"),
)
COMMON_OPTIONS = frozenset(COMMON.names)


@dataclass
class Dataset:
    """A loaded dataset: uint8 ``(N, H, W, C)`` images and int64 ``(N,)`` labels."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    #: positions in the loader's test split, when ``test_per_class`` kept a subset of it
    test_indices: np.ndarray | None = None
    #: what reading the images changed, one sentence each (logged, kept in the raw file)
    notes: tuple[str, ...] = ()

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def train_counts(self) -> tuple[int, ...]:
        """Per-class counts of the training labels (zero for an absent class)."""
        return tuple(int(c) for c in np.bincount(self.y_train, minlength=self.n_classes))

    def validate(
        self, name: str, image_shape: tuple[int, int, int] | None = None
    ) -> Dataset:
        """Raise :class:`DataError` unless the arrays follow the project conventions and,
        if given, the spec's ``image_shape`` (which the workflow relies on before loading)."""
        for split in ("train", "test"):
            x, y = getattr(self, f"x_{split}"), getattr(self, f"y_{split}")
            if x.dtype != np.uint8 or x.ndim != 4 or x.shape[-1] not in (1, 3):
                raise DataError(
                    f"dataset {name!r}: x_{split} must be uint8 (N, H, W, C) with C in {{1, 3}}, "
                    f"got {x.dtype} {x.shape}"
                )
            if y.dtype != np.int64 or y.shape != (x.shape[0],):
                raise DataError(
                    f"dataset {name!r}: y_{split} must be int64 of shape ({x.shape[0]},), "
                    f"got {y.dtype} {y.shape}"
                )
            if y.size and (y.min() < 0 or y.max() >= self.n_classes):
                raise DataError(
                    f"dataset {name!r}: y_{split} has labels outside 0..{self.n_classes - 1} "
                    f"(min {y.min()}, max {y.max()})"
                )
        if image_shape is not None and self.x_train.shape[1:] != tuple(image_shape):
            raise DataError(
                f"dataset {name!r}: images have shape {self.x_train.shape[1:]}, expected "
                f"{tuple(image_shape)}"
            )
        if self.x_train.shape[1:] != self.x_test.shape[1:]:
            raise DataError(
                f"dataset {name!r}: train images {self.x_train.shape[1:]} and test images "
                f"{self.x_test.shape[1:]} differ in shape"
            )
        return self


def one_vs_rest(dataset: Dataset, positive: int) -> Dataset:
    """The binary task ``positive`` (label 1) against every other class (label 0)."""
    name = dataset.class_names[positive]
    return replace(dataset, y_train=(dataset.y_train == positive).astype(np.int64),
                   y_test=(dataset.y_test == positive).astype(np.int64),
                   class_names=(f"not {name}", name))


def select_classes(dataset: Dataset, classes: Sequence[int]) -> Dataset:
    """Only ``classes`` (loader labels), relabelled by their position in ``classes``; the
    kept test images' positions in the loader's test split become ``test_indices``."""
    lookup = np.full(dataset.n_classes, -1, dtype=np.int64)
    lookup[list(classes)] = np.arange(len(classes))
    train = lookup[dataset.y_train] >= 0
    test = np.flatnonzero(lookup[dataset.y_test] >= 0)
    positions = test if dataset.test_indices is None else dataset.test_indices[test]
    return replace(dataset, x_train=dataset.x_train[train],
                   y_train=lookup[dataset.y_train[train]], x_test=dataset.x_test[test],
                   y_test=lookup[dataset.y_test[test]],
                   class_names=tuple(dataset.class_names[c] for c in classes),
                   test_indices=positions)


def balanced_test_subset(y_test: np.ndarray, per_class: int, seed: int) -> np.ndarray:
    """Sorted positions of ``per_class`` test images of every class, drawn with ``seed``.
    A subset of the test split, so it never meets the training images."""
    rng = np.random.default_rng(seed)
    keep = []
    for c in np.unique(y_test):
        idx = np.flatnonzero(y_test == c)
        if len(idx) < per_class:
            raise DataError(f"test_per_class {per_class}: class {int(c)} has only {len(idx)} "
                            "test images")
        keep.append(rng.choice(idx, size=per_class, replace=False))
    return np.sort(np.concatenate(keep))


def balanced_rest_subset(y_test: np.ndarray, positive: int, seed: int) -> np.ndarray:
    """Sorted positions of every test image of ``positive`` and as many of the other
    classes, split over them as evenly as the count allows (the remainder to the lowest
    labels), drawn with ``seed``: a balanced test set for the binary task."""
    rng = np.random.default_rng(seed)
    keep = [np.flatnonzero(y_test == positive)]
    others = [c for c in np.unique(y_test) if c != positive]
    share, extra = divmod(len(keep[0]), len(others))
    for n, c in enumerate(others):
        idx = np.flatnonzero(y_test == c)
        size = share + (n < extra)
        if len(idx) < size:
            raise DataError(f"one_vs_rest_test balanced: class {int(c)} has only {len(idx)} "
                            f"test images, {size} needed")
        keep.append(rng.choice(idx, size=size, replace=False))
    return np.sort(np.concatenate(keep))


CountsFn = Callable[[Mapping[str, Any]], "tuple[int, ...] | None"]


@dataclass(frozen=True)
class DatasetSpec:
    """What is known about a dataset before any file is read (used at workflow-DAG time).

    ``loader`` is ``"module:function"``, imported only when data is actually loaded, so that
    building the DAG imports neither scikit-learn nor scikit-image.
    """

    name: str
    class_names: tuple[str, ...]
    image_shape: tuple[int, int, int] | None
    flip_safe: bool
    #: the loader's own options (besides :data:`COMMON`), declared
    parameters: ParamSpec
    loader: str = field(repr=False)
    counts: tuple[int, ...] | None = None
    # For datasets whose counts depend on options (digits: split; folder: the directory).
    counts_fn: CountsFn | None = field(default=None, repr=False, compare=False)
    #: the loader's classes, where ``one_vs_rest`` made this spec a binary task
    loader_classes: tuple[str, ...] = ()

    @property
    def n_classes(self) -> int | None:
        """Number of classes, or None when only the data can tell (``folder``)."""
        return len(self.class_names) if self.class_names else None

    def train_counts(self, options: Mapping[str, Any] | None = None) -> tuple[int, ...] | None:
        """Per-class training counts, without downloading anything.

        ``options`` (the config entry) matters only for ``digits`` (``test_fraction``,
        ``split_seed``) and ``folder`` (counted from file names when ``path`` is given).
        """
        options = dict(options or {})
        self.check_options(options)
        if self.counts_fn is not None:
            return self.counts_fn(options)
        return self.counts

    @property
    def options(self) -> frozenset[str]:
        """Every option key this loader takes (its own and :data:`COMMON`'s)."""
        return frozenset(self.parameters.names) | COMMON_OPTIONS

    def option(self, options: Mapping[str, Any], name: str) -> Any:
        """The (checked) value of one of the loader's own options, or its declared default."""
        return options.get(name, self.parameters.param(name).default)

    def check_options(self, options: Mapping[str, Any], key: str = "") -> None:
        """Raise :class:`ConfigError` naming an option this loader does not know, a value its
        declaration does not allow, or a class the loader does not have. ``key``: the config
        entry (``datasets.<name>``)."""
        key = key or f"datasets.<{self.name}>"
        (self.parameters + COMMON).check(options, key, self.name)
        classes = options.get("classes")
        n_loader = len(self.loader_classes or self.class_names) or None
        if classes is not None:
            ok = len(set(classes)) == len(classes) and (
                n_loader is None or all(c < n_loader for c in classes))
            if not ok:
                raise ConfigError(f"{key}.classes", classes, "null or a list of at least 2 "
                                  "distinct class indices"
                                  + (f" in [0, {n_loader})" if n_loader else ""))
            if options.get("one_vs_rest") is not None:
                raise ConfigError(f"{key}.classes", classes, "null when one_vs_rest is set "
                                  "(one task derivation per dataset entry)")
        positive = options.get("one_vs_rest")
        if positive is None and options.get("one_vs_rest_test", "all") != "all":
            raise ConfigError(f"{key}.one_vs_rest_test", options["one_vs_rest_test"],
                              "all (the default) unless one_vs_rest is set")
        if positive is not None and n_loader is not None and positive >= n_loader:
            raise ConfigError(f"{key}.one_vs_rest", positive,
                              f"null or a class index in [0, {n_loader})")

    def with_options(self, options: Mapping[str, Any]) -> DatasetSpec:
        """This spec as the config entry's options make it: ``one_vs_rest: c`` gives two
        classes, ``not <c>`` (label 0) and ``<c>`` (label 1), and their counts."""
        classes = options.get("classes")
        if classes is not None:
            self.check_options(options)
            counts_fn = self.counts_fn

            def subset(counts: tuple[int, ...] | None) -> tuple[int, ...] | None:
                return None if counts is None else tuple(counts[c] for c in classes)

            return replace(self, class_names=tuple(self.class_names[c] for c in classes)
                           if self.class_names else (),
                           counts=subset(self.counts), loader_classes=self.class_names,
                           counts_fn=None if counts_fn is None
                           else (lambda o: subset(counts_fn(o))))
        positive = options.get("one_vs_rest")
        if positive is None:
            return self
        self.check_options(options)
        counts_fn = self.counts_fn

        def binary(counts: tuple[int, ...] | None) -> tuple[int, ...] | None:
            return None if counts is None else (sum(counts) - counts[positive], counts[positive])

        names = ((f"not {self.class_names[positive]}", self.class_names[positive])
                 if self.class_names else ())
        return replace(self, class_names=names, counts=binary(self.counts),
                       loader_classes=self.class_names,
                       counts_fn=None if counts_fn is None
                       else (lambda o: binary(counts_fn(o))))

    def load_function(self) -> Callable[..., Dataset]:
        module_name, attr = self.loader.split(":")
        return getattr(importlib.import_module(module_name), attr)


def stratified_split(
    y: np.ndarray, test_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted train and test indices of a seeded stratified split.

    Depends only on the labels, so counts can be computed without reading the images.
    """
    from sklearn.model_selection import train_test_split

    try:
        train_idx, test_idx = train_test_split(
            np.arange(len(y)), test_size=test_fraction, stratify=y, random_state=seed
        )
    except ValueError as exc:
        # sklearn refuses e.g. a class with a single image; say which numbers caused it.
        counts = np.bincount(y).tolist()
        raise DataError(
            f"cannot make a stratified test split (test_fraction={test_fraction}) of "
            f"per-class counts {counts}: {exc}"
        ) from exc
    # Sorting keeps the original order within each split, independent of the shuffle.
    return np.sort(train_idx), np.sort(test_idx)

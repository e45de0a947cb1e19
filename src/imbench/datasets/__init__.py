"""Dataset registry and loading: one module per loader, one line in :data:`DATASETS`.

``get_spec(name)`` answers questions about a dataset (classes, image shape, training counts)
without reading data, for building the workflow DAG; ``load_dataset`` fetches, parses and
verifies it; ``fetch_raw`` writes ``data/raw/{dataset}.npz`` with its record.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from .. import records
from ..registry import Registry
from .base import (
    Dataset,
    DatasetSpec,
    balanced_rest_subset,
    balanced_test_subset,
    one_vs_rest,
    select_classes,
)

DATASETS = Registry(
    "dataset",
    {
        "digits": "imbench.datasets.digits:DIGITS",
        "mnist": "imbench.datasets.idx:MNIST",
        "fashion_mnist": "imbench.datasets.idx:FASHION_MNIST",
        "cifar10": "imbench.datasets.cifar:CIFAR10",
        "cifar100": "imbench.datasets.cifar:CIFAR100",
        "cifar100_coarse": "imbench.datasets.cifar:CIFAR100_COARSE",
        "folder": "imbench.datasets.folder:FOLDER",
    },
)


def get_spec(name: str) -> DatasetSpec:
    """The :class:`DatasetSpec` of loader ``name`` (ConfigError if unknown)."""
    return DATASETS[name]


def load_dataset(
    loader: str,
    *,
    cache_dir: str | os.PathLike[str],
    source: str | os.PathLike[str] | None = None,
    offline: bool = False,
    **options: Any,
) -> Dataset:
    """Load dataset ``loader`` (a registry name) and check it follows the conventions.

    ``source`` is a local directory, archive or ``.npz`` used instead of downloading;
    ``offline`` forbids network access (the cache or ``source`` must then hold the data).
    ``options`` are the remaining keys of the config entry (see ``spec.options``).
    """
    spec = get_spec(loader)
    spec.check_options(options)
    per_class = options.pop("test_per_class", None)
    subset_seed = int(options.pop("test_subset_seed", 0))
    positive = options.pop("one_vs_rest", None)
    rest_test = options.pop("one_vs_rest_test", "all")
    classes = options.pop("classes", None)
    # Config paths may start with "~" (the workflow's existence check expands it too).
    if source is not None:
        source = os.path.expanduser(os.fspath(source))
    if options.get("path") is not None:
        options["path"] = os.path.expanduser(os.fspath(options["path"]))
    dataset = spec.load_function()(
        spec, cache_dir=cache_dir, source=source, offline=offline, **options
    ).validate(loader, spec.image_shape)
    if classes is not None:
        dataset = select_classes(dataset, classes)
    if per_class is not None:  # balanced over the classes kept, before any binary task
        dataset = _test_subset(dataset, balanced_test_subset(dataset.y_test, per_class,
                                                             subset_seed))
    if positive is not None and rest_test == "balanced":  # on the loader's labels
        dataset = _test_subset(dataset, balanced_rest_subset(dataset.y_test, positive,
                                                             subset_seed))
    return dataset if positive is None else one_vs_rest(dataset, positive)


def _test_subset(dataset: Dataset, keep: np.ndarray) -> Dataset:
    """Only the test images at ``keep``; their positions in the loader's split recorded."""
    positions = keep if dataset.test_indices is None else dataset.test_indices[keep]
    return replace(dataset, x_test=dataset.x_test[keep], y_test=dataset.y_test[keep],
                   test_indices=positions)


def fetch_raw(
    path: str | os.PathLike[str],
    dataset_cfg: Mapping[str, Any],
    config: Mapping[str, Any],
    *,
    cache_dir: str | os.PathLike[str],
    offline: bool = False,
) -> Dataset:
    """The fetch_dataset job: load the dataset of ``dataset_cfg`` and write it to ``path``
    with its record. A local source whose fingerprint differs from the one the DAG was
    built with (``config["dataset"]["source_sha256"]``) changed while the workflow ran: an
    error, never a raw copy of something else than what the plan counted."""
    from ..errors import DataError
    from .fingerprint import source_fingerprint

    options = dict(dataset_cfg)
    loader = options.pop("loader")
    dataset = load_dataset(loader, cache_dir=cache_dir, offline=offline, **options)
    for note in dataset.notes:
        print(f"note: {note}", flush=True)
    expected = config["dataset"].get("source_sha256")
    if expected is not None:
        where = options.get("path") or options.get("source")
        now = source_fingerprint(os.path.expanduser(str(where)), cache_dir)
        if now != expected:
            raise DataError(f"{where}: changed while the workflow ran (content fingerprint "
                            f"{now}, the plan was made with {expected}); run it again")
    save_raw(path, dataset, config)
    return dataset


def save_raw(path: str | os.PathLike[str], dataset: Dataset, config: Mapping[str, Any]
             ) -> dict[str, Any]:
    """Write ``x_train, y_train, x_test, y_test, class_names`` (a str array) atomically, with
    the record (:mod:`imbench.records`) of ``config``'s dataset section; returns it."""
    return records.save(
        path, "raw", config,
        x_train=dataset.x_train,
        y_train=dataset.y_train,
        x_test=dataset.x_test,
        y_test=dataset.y_test,
        class_names=np.array(dataset.class_names, dtype=str),
        # which images of the loader's test split a test subset kept (test_per_class)
        **({"test_indices": dataset.test_indices} if dataset.test_indices is not None else {}),
        # what reading the images changed (an alpha channel dropped, a depth rescaled)
        **({"notes": np.array(dataset.notes, dtype=str)} if dataset.notes else {}),
    )


def load_raw(path: str | os.PathLike[str], config: Mapping[str, Any] | None = None
             ) -> Dataset:
    """Read back a file written by :func:`save_raw`, checking its record."""
    data = records.load(path, "raw", config)
    return Dataset(
        data["x_train"], data["y_train"], data["x_test"], data["y_test"],
        class_names=tuple(str(c) for c in data["class_names"]),
        test_indices=data["test_indices"] if "test_indices" in data else None,
        notes=tuple(str(n) for n in data["notes"]) if "notes" in data else (),
    )


__all__ = ["DATASETS", "Dataset", "DatasetSpec", "fetch_raw", "get_spec", "load_dataset",
           "load_raw", "save_raw"]

"""Dataset registry and loading: one module per loader, one line in :data:`DATASETS`.

``get_spec(name)`` answers questions about a dataset (classes, image shape, training counts)
without reading data, for building the workflow DAG; ``load_dataset`` fetches, parses and
verifies it; ``save_raw`` writes ``data/raw/{dataset}.npz``.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..io import load_npz, save_npz
from ..registry import Registry
from .base import Dataset, DatasetSpec

DATASETS = Registry(
    "dataset",
    {
        "digits": "imbench.datasets.digits:DIGITS",
        "mnist": "imbench.datasets.idx:MNIST",
        "fashion_mnist": "imbench.datasets.idx:FASHION_MNIST",
        "cifar10": "imbench.datasets.cifar:CIFAR10",
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
    ``options`` are the remaining keys of the config entry (see ``spec.allowed_options``).
    """
    spec = get_spec(loader)
    spec.check_options(options)
    # Config paths may start with "~" (the workflow's existence check expands it too).
    if source is not None:
        source = os.path.expanduser(os.fspath(source))
    if options.get("path") is not None:
        options["path"] = os.path.expanduser(os.fspath(options["path"]))
    dataset = spec.load_function()(
        spec, cache_dir=cache_dir, source=source, offline=offline, **options
    )
    return dataset.validate(loader, spec.image_shape)


def save_raw(path: str | os.PathLike[str], dataset: Dataset) -> None:
    """Write ``x_train, y_train, x_test, y_test, class_names`` (a str array) atomically."""
    save_npz(
        path,
        x_train=dataset.x_train,
        y_train=dataset.y_train,
        x_test=dataset.x_test,
        y_test=dataset.y_test,
        class_names=np.array(dataset.class_names, dtype=str),
    )


def load_raw(path: str | os.PathLike[str]) -> Dataset:
    """Read back a file written by :func:`save_raw`."""
    data = load_npz(path)
    return Dataset(
        data["x_train"], data["y_train"], data["x_test"], data["y_test"],
        class_names=tuple(str(c) for c in data["class_names"]),
    )


__all__ = ["DATASETS", "Dataset", "DatasetSpec", "get_spec", "load_dataset", "load_raw",
           "save_raw"]

"""A built-in dataset supplied as one ``.npz`` (x_train, y_train, x_test, y_test)."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from ..errors import DataError
from . import download
from .base import Dataset, DatasetSpec

_KEYS = ("x_train", "y_train", "x_test", "y_test")


def is_npz(source: str | os.PathLike[str]) -> bool:
    return Path(source).suffix.lower() == ".npz"


def npz_train_counts(source: str | os.PathLike[str] | None,
                     n_classes: int) -> tuple[int, ...] | None:
    """Per-class counts of an ``.npz`` source's ``y_train`` (only that array is read), or
    None when ``source`` is not a readable ``.npz``: the plan of a dataset whose data is
    accepted unverified (``verify: false``) comes from its file, not the official sizes."""
    if source is None or not is_npz(source) or not Path(source).expanduser().is_file():
        return None
    try:
        with np.load(Path(source).expanduser(), allow_pickle=False) as data:
            y = data["y_train"]
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return None  # the fetch job names what is wrong with it
    if not np.issubdtype(y.dtype, np.integer) or (
            y.size and (y.min() < 0 or y.max() >= n_classes)):
        return None
    return tuple(int(n) for n in np.bincount(y.astype(np.int64), minlength=n_classes))


def load_npz_source(
    spec: DatasetSpec, source: str | os.PathLike[str], *, verify: bool = True
) -> Dataset:
    """Read and check an ``.npz``; verify its content digest unless ``verify`` is False.

    The digest check means a file of the wrong dataset, or a subset, fails loudly instead of
    silently producing a different benchmark under a built-in dataset's name.
    """
    path = Path(source)
    if not path.is_file():
        raise DataError(f"source {path} of dataset {spec.name!r} does not exist")
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [k for k in _KEYS if k not in data.files]
            if missing:
                raise DataError(
                    f"{path} lacks {missing}; a dataset .npz needs {list(_KEYS)} "
                    f"(it holds {data.files})"
                )
            arrays = {k: data[k] for k in _KEYS}
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise DataError(f"cannot read {path} as .npz: {exc}") from exc
    splits = {}
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.ndim == 3:
            # (N, H, W) grayscale, as most distributions store MNIST-like data.
            x = x[..., None]
        if x.dtype != np.uint8:
            raise DataError(f"{path}: x_{split} must be uint8, got {x.dtype}")
        if not np.issubdtype(y.dtype, np.integer) or y.shape != (len(x),):
            raise DataError(
                f"{path}: y_{split} must be {len(x)} integer labels, got {y.dtype} {y.shape}"
            )
        splits[split] = (x, y.astype(np.int64))
    if verify:
        download.verify(
            spec.name, splits, [path],
            f"Check that {path} holds the complete official {spec.name} data "
            f"(or set `verify: false` to accept modified data).",
        )
    return Dataset(*splits["train"], *splits["test"], class_names=spec.class_names)

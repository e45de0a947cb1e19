"""scikit-learn's 8x8 handwritten digits (1797 images), shipped with scikit-learn, so the
embedded default works with no network at all."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import DataError
from . import download
from .base import BUILTIN, SPLIT, Dataset, DatasetSpec, stratified_split
from .npz_source import is_npz, load_npz_source

#: The fixed split: ``train_test_split(test_size=0.25, stratify=y, random_state=0)``. It does
#: not follow the experiment seed, so every seed sees the same test set.
TEST_FRACTION = 0.25
SPLIT_SEED = 0
#: Per-class training counts of that split (scikit-learn 1.9.1). The plan needs them at every
#: parse of the Snakefile, cluster jobs included, and computing them imports scikit-learn
#: (~0.9 s); the loader checks them against the split it makes.
DEFAULT_TRAIN_COUNTS = (133, 136, 133, 137, 136, 136, 136, 134, 131, 135)


def _split_options(options: Mapping[str, Any]) -> tuple[float, int]:
    return DIGITS.option(options, "test_fraction"), DIGITS.option(options, "split_seed")


def _digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    # Pixel values are integers 0..16; rint(v * 255 / 16) maps them onto 0..255 (8 -> 128).
    x = np.rint(bunch.images * (255 / 16)).astype(np.uint8)[..., None]
    return x, bunch.target.astype(np.int64)


def load_digits_dataset(
    spec: DatasetSpec,
    *,
    cache_dir: str | os.PathLike[str],
    source: str | os.PathLike[str] | None = None,
    offline: bool = False,
    **options: Any,
) -> Dataset:
    """The digits as uint8 (N, 8, 8, 1), split by :data:`TEST_FRACTION` / :data:`SPLIT_SEED`.

    ``cache_dir`` and ``offline`` are unused (nothing is downloaded). A ``source`` .npz is
    taken with its own train/test split, after checking its content is the digits.
    """
    check = spec.option(options, "verify")
    test_fraction, split_seed = _split_options(options)
    if source is not None:
        if not is_npz(source):
            raise DataError(
                f"source {source} of dataset 'digits': only an .npz with "
                f"x_train/y_train/x_test/y_test can replace the copy shipped with scikit-learn"
            )
        return load_npz_source(spec, source, verify=check)
    x, y = _digits()
    if check:
        # Verified before splitting so a changed scikit-learn copy fails whatever the split.
        download.verify(
            spec.name, {"train": (x, y), "test": (x[:0], y[:0])}, ["sklearn.datasets.load_digits"],
            "The digits shipped with this scikit-learn differ from the ones imbench was checked "
            "against; install the pinned scikit-learn (or set `verify: false`).",
        )
    train, test = stratified_split(y, test_fraction, split_seed)
    dataset = Dataset(x[train], y[train], x[test], y[test], class_names=spec.class_names)
    counts = dataset.train_counts()
    planned = (test_fraction, split_seed) == (TEST_FRACTION, SPLIT_SEED)
    if planned and counts != DEFAULT_TRAIN_COUNTS:
        raise DataError(
            f"the digits' training split has per-class counts {list(counts)}, but the "
            f"workflow was planned with {list(DEFAULT_TRAIN_COUNTS)}; install the pinned "
            f"scikit-learn, whose train_test_split made the planned split"
        )
    return dataset


def _train_counts(options: Mapping[str, Any]) -> tuple[int, ...]:
    test_fraction, split_seed = _split_options(options)
    if (test_fraction, split_seed) == (TEST_FRACTION, SPLIT_SEED):
        return DEFAULT_TRAIN_COUNTS
    from sklearn.datasets import load_digits

    y = load_digits().target.astype(np.int64)
    train, _ = stratified_split(y, test_fraction, split_seed)
    return tuple(int(c) for c in np.bincount(y[train], minlength=10))


DIGITS = DatasetSpec(
    name="digits",
    class_names=tuple(str(i) for i in range(10)),
    image_shape=(8, 8, 1),
    # A mirrored 2 or 5 is not the same digit.
    flip_safe=False,
    parameters=BUILTIN + SPLIT.with_defaults(test_fraction=TEST_FRACTION, split_seed=SPLIT_SEED),
    loader="imbench.datasets.digits:load_digits_dataset",
    counts_fn=_train_counts,
)

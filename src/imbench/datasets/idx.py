"""MNIST and Fashion-MNIST: the four idx files of each release.

idx format (http://yann.lecun.com/exdb/mnist/): two zero bytes, a type code, the number of
dimensions, then each dimension as a big-endian uint32, then the data, big-endian, C order.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError
from . import download
from .base import BUILTIN, Dataset, DatasetSpec
from .npz_source import is_npz, load_npz_source

_IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

#: (images, labels) file names of each split, as published (gzip-compressed).
FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Parse an idx file, gzip-compressed or not (decided by content, not by name)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"cannot read idx file {path}: {exc}") from exc
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise DataError(
            f"{path} is not an idx file (magic number {raw[:4].hex() or 'missing'}; expected "
            f"00 00 <type code in {sorted(_IDX_DTYPES)}> <ndim>)"
        )
    dtype, ndim = _IDX_DTYPES[raw[2]], raw[3]
    header_len = 4 + 4 * ndim
    if len(raw) < header_len:
        raise DataError(f"idx file {path} is truncated inside its header")
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header_len != expected:
        raise DataError(
            f"idx file {path}: header says shape {dims} ({expected} data bytes) but the file "
            f"holds {len(raw) - header_len} data bytes (truncated or corrupted download?)"
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header_len).reshape(dims)
    # Native byte order so later arithmetic and hashing see plain arrays.
    return data.astype(dtype.newbyteorder("="))


def _find_local(directory: Path, filename: str) -> Path | None:
    """The file in ``directory`` under its published name, uncompressed or gzipped."""
    stem = filename.removesuffix(".gz")
    # Some redistributions (e.g. Kaggle) write "train-images.idx3-ubyte".
    dotted = stem.replace("-idx", ".idx")
    for name in (filename, stem, dotted + ".gz", dotted):
        if (directory / name).is_file():
            return directory / name
    return None


def load_idx_dataset(
    spec: DatasetSpec,
    *,
    cache_dir: str | os.PathLike[str],
    source: str | os.PathLike[str] | None = None,
    offline: bool = False,
    **options: Any,
) -> Dataset:
    """Load MNIST or Fashion-MNIST from ``source`` (directory or .npz) or the cache/mirrors."""
    check = spec.option(options, "verify")
    if source is not None and is_npz(source):
        return load_npz_source(spec, source, verify=check)
    splits: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    used: dict[str, list[Path]] = {}
    for split, names in FILES.items():
        paths = []
        for name in names:
            if source is not None:
                directory = Path(source)
                if not directory.is_dir():
                    raise DataError(
                        f"source {directory} of dataset {spec.name!r} does not exist or is not "
                        f"a directory/.npz file"
                    )
                found = _find_local(directory, name)
                if found is None:
                    raise DataError(
                        f"source directory {directory} has no {name} (or its uncompressed "
                        f"form) for dataset {spec.name!r}"
                    )
                paths.append(found)
            else:
                paths.append(download.cache_path(cache_dir, spec.name, name))
        if source is None:
            x, y = (download.fetch_and_read(spec.name, p.name, cache_dir, read_idx,
                                            offline=offline) for p in paths)
        else:
            x, y = read_idx(paths[0]), read_idx(paths[1])
        if x.ndim != 3 or x.dtype != np.uint8 or y.ndim != 1 or len(x) != len(y):
            raise DataError(
                f"{paths[0]} / {paths[1]}: expected uint8 images (N, H, W) and N labels, got "
                f"{x.dtype} {x.shape} and {y.dtype} {y.shape}"
            )
        splits[split] = (x[..., None], y.astype(np.int64))
        used[split] = paths
    if check:
        remedy = (
            "Delete the cached files named above and run again to download afresh"
            if source is None
            else f"Check that {source} holds the official {spec.name} files"
        ) + " (or set `verify: false` to accept modified data)."
        download.verify(spec.name, splits, used, remedy)
    return Dataset(*splits["train"], *splits["test"], class_names=spec.class_names)


_MNIST_COUNTS = (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949)

MNIST = DatasetSpec(
    name="mnist",
    class_names=tuple(str(i) for i in range(10)),
    image_shape=(28, 28, 1),
    # A mirrored 2 or 5 is not the same digit.
    flip_safe=False,
    parameters=BUILTIN,
    loader="imbench.datasets.idx:load_idx_dataset",
    counts=_MNIST_COUNTS,
)

FASHION_MNIST = DatasetSpec(
    name="fashion_mnist",
    class_names=(
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ),
    image_shape=(28, 28, 1),
    # Garments are left/right symmetric as classes.
    flip_safe=True,
    parameters=BUILTIN,
    loader="imbench.datasets.idx:load_idx_dataset",
    counts=(6000,) * 10,
)

"""CIFAR-10, python version: a tarball of pickled batches (``data_batch_1..5``,
``test_batch``), each a dict with ``b"data"`` (N x 3072 uint8, channel-major rows) and
``b"labels"``."""

from __future__ import annotations

import io
import os
import pickle
import tarfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError
from . import download
from .base import BUILTIN_OPTIONS, Dataset, DatasetSpec, option_bool
from .npz_source import is_npz, load_npz_source

ARCHIVE = "cifar-10-python.tar.gz"
_BATCH_DIR = "cifar-10-batches-py"
_BATCHES = {"train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"]}

# Only what a CIFAR batch needs: the pickles come from the internet, and an unrestricted
# unpickler would run whatever code a tampered file names.
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),
}


class _BatchUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a CIFAR batch")
        # numpy 2 renamed numpy.core; old pickles (the official ones) use the old name.
        if module.startswith("numpy.core."):
            module = "numpy._core." + module.removeprefix("numpy.core.")
        return super().find_class(module, name)


def _parse_batch(raw: bytes, where: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        batch = _BatchUnpickler(io.BytesIO(raw), encoding="bytes").load()
        data = np.asarray(batch[b"data"], dtype=np.uint8)
        labels = np.asarray(batch[b"labels"], dtype=np.int64)
    except (pickle.UnpicklingError, EOFError, KeyError, TypeError, ValueError) as exc:
        raise DataError(f"cannot parse CIFAR batch {where}: {exc}") from exc
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or labels.shape != (len(data),):
        raise DataError(
            f"CIFAR batch {where}: expected (N, 3072) data and N labels, got {data.shape} "
            f"and {labels.shape}"
        )
    # Rows are 1024 red, then green, then blue values; the project stores HWC.
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels


def _read_batches(source: Path) -> tuple[dict[str, bytes], Path]:
    """The raw bytes of every batch file, and the path to name in messages."""
    names = [n for group in _BATCHES.values() for n in group]
    if source.is_file():
        archive = source
    elif (source / ARCHIVE).is_file():
        archive = source / ARCHIVE
    else:
        for directory in (source / _BATCH_DIR, source):
            if (directory / "data_batch_1").is_file():
                missing = [n for n in names if not (directory / n).is_file()]
                if missing:
                    raise DataError(f"CIFAR batch directory {directory} lacks {missing}")
                return {n: (directory / n).read_bytes() for n in names}, directory
        raise DataError(
            f"source {source} holds neither {ARCHIVE}, nor {_BATCH_DIR}/, nor the batch files "
            f"data_batch_1..5 and test_batch"
        )
    try:
        with tarfile.open(archive, "r:*") as tar:
            # Read members in memory by base name: nothing is extracted, so a crafted archive
            # cannot write outside the cache.
            members = {Path(m.name).name: m for m in tar.getmembers() if m.isfile()}
            missing = [n for n in names if n not in members]
            if missing:
                raise DataError(f"CIFAR archive {archive} lacks {missing}")
            out = {}
            for n in names:
                fh = tar.extractfile(members[n])
                assert fh is not None  # members holds regular files only
                out[n] = fh.read()
    except (OSError, tarfile.TarError, EOFError, zlib.error) as exc:
        raise DataError(f"cannot read CIFAR archive {archive}: {exc}") from exc
    return out, archive


def load_cifar10(
    spec: DatasetSpec,
    *,
    cache_dir: str | os.PathLike[str],
    source: str | os.PathLike[str] | None = None,
    offline: bool = False,
    **options: Any,
) -> Dataset:
    """Load CIFAR-10 from ``source`` (archive, batch directory or .npz) or the cache/mirror."""
    check = option_bool(options, "verify", True)
    if source is not None:
        source = Path(source)
        if not source.exists():
            raise DataError(f"source {source} of dataset {spec.name!r} does not exist")
        if is_npz(source):
            return load_npz_source(spec, source, verify=check)
        raw, where = _read_batches(source)
    else:
        raw, where = _read_batches(download.fetch(spec.name, ARCHIVE, cache_dir, offline=offline))
    splits = {}
    for split, names in _BATCHES.items():
        parts = [_parse_batch(raw[name], f"{where}:{name}") for name in names]
        splits[split] = (
            np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
        )
    if check:
        remedy = (
            f"Delete {where} and run again to download afresh" if source is None
            else f"Check that {source} holds the official CIFAR-10 python batches"
        ) + " (or set `verify: false` to accept modified data)."
        download.verify(spec.name, splits, [where], remedy)
    return Dataset(*splits["train"], *splits["test"], class_names=spec.class_names)


CIFAR10 = DatasetSpec(
    name="cifar10",
    class_names=(
        "airplane", "automobile", "bird", "cat", "deer",
        "dog", "frog", "horse", "ship", "truck",
    ),
    image_shape=(32, 32, 3),
    flip_safe=True,
    allowed_options=BUILTIN_OPTIONS,
    loader="imbench.datasets.cifar:load_cifar10",
    counts=(5000,) * 10,
)

"""CIFAR-10 and CIFAR-100, python versions: a tarball of pickled batches, each a dict with
``b"data"`` (N x 3072 uint8, channel-major rows) and labels. CIFAR-10: ``data_batch_1..5``
and ``test_batch`` with ``b"labels"``; CIFAR-100: ``train`` and ``test`` with
``b"fine_labels"`` (100 classes) and ``b"coarse_labels"`` (20 superclasses), and ``meta``
with both lists of names."""

from __future__ import annotations

import hashlib
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
from .base import BUILTIN, Dataset, DatasetSpec
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


def _unpickle(raw: bytes, where: str) -> Any:
    try:
        return _BatchUnpickler(io.BytesIO(raw), encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, TypeError, ValueError) as exc:
        raise DataError(f"cannot parse CIFAR file {where}: {exc}") from exc


def _parse_batch(raw: bytes, where: str, key: bytes = b"labels"
                 ) -> tuple[np.ndarray, np.ndarray]:
    try:
        batch = _BatchUnpickler(io.BytesIO(raw), encoding="bytes").load()
        data = np.asarray(batch[b"data"], dtype=np.uint8)
        labels = np.asarray(batch[key], dtype=np.int64)
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


def _read_batches(source: Path, archive_name: str = ARCHIVE, folder: str = _BATCH_DIR,
                  names: list[str] | None = None) -> tuple[dict[str, bytes], Path]:
    """The raw bytes of every batch file, and the path to name in messages."""
    names = names or [n for group in _BATCHES.values() for n in group]
    if source.is_file():
        archive = source
    elif (source / archive_name).is_file():
        archive = source / archive_name
    else:
        for directory in (source / folder, source):
            if (directory / names[0]).is_file():
                missing = [n for n in names if not (directory / n).is_file()]
                if missing:
                    raise DataError(f"CIFAR batch directory {directory} lacks {missing}")
                return {n: (directory / n).read_bytes() for n in names}, directory
        raise DataError(
            f"source {source} holds neither {archive_name}, nor {folder}/, nor the batch "
            f"files {', '.join(names)}"
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
    check = spec.option(options, "verify")
    if source is not None:
        source = Path(source)
        if not source.exists():
            raise DataError(f"source {source} of dataset {spec.name!r} does not exist")
        if is_npz(source):
            return load_npz_source(spec, source, verify=check)
        raw, where = _read_batches(source)
    else:
        raw, where = download.fetch_and_read(spec.name, ARCHIVE, cache_dir, _read_batches,
                                             offline=offline)
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
    parameters=BUILTIN,
    loader="imbench.datasets.cifar:load_cifar10",
    counts=(5000,) * 10,
)


ARCHIVE_100 = "cifar-100-python.tar.gz"
_FOLDER_100 = "cifar-100-python"
#: md5 of the pickles inside the official archive, as torchvision's CIFAR100 checks them
#: (torchvision.datasets.cifar.CIFAR100: train_list, test_list, meta). The bytes of the
#: members, not of the tarball, so a re-compressed mirror still passes.
MD5_100 = {"train": "16019d7e3df5f24257cddd939b257f8d",
           "test": "f0ef6b0ae62326f3e7ffdfab6717acfc",
           "meta": "7973b15100ade9c7d40fb424638fde48"}


def _load_cifar100(spec: DatasetSpec, *, cache_dir: str | os.PathLike[str],
                   source: str | os.PathLike[str] | None, offline: bool, labels: bytes,
                   names_key: bytes, options: dict[str, Any]) -> Dataset:
    check = spec.option(options, "verify")
    if source is not None:
        source = Path(source)
        if not source.exists():
            raise DataError(f"source {source} of dataset {spec.name!r} does not exist")
        if is_npz(source):
            return load_npz_source(spec, source, verify=check)
        raw, where = _read_batches(source, ARCHIVE_100, _FOLDER_100, list(MD5_100))
    else:
        raw, where = download.fetch_and_read(
            "cifar100", ARCHIVE_100, cache_dir,
            lambda path: _read_batches(path, ARCHIVE_100, _FOLDER_100, list(MD5_100)),
            offline=offline)
    if check:
        for name, expected in MD5_100.items():
            got = hashlib.md5(raw[name], usedforsecurity=False).hexdigest()
            if got != expected:
                raise DataError(
                    f"CIFAR-100 {where}:{name} has md5 {got}, not the official {expected}. "
                    + ("Delete it and run again to download afresh" if source is None
                       else f"Check that {source} holds the official CIFAR-100 python files")
                    + " (or set `verify: false` to accept modified data).")
    meta = _unpickle(raw["meta"], f"{where}:meta")
    try:
        class_names = tuple(n.decode() for n in meta[names_key])
    except (KeyError, TypeError, AttributeError) as exc:
        raise DataError(f"CIFAR-100 {where}:meta lacks {names_key.decode()}") from exc
    train = _parse_batch(raw["train"], f"{where}:train", labels)
    test = _parse_batch(raw["test"], f"{where}:test", labels)
    if len(class_names) != len(spec.class_names):
        raise DataError(f"CIFAR-100 {where}:meta names {len(class_names)} classes in "
                        f"{names_key.decode()}, expected {len(spec.class_names)}")
    return Dataset(*train, *test, class_names=class_names)


def _cifar100_loader(labels: bytes, names_key: bytes, doc: str) -> Any:
    def load(spec: DatasetSpec, *, cache_dir: str | os.PathLike[str],
             source: str | os.PathLike[str] | None = None, offline: bool = False,
             **options: Any) -> Dataset:
        return _load_cifar100(spec, cache_dir=cache_dir, source=source, offline=offline,
                              labels=labels, names_key=names_key, options=options)

    load.__doc__ = doc
    return load


#: CIFAR-100 with its 100 fine labels, from ``source`` (archive, folder or .npz) or the
#: cache / the official mirror; class names from the archive's ``meta``
load_cifar100 = _cifar100_loader(b"fine_labels", b"fine_label_names",
                                 "CIFAR-100 with its 100 fine labels (names from meta).")
#: the same archive with its 20 coarse labels (superclasses)
load_cifar100_coarse = _cifar100_loader(b"coarse_labels", b"coarse_label_names",
                                        "CIFAR-100 with its 20 coarse labels (superclasses).")


# The names are read from the archive's meta file when the data is loaded; before that
# (building the DAG) only their number matters.
CIFAR100 = DatasetSpec(
    name="cifar100",
    class_names=tuple(f"class {i}" for i in range(100)),
    image_shape=(32, 32, 3),
    flip_safe=True,
    parameters=BUILTIN,
    loader="imbench.datasets.cifar:load_cifar100",
    counts=(500,) * 100,
)
CIFAR100_COARSE = DatasetSpec(
    name="cifar100_coarse",
    class_names=tuple(f"superclass {i}" for i in range(20)),
    image_shape=(32, 32, 3),
    flip_safe=True,
    parameters=BUILTIN,
    loader="imbench.datasets.cifar:load_cifar100_coarse",
    counts=(2500,) * 20,
)

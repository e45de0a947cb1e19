"""Fetching built-in datasets into the cache, and verifying what was parsed.

Checksums are taken over the *decoded content*, never over the downloaded bytes: a mirror
that re-compresses a file (Debian strips the name from each gzip header, for instance) or
re-orders the samples still passes, while any changed pixel or label fails.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

import numpy as np

from ..errors import DataError
from ..io import atomic_path

T = TypeVar("T")

#: Base URLs tried in order; the file name is appended.
MIRRORS: dict[str, tuple[str, ...]] = {
    "mnist": (
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        # Listed last: often down or rate-limited.
        "http://yann.lecun.com/exdb/mnist/",
    ),
    "fashion_mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
    "cifar10": ("https://www.cs.toronto.edu/~kriz/",),
    "cifar100": ("https://www.cs.toronto.edu/~kriz/",),
}

#: Expected :func:`content_digest` per split: ``{dataset: {split: (count, sha256 hex)}}``.
#: ``"all"`` is train and test together (digits is split by imbench, not by its authors).
#: Computed from the complete official releases (the reference copies in shared/data/*.npz);
#: Fashion-MNIST cross-checked against Debian's dataset-fashion-mnist idx files parsed by
#: :func:`imbench.datasets.idx.read_idx`; digits from scikit-learn 1.9.1's load_digits.
EXPECTED_DIGESTS: dict[str, dict[str, tuple[int, str]]] = {
    "digits": {
        "all": (1797, "129b68dc36801cde6ab22f1c8d2c7b7b1f0f4e4cdb949e0e8d48ae8eb75203b8"),
    },
    "mnist": {
        "train": (60000, "fbcf623622aab0d61710482ac710304569942b73d1e6c59cc2c6a22af3aa3ea0"),
        "test": (10000, "4dc6f510bfb14ea66df4983d2f7feab03fbef313b3c8f01dc67e7b716216fdae"),
    },
    "fashion_mnist": {
        "train": (60000, "2f9b3fe27918ad6c5ee83e45bd1a2c375f03d464b9214863ef8ef14abc3b4f57"),
        "test": (10000, "3703dac0965260cae097ff53b02c8c737d53f789c05454f9328f7e7c83dcdf29"),
    },
    "cifar10": {
        "train": (50000, "17b2d7a2b9689dc77ac9f2c1fa8e02bd29f46547f0e9add49af748b0c297b2d8"),
        "test": (10000, "bdb2798bc50f0de72a7b8e6b431b547ccd61d940debcd39a37506583f7e4e663"),
    },
}

_TIMEOUT_S = 60
_CHUNK = 1 << 20


def content_digest(x: np.ndarray, y: np.ndarray) -> str:
    """Order-invariant sha256 of a labelled image set.

    Each sample hashes to ``sha256(label as one byte + image bytes)``; the result is the
    sha256 of the decimal count, a newline and the sorted per-sample digests. Images are
    hashed in C order, so ``(N, H, W)`` and ``(N, H, W, 1)`` give the same digest.
    """
    x = np.ascontiguousarray(x, dtype=np.uint8)
    y = np.asarray(y)
    if len(x) != len(y):
        raise DataError(f"{len(x)} images but {len(y)} labels")
    if y.size and (y.min() < 0 or y.max() > 255):
        raise DataError("labels must fit in one byte to be digested")
    # One row per sample: the label byte followed by the image bytes.
    rows = np.concatenate([y.astype(np.uint8)[:, None], x.reshape(len(x), -1)], axis=1)
    sample_digests = sorted(hashlib.sha256(row.tobytes()).digest() for row in rows)
    h = hashlib.sha256(f"{len(x)}\n".encode())
    for d in sample_digests:
        h.update(d)
    return h.hexdigest()


def verify(
    dataset: str,
    splits: Mapping[str, tuple[np.ndarray, np.ndarray]],
    files: Sequence[str | os.PathLike[str]] | Mapping[str, Sequence[str | os.PathLike[str]]],
    remedy: str,
) -> None:
    """Compare each split's :func:`content_digest` with :data:`EXPECTED_DIGESTS`.

    ``splits`` maps ``"train"``/``"test"`` to ``(x, y)``; an expected ``"all"`` entry is
    checked on train and test together. ``files`` (all, or per split) and ``remedy`` go into the
    error message.
    """
    expected = EXPECTED_DIGESTS.get(dataset)
    if expected is None:
        return
    for split, (n_expected, digest_expected) in expected.items():
        if split == "all":
            x = np.concatenate([splits["train"][0], splits["test"][0]])
            y = np.concatenate([splits["train"][1], splits["test"][1]])
        else:
            x, y = splits[split]
        named = files.get(split, files.get("all", [])) if isinstance(files, Mapping) else files
        where = ", ".join(str(f) for f in named)
        if len(x) != n_expected:
            raise DataError(
                f"dataset {dataset!r} ({where}): the {split} split has {len(x)} samples, "
                f"expected {n_expected}. {remedy}"
            )
        got = content_digest(x, y)
        if got != digest_expected:
            raise DataError(
                f"dataset {dataset!r} ({where}): content digest of the {split} split does not "
                f"match: expected {digest_expected}, got {got}. {remedy}"
            )


def cache_path(cache_dir: str | os.PathLike[str], loader: str, filename: str) -> Path:
    return Path(cache_dir).expanduser() / loader / filename


def fetch(
    loader: str,
    filename: str,
    cache_dir: str | os.PathLike[str],
    *,
    offline: bool = False,
    dataset_key: str | None = None,
) -> Path:
    """Return the cached ``cache_dir/<loader>/<filename>``, downloading it if absent.

    Mirrors of :data:`MIRRORS` are tried in order; a download is written to a ``.part`` file
    and renamed only when complete, so an interrupted download is never taken as cached.
    """
    target = cache_path(cache_dir, loader, filename)
    if target.is_file():
        return target
    urls = [base + filename for base in MIRRORS[loader]]
    failures: list[str] = []
    if not offline:
        for url in urls:
            try:
                _download(url, target)
                return target
            except (OSError, http.client.HTTPException, ValueError) as exc:
                # URLError and socket timeouts are OSErrors; try the next mirror.
                failures.append(f"  {url}: {exc}")
    key = dataset_key or loader
    if not failures:
        failures = [f"  {url} (not tried: offline)" for url in urls]
    tried = "\n".join(failures)
    raise DataError(
        f"could not obtain {filename} for dataset {loader!r}.\nURLs:\n{tried}\n"
        f"Either download it yourself and place it at {target}, or point the config at a local "
        f"copy (a directory holding the files, the archive, or an .npz with "
        f"x_train/y_train/x_test/y_test):\n"
        f"  datasets: {{{key}: {{loader: {loader}, source: /path/to/data}}}}"
    )


def fetch_and_read(loader: str, filename: str, cache_dir: str | os.PathLike[str],
                   read: Callable[[Path], T], *, offline: bool = False,
                   dataset_key: str | None = None) -> T:
    """``read`` the cached file (:func:`fetch` downloads it when absent). A cached file that
    cannot be read (a cut or damaged download) is moved aside to ``<name>.corrupt`` and
    fetched once more; offline, or when that fails too, the error says where it went and
    what to do, so a rerun never fails the same way on the same bad file."""
    path = fetch(loader, filename, cache_dir, offline=offline, dataset_key=dataset_key)
    try:
        return read(path)
    except DataError as exc:
        aside = path.with_name(path.name + ".corrupt")
        os.replace(path, aside)
        print(f"note: cached {path} cannot be read ({exc}); moved aside to {aside}",
              flush=True)
        if offline:
            raise DataError(f"{exc}. The cached file was moved aside to {aside}; put a good "
                            f"copy at {path}, or run without offline to download it "
                            "again") from exc
        try:
            return read(fetch(loader, filename, cache_dir, dataset_key=dataset_key))
        except DataError as again:
            raise DataError(f"{again} (a first copy could not be read either and was moved "
                            f"aside to {aside})") from again


def _download(url: str, target: Path) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": "imbench"})
    with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:
        with atomic_path(target) as tmp, open(tmp, "wb") as out:
            while chunk := response.read(_CHUNK):
                out.write(chunk)


__all__ = [
    "EXPECTED_DIGESTS",
    "MIRRORS",
    "cache_path",
    "content_digest",
    "fetch",
    "fetch_and_read",
    "verify",
]

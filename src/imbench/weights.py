"""Pretrained weights from a local file the user supplies: imbench never downloads them.

One check for every such file (ResNet-18 ImageNet weights, Inception-v3 FID weights): it
must exist, or the error says where to get it and which config key names it; its sha256
must match the one given or, as torchvision and torch-fidelity name their files, the hash
prefix in the file name."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from .errors import DataError

_HASH_IN_NAME = re.compile(r"-([0-9a-f]{8,64})\.pth?$")


def sha256_of(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def checked_weights_file(path: str | os.PathLike[str], *, what: str, url: str,
                         config_key: str, sha256: str | None = None,
                         sha256_key: str = "its sha256") -> Path:
    """``path`` after checking that it exists and has the expected sha256 (``sha256``, named
    ``sha256_key`` in the config, or the prefix in the file name)."""
    file = Path(os.path.expanduser(os.fspath(path)))
    if not file.is_file():
        raise DataError(
            f"{what} weights file {file} not found. Download {url} on a machine with network "
            f"access, copy it here and give its path as {config_key} (imbench does not "
            "download it)")
    expected = sha256
    if expected is None:
        match = _HASH_IN_NAME.search(file.name)
        if match is None:
            raise DataError(f"{file}: cannot check it: give {sha256_key}, or keep the "
                            "published file name (<name>-<sha256 prefix>.pth)")
        expected = match.group(1)
    got = sha256_of(file)
    if not got.startswith(expected.lower()):
        raise DataError(f"{file}: sha256 {got} does not match the expected {expected} "
                        "(a different or damaged file)")
    return file

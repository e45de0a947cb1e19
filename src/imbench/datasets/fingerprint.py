"""A content fingerprint of a local dataset source (a file, or a folder of images), so that
editing it reruns what was made from it.

Hashing every image of a large folder at each DAG build would be slow, so each file's digest
is cached by its (size, mtime) in ``cache_dir``; only new or changed files are read again.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ..io import write_text

_CHUNK = 1 << 20


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _files(root: Path) -> list[Path]:
    """Every non-hidden file under ``root`` (hidden folders skipped: the loader skips them)."""
    if root.is_file():
        return [root]
    out = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        out += [Path(folder) / f for f in sorted(files) if not f.startswith(".")]
    return out


def source_fingerprint(path: str | os.PathLike[str],
                       cache_dir: str | os.PathLike[str] | None = None) -> str:
    """sha256 over the relative path and content digest of every file of ``path``."""
    root = Path(path).expanduser().resolve()
    cache_file = None
    cached: dict[str, list] = {}
    if cache_dir is not None:
        key = hashlib.sha256(str(root).encode()).hexdigest()[:16]
        cache_file = Path(cache_dir) / "fingerprints" / f"{key}.json"
        try:
            cached = json.loads(cache_file.read_text())
        except (OSError, ValueError):
            cached = {}
    h = hashlib.sha256()
    fresh: dict[str, list] = {}
    for file in _files(root):
        rel = "." if file == root else file.relative_to(root).as_posix()
        st = file.stat()
        entry = cached.get(rel)
        if not (entry and entry[0] == st.st_size and entry[1] == st.st_mtime_ns):
            entry = [st.st_size, st.st_mtime_ns, _file_sha256(file)]
        fresh[rel] = entry
        h.update(f"{rel}\0{entry[2]}\n".encode())
    if cache_file is not None and fresh != cached:
        try:
            write_text(cache_file, json.dumps(fresh))
        except OSError:
            pass  # a read-only cache only costs speed
    return h.hexdigest()

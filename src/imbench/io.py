"""Atomic file writers: a result file either exists complete or not at all, so an interrupted
or failed run never leaves a half-written file that a later run takes as complete."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .errors import DataError


def file_mode() -> int:
    """The mode a new file gets under the process's umask (0644 under 022)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success.

    The file gets the mode a plainly created one would (the temporary file is private,
    0600, until then): on a shared project folder everyone the umask allows can read it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        if tmp_path.is_file():
            os.chmod(tmp_path, file_mode())
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


def save_npz(path: str | os.PathLike[str], **arrays: np.ndarray) -> None:
    """Write an uncompressed ``.npz`` atomically."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **arrays)


def load_npz(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` (no pickles), or a :class:`DataError` naming the file when
    it is missing, truncated or not an ``.npz`` at all."""
    try:
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise DataError(f"{path}: holds a single array, not the .npz archive its name says")
        with data:
            return {k: data[k] for k in data.files}
    except FileNotFoundError as exc:
        raise DataError(f"{path}: no such file") from exc
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        # np.load reads a text file as a pickle it may not load: say what the file is
        kind = "truncated or corrupt" if zipfile.is_zipfile(path) or _starts_zip(path) \
            else "not an .npz archive (no zip header)"
        raise DataError(f"{path}: {kind}; delete it and rerun ({type(exc).__name__}: "
                        f"{exc})") from exc


def _starts_zip(path: str | os.PathLike[str]) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == b"PK\x03\x04"
    except OSError:
        return False


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


#: a JSON result's record (what made it, and the digest of the rest of the file)
JSON_RECORD = "record"


def json_digest(obj: Mapping[str, Any]) -> str:
    """sha256 of a JSON object's content without its record, as the file holds it (written
    and read back give the same digest)."""
    body = {k: v for k, v in obj.items() if k != JSON_RECORD}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=_json_default)
    return hashlib.sha256(json.dumps(json.loads(text), sort_keys=True,
                                     separators=(",", ":")).encode()).hexdigest()


def write_json(path: str | os.PathLike[str], obj: Any,
               record: Mapping[str, Any] | None = None) -> None:
    """Write JSON atomically, keys sorted so equal content gives equal bytes. With
    ``record`` (what made the file), it is stored under ``"record"`` with the digest of the
    rest (``content_sha256``), which :func:`read_json` checks."""
    if record is not None:
        obj = {**obj, JSON_RECORD: {**record, "content_sha256": json_digest(obj)}}
    text = json.dumps(obj, indent=2, sort_keys=True, default=_json_default) + "\n"
    write_text(path, text)


def read_json(path: str | os.PathLike[str]) -> Any:
    """The JSON in ``path``; a DataError naming the file when it is truncated or not JSON
    (a newer-than-its-inputs file is never remade by itself: the message says to delete
    it)."""
    try:
        with open(path) as fh:
            obj = json.load(fh)
    except FileNotFoundError as exc:
        raise DataError(f"{path}: no such file") from exc
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: not valid JSON (truncated or edited: {exc}); delete it "
                        "and rerun to remake it") from exc
    record = obj.get(JSON_RECORD) if isinstance(obj, dict) else None
    if isinstance(record, dict) and "content_sha256" in record:
        if json_digest(obj) != record["content_sha256"]:
            raise DataError(f"{path}: its content does not match its record's digest (edited "
                            "after it was written); delete it and rerun to remake it")
    return obj


def write_text(path: str | os.PathLike[str], text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def save_figure(fig: Any, path: str | os.PathLike[str], **kwargs: Any) -> None:
    """Save a matplotlib figure atomically and close it."""
    import matplotlib.pyplot as plt

    suffix = Path(path).suffix.lstrip(".") or "png"
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=suffix, **kwargs)
    plt.close(fig)


def array_digest(*arrays: np.ndarray) -> str:
    """sha256 over dtype, shape and bytes of each array, in order."""
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()

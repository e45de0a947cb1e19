"""What made each data file, stored inside it, and the check every consumer makes before
using it.

A Snakemake rerun decision looks at paths, times and params, never at content: a file copied
over another (one augmenter's ``train.npz`` over another's), or arrays edited in place, would
be read as if they were the cell's own. So every ``.npz`` the workflow writes carries a
``__record__`` (a JSON string) with

* ``kind`` — what the file is (``raw``, ``imbalanced``, ``train``, ``features``,
  ``predictions``; :data:`KINDS`);
* ``path`` — where the workflow wrote it (relative to the working directory), so a copy
  elsewhere is recognised as one;
* ``config_sha256`` — the digest of the config sections that made it (:data:`KINDS` says
  which), checked against the config of the job reading it;
* ``arrays_sha256`` — recomputed from the arrays on every read, so an edit is caught;
* ``counts`` — per-class counts of ``y`` (or ``y_train``), where there is one;
* ``made_from`` — ``{input: {path, arrays_sha256}}`` of the files it was computed from.

A JSON side file (``counts.json``) records the ``.npz`` it describes the same way. Every
mismatch raises :class:`~imbench.errors.DataError` naming the file, the field, what it holds
and what was expected.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from .errors import DataError
from .io import array_digest, load_npz, read_json, save_npz, write_json
from .provenance import code_digest

RECORD_KEY = "__record__"

#: each recorded kind and the config sections (of a job's ``params.cell``) that make it
KINDS: dict[str, tuple[str, ...]] = {
    "raw": ("dataset",),
    "imbalanced": ("dataset", "imbalance"),
    "train": ("dataset", "imbalance", "augmenter"),
    # what trains a generator (Grid.generator_training): augmenters that differ only in
    # how many images they draw share one
    "generator": ("dataset", "imbalance", "generator"),
    "features": ("dataset", "imbalance", "augmenter", "classifier"),
    "predictions": ("dataset", "imbalance", "augmenter", "classifier"),
}


class Arrays(dict):
    """The arrays of a checked ``.npz`` (a plain dict) and its :attr:`record`."""

    record: dict[str, Any]


def config_digest(kind: str, config: Mapping[str, Any]) -> str:
    """sha256 of the sections of ``config`` that make a file of ``kind``."""
    if kind not in KINDS:
        raise ValueError(f"unknown record kind {kind!r}; known: {sorted(KINDS)}")
    missing = [s for s in KINDS[kind] if s not in config]
    if missing:
        raise ValueError(f"a {kind} file's config needs sections {list(KINDS[kind])}; "
                         f"missing {missing}")
    part = {s: config[s] for s in KINDS[kind]}
    text = json.dumps(part, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def arrays_digest(arrays: Mapping[str, np.ndarray]) -> str:
    """sha256 over the arrays in key order (names, dtypes, shapes and bytes)."""
    h = hashlib.sha256()
    for key in sorted(arrays):
        if key == RECORD_KEY:
            continue
        h.update(key.encode() + b"\0")
        h.update(array_digest(np.asarray(arrays[key])).encode())
    return h.hexdigest()


def _where(path: str | os.PathLike[str]) -> str:
    return os.path.normpath(os.fspath(path))


def _counts(arrays: Mapping[str, np.ndarray]) -> list[int] | None:
    for key in ("y", "y_train"):
        if key in arrays and np.asarray(arrays[key]).ndim == 1:
            y = np.asarray(arrays[key])
            if y.size and np.issubdtype(y.dtype, np.integer) and y.min() >= 0:
                return [int(c) for c in np.bincount(y)]
    return None


def _same_place(recorded: str, path: str) -> bool:
    # records hold the path relative to the working directory the workflow ran in; a
    # reader elsewhere (a test, a notebook) names the same file by a longer path
    return path == recorded or path.endswith(os.sep + recorded)


def source_of(record: Mapping[str, Any]) -> dict[str, str]:
    """What a file made from a recorded one stores in its ``made_from``."""
    return {"path": record["path"], "arrays_sha256": record["arrays_sha256"]}


def make_record(
    kind: str, path: str | os.PathLike[str], config: Mapping[str, Any],
    arrays: Mapping[str, np.ndarray], made_from: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The record of ``arrays`` about to be written to ``path``. ``made_from`` maps an input's
    name to its record (or :func:`source_of` it)."""
    record: dict[str, Any] = {
        "kind": kind,
        "path": _where(path),
        "config_sha256": config_digest(kind, config),
        "arrays_sha256": arrays_digest(arrays),
        "made_from": {k: source_of(v) for k, v in sorted((made_from or {}).items())},
        "code_sha256": code_digest(),
    }
    counts = _counts(arrays)
    if counts is not None:
        record["counts"] = counts
    return record


def file_record(
    kind: str, path: str | os.PathLike[str], config: Mapping[str, Any],
    made_from: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The record of a non-``.npz`` file (a ``generator.pt``): everything but the arrays."""
    return {"kind": kind, "path": _where(path), "config_sha256": config_digest(kind, config),
            "made_from": {k: source_of(v) for k, v in sorted((made_from or {}).items())},
            "code_sha256": code_digest()}


def save(
    path: str | os.PathLike[str], kind: str, config: Mapping[str, Any], *,
    made_from: Mapping[str, Mapping[str, Any]] | None = None, **arrays: np.ndarray,
) -> dict[str, Any]:
    """Write ``arrays`` to ``path`` (atomically) with their record; returns the record."""
    arrays = {k: np.asarray(v) for k, v in arrays.items()}
    record = make_record(kind, path, config, arrays, made_from)
    save_npz(path, **arrays, **{RECORD_KEY: np.array(json.dumps(record, sort_keys=True))})
    return record


def check(
    record: Mapping[str, Any], path: str | os.PathLike[str], kind: str,
    config: Mapping[str, Any] | None,
) -> None:
    """Raise :class:`DataError` unless ``record`` is that of a ``kind`` file written at
    ``path`` by a job with ``config`` (skipped when None)."""
    expected = {"kind": kind, "path": _where(path)}
    if config is not None:
        expected["config_sha256"] = config_digest(kind, config)
    for field, value in expected.items():
        if field == "path" and _same_place(str(record.get(field)), value):
            continue
        if record.get(field) != value:
            hint = {"path": " (a file copied from another cell?)",
                    "config_sha256": " (made under a different config"
                    + (", or the dataset's local source changed since" if kind == "raw"
                       else "") + ")"}.get(field, "")
            raise DataError(f"{path}: its record says {field} {record.get(field)!r}, "
                            f"expected {value!r}{hint}; delete it and rerun")


def load(
    path: str | os.PathLike[str], kind: str, config: Mapping[str, Any] | None = None,
) -> Arrays:
    """Read a recorded ``.npz`` after checking its record (kind, path, config digest) and
    recomputing its arrays' digest."""
    data = load_npz(path)
    if RECORD_KEY not in data:
        raise DataError(f"{path}: has no record of what made it (written by another tool or "
                        f"an older imbench); delete it and rerun")
    try:
        record = json.loads(str(data.pop(RECORD_KEY)))
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: its record is not valid JSON ({exc})") from exc
    check(record, path, kind, config)
    digest = arrays_digest(data)
    if digest != record.get("arrays_sha256"):
        raise DataError(f"{path}: its arrays have digest {digest} but its record says "
                        f"{record.get('arrays_sha256')} (edited after it was written); "
                        f"delete it and rerun")
    out = Arrays(data)
    out.record = record
    return out


def check_made_from(
    record: Mapping[str, Any], name: str, source: Mapping[str, Any],
    path: str | os.PathLike[str],
) -> None:
    """Raise unless the file whose ``record`` this is was made from ``source`` (a record)."""
    got = (record.get("made_from") or {}).get(name)
    if got != source_of(source):
        raise DataError(f"{path}: was made from {name} {got}, not from the current "
                        f"{source_of(source)}; delete it and rerun")


def write_json_result(path: str | os.PathLike[str], obj: Mapping[str, Any], kind: str, *,
                      made_from: Mapping[str, Mapping[str, Any]] | None = None) -> None:
    """Write a JSON result (``metrics``, ``quality``, ``selection``) with its record: what
    it is, where it was written, what it was made from, and its content's digest."""
    record = {"kind": kind, "path": _where(path),
              "made_from": {k: source_of(v) for k, v in sorted((made_from or {}).items())},
              "code_sha256": code_digest()}
    write_json(path, obj, record=record)


def read_json_result(path: str | os.PathLike[str], kind: str | None = None) -> dict[str, Any]:
    """A JSON result written by :func:`write_json_result` (``kind``: the one expected, or
    any): refused, naming the file, when it is not valid JSON, has no record, is of another
    kind or place, or was edited after it was written."""
    obj = read_json(path)  # checks the content against the record's digest
    record = obj.get("record") if isinstance(obj, dict) else None
    if not isinstance(record, dict) or "content_sha256" not in record:
        raise DataError(f"{path}: has no record of what made it (written by another tool or "
                        "an older imbench, or edited); delete it and rerun")
    check(record, path, record["kind"] if kind is None else kind, None)
    return obj


def write_json_describing(
    path: str | os.PathLike[str], obj: Mapping[str, Any], kind: str,
    config: Mapping[str, Any], describes: Mapping[str, Any],
) -> None:
    """Write a JSON side file of a recorded ``.npz`` (whose record is ``describes``)."""
    record = {"kind": f"{kind}_json", "path": _where(path),
              "config_sha256": config_digest(kind, config), "describes": source_of(describes),
              "code_sha256": code_digest()}
    write_json(path, obj, record=record)


def read_json_describing(
    path: str | os.PathLike[str], kind: str, config: Mapping[str, Any] | None = None,
    describes: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Read a JSON side file written by :func:`write_json_describing`, checking its record
    and, given the record of the ``.npz`` it should describe, that it describes that file."""
    obj = read_json(path)  # valid JSON whose content matches its record's digest
    record = obj.get("record") if isinstance(obj, dict) else None
    if not isinstance(record, dict):
        raise DataError(f"{path}: has no record of what made it; delete it and rerun")
    check(record, path, f"{kind}_json", None)
    if config is not None and record.get("config_sha256") != config_digest(kind, config):
        raise DataError(f"{path}: made under a different config (config_sha256 "
                        f"{record.get('config_sha256')}); delete it and rerun")
    if describes is not None and record.get("describes") != source_of(describes):
        raise DataError(f"{path}: describes {record.get('describes')}, not "
                        f"{source_of(describes)} (the two files are from different runs or "
                        f"cells); delete both and rerun")
    return obj

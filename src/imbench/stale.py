"""Which results were made by other code than the installed imbench.

Snakemake reruns a job when its inputs, params, script or environment change, not when a
module the script imports does. Every file imbench writes records the digest of the package
code that made it (``code_sha256``, :func:`imbench.provenance.code_digest`); this lists the
files whose digest is another one (or none: an older imbench), so that::

    snakemake --forcerun $(python -m imbench.stale)

reruns exactly the jobs that made them, and what depends on those.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .provenance import code_digest
from .records import RECORD_KEY

#: the workflow's folders of results, relative to its working directory
FOLDERS = ("data", "models", "results")


#: what :func:`recorded_code` returns for a file that records nothing (not a result)
UNRECORDED = "unrecorded"


def recorded_code(path: Path) -> str | None:
    """The code digest a result file records: None when it has a record without one (an
    older imbench), :data:`UNRECORDED` when it has no record at all."""
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as data:
            if RECORD_KEY not in data.files:
                return UNRECORDED
            record = json.loads(str(data[RECORD_KEY]))
        return record.get("code_sha256")
    obj = json.loads(path.read_text())
    blocks = [obj.get(b) for b in ("record", "provenance")] if isinstance(obj, dict) else []
    blocks = [b for b in blocks if isinstance(b, dict)]
    if not blocks:
        return UNRECORDED
    return next((b["code_sha256"] for b in blocks if "code_sha256" in b), None)


def results(workdir: str | os.PathLike[str] = ".") -> Iterator[Path]:
    """Every recorded result under the workflow's folders (checkpoints are working files)."""
    root = Path(workdir)
    for folder in FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            if path.suffix in (".npz", ".json") and path.is_file() \
                    and "checkpoints" not in path.parts:
                yield path


def stale(workdir: str | os.PathLike[str] = ".") -> list[Path]:
    """The result files made by other code than this one, relative to ``workdir``."""
    current = code_digest()
    return [p.relative_to(workdir) for p in results(workdir)
            if recorded_code(p) not in (current, UNRECORDED)]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("workdir", nargs="?", default=".", help="the workflow's working directory")
    args = ap.parse_args(argv)
    for path in stale(args.workdir):
        print(path.as_posix())


if __name__ == "__main__":
    main()

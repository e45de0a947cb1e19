"""What every result file records about how it was made."""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import importlib.metadata
import platform
import subprocess
from pathlib import Path
from typing import Any

_PACKAGES = (
    "imbench", "numpy", "pandas", "scipy", "scikit-learn", "scikit-image",
    "imbalanced-learn", "matplotlib", "snakemake", "torch", "diffusers",
    "tensorflow-cpu", "tensorflow",
    "keras",
)


def package_versions(extra: tuple[str, ...] = ()) -> dict[str, str]:
    """Installed versions of the packages that can change a result (missing ones omitted)."""
    out = {}
    for name in (*_PACKAGES, *extra):
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


def git_commit(path: str | Path | None = None) -> str | None:
    """The commit of the checkout holding ``path`` (``+dirty`` when modified), or None."""
    cwd = Path(path) if path else Path(__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd, capture_output=True, text=True, check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit + ("+dirty" if dirty else "")


@functools.cache
def code_digest() -> str:
    """sha256 of the imbench package's code (every ``.py`` and ``.yaml`` file under it, by
    relative path and content): two results made by the same code carry the same digest,
    whatever the checkout's commit says (``python -m imbench.stale`` lists the others)."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.suffix in (".py", ".yaml")
                       and "__pycache__" not in p.parts):
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def provenance(config: dict[str, Any], seed: int | None) -> dict[str, Any]:
    """The block stored under ``"provenance"`` in every result file.

    ``created`` is the only field that differs between two identical runs.
    """
    return {
        "config": config,
        "seed": seed,
        "versions": package_versions(),
        "git_commit": git_commit(),
        "code_sha256": code_digest(),
        "python": platform.python_version(),
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }

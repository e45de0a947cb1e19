"""What every result file records about how it was made."""

from __future__ import annotations

import datetime as _dt
import importlib.metadata
import platform
import subprocess
from pathlib import Path
from typing import Any

_PACKAGES = (
    "imbench", "numpy", "pandas", "scipy", "scikit-learn", "scikit-image",
    "imbalanced-learn", "matplotlib", "snakemake", "torch", "tensorflow-cpu", "tensorflow",
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


def provenance(config: dict[str, Any], seed: int | None) -> dict[str, Any]:
    """The block stored under ``"provenance"`` in every result file.

    ``created`` is the only field that differs between two identical runs.
    """
    return {
        "config": config,
        "seed": seed,
        "versions": package_versions(),
        "git_commit": git_commit(),
        "python": platform.python_version(),
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }

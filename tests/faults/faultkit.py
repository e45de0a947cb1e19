"""Helpers of the fault-injection suite (see conftest.py).

Fault injection: a clean tiny run, copied per test, then broken one way at a time.

Each test copies a finished run (data, models, results and Snakemake's own metadata, with
their modification times), injects one fault a skeptical user might (a swapped file, an
edited array, an edited source folder, a config typo) and reruns the same command: the run
must fail with a message naming the file and what is wrong, or rerun to the right result.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / ".test" / "config.yaml"


def snakemake(workdir: Path, config: Path, *args: str, timeout: int = 600
              ) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d", str(workdir),
           "--configfile", str(config), "--cores", "2", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def output_and_logs(workdir: Path, result: subprocess.CompletedProcess) -> str:
    """Everything a user would read after a failed run: the console and every job log."""
    logs = "\n".join(p.read_text() for p in sorted((workdir / "logs").rglob("*.log")))
    return f"{result.stdout}\n{result.stderr}\n{logs}"


def ok(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    return result


def write_png_folder(root: Path, counts: dict[str, int], seed: int = 0) -> None:
    """Digits-like 8x8 grey PNGs, ``counts[name]`` of them per class folder."""
    import skimage.io
    from sklearn.datasets import load_digits

    digits = load_digits()
    rng = np.random.default_rng(seed)
    for c, (name, n) in enumerate(sorted(counts.items())):
        (root / name).mkdir(parents=True, exist_ok=True)
        pool = np.flatnonzero(digits.target == c)
        existing = len(list((root / name).glob("*.png")))
        for i in range(n):
            img = (digits.images[rng.choice(pool)] * 255 / 16).astype(np.uint8)
            skimage.io.imsave(root / name / f"{existing + i:03d}.png", img,
                              check_contrast=False)



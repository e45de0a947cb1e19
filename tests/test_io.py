"""Atomic writers: a failed or killed writer leaves no file that looks complete."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from imbench.io import array_digest, atomic_path, load_npz, read_json, save_npz, write_json


def test_exception_mid_write_leaves_nothing(tmp_path):
    target = tmp_path / "out.npz"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("interrupted")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_previous_result(tmp_path):
    target = tmp_path / "metrics.json"
    write_json(target, {"accuracy": 0.9})
    with pytest.raises(TypeError):
        write_json(target, {"bad": object()})
    assert read_json(target) == {"accuracy": 0.9}


def test_killed_process_leaves_no_target(tmp_path):
    # SIGKILL inside the write: no finally clause runs, as when SLURM kills a job.
    target = tmp_path / "big.npz"
    code = (
        "import os, signal\n"
        "from imbench.io import atomic_path\n"
        f"with atomic_path({str(target)!r}) as tmp:\n"
        "    tmp.write_bytes(b'x' * 1000)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    result = subprocess.run([sys.executable, "-c", code])
    assert result.returncode != 0
    assert not target.exists()


def test_npz_round_trip_and_digest(tmp_path):
    x = np.arange(24, dtype=np.uint8).reshape(2, 3, 4, 1)
    y = np.array([0, 1])
    save_npz(tmp_path / "a.npz", x=x, y=y)
    data = load_npz(tmp_path / "a.npz")
    np.testing.assert_array_equal(data["x"], x)
    assert array_digest(data["x"], data["y"]) == array_digest(x, y)
    assert array_digest(x, y) != array_digest(x, y[::-1])
    assert array_digest(x) != array_digest(x.astype(np.int16))

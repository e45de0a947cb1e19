"""What was already right when issue 13 was filed, kept so: interrupted runs resume to the
same numbers, predictions on another test set are refused, a second run in the same
folder is locked out."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from faultkit import REPO, TINY, ok, output_and_logs, snakemake

from imbench import records
from imbench.io import load_npz

pytestmark = pytest.mark.slow


def metrics(workdir: Path) -> dict[str, dict]:
    out = {}
    for path in sorted((workdir / "results").rglob("metrics.json")):
        data = json.loads(path.read_text())
        data["provenance"].pop("created")
        data["record"].pop("content_sha256")  # of the content, "created" included
        out[str(path.relative_to(workdir))] = data
    return out


def start(workdir: Path, *args: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d", str(workdir),
           "--configfile", str(TINY), "--cores", "2", *args]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for(predicate, proc: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None and not predicate():
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be interrupted"


def interrupt(proc: subprocess.Popen, sig: int) -> None:
    """Signal the run until it stops, as a user presses Ctrl-C again: Snakemake's log
    handler drops a KeyboardInterrupt that lands while it writes a line."""
    for _ in range(10):
        proc.send_signal(sig)
        try:
            proc.communicate(timeout=30)
            return
        except subprocess.TimeoutExpired:
            continue
    pytest.fail(f"the run ignored {sig!r} ten times")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signalled_run_resumes_to_the_clean_runs_numbers(tiny_run, tmp_path, sig):
    workdir = tmp_path / "run"
    proc = start(workdir)
    wait_for(lambda: any((workdir / "data" / "digits").glob("*/seed0/imbalanced.npz")), proc)
    interrupt(proc, sig)
    assert proc.returncode != 0
    assert not (workdir / "results" / "summary.csv").exists()
    ok(snakemake(workdir, TINY))
    assert metrics(workdir) == metrics(tiny_run)


def test_predictions_made_on_another_test_set_are_refused(run_copy):
    path = run_copy / "results/digits/step/none/svm/seed0/predictions.npz"
    data = load_npz(path)
    record = json.loads(str(data.pop(records.RECORD_KEY)))
    original = str(data["test_sha256"])
    data["test_sha256"] = np.array("0" * 64)
    record["arrays_sha256"] = records.arrays_digest(data)
    np.savez(path, **data, **{records.RECORD_KEY: np.array(json.dumps(record))})
    result = snakemake(run_copy, TINY)
    assert result.returncode != 0
    text = output_and_logs(run_copy, result)
    assert f"a test set with digest {'0' * 64}, not the original test set" in text
    assert original in text


def test_a_second_run_in_the_same_folder_is_locked_out(run_copy):
    first = start(run_copy, "--forcerun", "fetch_dataset")
    try:
        wait_for(lambda: any((run_copy / ".snakemake" / "locks").glob("*")), first)
        second = snakemake(run_copy, TINY)
        assert second.returncode != 0
        assert "Directory cannot be locked" in second.stdout + second.stderr
    finally:
        if first.poll() is None:
            os.kill(first.pid, signal.SIGTERM)
        first.communicate(timeout=300)

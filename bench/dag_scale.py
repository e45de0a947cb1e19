"""Dry-run DAG build time and job count of a large grid, and how both grow as it doubles.

    .venv/bin/python bench/dag_scale.py                    # 4 x 7 x 5 x 1 x 5 (issue 2's grid)
    .venv/bin/python bench/dag_scale.py --seeds 5 10 20    # growth as the seed axis doubles

Nothing is computed: `snakemake -n` builds the whole DAG (every input function, every
wildcard match) in an empty working directory, so every job is pending.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
DATASETS = ["digits", "mnist", "fashion_mnist", "cifar10"]
# Protocols valid on every built-in dataset (digits' smallest training class has ~130 images).
PROTOCOLS = {
    "none": {"protocol": "none"},
    "drop": {"protocol": "drop", "drop": {3: 100, 4: 110, 5: 100, 7: 105}},
    "keep": {"protocol": "keep_ratio", "keep": {1: 0.2}},
    "step20": {"protocol": "step", "mu": 0.1, "rho": 20, "classes": [0]},
    "linear10": {"protocol": "linear", "rho": 10},
    "lt100": {"protocol": "exponential", "rho": 100},
    "counts": {"protocol": "counts", "counts": {0: 50, 1: 60}},
}
AUGMENTERS = ["none", "ros", "rus", "smote", "transforms"]


def grid_config(n_datasets: int, n_protocols: int, n_augmenters: int, n_seeds: int) -> dict:
    protocols = dict(list(PROTOCOLS.items())[:n_protocols])
    augmenters = {f"{m}{i}" if i else m: {"method": m}
                  for i in range((n_augmenters + 4) // 5) for m in AUGMENTERS}
    return {
        "datasets": {d: {} for d in DATASETS[:n_datasets]},
        "imbalances": protocols,
        "augmenters": dict(list(augmenters.items())[:n_augmenters]),
        "classifiers": {"svm": {"method": "svm"}},
        "seeds": list(range(n_seeds)),
    }


def dry_run(config: dict) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.yaml"
        path.write_text(yaml.safe_dump(config))
        cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d", tmp,
               "--configfile", str(path), "-n", "--quiet", "rules", "--cores", "2"]
        start = time.perf_counter()
        result = subprocess.run(cmd, capture_output=True, text=True, check=True)
        elapsed = time.perf_counter() - start
    match = re.search(r"^total\s+(\d+)", result.stdout + result.stderr, re.MULTILINE)
    if not match:
        raise RuntimeError(f"no job count in:\n{result.stdout}\n{result.stderr}")
    return elapsed, int(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=4)
    parser.add_argument("--protocols", type=int, default=7)
    parser.add_argument("--augmenters", type=int, default=5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[5])
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "dag_scale.json")
    args = parser.parse_args()
    rows = []
    for n_seeds in args.seeds:
        config = grid_config(args.datasets, args.protocols, args.augmenters, n_seeds)
        cells = (len(config["datasets"]) * len(config["imbalances"]) * len(config["augmenters"])
                 * len(config["classifiers"]) * n_seeds)
        seconds, jobs = dry_run(config)
        rows.append({"cells": cells, "jobs": jobs, "dry_run_s": round(seconds, 2),
                     "grid": f"{args.datasets}x{args.protocols}x{args.augmenters}x1x{n_seeds}"})
        print(f"{rows[-1]['grid']:>14}  cells {cells:>6}  jobs {jobs:>6}  "
              f"dry-run {seconds:6.1f} s  ({1000 * seconds / jobs:.1f} ms/job)", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()

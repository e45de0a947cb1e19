"""Dry-run DAG build time, job count and cluster submissions of a paper-scale grid, and how
they grow as the grid doubles, each against a bare Snakemake DAG of the same shape built in
the same run (so the ratios hold on a noisy machine).

    .venv/bin/python bench/dag_scale.py                      # 4x6x12x6x5, then 2x and 4x seeds
    .venv/bin/python bench/dag_scale.py --grid 4x7x5x1x5 --doublings 0
    .venv/bin/python bench/dag_scale.py --axis augmenters    # double another axis
    .venv/bin/python bench/dag_scale.py --no-cluster         # skip the --profile gpu pass
    .venv/bin/python bench/dag_scale.py --profile-dag out.prof   # cProfile one dry-run

A grid is DATASETS x PROTOCOLS x AUGMENTERS x CLASSIFIERS x SEEDS. Nothing is computed:
`snakemake -n` builds the whole DAG (every input function, every wildcard match) in an empty
working directory, so every job is pending. Per grid it reports

* `bare`: a touch-only Snakefile of five rules (raw, imbalance, augment, train, evaluate)
  over the same axes, dry-run the same way: its jobs, wall, CPU and peak memory;
* `bare.dressed`: that Snakefile with imbench's kinds of directives on every stage rule
  (an input function, five params that are functions, a log, a benchmark, a conda env,
  threads, a `script:`) and none of imbench's code: what Snakemake itself charges per job
  for them, and `ms_per_job_vs_dressed`, imbench's per-job time over it;
* `dry_run_s`, `jobs`: a plain dry-run (`--quiet rules`), the DAG build a user waits for,
  with its CPU time and peak memory (`cpu_s`, `peak_mb`), and `ms_per_job_vs_bare`;
* `parse_s`: what every cluster job pays before it runs: Snakemake reading the Snakefile
  with this config (`--list-rules`: the grid, the report plan and the target list, no DAG),
  beside the bare Snakefile's;
* `cluster_dry_run_s`, `submissions`: the same grid under the cluster profile (`--profile
  gpu`: groups and group-components as on SLURM), counting what would be handed to sbatch:
  group jobs, plus jobs outside any group, less local rules and the target rule `all`;
  `submissions_by` splits them (gpu: jobs on the GPU partition); `cluster_vs_plain` is its
  wall over the plain dry-run's.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
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
# Five classic augmenters and the seven generative ones (per-class and conditional GANs).
AUGMENTERS = ["none", "ros", "rus", "smote", "transforms",
              "gan", "dcgan", "wgan_gp", "cgan", "acgan", "cs_acgan", "bagan"]
# Classifier variants: every registered method, then SVM settings, until there are enough.
SVM_VARIANTS = [
    {"method": "svm", "params": {"features": "hog"}},
    {"method": "svm", "params": {"features": "pixels"}},
    {"method": "svm", "params": {"features": "hog", "class_weight": "balanced"}},
    {"method": "svm", "params": {"features": "pixels", "class_weight": "balanced"}},
    {"method": "svm", "params": {"features": "hog", "C": 1.0}},
    {"method": "svm", "params": {"features": "pixels", "C": 1.0}},
]
AXES = ("datasets", "protocols", "augmenters", "classifiers", "seeds")


def classifier_pool() -> dict[str, dict]:
    """Registered neural classifiers first (so a grid exercises the GPU rules once they
    exist), then SVM variants."""
    from imbench.classify import CLASSIFIERS

    pool = {m: {"method": m} for m in CLASSIFIERS if CLASSIFIERS[m].stage != "cpu"}
    for i, cfg in enumerate(SVM_VARIANTS):
        pool[f"svm{i}"] = cfg
    return pool


def numbered(names: list[str], n: int) -> list[tuple[str, str]]:
    """n (key, method) pairs cycling through names: ros, ..., bagan, ros1, ..."""
    return [(names[i % len(names)] + (str(i // len(names)) if i >= len(names) else ""),
             names[i % len(names)]) for i in range(n)]


def grid_config(shape: dict[str, int]) -> dict:
    if shape["datasets"] > len(DATASETS):
        raise SystemExit(f"at most {len(DATASETS)} datasets")
    protocols = [(f"{k}{i}" if i else k, v) for i in range(shape["protocols"] // 7 + 1)
                 for k, v in PROTOCOLS.items()][: shape["protocols"]]
    pool = list(classifier_pool().items())
    classifiers = {(k if i < len(pool) else f"{k}_{i}"): v
                   for i, (k, v) in enumerate(pool[j % len(pool)]
                                              for j in range(shape["classifiers"]))}
    return {
        "datasets": {d: {} for d in DATASETS[: shape["datasets"]]},
        "imbalances": dict(protocols),
        "augmenters": {k: {"method": m} for k, m in numbered(AUGMENTERS, shape["augmenters"])},
        "classifiers": classifiers,
        "seeds": list(range(shape["seeds"])),
    }


def snakemake_cmd(config_path: Path, workdir: Path, *extra: str) -> list[str]:
    return [str(REPO / ".venv" / "bin" / "snakemake") if (REPO / ".venv").exists()
            else "snakemake", "-s", str(REPO / "Snakefile"), "-d", str(workdir),
            "--configfile", str(config_path), "-n", *extra]


def measured(cmd: list[str], cwd: Path) -> tuple[dict, str]:
    """Run cmd; its wall time, CPU time (user + system) and peak resident memory, read
    from the child's own rusage (os.wait4), and its output."""
    with tempfile.TemporaryFile("w+") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{text[-5000:]}")
    # ru_maxrss is in KiB on Linux
    return {"wall_s": round(elapsed, 2), "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "peak_mb": round(usage.ru_maxrss / 1024)}, text


def run(cmd: list[str], cwd: Path) -> tuple[float, str]:
    stats, text = measured(cmd, cwd)
    return stats["wall_s"], text


BARE_SNAKEFILE = """\
# bench/dag_scale.py's baseline: imbench's five stages over the same axes, touch only.
D, P, A, C, S = {axes}

wildcard_constraints:
    d="[^/]+", p="[^/]+", a="[^/]+", c="[^/]+", s="[^/]+"

rule all:
    input: expand("metrics/{{d}}/{{p}}/{{a}}/{{c}}/{{s}}.json", d=D, p=P, a=A, c=C, s=S)

rule raw:
    output: touch("raw/{{d}}.npz")

rule imbalance:
    input: "raw/{{d}}.npz"
    output: touch("imbalanced/{{d}}/{{p}}/{{s}}.npz")

rule augment:
    input: "imbalanced/{{d}}/{{p}}/{{s}}.npz"
    output: touch("augmented/{{d}}/{{p}}/{{a}}/{{s}}.npz")

rule train:
    input: "augmented/{{d}}/{{p}}/{{a}}/{{s}}.npz"
    output: touch("models/{{d}}/{{p}}/{{a}}/{{c}}/{{s}}.pkl")

rule evaluate:
    input: "models/{{d}}/{{p}}/{{a}}/{{c}}/{{s}}.pkl"
    output: touch("metrics/{{d}}/{{p}}/{{a}}/{{c}}/{{s}}.json")
"""


def bare_snakefile(config: dict) -> str:
    axes = (list(config["datasets"]), list(config["imbalances"]), list(config["augmenters"]),
            list(config["classifiers"]), [f"seed{s:03d}" for s in config["seeds"]])
    return BARE_SNAKEFILE.format(axes=repr(axes))


#: the bare Snakefile's rules dressed as imbench's are: inputs from a function, five params
#: that are functions of the wildcards (imbench's rules have 3-7), a log, a benchmark, a
#: conda env, threads and a script (Snakemake reads a script rule's source for every job it
#: plans), and nothing computed in them (each lambda returns its wildcards)
DRESS = """\
    log: "logs/{rule}/{key}.log"
    benchmark: "benchmarks/{rule}/{key}.tsv"
    conda: "env.yaml"
    threads: 1
    params:
        a=lambda wc: dict(wc.items()), b=lambda wc: wc[0], c=lambda wc: len(wc),
        d=lambda wc: [wc[0]], e=lambda wc: {{"cell": dict(wc.items())}}
    script: "job.py"
"""


def dressed_snakefile(config: dict) -> str:
    """:func:`bare_snakefile` with every stage rule wearing :data:`DRESS`: the same DAG,
    with what Snakemake does per job for imbench's directives and none of imbench's code."""
    lines, rule = [], None
    keys = {"raw": "{d}", "imbalance": "{d}/{p}/{s}", "augment": "{d}/{p}/{a}/{s}",
            "train": "{d}/{p}/{a}/{c}/{s}", "evaluate": "{d}/{p}/{a}/{c}/{s}"}
    for line in bare_snakefile(config).splitlines():
        if line.startswith("rule "):
            rule = line[5:].rstrip(":")
        if rule in keys and line.strip().startswith("input:"):
            path = line.split("input:", 1)[1].strip()
            line = f"    input: lambda wc: expand({path}, **dict(wc.items()))"
        lines.append(line)
        if rule in keys and line.strip().startswith("output:"):
            lines.append(DRESS.format(rule=rule, key=keys[rule]).rstrip("\n"))
    return "\n".join(lines) + "\n"


def snakemake_exe() -> str:
    venv = REPO / ".venv" / "bin" / "snakemake"
    return str(venv) if venv.exists() else "snakemake"


def total_jobs(output: str) -> int:
    match = re.search(r"^total\s+(\d+)", output, re.MULTILINE)
    if not match:
        raise RuntimeError(f"no job count in:\n{output[-3000:]}")
    return int(match.group(1))


def local_rules() -> set[str]:
    """Rules that run on the submit host, never submitted: named in a `localrules:`
    directive, marked `localrule: True`, or report rules without a cluster group."""
    from imbench.plan.reports import LOCAL_REPORT_RULES

    names = {"all", *LOCAL_REPORT_RULES}
    for smk in [REPO / "Snakefile", *sorted((REPO / "rules").glob("*.smk"))]:
        text = smk.read_text()
        for block in re.findall(r"^localrules:\s*\n((?:[ \t]+\S.*\n?)+)", text, re.MULTILINE):
            names |= {n.strip() for n in block.replace("\n", ",").split(",") if n.strip()}
        for rule in re.split(r"^rule ", text, flags=re.MULTILINE)[1:]:
            if re.search(r"^\s+localrule: True$", rule, re.MULTILINE):
                names.add(rule.split(":", 1)[0].strip())
    return names


def count_submissions(output: str) -> Counter:
    """What the cluster executor would submit, from a dry-run's job listing
    (`--quiet reason host`): top-level `rule X:` entries and `Group job G` entries."""
    kinds: Counter = Counter()
    current = None
    local = local_rules()
    for line in output.splitlines():
        if line.startswith("rule "):
            name = line[5:].rstrip(":")
            current = None if name in local else f"rule:{name}"
            if current:
                kinds[current] += 1
        elif "] Group job " in line or line.startswith("Group job "):
            group = line.split("Group job ", 1)[1].split(" (", 1)[0]
            current = "group:" + re.sub(r"_.*", "", group)
            kinds[current] += 1
        elif line.startswith("localrule "):
            current = None
        elif current and current.startswith("rule:") and "slurm_partition=gpu" in line:
            kinds["gpu_jobs"] += 1
    return kinds


def measure(shape: dict[str, int], cluster: bool, profile_out: Path | None = None) -> dict:
    config = grid_config(shape)
    cells = 1
    for axis in AXES:
        cells *= shape[axis]
    row: dict = {"grid": "x".join(str(shape[a]) for a in AXES), "cells": cells}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        config_path = workdir / "config.yaml"
        config_path.write_text(yaml.safe_dump(config))
        cmd = snakemake_cmd(config_path, workdir, "--quiet", "rules", "--cores", "2")
        if profile_out is not None:
            exe = str(REPO / ".venv" / "bin" / "python") if (REPO / ".venv").exists() \
                else sys.executable
            cmd = [exe, "-m", "cProfile", "-o", str(profile_out), "-m", "snakemake", *cmd[1:]]
            seconds, out = run(cmd, REPO)
            row.update(jobs=total_jobs(out), dry_run_s=round(seconds, 2))
            return row
        # The baseline first, in its own empty directory, with the same flags.
        bare_dir = workdir / "bare"
        bare_dir.mkdir()
        (bare_dir / "Snakefile").write_text(bare_snakefile(config))
        bare_cmd = [snakemake_exe(), "-s", str(bare_dir / "Snakefile"), "-d", str(bare_dir)]
        stats, out = measured([*bare_cmd, "-n", "--quiet", "rules", "--cores", "2"], bare_dir)
        bare = {"jobs": total_jobs(out), **stats}
        parse, _ = measured([*bare_cmd, "--list-rules"], bare_dir)
        bare["parse_s"] = parse["wall_s"]
        # the same DAG with imbench's kinds of directives: Snakemake's own cost for them
        dressed_dir = workdir / "dressed"
        dressed_dir.mkdir()
        (dressed_dir / "Snakefile").write_text(dressed_snakefile(config))
        (dressed_dir / "env.yaml").write_text("dependencies: [python]\n")
        (dressed_dir / "job.py").write_text("# never run: dry-runs only\n")
        stats, out = measured([snakemake_exe(), "-s", str(dressed_dir / "Snakefile"), "-d",
                               str(dressed_dir), "-n", "--quiet", "rules", "--cores", "2"],
                              dressed_dir)
        bare["dressed"] = {"jobs": total_jobs(out), **stats}
        stats, out = measured(cmd, REPO)
        jobs = total_jobs(out)
        parse, _ = measured([snakemake_exe(), "-s", str(REPO / "Snakefile"), "-d", str(workdir),
                             "--configfile", str(config_path), "--list-rules"], REPO)
        row.update(jobs=jobs, dry_run_s=stats["wall_s"], cpu_s=stats["cpu_s"],
                   peak_mb=stats["peak_mb"], parse_s=parse["wall_s"], bare=bare,
                   ms_per_job_vs_bare=round((stats["wall_s"] / jobs)
                                            / (bare["wall_s"] / bare["jobs"]), 2),
                   ms_per_job_vs_dressed=round(
                       (stats["wall_s"] / jobs)
                       / (bare["dressed"]["wall_s"] / bare["dressed"]["jobs"]), 2))
        if cluster:
            # From the repo root, exactly as a user types it (profile `gpu`).
            cmd = snakemake_cmd(config_path, workdir, "--profile", "gpu",
                                "--quiet", "reason", "host")
            seconds, out = run(cmd, REPO)
            kinds = count_submissions(out)
            gpu = kinds.pop("gpu_jobs", 0)
            by: Counter = Counter()
            for kind, n in kinds.items():
                by["group_jobs" if kind.startswith("group:") else "single_jobs"] += n
            row.update(cluster_dry_run_s=round(seconds, 2),
                       cluster_vs_plain=round(seconds / row["dry_run_s"], 2),
                       submissions=sum(kinds.values()),
                       submissions_by={**dict(sorted(kinds.items())), **by, "gpu": gpu})
    return row


def parse_grid(text: str) -> dict[str, int]:
    parts = [int(p) for p in text.lower().split("x")]
    if len(parts) != len(AXES):
        raise SystemExit(f"--grid needs {len(AXES)} numbers: {'x'.join(AXES)}")
    return dict(zip(AXES, parts, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", default="4x6x12x6x5", help="x".join(AXES))
    parser.add_argument("--axis", default="seeds", choices=AXES, help="the axis to double")
    parser.add_argument("--doublings", type=int, default=2)
    parser.add_argument("--no-cluster", action="store_true",
                        help="skip the dry-run under the cluster profile")
    parser.add_argument("--profile-dag", type=Path, metavar="OUT.prof",
                        help="cProfile the plain dry-run of --grid into this file and stop")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "dag_scale.json")
    args = parser.parse_args()
    shape = parse_grid(args.grid)
    os.environ.setdefault("PYTHONHASHSEED", "0")
    if args.profile_dag:
        row = measure(shape, cluster=False, profile_out=args.profile_dag)
        print(json.dumps(row))
        import pstats

        pstats.Stats(str(args.profile_dag)).sort_stats("cumulative").print_stats(40)
        return
    rows = []
    for k in range(args.doublings + 1):
        grid = {**shape, args.axis: shape[args.axis] * 2 ** k}
        row = measure(grid, cluster=not args.no_cluster)
        rows.append(row)
        bare = row["bare"]
        line = (f"{row['grid']:>14}  cells {row['cells']:>6}  jobs {row['jobs']:>6}  "
                f"dry-run {row['dry_run_s']:6.1f} s ({1000 * row['dry_run_s'] / row['jobs']:.2f}"
                f" ms/job, {row['peak_mb']} MB) | bare {bare['jobs']} jobs "
                f"{bare['wall_s']:.1f} s ({1000 * bare['wall_s'] / bare['jobs']:.2f} ms/job, "
                f"{bare['peak_mb']} MB): {row['ms_per_job_vs_bare']:.2f}x per job | dressed "
                f"bare {bare['dressed']['wall_s']:.1f} s "
                f"({1000 * bare['dressed']['wall_s'] / bare['dressed']['jobs']:.2f} ms/job, "
                f"{bare['dressed']['peak_mb']} MB): {row['ms_per_job_vs_dressed']:.2f}x per job"
                f" | parse {row['parse_s']:.1f} s, bare {bare['parse_s']:.1f} s")
        if "submissions" in row:
            by = row["submissions_by"]
            line += (f"  | cluster: {row['submissions']} submissions ({by.get('group_jobs', 0)}"
                     f" group jobs, {by.get('single_jobs', 0)} single, {by.get('gpu', 0)} GPU),"
                     f" dry-run {row['cluster_dry_run_s']:.1f} s"
                     f" ({row['cluster_vs_plain']:.2f}x plain)")
        print(line, flush=True)
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        growth = last["cells"] / first["cells"]
        line = (f"x{growth:g} cells: jobs x{last['jobs'] / first['jobs']:.2f}, "
                f"dry-run time x{last['dry_run_s'] / first['dry_run_s']:.2f}, bare "
                f"x{last['bare']['wall_s'] / first['bare']['wall_s']:.2f}, parse "
                f"x{last['parse_s'] / first['parse_s']:.2f}")
        if "cluster_dry_run_s" in last:
            line += f", cluster x{last['cluster_dry_run_s'] / first['cluster_dry_run_s']:.2f}"
        print(line)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()

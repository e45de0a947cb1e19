"""Scheduling overhead of a real SLURM run: the main Snakemake process's CPU time per finished
job, and whether it stays flat as jobs complete, for imbench on a grid of quick jobs and, in
the same run, for a bare touch-only Snakefile of about as many jobs on the same cluster.

    sudo tests/slurm/cluster.sh start           # the one-node test cluster (root)
    .venv/bin/python bench/sched_overhead.py    # 40 seeds: 823 imbench jobs, then bare
    .venv/bin/python bench/sched_overhead.py --seeds 10 --classifiers 2   # a short try
    .venv/bin/python bench/sched_overhead.py --only-gan --gan-seeds 4     # job arrays only
    .venv/bin/python bench/sched_overhead.py --seeds 20 --no-bare         # imbench's run only

The imbench grid (:func:`imbench_config`) is the embedded digits, one imbalance, `none` and
`ros`, and N SVMs that differ only in C, over the seeds: every job takes seconds (most of
it the job's own Snakemake start-up on the node). It runs under the cluster profile with the
test cluster's overlay, exactly as `tests/test_slurm.py` runs, so the light rules go grouped
and the report rules run on the submit host. The bare Snakefile is
`bench/dag_scale.py`'s five rules, each a `touch` shell command, submitted one job each.

From the main process's `/proc/<pid>/stat`, read at every "N of M steps done" line it
prints: its own CPU time (user + system: the scheduler, the executor's status checks and
submissions) and its children's (sbatch, squeue, the local report jobs), against the number
of finished jobs. Reported per run: CPU per finished job over all jobs and in each tenth of
them, the last tenth over the first (flat: about 1; a plan recomputed per finished job would
grow with the jobs done), a least-squares slope of CPU against jobs done, CPU per second of
wall, and the submissions. The per-tenth values include the status checks, which cost per
second, not per job: CPU per wall second beside them tells the two apart.

With `--gan-seeds N`, a grid of N seeds x 5 minority classes, each with a tiny WGAN-GP
generator (:func:`gan_config`), runs twice from empty folders: generators as plain jobs,
then as job arrays (`IMBENCH_SLURM_ARRAYS=1`); each run's sbatch calls (`submissions`, one
per plain job or array) and the size of each array are reported.
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
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
from dag_scale import bare_snakefile, snakemake_exe  # noqa: E402

CLUSTER = REPO / "tests" / "slurm" / "cluster.sh"
OVERLAY = REPO / "tests" / "slurm" / "profile"
PARTITIONS = {"IMBENCH_SLURM_CPU_PARTITION": "batch", "IMBENCH_SLURM_GPU_PARTITION": "gpu"}
TICK = os.sysconf("SC_CLK_TCK")
DONE = re.compile(r"^(\d+) of (\d+) steps \(")
SUBMITTED = re.compile(r"has been submitted with SLURM jobid|^Submitted array job")
ARRAY = re.compile(r"^Submitted array job with Snakemake IDs (\S+) ")


#: the cluster profile's settings that shape scheduling, given to the bare run too (the
#: profile itself names imbench's rules and groups, so the bare Snakefile cannot take it)
SCHEDULING_KEYS = ("scheduler-greedy-omit-prioritize-by-temp-and-input", "scheduler-subsample",
                   "max-jobs-per-timespan")


def scheduling_flags(profile: Path = REPO / "profiles" / "gpu" / "config.yaml") -> list[str]:
    """The profile's scheduling settings (without job arrays) as command-line flags, read
    from the profile as Snakemake renders it, so that the bare run follows any edit."""
    import yte

    env = os.environ.pop("IMBENCH_SLURM_ARRAYS", None)
    try:
        with profile.open() as f:
            settings = yte.process_yaml(f)
    finally:
        if env is not None:
            os.environ["IMBENCH_SLURM_ARRAYS"] = env
    flags = []
    for key in SCHEDULING_KEYS:
        value = settings[key]
        flags += [f"--{key}"] if value is True else [f"--{key}", str(value)]
    return flags


def imbench_config(seeds: int, classifiers: int) -> dict:
    return {
        "cache_dir": ".cache/imbench",
        "datasets": {"digits": {}},
        "imbalances": {"step": {"protocol": "step", "mu": 0.5, "rho": 4}},
        "augmenters": {"none": {"method": "none"}, "ros": {"method": "ros"}},
        "classifiers": {f"svm{i}": {"method": "svm", "params": {"C": float(2 ** i)}}
                        for i in range(classifiers)},
        "seeds": list(range(seeds)),
    }


def gan_config(seeds: int) -> dict:
    """A grid whose GPU jobs are many small generators: a tiny WGAN-GP for each of five
    minority classes of each seed (and the cells and reports around them)."""
    return {
        "cache_dir": ".cache/imbench",
        "datasets": {"digits": {}},
        "imbalances": {"step": {"protocol": "step", "mu": 0.5, "rho": 4}},
        "augmenters": {"none": {"method": "none"}, "wgan": {"method": "wgan_gp", "params": {
            "epochs": 2, "width": 8, "latent_dim": 16, "batch_size": 32,
            "min_iters_per_epoch": 2, "sample_every": 50, "selection": "last",
            "grid_size": 4}}},
        "classifiers": {"svm": {"method": "svm"}},
        "seeds": list(range(seeds)),
        "reference_classifier": {"epochs": 1},
    }


def bare_config(jobs: int) -> dict:
    """Axes of the bare Snakefile giving about `jobs` jobs (per seed: 1 imbalance, 2
    augments, 2 x 4 trains and as many evaluates)."""
    seeds = max(1, round(jobs / 19))
    return {"datasets": {"d": {}}, "imbalances": {"p": {}}, "augmenters": {"a0": {}, "a1": {}},
            "classifiers": {f"c{i}": {} for i in range(4)}, "seeds": list(range(seeds))}


def submitted_snakefile(config: dict) -> str:
    """The bare Snakefile with a shell command per rule: a rule with only `touch()` outputs
    has nothing to run and is finished by the main process itself, never submitted."""
    text = re.sub(r'output: touch\((".*")\)', r'output: \1\n    shell: "touch {output}"',
                  bare_snakefile(config))
    # the workflow's scheduling timers too (rules/common.smk), so that only the plan differs
    return text + ("\nfrom imbench.plan.cluster import coalesce_reevaluation_timers\n"
                   "coalesce_reevaluation_timers()\n")


def cpu_seconds(pid: int) -> tuple[float, float, int]:
    """(own, waited-for children) CPU seconds of a live process, and its thread count."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
    return (utime + stime) / TICK, (cutime + cstime) / TICK, int(fields[17])


def watched_run(cmd: list[str], cwd: Path, env: dict, log: Path) -> dict:
    """Run a Snakemake main process; the CPU it has used at each finished job."""
    # (done, wall, own cpu, children cpu, threads)
    points: list[tuple[int, float, float, float, int]] = []
    submissions, arrays = 0, []
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, bufsize=1)
    total = 0
    with log.open("w") as out:
        for line in proc.stdout:
            out.write(line)
            if SUBMITTED.search(line):
                submissions += 1
            array = ARRAY.match(line)
            if array:
                arrays.append(len(array.group(1).split(",")))
            match = DONE.match(line.strip())
            if match:
                total = int(match.group(2))
                try:
                    own, children, threads = cpu_seconds(proc.pid)
                except (FileNotFoundError, ProcessLookupError):
                    break
                points.append((int(match.group(1)), time.perf_counter() - start, own, children,
                               threads))
    code = proc.wait()
    wall = time.perf_counter() - start
    if code != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({code}); its log: {log}")
    return {"jobs": total, "submissions": submissions, "array_sizes": arrays,
            "wall_s": round(wall, 1), **summarise(points)}


def summarise(points: list[tuple[int, float, float, float, int]]) -> dict:
    if len(points) < 20:
        raise RuntimeError(f"only {len(points)} finished jobs seen: too few to judge")
    done = [p[0] for p in points]
    own = [p[2] for p in points]
    n = len(points)
    tenths = []
    for k in range(10):
        lo, hi = k * (n - 1) // 10, (k + 1) * (n - 1) // 10
        a, b = points[lo], points[hi]
        jobs, secs, cpu = b[0] - a[0], b[1] - a[1], b[2] - a[2]
        # Snakemake's re-evaluation timers are threads: their count shows them piling up
        tenths.append({"jobs": jobs, "ms_per_job": round(1000 * cpu / max(jobs, 1), 1),
                       "cpu_per_wall_s": round(cpu / secs, 3) if secs > 0 else None,
                       "max_threads": max(p[4] for p in points[lo:hi + 1])})
    mean_x, mean_y = sum(done) / n, sum(own) / n
    sxx = sum((x - mean_x) ** 2 for x in done)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(done, own, strict=True)) / sxx
    first, last = tenths[0]["ms_per_job"], tenths[-1]["ms_per_job"]
    return {
        "main_cpu_s": round(own[-1], 1),
        "children_cpu_s": round(points[-1][3], 1),
        "ms_per_job": round(1000 * own[-1] / done[-1], 1),
        "fit_ms_per_job": round(1000 * slope, 1),
        "last_over_first_tenth": round(last / first, 2) if first else None,
        "tenths": tenths,
    }


def run_imbench(seeds: int, classifiers: int, jobs: int, work: Path, env: dict,
                scheduler: str | None = None) -> dict:
    config = work / "imbench.yaml"
    config.write_text(yaml.safe_dump(imbench_config(seeds, classifiers)))
    cmd = [snakemake_exe(), "-d", str(work / "imbench"), "--configfile", str(config),
           "--profile", str(REPO / "profiles" / "gpu"), "--profile", str(OVERLAY),
           "--jobs", str(jobs), *(["--scheduler", scheduler] if scheduler else [])]
    return watched_run(cmd, REPO, env, work / "imbench.log")


def run_gan(seeds: int, arrays: bool, work: Path, env: dict) -> dict:
    """The GAN grid under the cluster profile, its generators as plain jobs or as arrays
    (then the profile's selection is uncapped: no --jobs here)."""
    name = f"gan_arrays{int(arrays)}"
    config = work / f"{name}.yaml"
    config.write_text(yaml.safe_dump(gan_config(seeds)))
    cmd = [snakemake_exe(), "-d", str(work / name), "--configfile", str(config),
           "--profile", str(REPO / "profiles" / "gpu"), "--profile", str(OVERLAY)]
    env = {**env, "IMBENCH_SLURM_ARRAYS": "1" if arrays else "0"}
    return watched_run(cmd, REPO, env, work / f"{name}.log")


def run_bare(n_jobs: int, jobs: int, work: Path, env: dict, scheduler: str) -> dict:
    bare = work / "bare"
    bare.mkdir()
    (bare / "Snakefile").write_text(submitted_snakefile(bare_config(n_jobs)))
    # The overlay's executor settings (status checks, latency) without imbench's groups and
    # resources: one small CPU job per rule.
    cmd = [snakemake_exe(), "-s", str(bare / "Snakefile"), "-d", str(bare), "--executor",
           "slurm", "--profile", str(OVERLAY), "--jobs", str(jobs), "--default-resources",
           f"slurm_partition='{PARTITIONS['IMBENCH_SLURM_CPU_PARTITION']}'", "mem_mb=500",
           "runtime=10", "disk_mb=100", "--scheduler", scheduler, *scheduling_flags()]
    return watched_run(cmd, bare, env, work / "bare.log")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=40)
    parser.add_argument("--classifiers", type=int, default=4)
    parser.add_argument("--jobs", type=int, default=8, help="jobs queued at once")
    parser.add_argument("--gan-seeds", type=int, default=0, metavar="N",
                        help="also run a grid of N seeds x 5 tiny generators twice, with and "
                        "without job arrays, and count the sbatch calls")
    parser.add_argument("--scheduler", choices=["greedy", "ilp"],
                        help="Snakemake's job selector for both runs (default: the cluster "
                        "profile's, greedy; `ilp` is Snakemake's own default)")
    parser.add_argument("--bare-jobs", type=int, help="about how many jobs the bare run has "
                        "(default: as many as the imbench run)")
    parser.add_argument("--only-bare", action="store_true",
                        help="only the bare run (of --bare-jobs jobs)")
    parser.add_argument("--only-gan", action="store_true", help="skip the overhead runs")
    parser.add_argument("--no-bare", action="store_true",
                        help="skip the bare run (then no ratio to it)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "sched_overhead.json")
    parser.add_argument("--work", type=Path, help="keep the runs and their logs here "
                        "(default: a temporary folder, removed)")
    args = parser.parse_args()
    subprocess.run(["bash", str(CLUSTER), "start"], check=True)
    env = {**os.environ, **PARTITIONS}
    with tempfile.TemporaryDirectory(prefix="sched_overhead_") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        result: dict = {}
        if args.only_bare:
            result["bare"] = run_bare(args.bare_jobs or 300, args.jobs, work, env,
                                      args.scheduler or "greedy")
        elif not args.only_gan:
            result["imbench"] = run_imbench(args.seeds, args.classifiers, args.jobs, work, env,
                                            args.scheduler)
            print(json.dumps({"imbench": result["imbench"]}, indent=1), flush=True)
        if not (args.only_bare or args.only_gan or args.no_bare):
            result["bare"] = run_bare(args.bare_jobs or result["imbench"]["jobs"], args.jobs,
                                      work, env, args.scheduler or "greedy")
            result["ms_per_job_vs_bare"] = round(
                result["imbench"]["ms_per_job"] / result["bare"]["ms_per_job"], 2)
        if args.gan_seeds:
            for arrays in (False, True):
                result[f"gan_arrays{int(arrays)}"] = run_gan(args.gan_seeds, arrays, work, env)
    result["settings"] = vars(args) | {"out": str(args.out), "work": str(args.work)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()

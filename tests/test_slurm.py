"""The cluster profile, on paper and on a real SLURM.

Without a scheduler (always run): `snakemake --profile gpu` from the repository root finds
profiles/gpu through the `gpu` link, the workflow profile (profiles/default/) steps aside so
every setting is the cluster profile's, and a dry-run shows the resources each job gets.

With a scheduler (root and Debian's slurmctld/slurmd/munge, as `.ci/run` installs them):
tests/slurm/cluster.sh starts a one-node cluster with a fake GPU and the grid of
tests/slurm/config.yaml runs under `--profile profiles/gpu --profile tests/slurm/profile`.
While it runs, the generator job is cancelled with `scancel` once it has written a checkpoint
(as SLURM does on preemption or at a time limit). Then, from the scheduler's own record
(`scontrol show job`): GPU rules went to the GPU partition with one GPU, 4 CPUs per GPU and
the profile's memory and time, the retry of the cancelled job with both doubled (attempt 2),
light rules to the CPU partition without a GPU, grouped. The resubmitted generator resumed
from its checkpoint, the results equal a local run's, a second run submits nothing, and
editing one classifier's parameters reruns only its cells. The fixture stops the daemons it
started even when a test fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from imbench.io import load_npz
from imbench.plan.reports import LOCAL_REPORT_RULES

REPO = Path(__file__).resolve().parents[1]
CLUSTER = REPO / "tests" / "slurm" / "cluster.sh"
SLURM_CONFIG = REPO / "tests" / "slurm" / "config.yaml"
OVERLAY = REPO / "tests" / "slurm" / "profile"
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
# The test cluster's partitions (tests/slurm/slurm.conf.in); `debug` is its default and must
# stay empty: a job there would mean a partition was not requested.
PARTITIONS = {"IMBENCH_SLURM_CPU_PARTITION": "batch", "IMBENCH_SLURM_GPU_PARTITION": "gpu"}
GPU_RULES = {"train_generator", "train_reference", "train_cnn", "train_neural"}
# Rules the cluster profile configures that other parts of the workflow add (neural.smk).
PENDING_RULES = {"train_cnn", "train_neural", "fit_svm"}


def run(cmd: list[str], cwd: Path = REPO, env: dict | None = None, check: bool = True,
        timeout: int = 600) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, cmd))} failed ({result.returncode}):\n"
                             f"{result.stdout[-5000:]}\n{result.stderr[-5000:]}")
    return result


def job_stats(output: str) -> dict[str, int]:
    stats = {}
    for line in output.split("Job stats:", 1)[-1].splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            stats[parts[0]] = int(parts[1])
    return stats


def parse_args_in_subprocess(*argv: str, env: dict | None = None) -> dict:
    """Snakemake's own parse of a command line, run from the repo root in a fresh process
    (profiles/default/ reads sys.argv)."""
    code = textwrap.dedent(f"""
        import json, sys
        sys.argv = ["snakemake", *{list(argv)!r}]
        from snakemake.cli import parse_args
        _, a = parse_args(sys.argv[1:])
        res = lambda r: None if r is None else sorted(r)
        print(json.dumps({{"cores": a.cores, "jobs": a.jobs, "latency_wait": a.latency_wait,
            "executor": a.executor, "retries": a.retries, "keep_going": a.keep_going,
            "rerun_incomplete": a.rerun_incomplete,
            "default_resources": res(a.default_resources),
            "set_resources": sorted(a.set_resources), "set_threads": sorted(a.set_threads),
            "groups": a.groups, "group_components": a.group_components,
            "array_jobs": (lambda v: v if isinstance(v, str) else None)(
                getattr(a, "slurm_array_jobs", None)),
            "max_jobs_per_timespan": vars(a.max_jobs_per_timespan),
            "scheduler": a.scheduler, "subsample": a.scheduler_subsample,
            "omit_input_ranking": getattr(
                a, "scheduler_greedy_omit_prioritize_by_temp_and_input", None) is True}}))
    """)
    out = run([sys.executable, "-c", code], env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


# -- the profiles, without a scheduler -------------------------------------------------------
def test_profile_gpu_is_found_from_the_repo_root():
    link = REPO / "gpu"
    assert link.is_symlink() and link.resolve() == (REPO / "profiles" / "gpu").resolve()
    assert (link / "config.yaml").is_file()


def test_cluster_profile_settings_survive_the_workflow_profile():
    """profiles/default/ would override --profile key by key; it must step aside."""
    workstation = parse_args_in_subprocess()
    assert workstation["cores"] == 2 and workstation["executor"] is None
    for argv in (["--profile", "gpu"], ["--profile=gpu"], ["--profile", "profiles/gpu"]):
        cluster = parse_args_in_subprocess(*argv)
        assert cluster["executor"] == "slurm", argv
        assert cluster["cores"] == 4 and cluster["jobs"] == 100, argv
        assert cluster["latency_wait"] == 60 and cluster["retries"] == 2, argv
        assert cluster["keep_going"] is True and cluster["rerun_incomplete"] is True, argv
        assert {"mem_mb", "runtime", "slurm_partition"} <= set(cluster["default_resources"])
        assert {"train_generator", "train_classifier"} <= set(cluster["set_resources"])
        assert cluster["groups"]["evaluate"] == "cell_{augmenter}_{classifier}"
        # a scheduling round's cost must not grow with the backlog of ready jobs
        assert cluster["scheduler"] == "greedy" and cluster["omit_input_ranking"], argv
        assert cluster["subsample"] >= cluster["jobs"], argv
        # a round ends with a wake-up after this timespan: not a round a second
        assert cluster["max_jobs_per_timespan"]["timespan"] >= 600, argv
    # the command line still wins over both
    assert parse_args_in_subprocess("--profile", "gpu", "--jobs", "7")["jobs"] == 7
    assert cluster["array_jobs"] is None


def test_job_arrays_switch_on_for_the_gpu_rules_with_an_uncut_selection():
    """IMBENCH_SLURM_ARRAYS=1: the generator jobs as job arrays, and neither --jobs nor the
    submission rate cuts Snakemake's selection (the plugin would drop jobs and hang)."""
    arrays = parse_args_in_subprocess("--profile", "gpu",
                                      env={**os.environ, "IMBENCH_SLURM_ARRAYS": "1"})
    assert arrays["array_jobs"] == "train_generator"
    assert arrays["jobs"] == sys.maxsize
    assert arrays["max_jobs_per_timespan"]["max_jobs"] >= 10**6
    assert arrays["subsample"] is None
    assert arrays["max_jobs_per_timespan"]["timespan"] >= 600


def test_profile_names_only_rules_of_the_workflow(tmp_path):
    out = run([*SNAKEMAKE, "--list-rules", "-d", str(tmp_path), "--configfile",
               str(SLURM_CONFIG)]).stdout
    rules = set(out.split())
    settings = parse_args_in_subprocess("--profile", "gpu")
    named = set(settings["set_resources"]) | set(settings["set_threads"]) \
        | set(settings["groups"])
    unknown = named - rules - PENDING_RULES
    assert not unknown, f"profiles/gpu configures rules the workflow lacks: {unknown}"


def dry_run_jobs(output: str) -> list[dict]:
    """Jobs of a dry-run listing: rule, wildcards, threads, resources, group."""
    jobs, group = [], None
    for line in output.splitlines():
        m = re.match(r"^(\s*)(?:local)?rule (\w+):$", line)
        if m:
            if not m.group(1):
                group = None
            jobs.append({"rule": m.group(2), "group": group if m.group(1) else None,
                         "resources": {}, "threads": 1, "wildcards": {}})
        elif "Group job " in line:
            group = line.split("Group job ", 1)[1].split(" (", 1)[0]
        elif jobs and line.strip().startswith("resources: "):
            for item in line.strip()[len("resources: "):].split(", "):
                key, _, value = item.partition("=")
                jobs[-1]["resources"][key] = value
        elif jobs and line.strip().startswith("wildcards: "):
            jobs[-1]["wildcards"] = dict(item.partition("=")[::2] for item in
                                         line.strip()[len("wildcards: "):].split(", "))
        elif jobs and line.strip().startswith("threads: "):
            jobs[-1]["threads"] = int(line.split(":")[1])
    return jobs


def test_dry_run_shows_the_cluster_resources(tmp_path):
    """`snakemake --profile gpu` as a user types it, from the repo root."""
    result = run([*SNAKEMAKE, "--profile", "gpu", "-n", "-d", str(tmp_path), "--configfile",
                  str(SLURM_CONFIG), "--quiet", "reason", "host"])
    jobs = dry_run_jobs(result.stdout + result.stderr)
    by_rule: dict[str, list[dict]] = {}
    for job in jobs:
        by_rule.setdefault(job["rule"], []).append(job)
    assert by_rule["train_generator"] and by_rule["train_classifier"], sorted(by_rule)
    for job in jobs:
        res = job["resources"]
        if job["rule"] in GPU_RULES:
            assert res["slurm_partition"] == "gpu" and res["gpu"] == "1", job
            assert res["cpus_per_gpu"] == "4" and job["threads"] == 4, job
            assert res["mem_mb"] == "16000" and res["runtime"] == "240", job
            assert job["group"] is None, job
        elif job["rule"] not in ("all", "fetch_dataset"):
            assert res["slurm_partition"] == "cpu" and "gpu" not in res, job
    for rule in ("train_classifier", "evaluate", "augment", "make_imbalanced"):
        assert all(j["group"] for j in by_rule[rule]), rule
    assert by_rule["train_classifier"][0]["resources"]["mem_mb"] == "8000"


def test_cluster_plan_of_every_classifier_and_augmenter_kind(tmp_path):
    """Groups must never depend on themselves (a path leaving a group through a GPU job and
    coming back): a grid with every registered classifier and each kind of augmenter, under
    the cluster profile. The report rules over the whole grid are local rules."""
    from imbench.augment import AUGMENTERS
    from imbench.classify import CLASSIFIERS

    kinds = ["none", "transforms", "wgan_gp", "cgan", "bagan"]
    assert set(kinds) <= set(AUGMENTERS)
    config = {"datasets": {"digits": {}},
              "imbalances": {"step": {"protocol": "step", "mu": 0.2, "rho": 8}},
              "augmenters": {k: {"method": k} for k in kinds},
              "classifiers": {m: {"method": m} for m in CLASSIFIERS},
              "seeds": [0]}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    result = run([*SNAKEMAKE, "--profile", "gpu", "-n", "-d", str(tmp_path / "w"),
                  "--configfile", str(path), "--quiet", "reason", "host"])
    jobs = dry_run_jobs(result.stdout + result.stderr)
    rules = {j["rule"] for j in jobs}
    assert {"train_neural", "train_cnn", "plot_learning_curves"} <= rules, sorted(rules)
    for job in jobs:
        if job["rule"] == "plot_learning_curves":
            assert job["group"] and job["group"].startswith("cell_"), job
        if job["rule"] in {"aggregate", *LOCAL_REPORT_RULES}:
            assert job["group"] is None, job
    local = parse_args_in_subprocess("--profile", "gpu")
    assert set(local["groups"]).isdisjoint({"aggregate", *LOCAL_REPORT_RULES})


# -- a real SLURM ----------------------------------------------------------------------------
def slurm_skip_reason() -> str | None:
    if os.environ.get("IMBENCH_SKIP_SLURM"):
        return "IMBENCH_SKIP_SLURM is set"
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "needs root to start a SLURM test cluster (CI runs .ci/run as root)"
    missing = [b for b in ("slurmctld", "slurmd", "sbatch", "munged") if not shutil.which(b)]
    if missing:
        return (f"SLURM not installed (no {', '.join(missing)}): "
                "run tests/slurm/cluster.sh install (.ci/run does as root)")
    conf = Path("/etc/slurm/slurm.conf")
    if conf.exists() and "imbench test cluster" not in conf.read_text().splitlines()[0]:
        return "/etc/slurm/slurm.conf belongs to a real cluster: not starting a test one"
    return None


needs_slurm = pytest.mark.skipif(slurm_skip_reason() is not None,
                                 reason=slurm_skip_reason() or "")


@pytest.fixture(scope="module")
def cluster():
    was_up = "slurmctld: running" in run(["bash", str(CLUSTER), "status"], check=False).stdout
    try:
        run(["bash", str(CLUSTER), "start"], timeout=180)
        yield
    finally:
        if not was_up:
            run(["bash", str(CLUSTER), "stop"], check=False, timeout=120)


def slurm_env(arrays: bool = False) -> dict:
    return {**os.environ, **PARTITIONS, "IMBENCH_SLURM_ARRAYS": "1" if arrays else "0"}


def cluster_cmd(workdir: Path, config: Path = SLURM_CONFIG) -> list[str]:
    return [*SNAKEMAKE, "--profile", "profiles/gpu", "--profile", str(OVERLAY.relative_to(REPO)),
            "-d", str(workdir), "--configfile", str(config)]


def scontrol_jobs() -> list[dict]:
    out = run(["scontrol", "show", "job", "-o"], check=False).stdout
    jobs = []
    for line in out.splitlines():
        if line.startswith("JobId="):
            jobs.append(dict(re.findall(r"(\w[\w/:]*)=(\S*)", line)))
    return jobs


def running_generator_job(workdir: Path, unit: str) -> dict | None:
    """The scheduler's record of the running train_generator job (or array task) of one
    unit. An array's tasks share the comment of its first job, so the unit is read from the
    task's own SLURM log: its outer job step prints the array's first job, the step that
    runs the task's own job prints that job's wildcards last."""
    for job in scontrol_jobs():
        if job.get("JobState") != "RUNNING" or \
                not job.get("Comment", "").startswith("rule_train_generator"):
            continue
        if "ArrayTaskId" not in job:
            if job["Comment"].endswith(unit):
                return job
            continue
        name = f"{job['ArrayJobId']}_{job['ArrayTaskId']}.log"
        for log in [Path(job.get("StdOut", "")),
                    *workdir.glob(f".snakemake/slurm_logs/**/{name}")]:
            units = re.findall(r"wildcards: .*\bunit=(\w+)",
                               log.read_text(errors="replace")) if log.is_file() else []
            if units and units[-1] == unit:
                return job
    return None


def scancel_id(job: dict) -> str:
    """The id scancel takes: <array>_<task> for an array task (SLURM refuses the task's own
    JobId: "invalid JobId")."""
    return f"{job['ArrayJobId']}_{job['ArrayTaskId']}" if "ArrayTaskId" in job else job["JobId"]


def snakemake_job_ids(job: dict) -> set[str]:
    """The ids Snakemake may report a job by: SLURM's, and <array>_<task> for an array task."""
    ids = {job["JobId"]}
    if "ArrayTaskId" in job:
        ids.add(f"{job['ArrayJobId']}_{job['ArrayTaskId']}")
    return ids


def generator_checkpoint(workdir: Path) -> Path | None:
    found = sorted(workdir.glob("models/*/*/*/seed*/*/checkpoints/*/last.pt"))
    return found[0] if found else None


@pytest.fixture(scope="module")
def local_run(tmp_path_factory) -> Path:
    workdir = tmp_path_factory.mktemp("local")
    # the numbers only: the report figures would double the time
    run([*SNAKEMAKE, "results/summary.csv", "--cores", "2", "-d", str(workdir),
         "--configfile", str(SLURM_CONFIG)], timeout=900)
    return workdir


@pytest.fixture(scope="module")
def slurm_run(cluster, tmp_path_factory) -> dict:
    """The grid under SLURM; the generator job is scancel-ed after its first checkpoint."""
    workdir = tmp_path_factory.mktemp("slurm")
    before = {j["JobId"] for j in scontrol_jobs()}
    log = workdir.parent / f"{workdir.name}.snakemake.log"
    start = time.monotonic()
    with log.open("w") as out:
        proc = subprocess.Popen(cluster_cmd(workdir), cwd=REPO, env=slurm_env(arrays=True),
                                stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
        cancelled = None
        try:
            deadline = time.monotonic() + 900
            while proc.poll() is None and time.monotonic() < deadline:
                if cancelled is None and (ckpt := generator_checkpoint(workdir)):
                    unit = ckpt.parent.name
                    job = running_generator_job(workdir, unit)
                    if job and not (ckpt.parents[2] / "generator.pt").exists():
                        run(["scancel", scancel_id(job)])
                        cancelled = {"job": job["JobId"], "ids": snakemake_job_ids(job),
                                     "unit": unit, "dir": ckpt.parents[2],
                                     "array": job.get("ArrayJobId"),
                                     "task": job.get("ArrayTaskId")}
                time.sleep(0.1)
            if proc.poll() is None:
                raise AssertionError(f"the SLURM run did not finish in time:\n"
                                     f"{log.read_text()[-5000:]}")
        finally:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(30)
    seconds = time.monotonic() - start
    text = log.read_text()
    assert proc.returncode == 0, text[-8000:]
    jobs = [j for j in scontrol_jobs() if j["JobId"] not in before]
    print(f"\nSLURM run: {len(jobs)} submissions in {seconds:.0f} s")
    return {"workdir": workdir, "log": text, "jobs": jobs, "cancelled": cancelled,
            "seconds": seconds}


def job_processes() -> dict[int, str]:
    """pid -> SLURM job id of every process a job of the test cluster started."""
    found = {}
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            env = dict(item.split("=", 1) for item in
                       environ.read_bytes().decode(errors="replace").split("\0") if "=" in item)
        except OSError:
            continue
        if env.get("SLURM_CLUSTER_NAME") == "imbench" and "SLURM_JOB_ID" in env:
            found[int(environ.parent.name)] = env["SLURM_JOB_ID"]
    return found


def job_rule(job: dict) -> str:
    """The rule (or group) a submission ran, from the comment the plugin sets."""
    return job.get("Comment", "").removeprefix("rule_")


@needs_slurm
def test_scheduler_placed_every_job_as_the_profile_says(slurm_run):
    jobs = slurm_run["jobs"]
    assert jobs, "no job reached the scheduler"
    assert not [j for j in jobs if j["Partition"] == "debug"], "a job without a partition"
    gpu_jobs = [j for j in jobs if job_rule(j).split("_wildcards")[0] in GPU_RULES]
    cpu_jobs = [j for j in jobs if j not in gpu_jobs]
    assert {job_rule(j).split("_wildcards")[0] for j in gpu_jobs} == {"train_generator",
                                                                      "train_reference"}
    for job in gpu_jobs:
        assert job["Partition"] == "gpu", job
        assert job.get("TresPerJob") == "gres:gpu:1", job
        assert job.get("CpusPerTres") == "gres:gpu:4", job
    for job in cpu_jobs:
        assert job["Partition"] == "batch", job
        assert "gpu" not in job.get("TresPerJob", "") + job.get("TRES", ""), job
    # The two minority classes' generators, ready together, went as one job array of two
    # tasks (IMBENCH_SLURM_ARRAYS=1), at attempt 1: 16 GB (plus the plugin's allowance of
    # a few MB for the array's payload) and 4 h each. Every resubmission went alone, as a
    # plain job at attempt 2: 32 GB and 8 h.
    generator = sorted((j for j in gpu_jobs if "train_generator" in job_rule(j)),
                       key=lambda j: int(j["JobId"]))
    tasks = [j for j in generator if "ArrayTaskId" in j]
    retries = [j for j in generator if "ArrayTaskId" not in j]
    assert len({t["ArrayJobId"] for t in tasks}) == 1, generator
    assert sorted(t["ArrayTaskId"] for t in tasks) == ["1", "2"], generator
    for task in tasks:
        assert task["TimeLimit"] == "04:00:00", task
        assert 16000 <= int(task["MinMemoryNode"].removesuffix("M")) < 16100, task
    for retry in retries:
        assert (retry["TimeLimit"], retry["MinMemoryNode"]) == ("08:00:00", "32000M"), retry
    # The cancelled task is retried. If it was the array's first task, the second failed
    # too: plugin 2.8.0's job step checks the first job's outputs in every task
    # (imbench.plan.cluster.ARRAY_OUTPUT_ISSUE), so it is retried as well.
    cancelled = slurm_run["cancelled"]
    assert cancelled and cancelled["task"] in {"1", "2"}, cancelled
    assert len(retries) == (2 if cancelled["task"] == "1" else 1), generator
    if cancelled["task"] == "1":
        second = next(slurm_run["workdir"].glob(
            f".snakemake/slurm_logs/**/{cancelled['array']}_2.log")).read_text()
        assert "MissingOutputException" in second
        assert f"{cancelled['unit']}/generator.pt (missing" in second, second[-3000:]
    # one reference classifier: one job of its rule, so a plain job
    reference = [j for j in gpu_jobs if "train_reference" in job_rule(j)]
    assert len(reference) == 1 and "ArrayTaskId" not in reference[0]
    # light rules ran as group jobs (the plugin's comment names the group and its rules)
    groups = {job_rule(j).split("_")[0] for j in cpu_jobs}
    assert {"cell", "variant", "imbalance"} <= groups, groups
    # the whole-grid rules ran on the submit host: no submission, but their files are there
    submitted = {job_rule(j).split("_wildcards")[0] for j in jobs}
    local = {"aggregate", *LOCAL_REPORT_RULES}
    assert not submitted & local, submitted & local
    assert (slurm_run["workdir"] / "results/summary.csv").is_file()
    assert (slurm_run["workdir"] / "reports/index.html").is_file()
    svm_cells = sum(1 for c in Path(slurm_run["workdir"], "results").rglob("metrics.json"))
    cell_jobs = [j for j in cpu_jobs if job_rule(j).startswith("cell_")]
    assert 0 < len(cell_jobs) < svm_cells * 2, "train_classifier + evaluate not grouped"


@needs_slurm
def test_cancelled_generator_resumed_from_its_checkpoint(slurm_run):
    cancelled = slurm_run["cancelled"]
    assert cancelled, "the generator job was never caught running after a checkpoint"
    states = {j["JobId"]: j["JobState"] for j in slurm_run["jobs"]}
    assert states[cancelled["job"]] == "CANCELLED"
    # scancel left nothing of the job running (no cgroups here: proctrack/pgid must do)
    assert cancelled["job"] not in job_processes().values()
    unit = cancelled["unit"]
    logs = list(Path(slurm_run["workdir"], "logs", "train_generator").rglob(f"{unit}.log"))
    assert len(logs) == 1
    text = logs[0].read_text()
    m = re.search(rf"{unit}: resuming from checkpoint at epoch (\d+)", text)
    assert m and int(m.group(1)) >= 1, text[-3000:]
    assert (cancelled["dir"] / "generator.pt").exists()
    assert any(f"SLURM-job '{job_id}' failed, SLURM status is: 'CANCELLED'" in slurm_run["log"]
               for job_id in cancelled["ids"]), slurm_run["log"][-5000:]
    assert "Trying to restart job" in slurm_run["log"]


def metrics(workdir: Path) -> dict[str, dict]:
    out = {}
    for path in sorted((workdir / "results").rglob("metrics.json")):
        data = json.loads(path.read_text())
        data["provenance"].pop("created", None)
        data["record"].pop("content_sha256")  # of the content, "created" included
        out[str(path.relative_to(workdir))] = data
    return out


@needs_slurm
def test_results_equal_a_local_run(slurm_run, local_run):
    a, b = metrics(local_run), metrics(slurm_run["workdir"])
    assert a.keys() == b.keys() and len(a) == 6
    for name in a:
        assert a[name] == b[name], name
    for path in sorted((local_run / "results").rglob("predictions.npz")):
        other = load_npz(slurm_run["workdir"] / path.relative_to(local_run))
        for key, value in load_npz(path).items():
            np.testing.assert_array_equal(value, other[key], err_msg=f"{path}: {key}")
    assert (local_run / "results/summary.csv").read_text() == \
        (slurm_run["workdir"] / "results/summary.csv").read_text()


@needs_slurm
def test_second_run_submits_nothing(slurm_run):
    before = {j["JobId"] for j in scontrol_jobs()}
    result = run(cluster_cmd(slurm_run["workdir"]), env=slurm_env())
    assert "Nothing to be done" in result.stdout + result.stderr
    assert {j["JobId"] for j in scontrol_jobs()} == before


@needs_slurm
def test_editing_one_classifier_reruns_only_its_cells(slurm_run, tmp_path):
    config = yaml.safe_load(SLURM_CONFIG.read_text())
    config["classifiers"]["svm_hog"]["params"]["C"] = 3.0
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    result = run([*cluster_cmd(slurm_run["workdir"], path), "-n", "--quiet", "reason", "host"],
                 env=slurm_env())
    out = result.stdout + result.stderr
    stats = job_stats(out)
    assert stats.get("train_classifier") == 3 and stats.get("evaluate") == 3, stats
    for rule in ("fetch_dataset", "make_imbalanced", "augment", "train_generator",
                 "train_reference", "generator_quality"):
        assert rule not in stats, (rule, stats)
    cells = {j["wildcards"]["classifier"] for j in dry_run_jobs(out)
             if j["rule"] in ("train_classifier", "evaluate")}
    assert cells == {"svm_hog"}


@needs_slurm
def test_array_run_with_a_capped_selection_is_refused_before_submission(cluster, tmp_path):
    """With job arrays, --jobs below the run's job count would make the plugin drop the
    arrays' jobs and hang with nothing queued (reproduced here before the guard): the run
    stops with an error naming the option, and nothing reaches the scheduler."""
    before = {j["JobId"] for j in scontrol_jobs()}
    workdir = tmp_path / "w"
    result = run([*cluster_cmd(workdir), "--jobs", "2"], env=slurm_env(arrays=True),
                 check=False, timeout=300)
    out = result.stdout + result.stderr
    assert result.returncode != 0, out[-3000:]
    assert "'--jobs': got 2" in out and "issues/473" in out, out[-3000:]
    assert {j["JobId"] for j in scontrol_jobs()} == before
    made = [p for p in workdir.rglob("*") if p.is_file() and ".snakemake" not in p.parts]
    assert not made, f"a job ran before the refusal: {made}"

"""The guard against SLURM job-array runs that would hang, and Snakemake's scheduling
timers (imbench.plan.cluster).

The hang itself needs a cluster: tests/test_slurm.py reproduces the refusal there; every
workflow run in the suite schedules with the coalesced timers."""

from __future__ import annotations

import sys
from collections import Counter
from types import SimpleNamespace

import pytest

from imbench.errors import ConfigError
from imbench.plan.cluster import (
    ARRAY_DROP_ISSUE,
    array_rules,
    check_array_submission,
    check_workflow_arrays,
    coalesce_reevaluation_timers,
)

RULES = ["train_generator", "train_classifier", "evaluate", "all"]


@pytest.mark.parametrize("setting, expected", [
    (None, set()),
    ("", set()),
    ("train_generator", {"train_generator"}),
    ("train_generator, evaluate", {"train_generator", "evaluate"}),
    ("train_generator;train_classifier", {"train_generator", "train_classifier"}),
    ("all", set(RULES)),
    ("train_generator,not_a_rule", {"train_generator"}),
])
def test_array_rules_split_as_the_plugin_splits(setting, expected):
    assert array_rules(setting, RULES) == expected


JOBS = Counter(train_generator=6, train_classifier=12, evaluate=12)  # 30 jobs


def test_a_finite_jobs_limit_below_the_run_is_refused_naming_the_option_and_the_bug():
    with pytest.raises(ConfigError) as err:
        check_array_submission({"train_generator"}, JOBS, jobs_limit=29, per_timespan=None)
    message = str(err.value)
    assert "'--jobs'" in message and "got 29" in message and "at least 30" in message
    assert ARRAY_DROP_ISSUE in message and "train_generator" in message


def test_a_submission_rate_below_the_run_is_refused():
    with pytest.raises(ConfigError, match="--max-jobs-per-timespan.*at least 30"):
        check_array_submission({"train_generator"}, JOBS, jobs_limit=sys.maxsize,
                               per_timespan=10)


def test_a_scheduler_subsample_below_the_run_is_refused():
    with pytest.raises(ConfigError, match="--scheduler-subsample.*got 29.*at least 30"):
        check_array_submission({"train_generator"}, JOBS, jobs_limit=sys.maxsize,
                               per_timespan=None, subsample=29)
    check_array_submission({"train_generator"}, JOBS, sys.maxsize, None, subsample=30)


@pytest.mark.parametrize("jobs_limit, per_timespan", [
    (sys.maxsize, None), (sys.maxsize, 10**6), (30, 30)])
def test_an_uncut_selection_passes(jobs_limit, per_timespan):
    check_array_submission({"train_generator"}, JOBS, jobs_limit, per_timespan)


def test_without_arrays_or_with_single_job_array_rules_any_limit_passes():
    check_array_submission(set(), JOBS, jobs_limit=1, per_timespan=1)
    # a rule with one job goes as a plain job, whatever the limits
    check_array_submission({"train_generator"}, Counter(train_generator=1, evaluate=40),
                           jobs_limit=1, per_timespan=1)


def fake_workflow(array_jobs: str | None, nodes: int, rate: int | None,
                  subsample: int | None = None):
    jobs = [SimpleNamespace(rule=SimpleNamespace(name=name))
            for name, n in JOBS.items() for _ in range(n)]
    return SimpleNamespace(
        executor_settings=SimpleNamespace() if array_jobs is None
        else SimpleNamespace(array_jobs=array_jobs),
        dag=SimpleNamespace(needrun_jobs=lambda: jobs),
        rules=[SimpleNamespace(name=name) for name in RULES],
        resource_settings=SimpleNamespace(nodes=nodes),
        scheduling_settings=SimpleNamespace(
            max_jobs_per_timespan=None if rate is None else SimpleNamespace(max_jobs=rate),
            subsample=subsample))


def test_workflow_check_reads_the_executor_and_scheduling_settings():
    check_workflow_arrays(fake_workflow("train_generator", sys.maxsize, 10**6))
    # local or job-step executors have no array setting
    check_workflow_arrays(fake_workflow(None, 2, 1))
    with pytest.raises(ConfigError, match="'--jobs'"):
        check_workflow_arrays(fake_workflow("train_generator", 4, 10**6))
    with pytest.raises(ConfigError, match="--max-jobs-per-timespan"):
        check_workflow_arrays(fake_workflow("all", sys.maxsize, 10))
    with pytest.raises(ConfigError, match="--scheduler-subsample"):
        check_workflow_arrays(fake_workflow("train_generator", sys.maxsize, None, 29))


def test_snakemake_schedules_its_reevaluations_where_imbench_coalesces_them():
    """coalesce_reevaluation_timers replaces this method: a Snakemake that renamed it, or
    woke its scheduler another way, would pile up timers again unnoticed."""
    import inspect
    import re

    from snakemake.scheduling import job_scheduler

    # the module's text: this process may already have parsed a workflow and replaced it
    source = inspect.getsource(job_scheduler)
    assert source.count("self._schedule_reevalutation(") == 2  # rate limit, queue input
    method = re.search(r"\n    def _schedule_reevalutation\(self, delay.*?(?=\n    def )", source,
                       re.DOTALL)
    assert method, "JobScheduler._schedule_reevalutation is gone"
    assert "threading.Timer(" in method.group(0)
    assert "self._open_jobs.release()" in method.group(0)


class FakeScheduler:
    """What the replacement touches of Snakemake's JobScheduler."""

    def __init__(self) -> None:
        import threading

        self._open_jobs = threading.Semaphore(0)

    def _schedule_reevalutation(self, delay: float) -> None:  # replaced below
        raise AssertionError("not coalesced")


def wakeups(scheduler: FakeScheduler, within: float) -> int:
    import time

    count, end = 0, time.monotonic() + within
    while scheduler._open_jobs.acquire(timeout=max(end - time.monotonic(), 0)):
        count += 1
    return count


def timers(scheduler: FakeScheduler) -> list:
    """The live wake-up timers of this scheduler (their function closes over it)."""
    import threading

    return [t for t in threading.enumerate() if isinstance(t, threading.Timer)
            and any(c.cell_contents is scheduler for c in t.function.__closure__ or ())]


@pytest.fixture
def scheduler_class() -> type:
    """A fresh FakeScheduler class, coalesced."""
    cls = type("JobScheduler", (FakeScheduler,), {})
    assert coalesce_reevaluation_timers(cls)
    assert not coalesce_reevaluation_timers(cls)  # once per class
    return cls


def test_one_pending_wakeup_serves_every_request_due_no_sooner(scheduler_class):
    scheduler = scheduler_class()
    for _ in range(50):  # fifty finished jobs, each ending its round with a request
        scheduler._schedule_reevalutation(0.3)
    pending = timers(scheduler)
    assert len(pending) == 1 and pending[0].daemon
    assert wakeups(scheduler, within=1.0) == 1
    pending[0].join(timeout=1)
    assert timers(scheduler) == []
    # the round that wake-up starts asks again, and gets a timer of its own
    scheduler._schedule_reevalutation(0.1)
    assert wakeups(scheduler, within=0.5) == 1


def test_an_earlier_request_is_not_held_back_by_a_later_wakeup(scheduler_class):
    scheduler = scheduler_class()
    scheduler._schedule_reevalutation(600)  # the profile's ten-minute timespan
    scheduler._schedule_reevalutation(0.1)  # e.g. Snakemake's queue-input wait
    assert wakeups(scheduler, within=1.0) == 1
    later = timers(scheduler)
    assert len(later) == 1 and later[0].interval == 600
    later[0].cancel()


def test_schedulers_keep_their_own_wakeups(scheduler_class):
    first, second = scheduler_class(), scheduler_class()
    first._schedule_reevalutation(0.1)
    second._schedule_reevalutation(0.1)
    assert wakeups(first, within=0.5) == 1 and wakeups(second, within=0.5) == 1


def test_parsing_the_workflow_coalesces_snakemakes_timers(repo):
    """The replacement is made by rules/common.smk, in the process that will schedule."""
    import subprocess

    code = (
        "import atexit, sys\n"
        "from snakemake.scheduling.job_scheduler import JobScheduler as J\n"
        "atexit.register(lambda: print('COALESCED', getattr(J._schedule_reevalutation, "
        "'coalesced', False)))\n"
        "sys.argv = ['snakemake', '--list-rules']\n"
        "from snakemake.cli import main\n"
        "main()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "train_generator" in out.stdout  # the workflow was parsed
    assert "COALESCED True" in out.stdout

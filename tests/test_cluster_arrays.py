"""The guard against SLURM job-array runs that would hang (imbench.plan.cluster).

The hang itself needs a cluster: tests/test_slurm.py reproduces the refusal there."""

from __future__ import annotations

import sys
from collections import Counter
from types import SimpleNamespace

import pytest

from imbench.errors import ConfigError
from imbench.plan.cluster import (
    ARRAY_DROP_ISSUE,
    REEVALUATION,
    array_rules,
    cancel_reevaluation_timers,
    check_array_submission,
    check_workflow_arrays,
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


def test_snakemake_still_starts_its_scheduling_timers_where_imbench_cancels_them():
    """cancel_reevaluation_timers finds the timers by their function's name: a Snakemake
    that renamed the method would leave the finished process waiting again."""
    import inspect

    from snakemake.scheduling.job_scheduler import JobScheduler

    source = inspect.getsource(JobScheduler._schedule_reevalutation)
    assert "threading.Timer(" in source
    assert JobScheduler._schedule_reevalutation.__qualname__ == REEVALUATION


def test_only_snakemake_scheduling_timers_are_cancelled():
    import threading
    import time

    class JobScheduler:  # the name and method Snakemake's timers come from
        def _schedule_reevalutation(self, delay):
            timer = threading.Timer(delay, lambda: None)
            timer.start()
            return timer

    ours = JobScheduler()._schedule_reevalutation(600)
    other = threading.Timer(600, lambda: None)
    other.start()
    try:
        start = time.monotonic()
        assert cancel_reevaluation_timers() == 1
        ours.join(timeout=5)
        assert not ours.is_alive() and time.monotonic() - start < 5
        assert other.is_alive()
    finally:
        other.cancel()
        ours.cancel()

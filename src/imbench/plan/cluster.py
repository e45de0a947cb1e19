"""Cluster runs: which rules may go as SLURM job arrays, what a run's submission settings
must satisfy before anything is submitted, and Snakemake's scheduling timers
(`coalesce_reevaluation_timers`).

snakemake-executor-plugin-slurm 2.8.0 (the newest release) has two faults with arrays, both
seen on the test cluster (docs/cluster.md):

* it drops the jobs of an array rule when it is handed fewer than all of that rule's ready
  jobs, waiting for "a full chunk" that never comes, and the run hangs with nothing queued
  (``ARRAY_DROP_ISSUE``). That happens whenever ``--jobs`` or ``--max-jobs-per-timespan``
  cuts Snakemake's selection, so an array run needs both at least as large as the number of
  jobs it will run, and no ``--scheduler-subsample`` below that number (it hands the
  selector a random subset of the ready jobs): `check_workflow_arrays` refuses it otherwise;
* every task's job step checks the outputs of the array's *first* job, not its own
  (``ARRAY_OUTPUT_ISSUE``): a task that ends while the first task's outputs are missing
  fails, and Snakemake resubmits it as a plain job. So only rules whose retry resumes
  from a checkpoint go as arrays (`ARRAY_RULES`): the retry then reloads the finished
  model and writes its outputs, instead of training again.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..errors import ConfigError

if TYPE_CHECKING:
    from snakemake.workflow import Workflow

ARRAY_DROP_ISSUE = "https://github.com/snakemake/snakemake-executor-plugin-slurm/issues/473"
ARRAY_OUTPUT_ISSUE = "https://github.com/snakemake/snakemake-executor-plugin-slurm/issues/447"

#: rules sent as job arrays with IMBENCH_SLURM_ARRAYS=1 (profiles/gpu reads this): the GPU
#: rule whose jobs resume from their last checkpoint (imbench.generators.train)
ARRAY_RULES: tuple[str, ...] = ("train_generator",)


def array_rules(setting: str | None, rules: Iterable[str]) -> set[str]:
    """The rules a ``--slurm-array-jobs`` value selects (``all``, or names split by ``,``
    or ``;`` as the plugin splits them), among the workflow's rules."""
    if not setting:
        return set()
    names = {n.strip() for n in setting.replace(";", ",").split(",") if n.strip()}
    return set(rules) if "all" in names else names & set(rules)


def check_array_submission(arrays: set[str], jobs_by_rule: Counter, jobs_limit: int,
                           per_timespan: int | None, subsample: int | None = None) -> None:
    """Raise ConfigError if a run with job arrays for ``arrays`` could have its selection
    cut: ``jobs_limit`` (``--jobs``), ``per_timespan`` (``--max-jobs-per-timespan``'s job
    count; None: no rate limit) or ``subsample`` (``--scheduler-subsample``; None: all
    ready jobs) below the number of jobs to run."""
    if not arrays & {r for r, n in jobs_by_rule.items() if n > 1}:
        return  # a rule with one job is submitted as a plain job
    total = sum(jobs_by_rule.values())
    why = (f"with --slurm-array-jobs for {', '.join(sorted(arrays))}, the SLURM plugin "
           f"drops array jobs when Snakemake selects fewer than all of a rule's ready "
           f"jobs, and the run hangs ({ARRAY_DROP_ISSUE}). This run has {total} jobs")
    if jobs_limit < total:
        raise ConfigError("--jobs", jobs_limit,
                          f"'unlimited' or at least {total} ({why}); or no job arrays")
    if per_timespan is not None and per_timespan < total:
        raise ConfigError("--max-jobs-per-timespan", f"{per_timespan}/<timespan>",
                          f"at least {total} jobs per timespan ({why}); or no job arrays")
    if subsample is not None and subsample < total:
        raise ConfigError("--scheduler-subsample", subsample,
                          f"unset or at least {total} ({why}); or no job arrays")


def check_workflow_arrays(workflow: Workflow) -> None:
    """`check_array_submission` on a Snakemake workflow whose DAG is built (onstart).
    Runs of other executors (local, or the job step inside a SLURM job) have no array
    setting and pass."""
    setting = getattr(workflow.executor_settings, "array_jobs", None)
    jobs = Counter(job.rule.name for job in workflow.dag.needrun_jobs())
    arrays = array_rules(setting, (rule.name for rule in workflow.rules))
    rate = workflow.scheduling_settings.max_jobs_per_timespan
    check_array_submission(arrays, jobs, workflow.resource_settings.nodes,
                           None if rate is None else int(rate.max_jobs),
                           workflow.scheduling_settings.subsample or None)


def coalesce_reevaluation_timers(scheduler_class: type | None = None) -> bool:
    """Keep one pending scheduling wake-up per Snakemake scheduler, as a daemon thread;
    whether this call changed the class (False when it already had).

    Snakemake (9.27.1) ends every scheduling round that leaves ready jobs waiting by
    starting a ``threading.Timer`` of the ``--max-jobs-per-timespan`` timespan, which
    releases the scheduler for one more round (``JobScheduler._schedule_reevalutation``).
    A round woken by such a timer starts the next one, so every round woken by a finished
    job adds a timer that lives as long as jobs wait: one thread per finished submission,
    and one more round per timespan each (a 1,223-job run of 129 submissions on the test
    cluster ended with 127 threads; a paper-scale grid of 13,000 submissions would hold
    13,000 sleeping threads and run 22 rounds a second at the profile's ten-minute
    timespan). All those timers do the same thing, so one pending wake-up, the earliest
    asked for, serves them all: a request due no sooner than the pending one is dropped,
    an earlier one starts its own timer.
    The timers are daemon threads: the finished process does not wait for them (they
    held it for up to a timespan). Called when the Snakefile is parsed, before the
    scheduler exists; ``scheduler_class`` is for tests (default: Snakemake's)."""
    if scheduler_class is None:
        from snakemake.scheduling.job_scheduler import JobScheduler as scheduler_class
    if getattr(scheduler_class._schedule_reevalutation, "coalesced", False):
        return False
    lock = threading.Lock()

    def _schedule_reevalutation(self, delay: float) -> None:
        due = time.monotonic() + delay
        with lock:
            pending = getattr(self, "_imbench_wakeup", None)
            if pending is not None and pending[0] <= due:
                return
            token = object()

            def wake() -> None:
                # cleared before the release, so the round it starts can ask again
                with lock:
                    if getattr(self, "_imbench_wakeup", (None, None))[1] is token:
                        self._imbench_wakeup = None
                self._open_jobs.release()

            timer = threading.Timer(delay, wake)
            timer.daemon = True
            self._imbench_wakeup = (due, token)
        timer.start()

    _schedule_reevalutation.coalesced = True  # type: ignore[attr-defined]
    # Snakemake 9's name for it (sic)
    scheduler_class._schedule_reevalutation = _schedule_reevalutation
    return True

"""Shared fixtures: the repository root, the tiny CI config, and an in-process dry-run."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
TEST_CONFIG = REPO / ".test" / "config.yaml"


def pytest_collection_modifyitems(config, items) -> None:
    """`tensorflow_only` tests skip, saying why, when KERAS_BACKEND names another backend
    (make test reruns the `neural` tests under torch)."""
    import os

    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    if backend == "tensorflow":
        return
    skip = pytest.mark.skip(reason=f"needs Keras' TensorFlow backend; KERAS_BACKEND={backend}")
    for item in items:
        if "tensorflow_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def repo() -> Path:
    return REPO


def digits_images():
    """scikit-learn's 8x8 digits as the project's uint8 (N, 8, 8, 1) images and int64 labels."""
    import numpy as np
    from sklearn.datasets import load_digits

    d = load_digits()
    return np.round(d.images * (255 / 16)).astype(np.uint8)[..., None], d.target.astype(np.int64)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> Path:
    """The tiny CI grid (.test/config.yaml) run once per session, complete, by the real
    `snakemake`: the end-to-end tests read it, the fault tests break copies of it."""
    from test_workflow_e2e import snakemake

    workdir = tmp_path_factory.mktemp("tiny_run")
    snakemake(workdir)
    return workdir


@pytest.fixture(scope="session")
def small_digits():
    """A seeded 150-image training and 60-image test draw of the digits (quick fits)."""
    import numpy as np

    x, y = digits_images()
    perm = np.random.RandomState(0).permutation(len(y))
    return x[perm[:150]], y[perm[:150]], x[perm[150:210]], y[perm[150:210]]


@pytest.fixture
def fit_twice(small_digits):
    """Fit small_cnn twice on the digits draw with ``params`` (3 quick epochs); returns
    ``(first predictions, second predictions, first report)``."""
    from imbench.classify import fit_and_predict

    x, y, xt, yt = small_digits

    def fit(params: dict):
        tiny = {"epochs": 3, "batch_size": 32, "validation_fraction": 0.2, "verbose": 0,
                **params}
        (_, a, report), (_, b, _) = [
            fit_and_predict("small_cnn", tiny, x, y, xt, yt, n_classes=10, seed=0, n_jobs=1)
            for _ in range(2)]
        return a, b, report

    return fit


@pytest.fixture
def tiny_config() -> dict:
    """A fresh copy of .test/config.yaml (tests mutate it)."""
    return copy.deepcopy(yaml.safe_load(TEST_CONFIG.read_text()))


def dry_run_jobs(config: dict, workdir: Path) -> list[tuple[str, dict[str, str], list[str]]]:
    """The jobs of ``snakemake -n`` on the repository's Snakefile with ``config``, run in
    this process, so that an entry a test registered (a toy augmenter, classifier, protocol,
    generator method or report rule) is what the workflow sees. ``(rule, wildcards,
    outputs)`` per job, sorted."""
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import (
        ConfigSettings,
        DAGSettings,
        OutputSettings,
        Quietness,
        ResourceSettings,
    )

    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    with SnakemakeApi(OutputSettings(quiet={Quietness.ALL})) as api:
        wf = api.workflow(resource_settings=ResourceSettings(cores=1),
                          config_settings=ConfigSettings(configfiles=[path]),
                          snakefile=REPO / "Snakefile", workdir=workdir)
        dag_api = wf.dag(DAGSettings())
        dag_api.execute_workflow(executor="dryrun")
        jobs = dag_api.workflow_api._workflow.dag.jobs
        out = [(j.rule.name, dict(j.wildcards.items()), sorted(map(str, j.output)))
               for j in jobs]
    return sorted(out, key=lambda j: (j[0], sorted(j[1].items()), j[2]))


@pytest.fixture
def dry_run(tmp_path: Path):
    """``dry_run(config)`` -> :func:`dry_run_jobs` in a fresh working folder."""
    count = iter(range(1000))
    return lambda config: dry_run_jobs(config, tmp_path / f"dry{next(count)}")

"""Fixtures of the fault-injection suite: copies of the session's clean tiny run
(``tiny_run``, tests/conftest.py) and of a folder-dataset run made once per session; each
test breaks a copy (see faultkit.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from faultkit import ok, snakemake, write_png_folder


@pytest.fixture
def run_copy(tiny_run: Path, tmp_path: Path) -> Path:
    """A copy of the session's clean tiny run (tests/conftest.py; the end-to-end tests read
    it too, so it is never changed, only copied) to break, times kept so nothing is out of
    date."""
    target = tmp_path / "run"
    shutil.copytree(tiny_run, target, symlinks=True)
    return target


@pytest.fixture(scope="session")
def folder_run(tmp_path_factory) -> tuple[Path, Path, Path]:
    """A naturally imbalanced folder dataset (30/20/10 images) run through none and ros:
    ``(workdir, config file, image folder)``."""
    base = tmp_path_factory.mktemp("folder")
    images = base / "images"
    write_png_folder(images, {"a": 30, "b": 20, "c": 10})
    config = base / "config.yaml"
    config.write_text(yaml.safe_dump({
        "cache_dir": str(base / "cache"),
        "datasets": {"mine": {"loader": "folder", "path": str(images)}},
        "imbalances": {"none": {"protocol": "none"}},
        "augmenters": {"none": {"method": "none"},
                       "ros": {"method": "ros"},
                       "ros_auto": {"method": "ros", "sampling_strategy": "auto"}},
        "classifiers": {"svm": {"method": "svm", "params": {"features": "pixels"}}},
        "seeds": [0],
    }))
    workdir = base / "run"
    ok(snakemake(workdir, config, "--until", "evaluate"))
    return workdir, config, images

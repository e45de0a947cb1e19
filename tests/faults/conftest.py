"""Fixtures of the fault-injection suite: a clean tiny run and a folder-dataset run, made
once per session; each test breaks a copy (see faultkit.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from faultkit import ok, snakemake, write_png_folder


@pytest.fixture(scope="session")
def clean_run(tiny_run: Path) -> Path:
    """The tiny CI grid run once, complete (the session's run, which the end-to-end tests
    read too: never changed here, only copied)."""
    return tiny_run


@pytest.fixture
def run_copy(clean_run: Path, tmp_path: Path) -> Path:
    """A copy of the clean run to break (times kept, so nothing is out of date)."""
    target = tmp_path / "run"
    shutil.copytree(clean_run, target, symlinks=True)
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

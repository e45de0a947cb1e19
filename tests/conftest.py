"""Shared fixtures: the repository root and the tiny CI config."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
TEST_CONFIG = REPO / ".test" / "config.yaml"


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture
def tiny_config() -> dict:
    """A fresh copy of .test/config.yaml (tests mutate it)."""
    return copy.deepcopy(yaml.safe_load(TEST_CONFIG.read_text()))

"""The YAML in the README and docs is what a user copies: every block is checked.

A block with ``datasets:`` is a whole config: with its placeholder paths pointed at small
files this test writes, it passes the schema, the package's checks and a dry-run of the
workflow. Any other block is an excerpt (``report:``, ``published:``): merged into the
default config, it passes the schema.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from imbench.plan import Grid, prepare_config
from imbench.plan.schema import validate_config

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def yaml_blocks() -> list[tuple[str, str]]:
    out = []
    for path in DOCS:
        text = path.read_text()
        for m in re.finditer(r"^```yaml\n(.*?)^```", text, re.M | re.S):
            line = text[:m.start()].count("\n") + 1
            out.append((f"{path.relative_to(REPO)}:{line}", m.group(1)))
    return out


BLOCKS = yaml_blocks()


def test_the_docs_have_yaml_blocks():
    assert len(BLOCKS) >= 4, [name for name, _ in BLOCKS]


def _real_paths(cfg: dict, tmp_path: Path) -> dict:
    """Placeholder sources and folders -> files and folders of the right kind."""
    from PIL import Image

    # a user's folder: ten classes, enough images for every protocol of the examples
    folder = tmp_path / "images"
    for c in range(10):
        (folder / f"class{c}").mkdir(parents=True, exist_ok=True)
        for i in range(140):
            Image.fromarray(np.full((8, 8), i, np.uint8)).save(folder / f"class{c}" / f"{i}.png")
    source = tmp_path / "source"
    source.mkdir(exist_ok=True)
    for entry in (cfg.get("datasets") or {}).values():
        if isinstance(entry, dict):
            if "source" in entry:
                entry["source"] = str(source)
            if "path" in entry:
                entry["path"] = str(folder)
    return cfg


@pytest.mark.parametrize(("where", "text"), BLOCKS, ids=[b[0] for b in BLOCKS])
def test_yaml_block_is_valid(where, text, tmp_path, dry_run):
    block = yaml.safe_load(text)
    assert isinstance(block, dict), where
    if "datasets" in block:
        cfg = _real_paths(copy.deepcopy(block), tmp_path)
        prepare_config(cfg)
        validate_config(cfg)
        Grid(cfg)
        assert dry_run(cfg), where
    else:
        cfg = yaml.safe_load((REPO / "config.yaml").read_text())
        cfg.update(copy.deepcopy(block))
        prepare_config(cfg)
        validate_config(cfg)

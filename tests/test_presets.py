"""The study presets in configs/: each is a valid grid at both scales, the quick scale is
small and kept apart from the real one, and `snakemake -n` plans each (no data needed)."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from imbench.classify import CLASSIFIERS
from imbench.plan import Grid, ReportPlan, prepare_config
from imbench.plan.schema import config_schema

REPO = Path(__file__).resolve().parents[1]
PRESETS = sorted(p for p in (REPO / "configs").glob("*.yaml")
                 if not p.name.startswith("local_data"))
OVERLAY = REPO / "configs" / "local_data.example.yaml"
SCHEMA = config_schema()
STUDIES = {"seed000", "seed001", "seed002", "seed003", "seed004", "cifar10_lt"}


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def prepared(path: Path, quick: bool, overlay: bool = False) -> dict:
    cfg = load(path)
    if overlay:
        cfg.update(load(OVERLAY))
    cfg["quick"] = quick
    prepare_config(cfg)
    jsonschema.validate(cfg, SCHEMA)
    return cfg


def test_one_preset_per_study():
    assert {p.stem for p in PRESETS} == STUDIES


@pytest.mark.parametrize("path", PRESETS, ids=lambda p: p.stem)
def test_preset_valid_at_both_scales(path):
    full = Grid(prepared(path, quick=False))
    quick = Grid(prepared(path, quick=True))
    # repetitions: seeds, or seeds x folds (seed003: one seed, five folds)
    assert quick.config["seeds"] == [0] and len(full.repetitions()) >= 3
    assert len(quick.cells) < len(full.cells)
    # quick results land beside, never on top of, real-scale ones
    assert all(d.endswith("_quick") for d in quick.names("datasets"))
    assert not set(quick.names("datasets")) & set(full.names("datasets"))
    for g in (full, quick):
        plan = ReportPlan(g)
        assert g.originals  # an original row to compare
        assert len(g.baselines) == 1  # one imbalanced baseline
        assert plan.targets()[-1] == "reports/index.html"
        assert plan.statistics() or len(g.config["seeds"]) == 1


@pytest.mark.parametrize("path", PRESETS, ids=lambda p: p.stem)
def test_quick_keeps_the_imbalance_ratios(path):
    full, quick = Grid(prepared(path, False)), Grid(prepared(path, True))
    ratios = {}
    for g in (full, quick):
        for d, i in g.unique("dataset", "imbalance"):
            counts = g.expected_counts(d, i)
            if counts and len(set(counts)) > 1:
                ratios.setdefault(g is quick, {})[i] = max(counts) / min(counts)
    for name, rho in ratios.get(True, {}).items():  # seed004: balanced, none
        if name in ratios[False]:
            assert rho == pytest.approx(ratios[False][name], rel=0.08), name


@pytest.mark.parametrize("path", PRESETS, ids=lambda p: p.stem)
def test_local_overlay_points_at_local_files_only(path, tmp_path):
    overlay = load(OVERLAY)
    fake = {}
    for loader in overlay["data_sources"]:
        f = tmp_path / f"{loader}.npz"
        f.write_bytes(b"")
        fake[loader] = str(f)
    cfg = load(path)
    cfg["data_sources"] = fake
    before = set(cfg["datasets"])
    prepare_config(cfg)
    assert set(cfg["datasets"]) == before
    # every dataset whose loader has a local copy reads it (seed003's CIFAR-100 pair has
    # none among the shared data: it downloads)
    local = [e for name, e in cfg["datasets"].items()
             if e.get("loader", name) in overlay["data_sources"]]
    assert local
    for entry in local:
        assert entry["source"] in fake.values()


@pytest.mark.slow
@pytest.mark.parametrize("quick", [True, False], ids=["quick", "full"])
def test_presets_dry_run(tmp_path, quick):
    """`snakemake -n` on every preset: the DAG builds, nothing is downloaded or run."""
    for path in PRESETS:
        tmp = path
        # run where the demo config.yaml sits, as a user does from the repo root: the preset
        # must replace it, not merge with it
        workdir = tmp_path / path.stem
        workdir.mkdir()
        (workdir / "config.yaml").write_text((REPO / "config.yaml").read_text())
        # weights a user supplies must exist at DAG build (seed002's torchvision ResNet-18)
        weights = workdir / ".cache/imbench/weights/resnet18-f37072fd.pth"
        weights.parent.mkdir(parents=True)
        weights.write_bytes(b"")
        cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"),
               "-d", str(workdir), "--configfile", str(tmp), "-n", "--quiet",
               "rules", "--cores", "2"]
        if quick:
            cmd += ["--config", "quick=true"]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"{path.name}:\n{result.stdout}\n{result.stderr}"
        assert "report_index" in result.stdout + result.stderr


@pytest.mark.parametrize("path", PRESETS, ids=lambda p: p.stem)
def test_preset_classifier_parameters(path):
    """Every classifier method a preset names is registered and every parameter override is
    known, at both scales."""
    cfg = load(path)
    methods = {e["method"] for block in (cfg["classifiers"],
                                         cfg["quick_overrides"].get("classifiers") or {})
               for e in block.values() if e and "method" in e}
    assert methods and all(m in CLASSIFIERS for m in methods), methods
    for quick in (False, True):
        c = copy.deepcopy(cfg)
        c["quick"] = quick
        Grid(prepare_config(c))


def test_quick_small_cnn_settings_learn():
    """The quick presets' small_cnn settings train a classifier, not a coin: with the
    method's own defaults (lr 1e-4, batch 128) three quick epochs stayed near chance on
    MNIST. Checked on the 8x8 digits, on the whole training split, against test images."""
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    from imbench.classify.small_cnn import SmallCNNClassifier

    d = load_digits()
    x = np.round(d.images * (255 / 16)).astype(np.uint8)[..., None]
    x, xt, y, yt = train_test_split(x, d.target, test_size=0.3, random_state=0,
                                    stratify=d.target)
    settings = {}
    for path in PRESETS:
        block = load(path)["quick_overrides"].get("classifiers") or {}
        for entry in block.values():
            if entry and entry.get("method") == "small_cnn":
                settings[path.stem] = entry.get("params") or {}
    assert settings, "no quick preset uses small_cnn"
    for params in {repr(sorted(p.items())): p for p in settings.values()}.values():
        clf = SmallCNNClassifier(random_state=0, **{**params, "verbose": 0}).fit(x, y, 10)
        accuracy = float((clf.predict(xt) == yt).mean())
        assert accuracy > 0.8, f"{params}: test accuracy {accuracy:.2f}"  # chance is 0.1


@pytest.mark.parametrize("path", PRESETS, ids=lambda p: p.stem)
def test_header_points_to_the_protocol_card_instead_of_repeating_it(path):
    header = []
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            break
        header.append(line)
    text = "\n".join(header)
    # the differences from the study are data, in one place (imbench.plan.card)
    assert "protocol card" in text and f"reports/reproduction/{path.stem}.md" in text
    assert "deviations" not in text.lower() and "\n# - " not in text, path.name

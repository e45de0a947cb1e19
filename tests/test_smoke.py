"""Every preset's smoke scale (`--config scale=smoke`) end to end with the real `snakemake`:
the real scale's networks, losses, judges, protocols and reports on stand-in images of each
loader's shape (tests/standins.py), and, where the real scale reads pretrained weights
(seed002's torchvision ResNet-18, seed003's keras.applications backbones), stand-in files of
the same layout. A failure only the real scale would meet (a missing file, a shape, a judge)
shows here in minutes instead of after hours on a cluster."""

from __future__ import annotations

import copy
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from snakemake.utils import update_config
from standins import SHAPES, dataset_npz, keras_notop, torchvision_resnet18

from imbench.classify.applications import NOTOP_URLS, notop_file
from imbench.plan import Grid, prepare_config

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
PRESETS = ["seed000", "seed001", "seed002", "seed003", "seed004", "cifar10_lt"]
#: stand-in images per class: as many as the largest smoke count (test: test_per_class)
TRAIN_PER_CLASS, TEST_PER_CLASS = 50, 12


def _smoke_grid(preset: str, overlay: dict) -> Grid:
    """The grid Snakemake builds from the preset and the overlay (a second --configfile,
    merged as Snakemake merges it)."""
    cfg = yaml.safe_load((REPO / "configs" / f"{preset}.yaml").read_text())
    update_config(cfg, copy.deepcopy(overlay))
    cfg["scale"] = "smoke"
    return Grid(prepare_config(cfg))


def _overlay(preset: str, tmp: Path) -> dict:
    """data_sources: one stand-in .npz per loader the smoke grid uses; weights the real
    scale reads: stand-ins of the same layout, named where the smoke scale reads them."""
    datasets = {name: e for name, e in yaml.safe_load(
        (REPO / "configs" / f"{preset}.yaml").read_text())["smoke_overrides"]["datasets"].items()
        if e}
    loaders = {e.get("loader", name) for name, e in datasets.items()}
    overlay: dict = {"data_sources": {
        loader: str(dataset_npz(tmp / "data" / f"{loader}.npz", loader, TRAIN_PER_CLASS,
                                TEST_PER_CLASS)) for loader in sorted(loaders & set(SHAPES))},
        # the stand-ins are not the official archives' sizes
        "smoke_overrides": {"datasets": {name: {"verify": False} for name in datasets}}}
    if preset == "seed002":
        path = torchvision_resnet18(tmp / "weights" / "resnet18-f37072fd.pth")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        overlay["smoke_overrides"]["classifiers"] = {"resnet18": {"params": {
            "weights_file": str(path), "weights_sha256": digest}}}
    if preset == "seed003":
        folder = tmp / "keras"
        smoke = yaml.safe_load((REPO / "configs" / "seed003.yaml").read_text())[
            "smoke_overrides"]["classifiers"]
        overlay["smoke_overrides"]["classifiers"] = {
            n: {"params": {"weights_dir": str(folder)}} for n, e in smoke.items() if e}
        backbone = {notop_file(n): n for n in NOTOP_URLS}
        for _, path, _ in _smoke_grid(preset, overlay).user_files():
            keras_notop(folder, backbone[Path(path).name])
    return overlay


@pytest.mark.parametrize("preset", PRESETS)
def test_smoke_scale_end_to_end(preset, tmp_path):
    overlay = _overlay(preset, tmp_path)
    overlay_file = tmp_path / "standins.yaml"
    overlay_file.write_text(yaml.safe_dump(overlay, sort_keys=False))
    workdir = tmp_path / "run"
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d", str(workdir),
           "--configfile", str(REPO / "configs" / f"{preset}.yaml"), str(overlay_file),
           "--config", "scale=smoke", "--cores", "2"]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, f"{preset}:\n{result.stdout[-4000:]}\n{result.stderr[-8000:]}"
    grid = _smoke_grid(preset, overlay)
    assert all(d.endswith("_smoke") for d in grid.names("datasets"))
    made = sorted((workdir / "results").rglob("metrics.json"))
    assert len(made) == len(grid.cells) > 0
    for path in made:
        m = json.loads(path.read_text())
        assert 0.0 <= m["accuracy"] <= 1.0 and m["provenance"]["config"]
    report = workdir / "reports" / "reproduction" / f"{preset}_smoke.md"
    assert "## The protocol, item by item" in report.read_text()
    assert (workdir / "reports" / "index.html").is_file()
    CHECKS.get(preset, lambda *_: None)(workdir, grid)


def _seed002(workdir: Path, grid: Grid) -> None:
    # the real classifier (ResNet-18 at 224 from the stand-in weights) on the balanced
    # one-vs-rest test set: as many other images as trousers
    m = json.loads(next((workdir / "results").rglob("metrics.json")).read_text())
    assert m["confusion_matrix"][0] and sum(m["confusion_matrix"][0]) == sum(
        m["confusion_matrix"][1])
    assert {c.classifier for c in grid.cells} == {"resnet18"}


def _seed003(workdir: Path, grid: Grid) -> None:
    # eGAN on ImageNet backbones read from the weights folder, the Nash rule on a validation
    # part holding a minority image, the last epoch where one image leaves none to validate,
    # the labelled as-published test maxima over every epoch
    reports = {p.parent.parent.name: json.loads(p.read_text())
               for p in (workdir / "results").rglob("train_report.json")}
    assert any(n.endswith("_last") for n in reports) and "egan" in reports
    egan = reports["egan"]
    assert egan["val_counts"][1] >= 1  # the minority is in the validation part
    assert egan["as_published"]["label"].startswith("as published (selected on test)")
    assert len(egan["history"]["test_f1"]) == egan["epochs_run"] == 1
    m = json.loads(next((workdir / "results/cifar10_pair_smoke").rglob("metrics.json"))
                   .read_text())
    # scored on the loader's test split of the two classes (no folds): test_per_class each
    assert m["n_test"] == 2 * grid.config["datasets"]["cifar10_pair_smoke"]["test_per_class"]
    # per_class[1] is the minority of eGAN's binary task, as the published numbers read it
    assert m["per_class"][1]["name"].startswith("minority")
    repro = (workdir / "reports/reproduction/seed003_smoke.md").read_text()
    assert repro.index("## The protocol, item by item") < repro.index(
        "| CIFAR-10 1:50, minority F1 |")


def _seed004(workdir: Path, grid: Grid) -> None:
    models = sorted(p.relative_to(workdir / "models/horse_deer_smoke/tiny").parts[0]
                    .split("-")[0] for p in
                    (workdir / "models/horse_deer_smoke/tiny").rglob("generator.pt"))
    assert models == ["cgan", "cyclegan", "cyclegan"]  # one cGAN, one CycleGAN per class
    counts = [json.loads((workdir / f"data/horse_deer_smoke/tiny/{a}/seed0/counts.json")
                         .read_text())["counts"] for a in ("none", "cgan_250", "cyclegan_250")]
    assert counts == [[20, 20], [166, 166], [166, 166]]  # +N on the balanced tiny set
    fit = (workdir / "reports/tables/horse_deer_smoke.fit.md").read_text()
    assert "| tiny | cgan_250 | small_cnn |" in fit


CHECKS = {"seed002": _seed002, "seed003": _seed003, "seed004": _seed004}

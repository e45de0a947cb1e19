"""Errors that used to come too late or mislead (issue 13): each is one clear message,
before any job where the DAG can tell."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from faultkit import TINY, write_png_folder

from imbench import records
from imbench.augment import rebalance
from imbench.datasets import load_dataset
from imbench.errors import ConfigError, DataError
from imbench.evaluate import scored_labels
from imbench.io import load_npz
from imbench.plan import Grid, prepare_config


@pytest.fixture
def tiny() -> dict:
    return yaml.safe_load(TINY.read_text())


@pytest.mark.parametrize("strategy, key", [
    ("banana", "augmenters.ros.sampling_strategy"),
    (2.0, "augmenters.ros.sampling_strategy"),
    ({12: 500}, "augmenters.ros.sampling_strategy.12"),
])
def test_bad_sampling_strategy_fails_while_the_dag_is_built(tiny, strategy, key):
    tiny["augmenters"]["ros"]["sampling_strategy"] = strategy
    with pytest.raises(ConfigError) as err:
        Grid(prepare_config(tiny))
    assert err.value.key == key and err.value.value in (strategy, 12)


def test_a_dict_target_below_a_class_count_fails_naming_the_class(small_digits):
    x, y, *_ = small_digits
    n0 = int((y == 0).sum())
    with pytest.raises(ConfigError, match=rf"sampling_strategy\[0\].*>= the class's {n0}"):
        rebalance(x, y, method="ros", sampling_strategy={0: n0 - 1}, seed=0)
    with pytest.raises(ConfigError, match=rf"<= the class's {n0}"):
        rebalance(x, y, method="rus", sampling_strategy={0: n0 + 1}, seed=0)


def test_a_clipped_smote_k_is_noted_with_the_value_used(small_digits):
    x, y, *_ = small_digits
    keep = np.concatenate([np.flatnonzero(y == 0), np.flatnonzero(y == 1)[:3]])
    *_, info = rebalance(x[keep], y[keep], method="smote", sampling_strategy="auto",
                         params={"k_neighbors": 5}, seed=0)
    assert info["notes"] == ["class 1: k_neighbors 5 is more than its 3 images allow; used 2"]


def test_protocol_strategy_that_adds_nothing_is_said(folder_run):
    """ros under sampling_strategy: protocol on a naturally imbalanced folder adds nothing
    (no class was shrunk): its counts.json and log say so, with the way to oversample."""
    workdir, _, _ = folder_run
    info = json.loads((workdir / "data/mine/none/ros/seed0/counts.json").read_text())
    assert info["added"] == {} and info["counts"] == info["counts_before"]
    assert any("adds nothing here" in n and "sampling_strategy: auto" in n
               for n in info["notes"])
    assert "adds nothing here" in (workdir / "logs/augment/mine/none/ros/seed0.log").read_text()
    auto = json.loads((workdir / "data/mine/none/ros_auto/seed0/counts.json").read_text())
    assert auto["notes"] == [] and len(set(auto["counts"])) == 1


def test_sci_notation_and_command_line_seeds_are_read_as_numbers(tiny):
    tiny["imbalances"]["step"]["rho"] = "1e1"  # how YAML 1.1 reads `rho: 1e1`
    tiny["seeds"] = ["0", "1"]                 # how `--config seeds=[0,1]` arrives
    grid = Grid(prepare_config(tiny))
    assert grid.imbalance_cfg("step")["rho"] == 10.0
    assert grid.config["seeds"] == [0, 1]


def test_corrupt_and_misnamed_files_name_the_file(tmp_path):
    text = tmp_path / "text.npz"
    text.write_text("not an archive\n")
    with pytest.raises(DataError, match=r"text\.npz: not an \.npz archive"):
        load_npz(text)
    good = tmp_path / "good.npz"
    np.savez(good, a=np.arange(10_000))
    cut = tmp_path / "cut.npz"
    cut.write_bytes(good.read_bytes()[:-4000])
    with pytest.raises(DataError, match=r"cut\.npz: truncated or corrupt"):
        load_npz(cut)
    write_png_folder(tmp_path / "imgs", {"a": 3, "b": 3})
    bad = tmp_path / "imgs" / "a" / "000.png"
    bad.write_bytes(bad.read_bytes()[:40])
    with pytest.raises(DataError, match=r"cannot read image .*a/000\.png.*corrupt"):
        load_dataset("folder", cache_dir=tmp_path / "c", path=str(tmp_path / "imgs"))


@pytest.mark.parametrize("case, message", [
    ("rgb_among_grey", "all images must share one shape"),
    ("empty_class", "holds no image"),
    ("one_image_class", r"stratified test split .* per-class counts \[6, 6, 1\]"),
])
def test_folder_datasets_that_cannot_work_fail_clearly(tmp_path, case, message):
    import skimage.io

    write_png_folder(tmp_path, {"a": 6, "b": 6, "c": 1 if case == "one_image_class" else 6})
    if case == "rgb_among_grey":
        skimage.io.imsave(tmp_path / "a" / "rgb.png", np.zeros((8, 8, 3), np.uint8),
                          check_contrast=False)
    if case == "empty_class":
        for f in (tmp_path / "c").glob("*.png"):
            f.unlink()
    with pytest.raises(DataError, match=message):
        load_dataset("folder", cache_dir=tmp_path / "cache", path=str(tmp_path))


def _recorded(tmp_path, **arrays):
    cfg = {s: {"name": s} for s in ("dataset", "imbalance", "augmenter", "classifier")}
    path = tmp_path / "p.npz"
    records.save(path, "predictions", cfg, **arrays)
    return path, cfg


def test_records_catch_edits_copies_and_other_configs(tmp_path):
    path, cfg = _recorded(tmp_path, y=np.arange(5))
    assert records.load(path, "predictions", cfg).record["counts"] == [1] * 5
    other = copy.deepcopy(cfg)
    other["augmenter"]["name"] = "ros"
    with pytest.raises(DataError, match="config_sha256.*different config"):
        records.load(path, "predictions", other)
    with pytest.raises(DataError, match="kind 'predictions', expected 'train'"):
        records.load(path, "train")
    moved = tmp_path / "elsewhere.npz"
    moved.write_bytes(path.read_bytes())
    with pytest.raises(DataError, match="record says path .*copied from another cell"):
        records.load(moved, "predictions", cfg)
    data = load_npz(path)
    data["y"] = data["y"][::-1].copy()
    np.savez(path, **data)
    with pytest.raises(DataError, match="edited after it was written"):
        records.load(path, "predictions", cfg)
    np.savez(path, y=np.arange(3))
    with pytest.raises(DataError, match="no record of what made it"):
        records.load(path, "predictions", cfg)


def test_a_sub_task_must_score_every_test_image_of_its_classes_once():
    y_test = np.array([0, 1, 2, 1, 0, 2])
    idx = np.flatnonzero(np.isin(y_test, [0, 2]))
    pred = {"y_pred": np.zeros(4, np.int64), "y_true": np.array([0, 1, 0, 1]),
            "test_indices": idx, "task_classes": np.array([0, 2])}
    labels, task = scored_labels(y_test, pred, "p.npz")
    assert labels.tolist() == [0, 1, 0, 1] and task == [0, 2]
    short = {**pred, "test_indices": idx[:3], "y_pred": np.zeros(3), "y_true": labels[:3]}
    with pytest.raises(DataError, match="each of the 4 test images of classes"):
        scored_labels(y_test, short, "p.npz")
    with pytest.raises(DataError, match="differs from the original test labels in 2 of 4"):
        scored_labels(y_test, {**pred, "y_true": np.array([1, 0, 0, 1])}, "p.npz")


def test_duplicate_keys_are_refused_but_yaml_merge_keys_are_not(tmp_path):
    from imbench.plan.config import check_unique_keys

    merged = tmp_path / "merge.yaml"
    # `<<: *anchor` with a key beside it that overrides the merged one is plain YAML
    merged.write_text("a: &base {x: 1, y: 2}\nb: {<<: *base, y: 3}\n")
    check_unique_keys([merged])
    twice = tmp_path / "twice.yaml"
    twice.write_text("a: &base {x: 1}\nb:\n  <<: *base\n  y: 3\n  y: 4\n")
    with pytest.raises(ConfigError, match="defined on lines 4 and 5"):
        check_unique_keys([twice])


def test_a_yaml_syntax_error_is_named_with_file_line_and_column(tmp_path):
    """Snakemake's own message ("not valid JSON or YAML") names no file or line: the
    Snakefile checks the demo config.yaml first, and imbench.check_config any file."""
    import subprocess
    import sys

    bad = "datasets:\n  digits: {}\nimbalances:\n  none: {protocol: none\nseeds: [0]\n"
    (tmp_path / "config.yaml").write_text(bad)
    repo = Path(__file__).resolve().parents[2]
    run = subprocess.run([sys.executable, "-m", "snakemake", "-s", str(repo / "Snakefile"),
                          "-d", str(tmp_path), "-n", "--cores", "1"],
                         capture_output=True, text=True, timeout=120)
    out = run.stdout + run.stderr
    assert run.returncode != 0 and "config.yaml:5:6" in out and "started on line 4" in out
    check = subprocess.run([sys.executable, "-m", "imbench.check_config",
                            str(tmp_path / "config.yaml")], capture_output=True, text=True)
    assert check.returncode == 1 and check.stderr.count("\n") == 1
    assert f"{tmp_path / 'config.yaml'}:5:6" in check.stderr

"""The four ways a wrong result used to be accepted with exit code 0 (issue 13), each now a
failure naming the file and what is wrong, or a rerun to the right result."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from faultkit import TINY, ok, output_and_logs, snakemake, write_png_folder

from imbench import records
from imbench.io import load_npz

pytestmark = pytest.mark.slow
CELL = "results/digits/step/{augmenter}/svm/seed0"


def train_counts(workdir: Path) -> dict[str, list[int]]:
    out = {}
    for path in sorted((workdir / "data" / "mine").rglob("counts.json")):
        out[str(path.relative_to(workdir))] = json.loads(path.read_text())["counts"]
    return out


def test_editing_a_folder_dataset_reruns_what_depends_on_it(folder_run, tmp_path):
    workdir, config, images = folder_run
    work = tmp_path / "run"
    shutil.copytree(workdir, work, symlinks=True)
    folder = tmp_path / "images"
    shutil.copytree(images, folder)
    cfg = yaml.safe_load(config.read_text())
    cfg["datasets"]["mine"]["path"] = str(folder)
    cfg["cache_dir"] = str(tmp_path / "cache")
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(cfg))
    # the clean run under the copied folder: only the path moved, contents equal
    ok(snakemake(work, config, "--until", "evaluate"))
    before = load_npz(work / "data/raw/mine.npz")["y_train"]
    write_png_folder(folder, {"a": 0, "b": 0, "c": 10}, seed=1)  # class c: 10 -> 20 images
    result = ok(snakemake(work, config, "--until", "evaluate"))
    assert "fetch_dataset" in result.stderr  # the raw copy was remade
    raw = records.load(work / "data/raw/mine.npz", "raw")
    live = np.bincount(raw["y_train"]).tolist()
    assert live[2] > np.bincount(before).tolist()[2]
    # every set downstream is made from the new copy: ros brings c up to a, never past it
    auto = json.loads((work / "data/mine/none/ros_auto/seed0/counts.json").read_text())
    assert auto["counts_before"] == live
    assert auto["counts"] == [max(live)] * 3


def test_a_source_changed_after_planning_is_refused(folder_run, tmp_path):
    """The raw copy re-fingerprints its source: one edited between DAG and job fails."""
    from imbench.datasets import fetch_raw
    from imbench.datasets.fingerprint import source_fingerprint

    _, _, images = folder_run
    folder = tmp_path / "images"
    shutil.copytree(images, folder)
    planned = source_fingerprint(folder)
    write_png_folder(folder, {"a": 1, "b": 0, "c": 0}, seed=2)
    cfg = {"dataset": {"name": "mine", "loader": "folder", "path": str(folder),
                       "source_sha256": planned}}
    with pytest.raises(records.DataError, match="changed while the workflow ran"):
        fetch_raw(tmp_path / "raw.npz", {"loader": "folder", "path": str(folder)}, cfg,
                  cache_dir=tmp_path / "cache")
    assert not (tmp_path / "raw.npz").exists()


def test_a_stale_raw_copy_is_never_mixed_with_live_counts(folder_run, tmp_path):
    """--rerun-triggers mtime ignores params: the plan's live counts then differ from the
    raw copy's, and make_imbalanced refuses it instead of mixing the two."""
    workdir, config, images = folder_run
    work = tmp_path / "run"
    shutil.copytree(workdir, work, symlinks=True)
    write_png_folder(images, {"a": 0, "b": 5, "c": 0}, seed=3)
    try:
        result = snakemake(work, config, "--until", "evaluate", "--rerun-triggers", "mtime",
                           "--forcerun", "make_imbalanced")
    finally:
        for f in sorted((images / "b").glob("*.png"))[20:]:
            f.unlink()
    assert result.returncode != 0
    text = output_and_logs(work, result)
    assert "data/raw/mine.npz: its record says config_sha256" in text
    assert "the dataset's local source changed since" in text


def test_raw_counts_other_than_the_plans_are_refused(folder_run, tmp_path):
    """The second guard: a raw copy whose training counts differ from the plan's."""
    from imbench.imbalance import imbalance_raw

    workdir, _, _ = folder_run
    raw = workdir / "data/raw/mine.npz"
    cell = records.load(raw, "raw")
    counts = np.bincount(cell["y_train"]).tolist()
    config = json.loads((workdir / "data/mine/none/seed0/counts.json").read_text()
                        )["provenance"]["config"]
    with pytest.raises(records.DataError, match=r"mine\.npz: its training counts "
                       + re.escape(str(counts)) + " differ from the counts"):
        imbalance_raw(raw, tmp_path / "i.npz", tmp_path / "c.json", protocol={"protocol": "none"},
                      cell=config, seed=0, original_counts=[c + 1 for c in counts])
    assert not (tmp_path / "i.npz").exists()


@pytest.mark.parametrize("forgery", ["y_true=y_pred", "subset"])
def test_forged_predictions_are_refused(run_copy, forgery):
    path = run_copy / CELL.format(augmenter="ros") / "predictions.npz"
    data = load_npz(path)
    record = json.loads(str(data.pop(records.RECORD_KEY)))
    if forgery == "y_true=y_pred":
        data["y_true"] = data["y_pred"].copy()
    else:
        for key in ("y_true", "y_pred", "scores"):
            data[key] = data[key][:-18]
    # first as a careless edit (record kept), then as a careful one (record re-stamped)
    np.savez(path, **data, **{records.RECORD_KEY: np.array(json.dumps(record))})
    result = snakemake(run_copy, TINY)
    assert result.returncode != 0
    assert "its arrays have digest" in output_and_logs(run_copy, result)
    record["arrays_sha256"] = records.arrays_digest(data)
    np.savez(path, **data, **{records.RECORD_KEY: np.array(json.dumps(record))})
    result = snakemake(run_copy, TINY)
    assert result.returncode != 0
    text = output_and_logs(run_copy, result)
    expected = ("y_true differs from the original test labels" if forgery == "y_true=y_pred"
                else "432 predictions for a test set of 450 images")
    assert expected in text
    assert str(Path(CELL.format(augmenter="ros")) / "predictions.npz") in text


def test_a_training_set_copied_from_another_cell_is_refused(run_copy):
    data = run_copy / "data/digits/step"
    shutil.copy(data / "none/seed0/train.npz", data / "transforms/seed0/train.npz")
    result = snakemake(run_copy, TINY)
    assert result.returncode != 0
    text = output_and_logs(run_copy, result)
    assert "data/digits/step/transforms/seed0/train.npz: its record says path " \
           "'data/digits/step/none/seed0/train.npz'" in text
    assert "copied from another cell" in text


def test_a_counts_file_of_another_set_is_refused(run_copy):
    data = run_copy / "data/digits"
    shutil.copy(data / "none/seed0/counts.json", data / "step/seed0/counts.json")
    result = snakemake(run_copy, TINY)
    assert result.returncode != 0
    assert "data/digits/step/seed0/counts.json: its record says path" in \
        output_and_logs(run_copy, result)


def test_a_duplicated_config_key_is_refused_before_any_job(tmp_path):
    text = TINY.read_text().replace(
        "  step: {protocol: step, mu: 0.2, rho: 8}\n",
        "  step: {protocol: step, mu: 0.2, rho: 8}\n  step: {protocol: step, mu: 0.2, rho: 4}\n")
    config = tmp_path / "dup.yaml"
    config.write_text(text)
    result = snakemake(tmp_path / "run", config, "-n")
    assert result.returncode != 0
    lines = [i + 1 for i, line in enumerate(text.splitlines()) if line.startswith("  step:")]
    text = result.stdout + result.stderr
    assert f"{config}: step" in text
    assert f"defined on lines {lines[0]} and {lines[1]}" in text
    assert not (tmp_path / "run" / "data").exists()

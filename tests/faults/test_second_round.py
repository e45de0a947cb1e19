"""The second round of fault probes (issue 31): what a careful user and a reliability engineer
found after the first suite held. Each test is one probe, broken the way the probe broke it."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import stat
import struct
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from faultkit import TINY

from imbench.datasets import load_dataset
from imbench.errors import DataError
from imbench.io import atomic_path, read_json, write_json


def _idx(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">I", d)
                                                         for d in array.shape)
    return header + array.astype(">u1").tobytes()


def _gz(data: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(mode="wb", fileobj=buf, mtime=0) as fh:
        fh.write(data)
    return buf.getvalue()


def _mnist_files(n_train: int = 12, n_test: int = 6) -> dict[str, bytes]:
    rng = np.random.default_rng(0)
    out = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        out[f"{split}-images-idx3-ubyte.gz"] = _gz(_idx(rng.integers(0, 256, (n, 28, 28))))
        out[f"{split}-labels-idx1-ubyte.gz"] = _gz(_idx(np.arange(n) % 10))
    return out


# -- 5: files a team can read ---------------------------------------------------------------
def test_written_files_get_the_users_umask_not_a_private_mode(tmp_path):
    old = os.umask(0o022)
    try:
        write_json(tmp_path / "a.json", {"x": 1})
        with atomic_path(tmp_path / "b.bin") as tmp:
            tmp.write_bytes(b"x")
        os.umask(0o027)
        write_json(tmp_path / "c.json", {"x": 1})
    finally:
        os.umask(old)
    mode = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
    assert mode == {"a.json": 0o644, "b.bin": 0o644, "c.json": 0o640}


# -- 4: a truncated JSON result names the file and what to do --------------------------------
def test_a_truncated_json_file_is_named_with_what_to_do(tmp_path):
    path = tmp_path / "metrics.json"
    write_json(path, {"accuracy": 0.96, "confusion": [[1, 0], [0, 1]]})
    path.write_text(path.read_text()[:20])
    with pytest.raises(DataError) as err:
        read_json(path)
    assert str(path) in str(err.value) and "delete it and rerun" in str(err.value)


# -- 8: identical runs write identical model files ------------------------------------------
def test_saved_generator_files_are_byte_identical_across_identical_saves(tmp_path):
    torch = pytest.importorskip("torch")
    from imbench.generators.reference import save_reference
    from imbench.generators.train import _save

    payload = {"w": torch.arange(6.0).reshape(2, 3), "meta": {"epoch": 3}}
    digests = set()
    for name in ("a/generator.pt", "b/generator.pt", "c/classifier.pt"):
        save = save_reference if name.endswith("classifier.pt") else _save
        save(payload, tmp_path / name)
        digests.add(hashlib.sha256((tmp_path / name).read_bytes()).hexdigest())
    assert len(digests) == 1


# -- 8: RGBA and other silent conversions are said --------------------------------------------
def test_an_rgba_image_among_rgb_ones_is_noted_in_the_dataset(tmp_path):
    from PIL import Image

    from imbench.datasets import load_raw, save_raw

    for c in ("a", "b"):
        (tmp_path / "img" / c).mkdir(parents=True)
        for i in range(5):
            Image.fromarray(np.full((8, 8, 3), 30 * i, np.uint8)).save(
                tmp_path / "img" / c / f"{i}.png")
    Image.fromarray(np.full((8, 8, 4), 200, np.uint8), "RGBA").save(
        tmp_path / "img" / "b" / "9.png")
    ds = load_dataset("folder", cache_dir=tmp_path, path=str(tmp_path / "img"))
    assert ds.x_train.shape[1:] == (8, 8, 3)
    (note,) = ds.notes
    assert "alpha channel dropped: 1 image(s)" in note and "9.png" in note
    # a task derived from the dataset keeps what reading it changed
    for task in ({"one_vs_rest": 1}, {"classes": [1, 0]}, {"test_per_class": 1}):
        derived = load_dataset("folder", cache_dir=tmp_path, path=str(tmp_path / "img"), **task)
        assert derived.notes == ds.notes, task
    config = {"dataset": {"loader": "folder", "path": str(tmp_path / "img")}}
    save_raw(tmp_path / "raw.npz", ds, config)
    assert load_raw(tmp_path / "raw.npz", config).notes == ds.notes


# -- 8: a corrupt cached download is moved aside and fetched again ---------------------------
def test_a_corrupt_cached_download_is_moved_aside_and_fetched_again(tmp_path, monkeypatch):
    files = _mnist_files()
    cache = tmp_path / "cache" / "mnist"
    cache.mkdir(parents=True)
    for name, data in files.items():
        (cache / name).write_bytes(data)
    bad = cache / "train-images-idx3-ubyte.gz"
    bad.write_bytes(files[bad.name][:40])  # a cut download
    served: list[str] = []

    def urlopen(request, timeout=None):
        served.append(request.full_url)
        return io.BytesIO(files[request.full_url.rsplit("/", 1)[1]])

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    ds = load_dataset("mnist", cache_dir=tmp_path / "cache", verify=False)
    assert ds.x_train.shape == (12, 28, 28, 1)
    assert [u.rsplit("/", 1)[1] for u in served] == [bad.name]
    assert (cache / f"{bad.name}.corrupt").read_bytes() == files[bad.name][:40]
    assert bad.read_bytes() == files[bad.name]


def test_offline_a_corrupt_cached_download_says_where_it_went_and_what_to_do(tmp_path,
                                                                              monkeypatch):
    files = _mnist_files()
    cache = tmp_path / "cache" / "mnist"
    cache.mkdir(parents=True)
    for name, data in files.items():
        (cache / name).write_bytes(data[:len(data) // 2] if name.startswith("t10k-labels")
                                 else data)

    def refuse(request, *args, **kwargs):
        raise urllib.error.URLError("no network (test)")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    with pytest.raises(DataError) as err:
        load_dataset("mnist", cache_dir=tmp_path / "cache", offline=True, verify=False)
    text = str(err.value)
    bad = cache / "t10k-labels-idx1-ubyte.gz"
    assert f"{bad}.corrupt" in text and f"put a good copy at {bad}" in text
    # the next run does not trip over the same file: it is asked for again
    with pytest.raises(DataError, match="could not obtain t10k-labels-idx1-ubyte.gz"):
        load_dataset("mnist", cache_dir=tmp_path / "cache", offline=True, verify=False)
    assert json.dumps(sorted(p.name for p in cache.iterdir())).count(".corrupt") == 1


# -- 1 and 4: an edited, a truncated metrics.json; a deleted counts.json -----------------------
def _a_metrics_file(run: Path) -> Path:
    return sorted((run / "results").rglob("metrics.json"))[0]


def test_an_edited_metrics_file_is_refused_naming_it(run_copy):
    from faultkit import output_and_logs, snakemake

    path = _a_metrics_file(run_copy)
    data = json.loads(path.read_text())
    data["accuracy"] = 0.999
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    result = snakemake(run_copy, TINY)
    assert result.returncode != 0
    text = output_and_logs(run_copy, result)
    assert str(path.relative_to(run_copy)) in text and "edited after it was written" in text
    summary = run_copy / "results" / "summary.csv"  # Snakemake removes a failed job's output
    assert not summary.exists() or "0.999" not in summary.read_text()


def test_a_truncated_metrics_file_is_named_and_remade_once_deleted(run_copy, tiny_run):
    from faultkit import ok, output_and_logs, snakemake

    path = _a_metrics_file(run_copy)
    path.write_text(path.read_text()[:100])
    result = snakemake(run_copy, TINY)
    assert result.returncode != 0
    text = output_and_logs(run_copy, result)
    assert str(path.relative_to(run_copy)) in text and "delete it and rerun" in text
    path.unlink()
    ok(snakemake(run_copy, TINY))
    fresh = json.loads(path.read_text())
    clean = json.loads((tiny_run / path.relative_to(run_copy)).read_text())
    for data in (fresh, clean):
        data.pop("provenance")
        data.pop("record")
    assert fresh == clean


def test_a_deleted_counts_file_is_remade_with_its_job(run_copy):
    from faultkit import ok, snakemake

    def content(path: Path) -> dict:
        data = json.loads(path.read_text())
        return {k: v for k, v in data.items() if k not in ("provenance", "record")}

    counts = sorted((run_copy / "data").rglob("counts.json"))[0]
    before = content(counts)
    counts.unlink()
    result = ok(snakemake(run_copy, TINY))
    assert "Nothing to be done" not in result.stdout + result.stderr
    assert content(counts) == before


# -- 2: where the cache lives is not what a result is ----------------------------------------
def test_moving_the_cache_recomputes_nothing(run_copy, tmp_path):
    import yaml
    from faultkit import ok, snakemake

    config = yaml.safe_load(TINY.read_text())
    config["cache_dir"] = str(tmp_path / "elsewhere")
    moved = tmp_path / "moved.yaml"
    moved.write_text(yaml.safe_dump(config))
    result = ok(snakemake(run_copy, moved, "-n"))
    assert "Nothing to be done" in result.stdout + result.stderr, result.stdout


# -- 3: the order and names of augmenters that share a generator are not what it is ---------
def test_renamed_and_reordered_augmenters_sharing_a_generator_retrain_nothing(tmp_path):
    import yaml
    from faultkit import ok, snakemake

    tiny = {"epochs": 1, "width": 8, "latent_dim": 16, "batch_size": 16,
            "min_iters_per_epoch": 1, "checkpoint_every": 1, "sample_every": 1,
            "selection_samples": 16, "grid_size": 2}
    gan = {"method": "wgan_gp", "params": tiny}
    augmenters = {"none": {"method": "none"},
                  "w_small": {**gan, "sampling_strategy": {8: 60, 9: 60}},
                  "w_big": {**gan, "sampling_strategy": {8: 120, 9: 120}}}
    config = {"datasets": {"digits": {}},
              "imbalances": {"step": {"protocol": "step", "mu": 0.2, "rho": 8}},
              "augmenters": augmenters, "classifiers": {"svm": {"method": "svm"}},
              "reference_classifier": {"epochs": 1}, "seeds": [0]}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    workdir = tmp_path / "run"
    ok(snakemake(workdir, path, "--until", "augment"))
    models = sorted(p.relative_to(workdir).as_posix()
                    for p in (workdir / "models").rglob("generator.pt"))
    config["augmenters"] = {"plus_120": augmenters["w_big"], "none": augmenters["none"],
                            "plus_60": augmenters["w_small"]}
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    dry = ok(snakemake(workdir, path, "--until", "augment", "-n")).stdout
    assert "train_generator" not in dry and "augment" in dry  # the renamed cells are new
    ok(snakemake(workdir, path, "--until", "augment"))
    assert sorted(p.relative_to(workdir).as_posix()
                  for p in (workdir / "models").rglob("generator.pt")) == models


# -- 7: a config error is one line naming the key, the value and what is allowed ------------
@pytest.mark.parametrize(("edit", "line"), [
    (lambda c: c.update(seedz=[0]), "config key 'seedz': got [0]; allowed: keys ["),
    (lambda c: c.update(seeds=[]), "config key 'seeds': got []; allowed: a non-empty"),
    (lambda c: c["imbalances"].update(bad={"protocol": "counts", "counts": {0: -5}}),
     "config key 'imbalances.bad.counts.0': got -5; allowed: an integer >= 1"),
    (lambda c: c["imbalances"]["step"].update(fraction=2),
     "config key 'imbalances.step.fraction': got 2; allowed: keys for 'step': ["),
], ids=["unknown top-level key", "no seeds", "negative count", "unknown protocol key"])
def test_a_config_error_is_one_line_without_a_schema_dump(tmp_path, edit, line):
    import yaml
    from faultkit import snakemake

    config = yaml.safe_load(TINY.read_text())
    edit(config)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    result = snakemake(tmp_path / "run", path, "-n")
    text = result.stdout + result.stderr
    assert result.returncode != 0 and line in text, text
    assert "$schema" not in text and "additionalProperties" not in text  # no schema dump
    assert len(text.splitlines()) < 15


# -- 6: results made by other code are visible, and one command reruns them ------------------
def test_results_made_by_other_code_are_listed_and_rerun_by_one_command(run_copy,
                                                                         monkeypatch):
    from faultkit import ok, snakemake

    from imbench import records
    from imbench.stale import stale

    assert stale(run_copy) == []  # every file of the clean run: this code
    path = _a_metrics_file(run_copy)
    data = records.read_json_result(path, "metrics")
    record = data.pop("record")
    # the file as another imbench would have written it
    data["provenance"]["code_sha256"] = "0" * 64
    monkeypatch.setattr(records, "code_digest", lambda: "0" * 64)
    monkeypatch.chdir(run_copy)
    records.write_json_result(record["path"], data, "metrics")
    monkeypatch.undo()
    os.utime(path, (path.stat().st_atime, (run_copy / "results" / "summary.csv").stat().st_mtime
                    - 1))
    listed = stale(run_copy)
    assert [p.as_posix() for p in listed] == [path.relative_to(run_copy).as_posix()]
    # what Snakemake does by itself: nothing (it does not watch the package's modules)
    assert "Nothing to be done" in ok(snakemake(run_copy, TINY, "-n")).stdout
    plan = ok(snakemake(run_copy, TINY, "-n", "--forcerun", *map(str, listed))).stdout
    assert "rule evaluate:" in plan and "rule aggregate:" in plan
    assert "rule train_classifier:" not in plan and "rule augment:" not in plan
    # the summary step lists it beside the summary, and the report opens with it
    assert 'class="warning"' not in (run_copy / "reports" / "index.html").read_text()
    ok(snakemake(run_copy, TINY, "--forcerun", "aggregate"))
    rel = path.relative_to(run_copy).as_posix()
    flagged = (run_copy / "results" / "other_code.txt").read_text().splitlines()
    assert flagged[0].startswith("1 of ") and "python -m imbench.stale" in flagged[0]
    assert flagged[1:] == [rel]
    index = (run_copy / "reports" / "index.html").read_text()
    assert 'class="warning"' in index and rel in index

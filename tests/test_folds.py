"""k-fold cross-validation as the repetition axis (``folds: k``, seed 003 §4.1): the split, the
plan, and a run in which no fold's test part reaches its training, its generators or its
model choice."""

from __future__ import annotations

import copy
import hashlib
import json
import re

import numpy as np
import pytest
import yaml

from imbench.datasets.folds import fold_assignment, fold_counts
from imbench.errors import ConfigError, DataError


def test_folds_are_stratified_equal_disjoint_and_fixed_by_their_own_seed() -> None:
    y = np.repeat(np.arange(3), [50, 23, 7])
    a = fold_assignment(y, 5, seed=0)
    for c, n in enumerate([50, 23, 7]):
        per_fold = np.bincount(a[(y == c) & (a >= 0)], minlength=5)
        assert per_fold.tolist() == [n // 5] * 5  # equal sizes in every fold
        assert int(((y == c) & (a < 0)).sum()) == n % 5  # fewer than k left out
    # the test parts are disjoint and, with the left-out images, cover every image once
    assert sorted(np.flatnonzero(a >= 0).tolist() + np.flatnonzero(a < 0).tolist()) == \
        list(range(len(y)))
    assert np.array_equal(a, fold_assignment(y, 5, seed=0))
    assert not np.array_equal(a, fold_assignment(y, 5, seed=1))
    # a class's split does not depend on the other classes
    only0 = fold_assignment(y[y == 0], 5, seed=0)
    assert np.array_equal(only0, a[y == 0])
    assert fold_counts([50, 23, 7], 5) == (40, 16, 4)
    with pytest.raises(DataError, match="class 2 has 3 training images, fewer than the 5"):
        fold_assignment(np.repeat(np.arange(3), [10, 10, 3]), 5, seed=0)


def _fold_config(tiny_config: dict, **more) -> dict:
    cfg = copy.deepcopy(tiny_config)
    cfg["folds"] = 3
    cfg.update(more)
    return cfg


def test_the_grid_repeats_every_cell_per_fold_with_the_folds_own_counts(tiny_config) -> None:
    from imbench.plan import Grid, layout, prepare_config

    plain = Grid(prepare_config(copy.deepcopy(tiny_config)))
    grid = Grid(prepare_config(_fold_config(tiny_config, seeds=[0, 1])))
    assert len(grid.cells) == 3 * 2 * len(plain.cells)
    assert grid.repetitions() == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]
    # a fold trains on (k - 1) * (n // k) images of each class, known before loading
    assert grid.original_counts("digits") == [
        2 * (n // 3) for n in plain.original_counts("digits")]
    cell = next(c for c in grid.cells if c.fold == 2 and c.seed == 1)
    assert cell.path(layout.METRICS).endswith("/seed1/fold2/metrics.json")
    assert layout.path(layout.RAW, dataset="digits", fold=2) == "data/raw/digits/fold2.npz"
    assert layout.path(layout.RAW, dataset="digits", fold=None) == layout.path(
        layout.LOADED, dataset="digits")
    # without folds the paths are what they were
    assert plain.cells[0].path(layout.METRICS).endswith("/seed0/metrics.json")
    # every file of a fold records it, so one fold's file is refused in another's place
    one, two = (grid.job_config({"dataset": "digits", "fold": f}, "raw") for f in (1, 2))
    assert one["dataset"]["fold"] == {"k": 3, "seed": 0, "fold": 1} and one != two
    assert "fold" not in plain.job_config({"dataset": "digits", "fold": ""}, "raw")["dataset"]
    # a fold can be excluded like any axis value
    some = Grid(prepare_config(_fold_config(tiny_config, exclude=[
        *tiny_config["exclude"], {"fold": [1, 2]}])))
    assert {c.fold for c in some.cells} == {0}


@pytest.mark.parametrize(("change", "key"), [
    ({"folds": 1}, "folds"),
    ({"folds": True}, "folds"),
    ({"fold_seed": "zero"}, "fold_seed"),
    ({"datasets": {"digits": {"test_per_class": 10}}}, "datasets.digits.test_per_class"),
    ({"folds": 500}, "folds"),
    ({"exclude": [{"fold": 3}]}, "exclude[0].fold"),
])
def test_bad_fold_settings_are_refused_before_any_job(tiny_config, change, key) -> None:
    from imbench.plan import Grid, prepare_config

    cfg = _fold_config(tiny_config)
    cfg.update(change)
    with pytest.raises(ConfigError) as err:
        Grid(prepare_config(cfg))
    assert key in str(err.value)


def _hashes(x: np.ndarray) -> set[str]:
    return {hashlib.sha256(img.tobytes()).hexdigest() for img in x}


@pytest.mark.slow
def test_no_fold_test_part_reaches_training_generators_or_model_choice(tmp_path) -> None:
    import torch
    from test_workflow_e2e import snakemake

    from imbench.io import load_npz

    cfg = {
        "cache_dir": ".cache/imbench", "datasets": {"digits": {}},
        "imbalances": {"step": {"protocol": "step", "mu": 0.2, "rho": 8}},
        "augmenters": {"none": {"method": "none"},
                       "wgan": {"method": "wgan_gp", "training_jobs": "one", "params": {
                           "epochs": 2, "width": 8, "latent_dim": 16,
                           "min_iters_per_epoch": 2, "checkpoint_every": 1,
                           "sample_every": 2, "selection_samples": 32}}},
        "classifiers": {"svm": {"method": "svm"}},
        "seeds": [0], "folds": 3,
    }
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(cfg))
    work = tmp_path / "run"
    snakemake(work, config=config)

    loaded = load_npz(work / "data/raw/digits.npz")
    seen_test: list[np.ndarray] = []
    for f in range(3):
        raw = load_npz(work / f"data/raw/digits/fold{f}.npz")
        train_idx, test_idx = raw["fold_train_indices"], raw["fold_test_indices"]
        assert not set(train_idx.tolist()) & set(test_idx.tolist())
        # the fold's test part is the loader's training images at those positions; the
        # loader's own test split is not used
        assert np.array_equal(raw["x_test"], loaded["x_train"][test_idx])
        assert np.array_equal(raw["x_train"], loaded["x_train"][train_idx])
        seen_test.append(test_idx)
        test = _hashes(raw["x_test"])
        # identical images that are both in the training and the test part of the loader's
        # data (the digits have a few) are the only overlap any later set may show
        allowed = test & _hashes(raw["x_train"])
        imbalanced = load_npz(work / f"data/digits/step/seed0/fold{f}/imbalanced.npz")
        assert _hashes(imbalanced["x"]) & test <= allowed
        for aug in ("none", "wgan"):
            train = load_npz(work / f"data/digits/step/{aug}/seed0/fold{f}/train.npz")
            real = train["x"][~train["synthetic"]] if "synthetic" in train else train["x"]
            assert _hashes(real) & test <= allowed
            metrics = json.loads(
                (work / f"results/digits/step/{aug}/svm/seed0/fold{f}/metrics.json").read_text())
            assert metrics["n_test"] == len(test_idx)
            assert metrics["cell"]["fold"] == f
        # the reference (quality judge, and epoch choice where asked) learned from the fold's
        # training part only: one per fold, of that part's size
        ref = torch.load(work / f"models/digits/fold{f}/reference/classifier.pt",
                         weights_only=False)
        assert ref["n_train"] + ref["n_val"] == len(raw["x_train"]) < len(loaded["x_train"])
    # over the folds every kept training image is tested exactly once
    tested = np.concatenate(seen_test)
    assert len(tested) == len(set(tested.tolist()))

    summary = (work / "results/summary.csv").read_text().splitlines()
    assert summary[0].startswith("dataset,imbalance,augmenter,classifier,seed,fold,")
    table = (work / "reports/tables/digits.md").read_text()
    assert "over seeds × folds" in table and "| repetitions |" in table
    assert re.search(r"\| step \| [0-9.]+ \| wgan \| svm \| 3 \|", table)  # 3 folds

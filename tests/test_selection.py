"""Epoch choice: KID's leave-one-out values, the paired jackknife SE, the tolerance rule."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from imbench.errors import ConfigError
from imbench.generators import load_config
from imbench.generators.selection import (
    JACKKNIFE_GROUPS,
    choose_epoch,
    difference_se,
    kid,
    kid_with_loo,
    metric_score,
    metric_with_loo,
)
from imbench.quality import fid_of_features, prdc_of_features


def _features(seed: int, n: int, shift: float = 0.0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 16, generator=g) + shift


def test_leave_one_out_values_equal_refitting_without_the_image() -> None:
    real, fake = _features(0, 6), _features(1, 9, shift=3.0)
    score = kid_with_loo(real, fake)
    assert score.value == pytest.approx(kid(real, fake))
    assert score.value > 0  # shifted features are far apart
    keep = lambda n, i: [k for k in range(n) if k != i]  # noqa: E731
    assert score.loo_real == pytest.approx([kid(real[keep(6, i)], fake) for i in range(6)])
    assert score.loo_fake == pytest.approx([kid(real, fake[keep(9, j)]) for j in range(9)])
    # with two real images the real-real term cannot lose one: no real jackknife
    assert kid_with_loo(real[:2], fake).loo_real == []


def _entry(value: float, loo_real: list[float], loo_fake: list[float]) -> dict:
    return {"score": value, "loo_real": loo_real, "loo_fake": loo_fake}


def test_difference_se_is_the_paired_jackknife_and_ignores_a_common_shift() -> None:
    a = {"3": _entry(0.0, [1.0, 2.0, 3.0], [0.0, 0.0])}
    b = {"3": _entry(0.0, [0.0, 0.0, 0.0], [0.0, 0.0])}
    # (n - 1) / n * sum of squares around the mean: 2/3 * 2 = 4/3
    assert difference_se(a, b) == pytest.approx(np.sqrt(4 / 3))
    # noise both epochs share (same left-out real image) cancels in the paired difference
    shifted = {"3": _entry(0.0, [11.0, 12.0, 13.0], [5.0, 5.0])}
    assert difference_se(shifted, {"3": _entry(0.0, [10.0, 10.0, 10.0], [5.0, 5.0])}) == \
        pytest.approx(np.sqrt(4 / 3))
    # two independent classes: variances add, the mean over classes divides by C
    two = {"3": a["3"], "4": a["3"]}
    assert difference_se(two, {"3": b["3"], "4": b["3"]}) == pytest.approx(
        np.sqrt(2 * 4 / 3) / 2)


def _scores(values: dict[int, float], spread: float) -> dict:
    # per-epoch leave-one-out values scattered by +-spread around the epoch's value, with a
    # different pattern per epoch so that differences are noisy too
    rng = np.random.default_rng(0)
    return {e: {"3": _entry(v, list(v + spread * rng.standard_normal(8)),
                            list(v + spread * rng.standard_normal(16)))}
            for e, v in values.items()}


def test_choose_epoch_keeps_the_lowest_unless_a_later_one_is_within_noise() -> None:
    values = {2: 0.050, 4: 0.040, 6: 0.041, 8: 0.090}
    noisy = choose_epoch(_scores(values, spread=0.001), tolerance=1.0)
    assert noisy["lowest_epoch"] == 4
    assert noisy["chosen_epoch"] == 6  # 0.001 above, SE ~0.005; epoch 8 is far off
    assert noisy["gaps"][8]["difference"] > noisy["gaps"][8]["se"]
    assert noisy["gaps"][6]["difference"] == pytest.approx(0.001)

    exact = choose_epoch(_scores(values, spread=1e-6), tolerance=1.0)
    assert exact["chosen_epoch"] == 4  # without noise the 0.001 gap counts
    assert choose_epoch(_scores(values, spread=0.001), tolerance=0.0)["chosen_epoch"] == 4


def test_selection_tolerance_must_be_a_non_negative_number() -> None:
    assert load_config("dcgan")["selection_tolerance"] == 1.0
    assert load_config("dcgan", {"selection_tolerance": 0})["selection_tolerance"] == 0
    for bad in (-1, "one", True, float("inf")):
        with pytest.raises(ConfigError, match="selection_tolerance"):
            load_config("dcgan", {"selection_tolerance": bad})


def test_epoch_choice_in_the_reference_space_reads_the_reference(tmp_path) -> None:
    # selection_features: reference scores checkpoints with the reference classifier's
    # features (what quality.json's KID uses) and says so; without the file it is an error
    from sklearn.datasets import load_digits

    from imbench.generators import needs_reference
    from imbench.generators.reference import save_reference, train_reference
    from imbench.generators.train import UnitFiles, train_generator
    from imbench.plan.layout import unit_files_in

    d = load_digits()
    x = np.round(d.images * (255 / 16)).astype(np.uint8)[..., None]
    y = d.target.astype(np.int64)
    ref = tmp_path / "classifier.pt"
    save_reference(train_reference(x, y, seed=0, params={"epochs": 1}, log=lambda s: None), ref)
    keep = (y == 0) | (y == 1)
    params = {"epochs": 2, "width": 8, "latent_dim": 16, "batch_size": 32,
              "min_iters_per_epoch": 1, "checkpoint_every": 1, "sample_every": 2,
              "selection_samples": 16, "grid_size": 2, "selection_features": "reference"}
    assert needs_reference("wgan_gp", params) and not needs_reference("wgan_gp", {})
    assert not needs_reference("wgan_gp", {**params, "selection": "last"})
    out = train_generator(x[keep], y[keep], method="wgan_gp", unit="class1",
                          files=UnitFiles(**unit_files_in(tmp_path / "u")), seed=0,
                          overrides=params, sampling_strategy={1: 200}, log=lambda s: None,
                          reference=ref)
    sel = out["models"]["class1"]
    assert sel["feature_space"].startswith("reference-cnn") and str(ref) in sel["feature_space"]
    assert set(sel["scores"]) == {"1", "2"}
    with pytest.raises(ConfigError, match="selection_features"):
        train_generator(x[keep], y[keep], method="wgan_gp", unit="class1",
                        files=UnitFiles(**unit_files_in(tmp_path / "v")), seed=0,
                        overrides=params, sampling_strategy={1: 200}, log=lambda s: None)
    with pytest.raises(ConfigError, match="selection_features"):
        load_config("wgan_gp", {"selection_features": "inception"})


def test_the_generator_job_reads_the_reference_only_when_its_choice_needs_it(tiny_config):
    from imbench.plan import Grid, prepare_config

    tiny_config["augmenters"]["ref"] = {"method": "wgan_gp",
                                        "params": {"selection_features": "reference"}}
    tiny_config["augmenters"]["rand"] = {"method": "wgan_gp"}
    grid = Grid(prepare_config(tiny_config))
    assert grid.selection_needs_reference("ref")
    assert not grid.selection_needs_reference("rand")
    assert not grid.selection_needs_reference("ros")


@pytest.mark.parametrize("metric", ["fid", "precision", "recall", "density", "coverage"])
def test_other_measures_score_lower_is_better_with_delete_a_group_values(metric) -> None:
    # the same library numbers as quality.json, negated where more is better, and each
    # leave-a-group-out value is the measure recomputed without that group
    real, near, far = _features(0, 30), _features(1, 40, 0.2), _features(2, 40, 3.0)
    direct = (fid_of_features(real, near) if metric == "fid"
              else -prdc_of_features(real, near, 5)[metric])
    s = metric_with_loo(metric, real, near)
    assert s.value == pytest.approx(direct)
    assert metric_score(metric, real, near) <= metric_score(metric, real, far)
    assert len(s.loo_real) == len(s.loo_fake) == JACKKNIFE_GROUPS
    first = np.array_split(np.arange(30), JACKKNIFE_GROUPS)[0]
    assert s.loo_real[0] == pytest.approx(
        metric_score(metric, real[np.setdiff1d(np.arange(30), first)], near))
    # too few images: FID needs 2 a side, the k-NN measures more than k = 5
    small = metric_with_loo(metric, real[:3], near)
    assert (small is None) == (metric != "fid")


def test_fid_in_a_wide_space_is_computed_in_the_images_span_without_change() -> None:
    # 2048-d features of 8 held-out and 40 generated images (the epoch choice's case): the
    # projected distance equals torchmetrics' on the full features
    from torchmetrics.image.fid import FrechetInceptionDistance

    from imbench.quality import _Given

    g = torch.Generator().manual_seed(0)
    real = torch.randn(8, 2048, generator=g, dtype=torch.float64)
    fake = torch.randn(40, 2048, generator=g, dtype=torch.float64) * 1.3 + 0.2
    full = FrechetInceptionDistance(feature=_Given(2048), reset_real_features=True)
    full.update(real, real=True)
    full.update(fake, real=False)
    assert fid_of_features(real, fake) == pytest.approx(float(full.compute()), rel=1e-6)


@pytest.mark.parametrize("metric", ["fid", "precision"])
def test_a_generator_chooses_its_epoch_by_another_measure(tmp_path, metric) -> None:
    from sklearn.datasets import load_digits

    from imbench.generators.train import UnitFiles, train_generator
    from imbench.plan.layout import unit_files_in

    d = load_digits()
    x = np.round(d.images * (255 / 16)).astype(np.uint8)[..., None]
    y = d.target.astype(np.int64)
    keep = (y == 0) | (y == 1)
    params = {"epochs": 2, "width": 8, "latent_dim": 16, "batch_size": 32,
              "min_iters_per_epoch": 1, "checkpoint_every": 1, "sample_every": 2,
              "selection_samples": 16, "grid_size": 2, "selection": metric}
    out = train_generator(x[keep], y[keep], method="wgan_gp", unit="class1",
                          files=UnitFiles(**unit_files_in(tmp_path / "u")), seed=0,
                          overrides=params, sampling_strategy={1: 200}, log=lambda s: None)
    sel = out["models"]["class1"]
    assert sel["metric"] == metric and set(sel["scores"]) == {"1", "2"}
    assert sel["score"] == ("FID" if metric == "fid" else "-precision")
    assert sel["chosen_epoch"] in (1, 2) and sel["chosen_epoch"] >= sel["lowest_epoch"]
    if metric == "precision":
        assert all(-1.0 <= v <= 0.0 for v in sel["scores"].values())
    with pytest.raises(ConfigError, match="selection"):
        load_config("wgan_gp", {"selection": "ssim"})

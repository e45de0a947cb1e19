"""The training-recipe options of the Keras classifiers: learning-rate schedule, SGD,
random crop and flip, mixup / remix, class-balanced sampling and cRT; and ResNet-32."""

from __future__ import annotations

import numpy as np
import pytest

from imbench.classify import CLASSIFIERS
from imbench.classify.batches import BatchPlan, crop_flip, remix_label_weight
from imbench.classify.losses import PARAMETERS, Objective
from imbench.classify.resnet import RESNET32_RECIPE
from imbench.classify.training import RECIPE, learning_rate_at
from imbench.errors import ConfigError


def test_learning_rate_follows_ldam_drw_adjust_learning_rate():
    p = {**RECIPE.defaults(), **RESNET32_RECIPE}
    # 1-based epoch e: 0.1 * e / 5 up to 5, 0.1 to 160, 0.001 to 180, then 1e-5
    expected = {0: 0.02, 4: 0.1, 5: 0.1, 159: 0.1, 160: 1e-3, 179: 1e-3, 180: 1e-5, 199: 1e-5}
    for epoch, lr in expected.items():
        assert learning_rate_at(epoch, p) == pytest.approx(lr), epoch
    assert learning_rate_at(7, {**RECIPE.defaults(), "learning_rate": 1e-3}) == 1e-3


def test_crop_flip_is_a_shifted_window_of_the_padded_image():
    rng = np.random.default_rng(0)
    x = rng.integers(1, 255, size=(64, 6, 5, 1), dtype=np.uint8)  # no zero pixels
    out = crop_flip(x, np.random.default_rng(1), padding=2)
    assert out.shape == x.shape and out.dtype == np.uint8
    padded = np.pad(x, ((0, 0), (2, 2), (2, 2), (0, 0)))
    for img, src in zip(out, padded, strict=True):
        windows = [src[dy:dy + 6, dx:dx + 5] for dy in range(5) for dx in range(5)]
        assert any(np.array_equal(img, w) or np.array_equal(img, w[:, ::-1])
                   for w in windows)
    # some images were shifted (zeros came in) and some flipped
    assert (out == 0).any() and not np.array_equal(crop_flip(x, np.random.default_rng(1), 0), x)
    np.testing.assert_array_equal(out, crop_flip(x, np.random.default_rng(1), padding=2))


def test_remix_label_weight_cases():
    n_i, n_j = np.array([300, 10, 100]), np.array([10, 300, 90])
    # majority i (ratio 30 >= 3) with lambda 0.4 < tau 0.5: the label goes to the minority j
    np.testing.assert_array_equal(remix_label_weight(0.4, n_i, n_j, 3.0, 0.5), [0, 0.4, 0.4])
    # minority i (ratio 1/30 <= 1/3) with 1 - lambda = 0.3 < tau: the label is i's
    np.testing.assert_array_equal(remix_label_weight(0.7, n_i, n_j, 3.0, 0.5), [0.7, 1, 0.7])


def _plan(**kw) -> BatchPlan:
    y = np.repeat(np.arange(3), [60, 30, 6])
    x = np.arange(len(y), dtype=np.uint8).reshape(-1, 1, 1, 1).repeat(4, 1).repeat(4, 2)
    return BatchPlan(x, y, batch_size=16, seed=5, counts=np.bincount(y).tolist(), **kw)


def test_batches_are_a_pure_function_of_seed_epoch_and_index():
    a, b = _plan(mixing="remix"), _plan(mixing="remix")
    xa, ya = a.batch(2, 3)
    _ = b.batch(0, 0)  # another epoch drawn first changes nothing
    xb, yb = b.batch(2, 3)
    np.testing.assert_array_equal(xa, xb)
    np.testing.assert_array_equal(ya, yb)
    assert ya.shape == (16, 3)
    # remix: each label weight is the batch's lambda, or 0 / 1 where the counts overrule it
    lam_y = ya[:, 2]
    others = lam_y[~np.isin(lam_y, [0.0, 1.0])]
    assert len(np.unique(others)) <= 1
    assert not np.array_equal(a.batch(1, 3)[0], xa)
    # every image once per epoch with the instance sampler
    plan = _plan()
    seen = np.concatenate([plan.batch(0, i)[1] for i in range(plan.num_batches)])
    np.testing.assert_array_equal(np.bincount(seen), [60, 30, 6])


def test_mixup_mixes_images_and_labels_with_one_lambda():
    plan = _plan(mixing="mixup", mixup_alpha=0.4)
    x, y = plan.batch(0, 0)
    lam = float(y[0, 2])
    assert np.all(y[:, 2] == lam) and 0 < lam < 1
    assert x.dtype == np.float32 and x.shape == (16, 4, 4, 1)
    # every pixel of image k is its index idx[k]: the mix is lam * idx + (1 - lam) * idx[perm]
    idx = plan.order(0)[:16].astype(np.float64)
    partner = (x[:, 0, 0, 0] - lam * idx) / (1 - lam)
    np.testing.assert_allclose(np.sort(partner), np.sort(idx), atol=1e-3)
    # and the second label is the partner's class
    classes = plan.y[np.rint(partner).astype(int)]
    np.testing.assert_array_equal(y[:, 1], classes)


def test_class_balanced_sampler_draws_classes_uniformly():
    plan = _plan(sampler="class_balanced")
    y = np.concatenate([plan.batch(e, i)[1] for e in range(40)
                        for i in range(plan.num_batches)])
    freq = np.bincount(y) / len(y)
    np.testing.assert_allclose(freq, [1 / 3] * 3, atol=0.02)


def test_mixed_loss_is_the_lambda_combination():
    keras = pytest.importorskip("keras")
    del keras
    counts = [100, 10, 1]
    probs = np.array([[0.7, 0.2, 0.1], [0.2, 0.5, 0.3]], np.float32)
    ce = -np.log(probs)
    p = {**PARAMETERS.defaults(), "epochs": 3}
    mixed = Objective(p, counts, mixed=True).loss
    y = np.array([[0, 1, 0.25], [2, 2, 1.0]], np.float32)
    np.testing.assert_allclose(np.asarray(mixed(y, probs)),
                               [0.25 * ce[0, 0] + 0.75 * ce[0, 1], ce[1, 2]], rtol=1e-5)
    fixed = Objective(p, counts, mixed=True, fixed_weights=[1.0, 2.0, 3.0]).loss
    np.testing.assert_allclose(np.asarray(fixed(y, probs)),
                               [0.25 * ce[0, 0] + 0.75 * 2 * ce[0, 1], 3 * ce[1, 2]], rtol=1e-5)


@pytest.mark.parametrize("params, key", [
    ({"optimizer": "rmsprop"}, "optimizer"),
    ({"lr_milestones": [160, 180], "lr_factors": [0.01]}, "lr_factors"),
    ({"lr_milestones": [180, 160], "lr_factors": [0.01, 0.1]}, "lr_milestones"),
    ({"mixing": "cutmix"}, "mixing"),
    ({"augmentation": "autoaugment"}, "augmentation"),
    ({"remix_kappa": 0.5}, "remix_kappa"),
    ({"crt_epochs": -1}, "crt_epochs"),
])
def test_bad_recipe_params_name_the_key(params, key):
    with pytest.raises(ConfigError) as err:
        CLASSIFIERS["resnet32"].check_params(params, key="classifiers.c.params")
    assert err.value.key == f"classifiers.c.params.{key}"


def test_cnn_svm_refuses_crt_and_egan_takes_no_recipe():
    with pytest.raises(ConfigError, match="SVM reads the features"):
        CLASSIFIERS["cnn_svm"].check_params({"crt_epochs": 2}, key="c")
    with pytest.raises(ConfigError):
        CLASSIFIERS["egan"].check_params({"mixing": "mixup"}, key="c")


def test_resnet32_has_the_cifar_resnet32_parameter_count():
    pytest.importorskip("keras")
    from imbench.classify.layers import describe
    from imbench.classify.resnet import build_resnet32

    # 0.46 M: He et al.'s ResNet-32 with option-A shortcuts, as kaidic/LDAM-DRW's resnet32
    assert describe(build_resnet32((32, 32, 3), 10))["params_trainable"] == 464_154


@pytest.mark.parametrize("params", [
    {"mixing": "remix", "reweighting": "drw", "drw_epoch": 2, "augmentation": "crop_flip",
     "crop_padding": 1},
    {"mixing": "mixup", "class_weight": "balanced", "optimizer": "sgd",
     "learning_rate": 0.05, "lr_warmup_epochs": 2, "lr_milestones": [2],
     "lr_factors": [0.1], "weight_decay": 1e-4},
    {"crt_epochs": 2, "loss": "focal"},
], ids=["remix-drw+crop", "mixup+balanced+sgd-schedule", "crt"])
def test_a_keras_classifier_trains_with_the_recipe_deterministically(fit_twice, params):
    a, b, report = fit_twice(params)
    np.testing.assert_array_equal(a["scores"], b["scores"])
    np.testing.assert_allclose(a["scores"].sum(axis=1), 1.0, rtol=1e-5)
    history = report["history"]
    assert len(history["loss"]) == report["epochs_run"] and np.isfinite(history["val_loss"]).all()
    if "lr_milestones" in params:
        rates = history["learning_rate"]
        assert rates == pytest.approx([0.025, 0.05, 0.005][:len(rates)])
    if params.get("crt_epochs"):
        crt = report["crt"]
        assert crt["epochs"] == 2 and len(crt["history"]["loss"]) == 2
        # only the softmax layer trained: its kernel (features x 10) and 10 biases
        trainable = crt["model"]["params_trainable"]
        assert trainable < report["model"]["params_trainable"] and (trainable - 10) % 10 == 0

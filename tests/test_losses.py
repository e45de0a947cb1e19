"""Each loss of imbench.classify.losses against its closed form on a hand-made example, and
against cross-entropy where its paper says it reduces to it."""

from __future__ import annotations

import numpy as np
import pytest

from imbench.classify import CLASSIFIERS
from imbench.classify.losses import (
    LOSSES,
    PARAMETERS,
    Objective,
    effective_number_weights,
    ldam_margins,
    posthoc_adjust,
)
from imbench.errors import ConfigError

DEFAULTS = PARAMETERS.defaults()

pytestmark = pytest.mark.neural

keras = pytest.importorskip("keras")

COUNTS = [100, 10, 1]
LOGITS = np.array([[2.0, 0.5, -1.0], [0.1, 0.3, 0.2], [-0.5, 1.5, 0.0]])
LABELS = np.array([0, 1, 2])


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def ce(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    return -np.log(softmax(z)[np.arange(len(y)), y])


def per_sample(loss: str, **params) -> np.ndarray:
    """The imbench loss of LABELS given the probabilities softmax(LOGITS), per sample."""
    p = {**DEFAULTS, "epochs": 10, "loss": loss, **params}
    objective = Objective(p, COUNTS)
    if isinstance(objective.loss, str):
        return np.asarray(keras.losses.sparse_categorical_crossentropy(
            LABELS, softmax(LOGITS).astype("float32")))
    return np.asarray(objective.loss(LABELS, softmax(LOGITS).astype("float32")))


def test_weights_and_margins_by_hand():
    # beta 0.9: (1-b)/(1-b^n) = 0.1/(1-0.9^100), 0.1/(1-0.9^10), 0.1/0.1; sum normalised to 3
    raw = np.array([0.1 / (1 - 0.9**100), 0.1 / (1 - 0.9**10), 1.0])
    np.testing.assert_allclose(effective_number_weights(COUNTS, 0.9), raw * 3 / raw.sum())
    np.testing.assert_allclose(effective_number_weights(COUNTS, 0.0), [1, 1, 1])
    # margins 1/n^(1/4), the largest (class with 1 image) 0.5
    np.testing.assert_allclose(ldam_margins(COUNTS, 0.5),
                               [0.5 / 100**0.25, 0.5 / 10**0.25, 0.5])


def test_focal_matches_its_closed_form_and_is_ce_at_gamma_0():
    p = softmax(LOGITS)[np.arange(3), LABELS]
    np.testing.assert_allclose(per_sample("focal", focal_gamma=2.0),
                               -(1 - p) ** 2 * np.log(p), rtol=1e-5)
    np.testing.assert_allclose(per_sample("focal", focal_gamma=0.0), ce(LOGITS, LABELS),
                               rtol=1e-5)


@pytest.mark.parametrize("base", ["cross_entropy", "focal"])
def test_class_balanced_weights_its_base_loss(base):
    w = effective_number_weights(COUNTS, 0.9)[LABELS]
    p = softmax(LOGITS)[np.arange(3), LABELS]
    expected = ce(LOGITS, LABELS) if base == "cross_entropy" else -(1 - p) ** 2 * np.log(p)
    np.testing.assert_allclose(per_sample("class_balanced", cb_beta=0.9, cb_base=base),
                               w * expected, rtol=1e-5)
    np.testing.assert_allclose(
        per_sample("class_balanced", cb_beta=0.0, cb_base="cross_entropy"),
        ce(LOGITS, LABELS), rtol=1e-5)


def test_ldam_subtracts_the_margin_of_the_true_class_then_scales():
    m = ldam_margins(COUNTS, 0.5)
    z = LOGITS.copy()
    z[np.arange(3), LABELS] -= m[LABELS]
    # log p differs from the logits by a per-row constant, which s multiplies: same CE
    np.testing.assert_allclose(per_sample("ldam", ldam_s=30.0), ce(30.0 * z, LABELS),
                               rtol=1e-4)
    np.testing.assert_allclose(per_sample("ldam", ldam_max_margin=0.0, ldam_s=1.0),
                               ce(LOGITS, LABELS), rtol=1e-5)


def test_logit_adjustment_and_balanced_softmax():
    prior = np.array(COUNTS) / sum(COUNTS)
    np.testing.assert_allclose(per_sample("logit_adjusted", la_tau=0.5),
                               ce(LOGITS + 0.5 * np.log(prior), LABELS), rtol=1e-5)
    np.testing.assert_allclose(per_sample("logit_adjusted", la_tau=0.0), ce(LOGITS, LABELS),
                               rtol=1e-5)
    np.testing.assert_allclose(per_sample("balanced_softmax"),
                               ce(LOGITS + np.log(COUNTS), LABELS), rtol=1e-5)
    np.testing.assert_allclose(per_sample("balanced_softmax"),
                               per_sample("logit_adjusted", la_tau=1.0), rtol=1e-6)


def test_drw_weights_from_its_epoch_as_a_weighted_mean():
    p = {**DEFAULTS, "epochs": 4, "reweighting": "drw", "drw_epoch": 3, "drw_beta": 0.9}
    objective = Objective(p, COUNTS)
    (callback,) = objective.callbacks()
    probs = softmax(LOGITS).astype("float32")
    callback.on_epoch_begin(1)
    loss = lambda: keras.ops.convert_to_numpy(objective.loss(LABELS, probs))  # noqa: E731
    np.testing.assert_allclose(np.mean(loss()), ce(LOGITS, LABELS).mean(), rtol=1e-5)
    callback.on_epoch_begin(2)  # 0-based: the third epoch
    w = effective_number_weights(COUNTS, 0.9)[LABELS]
    np.testing.assert_allclose(np.mean(loss()), (w * ce(LOGITS, LABELS)).sum() / w.sum(),
                               rtol=1e-5)
    assert objective.first_epoch_for_choice() == 2


def test_posthoc_adjustment():
    probs = softmax(LOGITS)
    prior = np.array(COUNTS) / sum(COUNTS)
    np.testing.assert_allclose(posthoc_adjust(probs, COUNTS, 1.0),
                               softmax(LOGITS - np.log(prior)), rtol=1e-6)
    assert posthoc_adjust(probs, COUNTS, 0.0) is probs


@pytest.mark.parametrize("params, key", [
    ({"loss": "hinge"}, "loss"),
    ({"focal_gamma": -1}, "focal_gamma"),
    ({"loss": "class_balanced", "cb_beta": 1.0}, "cb_beta"),
    ({"loss": "class_balanced", "cb_base": "ldam"}, "cb_base"),
    ({"loss": "ldam", "ldam_s": 0}, "ldam_s"),
    ({"reweighting": "drw", "drw_epoch": 99, "epochs": 5}, "drw_epoch"),
    ({"reweighting": "drw", "class_weight": "balanced"}, "class_weight"),
    ({"posthoc_tau": -0.5}, "posthoc_tau"),
])
def test_bad_loss_params_name_the_key(params, key):
    with pytest.raises(ConfigError) as err:
        CLASSIFIERS["small_cnn"].check_params(params, key="classifiers.c.params")
    assert err.value.key == f"classifiers.c.params.{key}"


def test_every_keras_classifier_but_egan_takes_every_loss():
    for name in ("cnn", "small_cnn", "resnet18", "cnn_svm"):
        for loss in LOSSES:
            CLASSIFIERS[name].check_params({"loss": loss}, key="c")
    with pytest.raises(ConfigError):
        CLASSIFIERS["egan"].check_params({"loss": "focal"}, key="c")
    with pytest.raises(ConfigError, match="predictions come from its SVM"):
        CLASSIFIERS["cnn_svm"].check_params({"posthoc_tau": 1.0}, key="c")


@pytest.mark.parametrize("params", [
    {"loss": "focal"},
    {"loss": "ldam", "reweighting": "drw", "drw_epoch": 2, "posthoc_tau": 1.0},
    {"loss": "balanced_softmax"},
], ids=["focal", "ldam-drw+posthoc", "balanced_softmax"])
def test_a_keras_classifier_trains_with_the_loss_deterministically(fit_twice, params):
    a, b, report = fit_twice(params)
    np.testing.assert_array_equal(a["scores"], b["scores"])
    objective = report["objective"]
    assert objective["loss"] == params["loss"] and sum(objective["counts"]) == report["n_train"]
    if params.get("reweighting") == "drw":
        assert report["best_epoch"] >= 2 and len(objective["drw_weights"]) == 10
        np.testing.assert_allclose(a["scores"].sum(axis=1), 1.0)

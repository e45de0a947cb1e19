"""SVM classifier on sklearn's 8x8 digits, and the predictions file format."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits

from imbench.classify import CLASSIFIERS
from imbench.classify.base import Classifier
from imbench.classify.predictions import load_predictions, predict_test, save_predictions
from imbench.classify.svm import (
    MISSING_CLASS_SCORE,
    SVMClassifier,
    hog_features,
    subsample_per_class,
)
from imbench.errors import ConfigError
from imbench.io import array_digest


@pytest.fixture(scope="module")
def digits():
    d = load_digits()
    x = np.round(d.images * (255 / 16)).astype(np.uint8)[..., None]
    y = d.target.astype(np.int64)
    perm = np.random.RandomState(0).permutation(len(y))
    tr, te = perm[:500], perm[500:800]
    return x[tr], y[tr], x[te], y[te]


def test_registry_resolves_svm():
    assert CLASSIFIERS["svm"] is SVMClassifier
    assert SVMClassifier.score_kind == "decision"


@pytest.mark.parametrize("features", ["pixels", "hog"])
def test_accuracy_on_digits(digits, features):
    x, y, xt, yt = digits
    clf = SVMClassifier(random_state=0, features=features).fit(x, y, 10)
    scores = clf.predict_scores(xt)
    assert scores.shape == (len(xt), 10) and scores.dtype == np.float64
    assert np.mean(clf.predict(xt) == yt) > 0.9


def test_standardize_option_runs_and_changes_scores(digits):
    x, y, xt, yt = digits
    plain = SVMClassifier(random_state=0, features="hog").fit(x, y, 10)
    scaled = SVMClassifier(random_state=0, features="hog", standardize=True).fit(x, y, 10)
    assert not np.allclose(plain.predict_scores(xt[:20]), scaled.predict_scores(xt[:20]))
    assert np.mean(scaled.predict(xt) == yt) > 0.9


def test_deterministic_and_subsample_seeded(digits):
    x, y, xt, _ = digits

    def fit(seed):
        return SVMClassifier(random_state=seed, max_train_per_class=20).fit(x, y, 10)

    a, b, c = fit(0), fit(0), fit(1)
    assert a.n_train_ == 200
    np.testing.assert_array_equal(a.predict_scores(xt), b.predict_scores(xt))
    # Another seed draws another subsample, hence another model.
    assert not np.array_equal(a.predict_scores(xt), c.predict_scores(xt))


def test_subsample_per_class():
    y = np.array([0] * 10 + [1] * 3 + [2] * 6)
    keep = subsample_per_class(y, 4, random_state=0)
    assert np.all(np.diff(keep) > 0)
    assert np.bincount(y[keep]).tolist() == [4, 3, 4]
    np.testing.assert_array_equal(keep, subsample_per_class(y, 4, random_state=0))
    np.testing.assert_array_equal(subsample_per_class(y, None, 0), np.arange(len(y)))


def test_missing_class_gets_low_score_column(digits):
    x, y, xt, yt = digits
    keep = y != 3
    clf = SVMClassifier(random_state=0).fit(x[keep], y[keep], 10)
    scores = clf.predict_scores(xt)
    assert scores.shape == (len(xt), 10)
    assert np.all(scores[:, 3] == MISSING_CLASS_SCORE)
    assert np.isfinite(scores).all()
    pred = clf.predict(xt)
    assert not np.any(pred == 3)
    others = yt != 3
    assert np.mean(pred[others] == yt[others]) > 0.9


def test_two_trained_classes_keep_column_order(digits):
    # sklearn's binary decision_function is one column; it must map back to classes 2 and 7.
    x, y, xt, yt = digits
    keep, keep_t = np.isin(y, [2, 7]), np.isin(yt, [2, 7])
    clf = SVMClassifier(random_state=0).fit(x[keep], y[keep], 10)
    scores = clf.predict_scores(xt[keep_t])
    assert np.all(scores[:, 2] == -scores[:, 7])
    assert np.mean(clf.predict(xt[keep_t]) == yt[keep_t]) > 0.9


def test_single_trained_class_predicts_it(digits):
    x, y, xt, _ = digits
    keep = y == 4
    clf = SVMClassifier().fit(x[keep], y[keep], 10)
    assert np.all(clf.predict(xt) == 4)


def test_hog_adapts_to_image_size():
    assert hog_features(np.zeros((2, 8, 8, 1), np.uint8)).shape == (2, 324)  # 4x4 cells
    assert hog_features(np.zeros((2, 28, 28, 1), np.uint8)).shape == (2, 1296)  # 7x7 cells
    rgb = np.random.RandomState(0).randint(0, 256, (2, 32, 32, 3)).astype(np.uint8)
    feats = hog_features(rgb)
    assert feats.shape == (2, 1764)  # 8x8 cells
    assert feats.std() > 0
    assert hog_features(np.zeros((0, 28, 28, 1), np.uint8)).shape == (0, 1296)


def test_check_params_defaults_and_overrides():
    p = SVMClassifier.check_params({"features": "hog", "C": 1})
    assert p["features"] == "hog" and p["C"] == 1 and p["gamma"] == "scale"
    assert SVMClassifier.default_params["features"] == "pixels"  # defaults not mutated
    assert SVMClassifier.check_params(None) == SVMClassifier.default_params


@pytest.mark.parametrize(
    ("params", "key"),
    [
        ({"kernel": "linear"}, "kernel"),
        ({"features": "sift"}, "features"),
        ({"class_weight": "auto"}, "class_weight"),
        ({"decision_function_shape": "ovo"}, "decision_function_shape"),
        ({"C": 0}, "C"),
        ({"gamma": "big"}, "gamma"),
        ({"max_train_per_class": 0}, "max_train_per_class"),
        ({"max_train_per_class": 2.5}, "max_train_per_class"),
        ({"standardize": "yes"}, "standardize"),
    ],
)
def test_check_params_errors(params, key):
    with pytest.raises(ConfigError) as err:
        SVMClassifier.check_params(params, key="classifiers.s.params")
    assert err.value.key == f"classifiers.s.params.{key}"  # the config path, as every entry
    # The constructor validates too, so a bad config fails before fitting.
    with pytest.raises(ConfigError):
        SVMClassifier(**params)


def test_unknown_key_error_lists_allowed_keys():
    with pytest.raises(ConfigError, match="max_train_per_class"):
        SVMClassifier.check_params({"Cee": 1})
    with pytest.raises(ConfigError):
        Classifier(foo=1)  # the base class has no parameters at all


def test_rejects_non_uint8_images(digits):
    x, y, _, _ = digits
    with pytest.raises(ValueError, match="uint8"):
        SVMClassifier().fit(x.astype(np.float32), y, 10)


def test_predictions_round_trip(digits, tmp_path):
    x, y, xt, yt = digits
    clf = SVMClassifier(random_state=0, max_train_per_class=20).fit(x, y, 10)
    pred, evaluation = predict_test(clf, xt, yt)
    assert pred["test_sha256"] == array_digest(xt, yt) == evaluation["test_sha256"]
    assert evaluation == {"task": "multiclass", "n_test": len(yt),
                          "test_sha256": pred["test_sha256"]}
    assert pred["score_kind"] == "decision"
    np.testing.assert_array_equal(pred["y_pred"], np.argmax(pred["scores"], axis=1))
    path = tmp_path / "p" / "predictions.npz"
    save_predictions(path, **pred)
    back = load_predictions(path)
    assert set(back) == {"y_true", "y_pred", "scores", "score_kind", "test_sha256"}
    assert back["y_true"].dtype == np.int64 and back["y_pred"].dtype == np.int64
    assert back["scores"].dtype == np.float64
    np.testing.assert_array_equal(back["scores"], pred["scores"])
    np.testing.assert_array_equal(back["y_true"], yt)
    assert back["score_kind"] == "decision" and back["test_sha256"] == pred["test_sha256"]
    # Stored as 0-d string arrays, per docs/contributing.md.
    with np.load(path, allow_pickle=False) as raw:
        assert raw["score_kind"].shape == () and raw["test_sha256"].dtype.kind == "U"


def test_save_predictions_validates(tmp_path):
    ok = dict(y_true=[0, 1], y_pred=[0, 1], scores=np.eye(2), test_sha256="x")
    with pytest.raises(ValueError, match="score_kind"):
        save_predictions(tmp_path / "a.npz", score_kind="logit", **ok)
    with pytest.raises(ValueError, match="scores"):
        save_predictions(tmp_path / "b.npz", score_kind="decision",
                         **{**ok, "scores": np.eye(3)})
    assert not list(tmp_path.iterdir())

"""Keras classifiers: builders against seed 000's tables, tiny fits on sklearn's 8x8 digits,
determinism, the CNN-SVM's two stages and eGAN's binary task. Kept small (CPU CI budget)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import load_digits

from imbench.classify import CLASSIFIERS, fit_and_predict
from imbench.classify.cnn import CNNClassifier
from imbench.classify.cnn_svm import (
    CNNSVMClassifier,
    FeatureSVM,
    fit_svm_on_features,
    svm_subsample,
    train_cnn_features,
)
from imbench.classify.egan import EGANClassifier, pick_binary_classes
from imbench.classify.resnet import ResNet18Classifier
from imbench.classify.small_cnn import SmallCNNClassifier
from imbench.classify.training import balanced_class_weight, validation_split
from imbench.errors import ConfigError, DataError
from imbench.io import array_digest

pytestmark = pytest.mark.neural

# Small, quick networks for the fit tests; the full-size ones are only built, never trained.
FAST = {"epochs": 1, "batch_size": 32, "verbose": 0}
FAST_CNN = {**FAST, "dense_units": 32}


@pytest.fixture(scope="module")
def digits():
    d = load_digits()
    x = np.round(d.images * (255 / 16)).astype(np.uint8)[..., None]
    y = d.target.astype(np.int64)
    perm = np.random.RandomState(0).permutation(len(y))
    tr, te = perm[:400], perm[400:600]
    return x[tr], y[tr], x[te], y[te]


# ------------------------------------------------------------------------------ builders
def _layer_summary(model):
    return [(type(layer).__name__, tuple(layer.output.shape[1:]), layer.count_params())
            for layer in model.layers]


@pytest.mark.parametrize(
    ("shape", "params", "flat"),
    [((28, 28, 1), 5_154_506, 2304), ((32, 32, 3), 6_990_666, 4096)],
)
def test_cnn_matches_seed_tables(shape, params, flat):
    from imbench.classify.cnn import build_cnn

    model = build_cnn(shape, 10)
    assert model.count_params() == params
    summary = _layer_summary(model)
    convs = [s for s in summary if s[0] == "Conv2D"]
    # §4.4.1/§4.4.2: seven 3x3 convs; first-layer params 640 (grey) / 1792 (RGB)
    assert [c[2] for c in convs] == [9 * shape[2] * 64 + 64, 36928, 73856, 147584, 295168,
                                     590080, 590080]
    pools = [s[1] for s in summary if s[0] == "MaxPooling2D"]
    side = shape[0]
    assert pools == [(side // 2, side // 2, 64), (side // 4, side // 4, 128),
                     (side // 8, side // 8, 256)]
    assert [s for s in summary if s[0] == "Flatten"][0][1] == (flat,)
    assert [s[2] for s in summary if s[0] == "Dense"] == [flat * 1024 + 1024, 1_049_600, 10250]
    assert sum(s[0] == "Dropout" for s in summary) == 5
    assert model.get_layer("features").output.shape[1:] == (1024,)
    assert model.output.shape[1:] == (10,)


def test_cnn_is_shallower_for_small_inputs():
    from imbench.classify.cnn import build_cnn, cnn_auto_blocks

    assert [cnn_auto_blocks(s) for s in [(28, 28, 1), (32, 32, 3), (8, 8, 1), (4, 4, 1)]] == [
        3, 3, 2, 1]
    model = build_cnn((8, 8, 1), 10)
    assert sum(type(la).__name__ == "Conv2D" for la in model.layers) == 4  # 2x64, 2x128
    assert model.get_layer("features").output.shape[1:] == (1024,)
    with pytest.raises(DataError):
        cnn_auto_blocks((3, 3, 1))


def test_resnet18_parameter_count_and_shapes():
    from imbench.classify.layers import describe
    from imbench.classify.resnet import build_resnet18

    # torchvision's resnet18 has 11,689,512 parameters (BatchNorm running stats are buffers
    # there, non-trainable weights here).
    assert describe(build_resnet18((224, 224, 3), 1000))["params_trainable"] == 11_689_512
    small = build_resnet18((28, 28, 1), 10)
    assert small.output.shape[1:] == (10,)
    assert small.get_layer("stage4_block2_out").output.shape[1:] == (4, 4, 512)  # cifar stem
    resized = ResNet18Classifier(image_size=32).build_model((8, 8, 1), 10)
    assert resized.output.shape[1:] == (10,)


def test_small_cnn_layout():
    from imbench.classify.small_cnn import build_small_cnn

    model = build_small_cnn((8, 8, 1), 2)
    filters = [la.filters for la in model.layers if type(la).__name__ == "Conv2D"]
    units = [la.units for la in model.layers if type(la).__name__ == "Dense"]
    assert filters == [50, 20, 5] and units == [30, 20, 2]
    assert model.output.shape[1:] == (2,)


def test_pretrained_offline_error_is_clear(monkeypatch):
    import keras

    from imbench.classify.resnet import build_pretrained_classifier

    def offline(*args, **kwargs):
        raise Exception("URL fetch failure: [Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(keras.applications, "ResNet50", offline)
    with pytest.raises(DataError, match=r"~/.keras/models.*pretrained: false"):
        build_pretrained_classifier((28, 28, 1), 10, backbone="resnet50")


def test_pretrained_backbone_wiring_without_weights():
    # weights=None: the same graph as the ImageNet path (grey->RGB, resize, frozen base),
    # without a download.
    from imbench.classify.layers import describe
    from imbench.classify.resnet import build_pretrained_classifier

    model = build_pretrained_classifier((28, 28, 1), 10, backbone="resnet50", weights=None,
                                        trainable_layers=0)
    assert model.output.shape[1:] == (10,)
    assert describe(model)["params_trainable"] == 2048 * 10 + 10  # only the new head


# ------------------------------------------------------------------- params and registry
def test_registry_and_stages():
    for name, cls in [("cnn", CNNClassifier), ("cnn_svm", CNNSVMClassifier),
                      ("resnet18", ResNet18Classifier), ("small_cnn", SmallCNNClassifier),
                      ("egan", EGANClassifier)]:
        assert CLASSIFIERS[name] is cls and cls.name == name
    assert CLASSIFIERS["cnn_svm"].stage == "two_stage" and CLASSIFIERS["svm"].stage == "cpu"
    assert {CLASSIFIERS[n].stage for n in ("cnn", "resnet18", "small_cnn", "egan")} == {"neural"}


def test_check_params_rejects_bad_keys_and_values():
    with pytest.raises(ConfigError, match="epoch"):
        CNNClassifier.check_params({"epoch": 3})
    with pytest.raises(ConfigError, match="class_weight"):
        SmallCNNClassifier.check_params({"class_weight": "auto"})
    with pytest.raises(ConfigError, match="svm_per_class"):
        CNNSVMClassifier.check_params({"svm_per_class": 0})
    with pytest.raises(ConfigError, match="backbone"):
        EGANClassifier.check_params({"backbone": "resnet18"})
    with pytest.raises(ConfigError, match="majority_class"):
        EGANClassifier.check_params({"minority_class": 1, "majority_class": 1})
    cnn, svm = CNNSVMClassifier.split_params({"svm_per_class": "all", "epochs": 2,
                                             "svm_C": [1.0, 10.0]})
    assert cnn["epochs"] == 2 and "svm_C" not in cnn
    assert svm["per_class"] == "all" and svm["C"] == [1.0, 10.0] and "epochs" not in svm


def test_config_checks_do_not_import_tensorflow():
    # The workflow checks every classifier's params at DAG time; that must stay TF-free.
    code = ("import sys; from imbench.classify import CLASSIFIERS\n"
            "for n in ['cnn', 'cnn_svm', 'resnet18', 'small_cnn', 'egan']:\n"
            "    CLASSIFIERS[n].check_params({})\n"
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


# ------------------------------------------------------------------------- data helpers
def test_validation_split_stratified_real_only():
    y = np.repeat([0, 1, 2], [50, 10, 1])
    synthetic = np.zeros(len(y), bool)
    synthetic[50:55] = True  # half of class 1 is generated
    tr, va = validation_split(y, 0.2, 0, synthetic)
    assert np.bincount(y[va], minlength=3).tolist() == [10, 1, 0]  # 20% of the real images
    assert not synthetic[va].any()
    assert sorted(np.concatenate([tr, va]).tolist()) == list(range(len(y)))
    assert (2 in y[tr]) and np.array_equal(va, validation_split(y, 0.2, 0, synthetic)[1])
    assert len(validation_split(y, 0.0, 0)[1]) == 0


def test_balanced_class_weight():
    assert balanced_class_weight(np.array([0, 0, 0, 1])) == {0: 4 / 6, 1: 2.0}


def test_svm_subsample_follows_section_4_4():
    balanced = np.repeat(np.arange(3), 1500)
    assert np.bincount(balanced[svm_subsample(balanced, 1000, 0)]).tolist() == [1000] * 3
    imb = np.repeat(np.arange(3), [6000, 1200, 3])
    assert np.bincount(imb[svm_subsample(imb, 1000, 0)]).tolist() == [1000, 200, 1]
    assert len(svm_subsample(imb, "all", 0)) == len(imb)
    small = np.repeat(np.arange(2), [30, 10])  # fewer than per_class: keep all
    assert np.bincount(small[svm_subsample(small, 1000, 0)]).tolist() == [30, 10]


def test_feature_svm_scores_and_grid_search():
    rng = np.random.RandomState(0)
    y = np.repeat([0, 1, 3], 30)  # class 2 absent from training
    f = rng.normal(size=(90, 5)) + y[:, None] * 3.0
    svm = FeatureSVM(C=[0.1, 10.0], per_class="all", random_state=0).fit(f, y, 4)
    s = svm.scores(f)
    assert s.shape == (90, 4) and svm.score_kind == "decision"
    assert (s[:, 2] < -1e5).all() and (np.argmax(s, 1) == y).mean() > 0.9
    assert svm.best_params_["C"] in (0.1, 10.0)
    p = FeatureSVM(probability=True, random_state=0).fit(f, y, 4).scores(f)
    assert np.allclose(p.sum(1), 1.0) and (p[:, 2] == 0).all()


# ---------------------------------------------------------------------------- tiny fits
def test_cnn_fit_is_deterministic_and_learns(digits):
    x, y, xt, yt = digits
    params = {**FAST, "epochs": 3, "batch_size": 16, "dense_units": 64, "dense_dropout": 0.2,
              "class_weight": "balanced"}
    a = CNNClassifier(random_state=3, **params).fit(x, y, 10)
    sa = a.predict_scores(xt)
    sb = CNNClassifier(random_state=3, **params).fit(x, y, 10).predict_scores(xt)
    sc = CNNClassifier(random_state=4, **params).fit(x, y, 10).predict_scores(xt)
    assert sa.shape == (len(xt), 10) and sa.dtype == np.float64
    assert np.allclose(sa.sum(1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(sa, sb)  # same seed -> same numbers
    assert not np.array_equal(sa, sc)
    assert (a.predict(xt) == yt).mean() > 0.3  # chance is 0.1
    r = a.report_
    assert r["n_val"] == 40 and r["n_train"] == 360 and r["class_weight"] is not None
    assert 1 <= r["best_epoch"] <= r["epochs_run"] == len(r["history"]["val_loss"])
    assert a.features(xt).shape == (len(xt), 64)


def test_bfloat16_on_the_cpu_is_deterministic_and_recorded(digits):
    # what the medium presets use: mixed_bfloat16 halves the CNN's CPU time
    x, y, xt, yt = digits
    params = {**FAST, "epochs": 3, "batch_size": 16, "dense_units": 64, "dense_dropout": 0.2,
              "class_weight": "balanced", "mixed_precision": "bfloat16"}
    a = CNNClassifier(random_state=3, **params).fit(x, y, 10)
    sa = a.predict_scores(xt)
    sb = CNNClassifier(random_state=3, **params).fit(x, y, 10).predict_scores(xt)
    np.testing.assert_array_equal(sa, sb)
    assert np.allclose(sa.sum(1), 1.0, atol=1e-5)  # the softmax stays float32
    assert a.report_["runtime"]["precision_policy"] == "mixed_bfloat16"
    assert (a.predict(xt) == yt).mean() > 0.3  # 0.585 measured (float32: 0.49)
    assert a.features(xt).dtype == np.float32
    with pytest.raises(ConfigError, match="mixed_precision"):
        CNNClassifier.check_params({"mixed_precision": "fp8"}, key="c")


def test_saved_cnn_reloads(digits, tmp_path):
    import keras

    x, y, xt, _ = digits
    clf = SmallCNNClassifier(random_state=0, **FAST).fit(x[:100], y[:100], 10)
    clf.save_model(tmp_path / "m.keras")
    again = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(again.predict(xt, verbose=0), clf.predict_scores(xt), rtol=1e-5)
    assert [p.name for p in tmp_path.iterdir()] == ["m.keras"]  # no temporary left behind


def test_resnet18_one_epoch(digits):
    x, y, xt, yt = digits
    clf = ResNet18Classifier(random_state=0, **FAST).fit(x[:64], y[:64], 10)
    assert clf.predict_scores(xt[:8]).shape == (8, 10)
    assert clf.report_["model"]["params_trainable"] > 11_000_000


def test_cnn_svm_two_stages_match_in_memory(digits):
    x, y, xt, yt = digits
    params = {**FAST_CNN, "svm_per_class": 20}
    cnn, feats = train_cnn_features(params, x, y, xt, yt, n_classes=10, seed=1)
    assert feats["train_features"].shape == (len(x), 32)
    assert feats["test_features"].shape == (len(xt), 32)
    assert feats["train_val_mask"].sum() == 40
    assert str(feats["test_sha256"]) == array_digest(xt, yt)
    preds, report = fit_svm_on_features(params, feats, seed=1)
    assert preds["scores"].shape == (len(xt), 10) and preds["score_kind"] == "decision"
    assert np.array_equal(preds["y_pred"], np.argmax(preds["scores"], 1))
    # §4.4: 20 images of the largest class, the others in proportion to their size
    counts = np.bincount(y, minlength=10)
    assert report["train_counts"] == np.round(counts * 20 / counts.max()).astype(int).tolist()
    # The one-process classifier gives the same numbers as the two workflow jobs.
    clf = CNNSVMClassifier(random_state=1, **params).fit(x, y, 10)
    np.testing.assert_allclose(clf.predict_scores(xt), preds["scores"], rtol=1e-6, atol=1e-8)


# ----------------------------------------------------------------------------------- eGAN
def test_pick_binary_classes():
    y = np.repeat([0, 1, 2], [50, 5, 20])
    assert pick_binary_classes(y, None, None, None) == (1, 0)
    synthetic = np.zeros(len(y), bool)
    synthetic[:45] = True  # after rebalancing, class 0 has the fewest *real* images
    assert pick_binary_classes(y, synthetic, None, None) == (0, 2)
    with pytest.raises(ConfigError, match="minority_class"):
        pick_binary_classes(y, None, 7, None)


@pytest.mark.tensorflow_only
def test_egan_densenet_discriminator_matches_seed_003(monkeypatch):
    # Seed 003: "The pre-trained discriminator has 7,038,529 parameters out of which only
    # 39,937 are trainable" (DenseNet121, top 5 layers fine-tuned). The ImageNet download is
    # replaced by random weights; the freezing path is the real one.
    import keras

    from imbench.classify.egan import build_egan
    from imbench.classify.layers import describe

    real = keras.applications.DenseNet121
    monkeypatch.setattr(keras.applications, "DenseNet121",
                        lambda **kw: real(**{**kw, "weights": None}))
    _, _, disc = build_egan((32, 32, 3), encoder_backbone="small",
                            discriminator_backbone="densenet121", pretrained=True)
    assert describe(disc)["params_total"] == 7_038_529
    assert describe(disc)["params_trainable"] == 39_937


@pytest.mark.tensorflow_only
def test_egan_pretrains_encoder_and_discriminator_apart(monkeypatch):
    # seed 003 Fig 5: a discriminator without pre-training beside a pre-trained encoder. The
    # weights each backbone asks for are recorded (no download); an un-pretrained backbone
    # trains whole, a pretrained one only its top `trainable_layers`.
    import keras

    from imbench.classify.egan import EGANClassifier, build_egan
    from imbench.classify.layers import describe

    asked = []
    real = keras.applications.DenseNet121

    def fake(**kw):
        asked.append(kw["weights"])
        return real(**{**kw, "weights": None})

    monkeypatch.setattr(keras.applications, "DenseNet121", fake)
    enc, _, disc = build_egan((32, 32, 3), encoder_backbone="densenet121",
                              discriminator_backbone="densenet121", pretrained=True,
                              discriminator_pretrained=False)
    assert asked == ["imagenet", None]
    # all but the batch-norm statistics train (1 %); the pretrained encoder: its top layers
    assert describe(disc)["params_trainable"] > 0.98 * describe(disc)["params_total"]
    assert describe(enc)["params_trainable"] < describe(enc)["params_total"] / 10
    with pytest.raises(ConfigError, match="encoder_pretrained"):
        EGANClassifier.check_params({"encoder_pretrained": "yes"}, key="classifiers.e.params")


@pytest.mark.tensorflow_only
def test_egan_binary_task_and_determinism(digits):
    x, y, xt, yt = digits
    # Classes 3 (minority: 8 images) vs 8 (majority), others present but ignored.
    keep = np.flatnonzero(y != 3)
    keep = np.sort(np.concatenate([keep, np.flatnonzero(y == 3)[:8]]))
    x, y = x[keep], y[keep]
    params = {"epochs": 2, "batch_size": 16, "verbose": 0, "minority_class": 3,
              "majority_class": 8, "validation_fraction": 0.25}
    clf, preds, report = fit_and_predict("egan", params, x, y, xt, yt, n_classes=10,
                                                seed=0)
    mask = (yt == 3) | (yt == 8)
    assert np.array_equal(preds["y_true"], (yt[mask] == 3).astype(np.int64))
    # the digest is of the whole original test set; the sub-task names its images
    assert preds["test_sha256"] == array_digest(xt, yt)
    np.testing.assert_array_equal(preds["test_indices"], np.flatnonzero(mask))
    assert preds["class_names"] == ["majority (class 8)", "minority (class 3)"]
    s = preds["scores"]
    assert s.shape == (mask.sum(), 2) and preds["score_kind"] == "decision"
    np.testing.assert_array_equal(s[:, 1], -s[:, 0])
    # the seed's rule: negative discriminator score = minority
    np.testing.assert_array_equal(preds["y_pred"], (s[:, 0] < 0).astype(np.int64))
    ev = report["evaluation"]
    assert ev["task"] == "binary" and ev["n_test_used"] == mask.sum()
    assert ev["n_test_total"] == len(yt)
    assert report["train_counts"][1] + report["val_counts"][1] == 8
    assert report["model_choice"].startswith("best validation")
    again = EGANClassifier(random_state=0, **params).fit(x, y, 10)
    np.testing.assert_array_equal(again.predict_scores(xt[mask]), s)


@pytest.mark.tensorflow_only
def test_egan_curves_nash_stopping_and_the_labelled_test_selection(digits):
    # seed 003 reports per-epoch precision / recall / F1 and stops at a "nash equilibrium"
    # it watched on the test set: the curves and the rule on validation, the test-picked
    # numbers only labelled, beside the honest ones, and never feeding the model choice
    x, y, xt, yt = digits
    params = {"epochs": 4, "batch_size": 16, "verbose": 0, "minority_class": 3,
              "majority_class": 8, "validation_fraction": 0.25, "patience": None}
    _, plain, rep = fit_and_predict("egan", params, x, y, xt, yt, n_classes=10, seed=0)
    _, watched, rep_w = fit_and_predict("egan", {**params, "as_published_test_curves": True},
                                        x, y, xt, yt, n_classes=10, seed=0)
    np.testing.assert_array_equal(plain["scores"], watched["scores"])  # choice unchanged
    assert rep_w["best_epoch"] == rep["best_epoch"]
    h = rep_w["history"]
    for split in ("val", "test"):
        assert all(len(h[f"{split}_{k}"]) == 4 for k in ("precision", "recall", "f1"))
    assert "test_f1" not in rep["history"] and "as_published" not in rep
    pub = rep_w["as_published"]
    assert pub["label"].startswith("as published (selected on test)")
    assert pub["f1"]["value"] == max(h["test_f1"])
    assert pub["f1"]["epoch"] == int(np.argmax(h["test_f1"])) + 1
    # nash: the first epoch whose validation recalls differ by at most the threshold
    _, _, nash = fit_and_predict("egan", {**params, "stopping": "nash",
                                          "nash_threshold": 0.99}, x, y, xt, yt,
                                 n_classes=10, seed=0)
    assert nash["best_epoch"] == nash["epochs_run"] == 1
    assert nash["model_choice"].startswith("nash: first epoch")
    # with the test curves, training goes on to the last epoch for them alone: the choice
    # (and so every honest number) is the stopped run's, the as-published maxima cover all
    _, on, nash_on = fit_and_predict("egan", {**params, "stopping": "nash",
                                              "nash_threshold": 0.99,
                                              "as_published_test_curves": True},
                                     x, y, xt, yt, n_classes=10, seed=0)
    _, off, _ = fit_and_predict("egan", {**params, "stopping": "nash", "nash_threshold": 0.99},
                                x, y, xt, yt, n_classes=10, seed=0)
    np.testing.assert_array_equal(on["scores"], off["scores"])
    assert nash_on["best_epoch"] == nash_on["choice_final_at"] == 1
    assert nash_on["epochs_run"] == 4 and len(nash_on["history"]["test_f1"]) == 4
    assert nash_on["as_published"]["f1"]["value"] == max(nash_on["history"]["test_f1"])
    _, _, never = fit_and_predict("egan", {**params, "stopping": "nash",
                                           "nash_threshold": 0.0}, x, y, xt, yt,
                                  n_classes=10, seed=0)
    n_maj, n_min = never["val_counts"]
    gaps = [abs(a / n_min - b / n_maj) for a, b in zip(
        never["history"]["val_correct_minority"], never["history"]["val_correct_majority"],
        strict=True)]
    if min(gaps) > 0:  # recalls differ every epoch: never reached, falls back and says so
        assert "never reached" in never["model_choice"] and never["epochs_run"] == 4
    with pytest.raises(ConfigError, match="stopping"):
        EGANClassifier.check_params({"stopping": "earliest"}, key="c")


@pytest.mark.neural
@pytest.mark.tensorflow_only
def test_egan_reads_the_imagenet_weights_of_its_weights_dir(tmp_path) -> None:
    """weights_dir: keras.applications' *_notop.h5 read from a folder instead of Keras'
    cache (offline machines); the backbone holds that file's values, not random ones."""
    import h5py
    from standins import keras_notop

    from imbench.classify.egan import build_egan

    path = keras_notop(tmp_path, "densenet121")
    with h5py.File(path, "r") as f:
        stored = np.asarray(f["conv1_conv/conv1_conv/kernel"])
    _, _, disc = build_egan((32, 32, 3), latent_dim=8, discriminator_backbone="densenet121",
                            pretrained=True, weights_dir=str(tmp_path))
    kernels = [w for w in disc.weights if w.path.endswith("conv1_conv/kernel")]
    assert len(kernels) == 1 and np.array_equal(np.asarray(kernels[0]), stored)
    params = {"backbone": "densenet121", "pretrained": True, "weights_dir": str(tmp_path / "x")}
    [(key, missing, url)] = EGANClassifier.user_files(params, "classifiers.egan.params")
    assert key == "classifiers.egan.params.weights_dir" and url.endswith(path.name)
    assert missing == str(tmp_path / "x" / path.name)

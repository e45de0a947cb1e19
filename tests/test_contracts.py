"""One contract per registry, over every registered entry: what any classifier, generator
method or imbalance protocol must do, whoever wrote it. (The augmenters' contract is in
test_augmenters.py.) A new entry is picked up here without editing this file."""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import pytest

from imbench.augment import AUGMENTERS
from imbench.classify import CLASSIFIERS
from imbench.classify.predictions import SCORE_KINDS, predict_test
from imbench.errors import ConfigError
from imbench.generators import GENERATORS, default_config
from imbench.imbalance import PROTOCOLS, check_protocol, select_indices, target_counts
from imbench.io import array_digest
from imbench.plan.stages import CLASSIFIER_STAGES

# The quickest settings of each classifier (a new one runs with its defaults until it is
# added here); Keras ones train one epoch.
_KERAS = {"epochs": 1, "batch_size": 32, "verbose": 0}
TINY_CLASSIFIER = {
    "svm": {},
    "cnn": {**_KERAS, "dense_units": 16},
    "cnn_svm": {**_KERAS, "dense_units": 16, "svm_per_class": "all"},
    "resnet18": _KERAS,
    "resnet32": _KERAS,
    "small_cnn": _KERAS,
    "egan": {**_KERAS, "latent_dim": 8},
}


def check_classifier(cls: type, params: dict, digits: tuple) -> None:
    """The classifier contract (the recipe test runs it on a toy classifier too);
    ``digits``: training images, labels, test images, labels."""
    x, y, xt, yt = digits
    # describes itself, checks its params under the shared convention
    assert cls.stage in CLASSIFIER_STAGES
    assert cls.check_params({}) == cls.default_params
    with pytest.raises(ConfigError) as err:
        cls.check_params({"no_such_key": 1}, key="classifiers.c.params")
    assert err.value.key == "classifiers.c.params.no_such_key"
    runs = []
    for _ in range(2):
        clf = cls(random_state=0, n_jobs=1, **params).fit(x, y, 10)
        runs.append(predict_test(clf, xt, yt))
    (pred, evaluation), (again, _) = runs
    n, k = pred["scores"].shape
    assert pred["y_true"].shape == pred["y_pred"].shape == (n,)
    assert k == len(clf.classes_) and np.isfinite(pred["scores"]).all()
    assert pred["score_kind"] in SCORE_KINDS and pred["score_kind"] == clf.score_kind
    np.testing.assert_array_equal(pred["y_pred"], np.asarray(clf.classes_)[
        np.argmax(pred["scores"], axis=1)])
    # the digest is always of the whole test set it was given
    assert pred["test_sha256"] == evaluation["test_sha256"] == array_digest(xt, yt)
    if "test_indices" in pred:  # a sub-task: its rows are test images, each once
        idx = pred["test_indices"]
        assert len(idx) == n and len(set(idx.tolist())) == n and idx.max() < len(yt)
    else:
        assert n == len(yt) and k == 10
        np.testing.assert_array_equal(pred["y_true"], yt)
    # same seed, same numbers (on the CPU)
    np.testing.assert_array_equal(pred["scores"], again["scores"])
    report = clf.training_report()
    assert isinstance(report, dict)


@pytest.mark.parametrize("name", list(CLASSIFIERS))
def test_classifier_contract(name, small_digits):
    check_classifier(CLASSIFIERS[name], TINY_CLASSIFIER.get(name, {}), small_digits)


# -- generator methods ---------------------------------------------------------------------
TINY_GENERATOR = {"epochs": 2, "width": 8, "latent_dim": 8, "batch_size": 32,
                  "min_iters_per_epoch": 2, "checkpoint_every": 1, "sample_every": 2,
                  "selection_samples": 16, "grid_size": 2, "hidden": 16, "ae_epochs": 1}


def check_generator(method: str, digits: tuple, tmp_path: Path) -> None:
    """The generator-method contract (the recipe test runs it on a toy method too);
    ``digits``: training images and labels."""
    import torch

    from imbench.generators.methods import GanMethod
    from imbench.generators.sampling import GeneratorSet
    from imbench.generators.train import UnitFiles, train_generator
    from imbench.plan.layout import unit_files_in

    info = GENERATORS[method]
    impl = info.load()
    assert issubclass(impl, GanMethod) and impl.name == method
    for hook in ("pretrain", "end_epoch", "d_step", "g_step", "make_generator"):
        assert callable(getattr(impl, hook))
    # the augmenter of the method is derived, not repeated
    aug = AUGMENTERS[method]
    assert aug.generator == info.kind and aug.default_params == default_config(method)
    x, y = digits
    keep = (y != 3) | (np.cumsum(y == 3) <= 8)  # class 3 a minority
    x, y = x[keep], y[keep]
    unit = "conditional" if info.conditional else "class3"
    overrides = {k: v for k, v in TINY_GENERATOR.items() if k in aug.default_params}
    weights = []
    for run in ("a", "b"):
        files = UnitFiles(**unit_files_in(tmp_path / run))
        sel = train_generator(x, y, method=method, unit=unit, files=files, seed=0,
                              overrides=overrides, log=lambda s: None)
        assert sel["method"] == method and set(sel["models"]) == {
            "conditional" if info.conditional else "class3"}
        for f in (files.generator, files.losses, files.selection):
            assert f.is_file()
        weights.append(torch.load(files.generator, weights_only=True))
        images = GeneratorSet({unit: files.generator}).sample(3, 5, seed=1)
        assert images.shape == (5, *x.shape[1:]) and images.dtype == np.uint8
    # same seed, same weights
    (key,) = weights[0]["models"]
    a, b = weights[0]["models"][key]["G"], weights[1]["models"][key]["G"]
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("method", list(GENERATORS))
def test_generator_contract(method, small_digits, tmp_path):
    pytest.importorskip("torch")
    check_generator(method, small_digits[:2], tmp_path)


# -- imbalance protocols -------------------------------------------------------------------
def check_protocol_entry(name: str) -> None:
    """The protocol contract (the recipe test runs it on a toy protocol too)."""
    protocol = PROTOCOLS[name]()
    assert protocol.name == name and protocol.example.get("protocol") == name
    counts = [600, 580, 620, 600, 590, 610, 600, 600, 605, 595]
    check_protocol(name, protocol.example, counts, 10)
    targets = target_counts(protocol.example, counts)
    assert len(targets) == 10 and all(1 <= t <= n for t, n in zip(targets, counts, strict=True))
    if protocol.original:
        assert targets == counts
    # an unknown key is an error that names it
    with pytest.raises(ConfigError) as err:
        check_protocol(name, {**protocol.example, "no_such_key": 1}, counts, 10)
    assert err.value.key == f"imbalances.{name}.no_such_key"
    # draws exactly the targets, the same images for the same seed
    y = np.repeat(np.arange(10), counts)
    keep = select_indices(y, protocol.example, seed=3)
    assert np.bincount(y[keep], minlength=10).tolist() == targets
    np.testing.assert_array_equal(keep, select_indices(y, protocol.example, seed=3))
    # its checks live with it
    assert "check_values" in dict(inspect.getmembers(type(protocol)))


@pytest.mark.parametrize("name", list(PROTOCOLS))
def test_protocol_contract(name):
    check_protocol_entry(name)

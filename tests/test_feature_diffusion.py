"""Feature-space diffusion (LDMLR, imbench.classify.feature_diffusion): synthetic features land
in their class's region, only the classification layer changes, the config's relations."""

from __future__ import annotations

import numpy as np
import pytest

from imbench.classify import CLASSIFIERS
from imbench.classify.feature_diffusion import FeatureDiffusion, counts_to_fill
from imbench.classify.training import RECIPE
from imbench.errors import ConfigError

SMALL = {"ldmlr_timesteps": 100, "ldmlr_sampling_steps": 20, "ldmlr_hidden": 64,
         "ldmlr_layers": 2, "ldmlr_lr": 3e-3}


# not marked neural: the same Keras code as below, 200 passes; the torch-backend rerun of
# `make test` covers this module through the classifier test
def test_synthetic_features_land_in_their_class_region():
    """Three separable clusters in 8-d (post-ReLU-like, >= 0): nearly every sample of a
    class is nearest to that class's centre, and none leaves the training range."""
    pytest.importorskip("keras")
    import keras

    keras.utils.set_random_seed(0)
    rng = np.random.RandomState(0)
    centres = rng.uniform(0, 6, (3, 8))
    labels = np.repeat([0, 1, 2], [120, 40, 20])
    feats = np.clip(centres[labels] + rng.normal(0, 0.4, (len(labels), 8)), 0, None)
    # the default 1000 timesteps: with 100 the 20-image class was half mixed into the largest
    p = {**RECIPE.defaults(), "ldmlr_sampling_steps": 20, "ldmlr_hidden": 128,
         "ldmlr_layers": 2, "ldmlr_lr": 3e-3, "ldmlr_epochs": 200, "batch_size": 32}
    model = FeatureDiffusion(8, 3, p, seed=0)
    losses = model.fit(feats.astype(np.float32), labels)
    assert losses[-1] < losses[0]
    want = np.repeat([1, 2], [80, 100])
    new = model.sample(want)
    nearest = np.argmin(((new[:, None] - centres[None]) ** 2).sum(-1), 1)
    assert (nearest == want).mean() > 0.9, (nearest == want).mean()
    assert (new >= feats.min(0) - 1e-6).all() and (new <= feats.max(0) + 1e-6).all()


def test_counts_fill_every_smaller_class_up_to_the_largest():
    assert counts_to_fill(np.array([0] * 5 + [1] * 2 + [2] * 5 + [3]), 4) == {1: 3, 3: 4}


@pytest.mark.neural
def test_only_the_classification_layer_changes(small_digits):
    """Same seed with and without LDMLR: every weight but the logits layer's is equal."""
    pytest.importorskip("keras")
    x, y, _, _ = small_digits
    base = {"epochs": 2, "batch_size": 32, "validation_fraction": 0.2, "verbose": 0}
    fits = {}
    for name, extra in (("plain", {}), ("ldmlr", {**SMALL, "ldmlr_epochs": 3,
                                                   "ldmlr_head_epochs": 2})):
        clf = CLASSIFIERS["small_cnn"](random_state=0, n_jobs=1, **base, **extra)
        fits[name] = clf.fit(x, y, n_classes=10)
    report = fits["ldmlr"].report_["ldmlr"]
    counts = np.bincount(y[fits["ldmlr"].train_idx_], minlength=10)
    assert report["added"] == {str(c): int(counts.max() - n) for c, n in enumerate(counts)
                               if counts.max() > n}
    assert len(report["history"]["loss"]) == 2 and len(report["denoiser"]["losses"]) == 3
    for a, b in zip(fits["plain"].model_.layers, fits["ldmlr"].model_.layers, strict=True):
        same = all(np.array_equal(u, v) for u, v in zip(a.get_weights(), b.get_weights(),
                                                         strict=True))
        assert same == (a.name != "logits"), a.name


def test_ldmlr_is_refused_beside_crt_and_for_cnn_svm():
    with pytest.raises(ConfigError, match="both retrain the classification layer"):
        CLASSIFIERS["small_cnn"].check_params({"crt_epochs": 2, "ldmlr_epochs": 2}, key="c")
    with pytest.raises(ConfigError, match=r"c.ldmlr_epochs': got 2; allowed: 0 \(cnn_svm"):
        CLASSIFIERS["cnn_svm"].check_params({"ldmlr_epochs": 2}, key="c")
    with pytest.raises(ConfigError, match="ldmlr_sampling_steps"):
        CLASSIFIERS["small_cnn"].check_params({"ldmlr_timesteps": 10}, key="c")

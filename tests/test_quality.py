"""Generator-quality metrics, the reference classifier and the Real-or-Fake sheets."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

torch.set_num_threads(1)

from sklearn.datasets import load_digits  # noqa: E402

from imbench.generators.reference import (  # noqa: E402
    load_reference,
    predict,
    save_reference,
    train_reference,
)
from imbench.quality import (  # noqa: E402
    frechet_distance,
    generator_quality,
    mean_pairwise_ssim,
    nearest_real_ssim,
    real_or_fake_sheets,
    ssim_pairs,
)


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    d = load_digits()
    return np.round(d.images * (255 / 16)).astype(np.uint8)[..., None], d.target.astype(np.int64)


@pytest.fixture(scope="module")
def reference(digits, tmp_path_factory) -> Path:
    x, y = digits
    path = tmp_path_factory.mktemp("ref") / "classifier.pt"
    save_reference(train_reference(x, y, seed=0, params={"epochs": 15}, log=lambda s: None),
                   path)
    return path


def _rebalanced(x: np.ndarray, y: np.ndarray, synthetic: np.ndarray, label: int) -> dict:
    return {"x": np.concatenate([x, synthetic]),
            "y": np.concatenate([y, np.full(len(synthetic), label)]),
            "synthetic": np.arange(len(y) + len(synthetic)) >= len(y)}


def test_frechet_distance_closed_form() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4000, 3))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)
    # same covariance, shifted mean: the distance is the squared shift
    assert frechet_distance(a, a + np.array([1.0, 2.0, 0.0])) == pytest.approx(5.0, rel=1e-6)
    # N(0, I) vs N(0, 4I) in d dims: tr(I + 4I - 2*2I) = d
    b = rng.normal(size=(4000, 3)) * 2
    assert frechet_distance(a, b) == pytest.approx(3.0, rel=0.1)
    assert frechet_distance(a[:1], b) is None


@pytest.mark.parametrize("shape", [(8, 8, 1), (28, 28, 1), (32, 32, 3), (9, 12, 3)])
def test_ssim_pairs_is_scikit_image_ssim(shape) -> None:
    from skimage.metrics import structural_similarity

    rng = np.random.default_rng(1)
    # 300 pairs: more than one SSIM_CHUNK; half of them related (noisy copies), as real pairs
    a = rng.integers(0, 256, size=(300, *shape), dtype=np.uint8)
    b = a.copy()
    b[150:] = rng.integers(0, 256, size=(150, *shape), dtype=np.uint8)
    b[:150] = np.clip(a[:150] + rng.normal(0, 20, size=(150, *shape)), 0, 255).astype(np.uint8)
    win = min(7, shape[0] - (shape[0] % 2 == 0), shape[1] - (shape[1] % 2 == 0))
    expected = [structural_similarity(p, q, data_range=255, win_size=win, channel_axis=2)
                for p, q in zip(a, b, strict=True)]
    got = ssim_pairs(a, b)
    assert got.shape == (300,)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    assert got[:150].mean() > got[150:].mean() + 0.3  # the copies score higher
    with pytest.raises(ValueError, match="one shape"):
        ssim_pairs(a, b[:, :4])


def test_ssim_diversity_and_memorisation(digits) -> None:
    x, _ = digits
    rng = np.random.default_rng(0)
    same = np.repeat(x[:1], 5, axis=0)
    assert mean_pairwise_ssim(same, rng) == pytest.approx(1.0)
    varied = mean_pairwise_ssim(x[:60], rng)  # 1770 pairs > MAX_PAIRS: the sampled branch
    assert 0.0 < varied < 0.7
    assert mean_pairwise_ssim(x[:1], rng) is None
    copies = nearest_real_ssim(x[10:20], x[:100])
    assert np.allclose(copies, 1.0)
    noise = rng.integers(0, 256, size=(10, 8, 8, 1), dtype=np.uint8)
    assert nearest_real_ssim(noise, x[:100]).max() < 0.5


def test_reference_classifier_and_quality(digits, reference: Path) -> None:
    x, y = digits
    model, payload = load_reference(reference)
    assert payload["val_accuracy"] > 0.8
    assert (predict(model, x[:200]) == y[:200]).mean() > 0.8

    imb_x, imb_y = x[:1000], y[:1000]
    # "generated" class-3 images that are copies of real ones: perfect memorisation
    copies = imb_x[imb_y == 3][:30]
    q = generator_quality(_rebalanced(imb_x, imb_y, copies, 3), {"x": imb_x, "y": imb_y},
                          reference, seed=0)
    c3 = q["classes"]["3"]
    assert c3["n_generated"] == 30
    assert c3["memorisation_ssim_mean"] == pytest.approx(1.0)
    assert c3["near_copy_fraction"] == 1.0
    assert c3["reference_accuracy"] > 0.8
    assert 0 < c3["diversity_ssim"] < 1
    assert "penultimate" in q["feature_space"]

    # uniform noise labelled 3: far in feature space, rarely recognised as a 3
    noise = np.random.default_rng(1).integers(0, 256, (30, 8, 8, 1), dtype=np.uint8)
    qn = generator_quality(_rebalanced(imb_x, imb_y, noise, 3), {"x": imb_x, "y": imb_y},
                           reference, seed=0)["classes"]["3"]
    assert qn["frechet_distance"] > 5 * c3["frechet_distance"]
    assert qn["memorisation_ssim_mean"] < 0.5


def test_real_or_fake_sheets(digits, tmp_path: Path) -> None:
    x, y = digits
    imb_x, imb_y = x[:500], y[:500]
    fake = 255 - imb_x[imb_y == 4][:12]
    train = _rebalanced(imb_x, imb_y, fake, 4)
    key = real_or_fake_sheets(train, {"x": imb_x, "y": imb_y}, tmp_path / "a", seed=3)
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["answer_key.json",
                                                                 "class4.png"]
    answers = key["answers"]["class4"]
    assert sorted(answers) == sorted(str(i) for i in range(1, 21))
    assert sorted(answers.values()).count("real") == 10
    assert list(answers.values()) != ["real"] * 10 + ["fake"] * 10  # actually mixed
    assert json.loads((tmp_path / "a" / "answer_key.json").read_text())["answers"] == key[
        "answers"]
    again = real_or_fake_sheets(train, {"x": imb_x, "y": imb_y}, tmp_path / "b", seed=3)
    assert again["answers"] == key["answers"]  # seeded order


def test_resnet18_judge_trains_saves_and_gives_512_d_features(digits, tmp_path) -> None:
    from imbench.errors import ConfigError
    from imbench.generators.reference import features

    x, y = digits
    payload = train_reference(x[:200], y[:200], seed=0,
                              params={"epochs": 1, "arch": "resnet18", "batch_size": 50},
                              log=lambda s: None)
    assert payload["arch"] == "resnet18" and payload["feature_dim"] == 512
    save_reference(payload, tmp_path / "r.pt")
    model, back = load_reference(tmp_path / "r.pt")
    assert type(model).__name__ == "ReferenceResNet18" and back["arch"] == "resnet18"
    assert features(model, x[:7]).shape == (7, 512)
    # eval mode: batch norm uses its running statistics, so a prediction does not depend on
    # the batch it is in
    np.testing.assert_array_equal(predict(model, x[:5]), predict(model, x[:300])[:5])
    with pytest.raises(ConfigError, match="arch"):
        train_reference(x[:20], y[:20], params={"arch": "vgg"}, log=lambda s: None)

"""Generator-quality metrics, the reference classifier and the Real-or-Fake sheets."""

from __future__ import annotations

import hashlib
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
from imbench.generators.selection import kid  # noqa: E402
from imbench.quality import (  # noqa: E402
    feature_metrics,
    generator_quality,
    inception_score,
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


class _Flat(torch.nn.Module):
    """Features given as (n, 1, 1, d) "images": the extractor only flattens them, so the
    library's numbers can be set beside closed forms."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.num_features = d

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(len(x), -1)


def _scipy_frechet(a: np.ndarray, b: np.ndarray) -> float:
    """The formula imbench used before torchmetrics (scipy's sqrtm), as the oracle."""
    from scipy import linalg

    s_a, s_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = np.real(linalg.sqrtm(s_a @ s_b))
    return float(((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(s_a + s_b - 2 * covmean))


def _metrics(a: np.ndarray, b: np.ndarray, **kw) -> dict:
    return feature_metrics(a[:, None, None, :], b[:, None, None, :], _Flat(a.shape[1]),
                           seed=0, **kw)


def test_fid_and_kid_by_torchmetrics_equal_the_closed_forms() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(1000, 3))
    same = _metrics(a, a)
    assert same["fid"] == pytest.approx(0.0, abs=1e-6)
    # same covariance, shifted mean: the distance is the squared shift
    assert _metrics(a, a + np.array([1.0, 2.0, 0.0]))["fid"] == pytest.approx(5.0, rel=1e-6)
    # the value imbench computed by hand before, on a fixed example
    x, y = rng.normal(size=(300, 8)), rng.normal(0.3, 1.5, size=(250, 8))
    m = _metrics(x, y)
    assert m["fid"] == pytest.approx(_scipy_frechet(x, y), rel=1e-6)
    assert (m["n_real"], m["n_fake"], m["kid_subset_size"]) == (300, 250, 250)
    # KID over subsets of every image equals the epoch choice's unbiased MMD^2 (n = m)
    x2 = x[:250]
    k = _metrics(x2, y)
    assert k["kid_mean"] == pytest.approx(kid(torch.from_numpy(x2), torch.from_numpy(y)),
                                          rel=1e-9)
    assert k["kid_std"] == pytest.approx(0.0, abs=1e-12)
    assert _metrics(x, y)["kid_mean"] == _metrics(x, y)["kid_mean"]  # seeded subsets
    assert _metrics(a[:1], a)["fid"] is None


def test_precision_recall_density_coverage_by_prdc() -> None:
    rng = np.random.default_rng(2)
    real = rng.normal(size=(400, 4))
    same = _metrics(real, real)
    assert same["precision"] == same["recall"] == same["coverage"] == 1.0
    far = _metrics(real, real + 50.0)
    assert far["precision"] == far["recall"] == far["coverage"] == far["density"] == 0.0
    # a collapsed generator: every fake near one real image -> precise, no recall
    collapsed = _metrics(real, real[:1] + rng.normal(0, 1e-3, size=(400, 4)))
    assert collapsed["precision"] == 1.0 and collapsed["recall"] < 0.05
    assert collapsed["coverage"] < 0.05
    assert same["prdc_k"] == 5
    # k = 5: prdc's k-th neighbour of a point counts the point itself, so 6 images are too
    # few (a class of 6 real images failed the smoke scale's judge) and 7 are enough
    assert _metrics(real, real[:6])["precision"] is None
    assert _metrics(real[:7], real[:7])["precision"] == 1.0


def test_inception_score_by_torchmetrics() -> None:
    # logits: confident and spread evenly over 4 classes -> IS = 4; uniform -> 1
    sharp = np.repeat(np.eye(4) * 50.0, 50, axis=0)[:, None, None, :]
    one = inception_score(sharp, _Flat(4), seed=0, splits=1)
    assert one["mean"] == pytest.approx(4.0, rel=1e-3) and one["std"] is None
    ten = inception_score(sharp, _Flat(4), seed=0)  # 20-image splits: not exactly even
    assert 3.0 < ten["mean"] < 4.0 and ten["std"] > 0
    flat = np.zeros((200, 1, 1, 4))
    out = inception_score(flat, _Flat(4), seed=0)
    assert out["mean"] == pytest.approx(1.0) and out["splits"] == 10


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
    test = (x[1000:], y[1000:])  # images neither the reference nor the "generator" saw
    q = generator_quality(_rebalanced(imb_x, imb_y, copies, 3), {"x": imb_x, "y": imb_y},
                          reference, seed=0, test=test)
    c3 = q["classes"]["3"]
    assert c3["n_generated"] == 30
    assert c3["memorisation_ssim_mean"] == pytest.approx(1.0)
    assert c3["near_copy_fraction"] == 1.0
    assert c3["reference_accuracy"] > 0.8
    assert 0 < c3["diversity_ssim"] < 1
    assert "penultimate" in q["feature_space"]

    # uniform noise labelled 3: far in feature space, rarely recognised as a 3
    noise = np.random.default_rng(1).integers(0, 256, (30, 8, 8, 1), dtype=np.uint8)
    qall = generator_quality(_rebalanced(imb_x, imb_y, noise, 3), {"x": imb_x, "y": imb_y},
                             reference, seed=0, test=test)
    qn = qall["classes"]["3"]
    assert qn["fid"] > 5 * c3["fid"] and qn["kid_mean"] > 5 * c3["kid_mean"]
    assert qn["memorisation_ssim_mean"] < 0.5
    # copies sit on the real manifold, noise off it
    assert c3["precision"] == 1.0 and qn["precision"] < 0.2
    assert c3["n_real"] == int((imb_y == 3).sum()) and c3["kid_subset_size"] == 30
    assert q["feature_extractor"]["sha256"] == hashlib.sha256(reference.read_bytes()).hexdigest()
    assert q["class_means"]["fid"] == pytest.approx(c3["fid"])
    assert q["inception_score"]["n"] == 30
    # GAN-train: trained on the "generated" 3s (its real 3s left out) and the real other
    # classes, scored on the real test set: copies teach the class, noise does not
    g, gn = q["gan_train"], qall["gan_train"]
    assert g["generated_classes"] == [3] and g["n_test"] == len(test[1])
    assert g["n_train"] == int((imb_y != 3).sum()) + 30
    assert g["recall"]["3"] > 0.5 > gn["recall"]["3"]
    assert g["real_bound_recall"]["3"] > 0.8


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


@pytest.fixture(scope="module")
def inception_weights(tmp_path_factory) -> Path:
    """A weights file of the Inception-v3 FID network with random weights (float16, ~45 MB),
    named as torch-fidelity names its file: <name>-<sha256 prefix>.pth."""
    from imbench.inception import inception_class

    cls = inception_class()
    real_load = cls.load_state_dict
    cls.load_state_dict = lambda self, state: None  # build it without a file
    try:
        original = torch.load
        torch.load = lambda *a, **k: {}
        try:
            torch.manual_seed(0)
            net = cls("inception-v3-compat", ["2048"], feature_extractor_weights_path="x")
        finally:
            torch.load = original
    finally:
        cls.load_state_dict = real_load
    folder = tmp_path_factory.mktemp("inception")
    tmp = folder / "tmp.pth"
    torch.save({k: v.half() if v.is_floating_point() else v
                for k, v in net.state_dict().items()}, tmp)
    path = folder / f"weights-inception-test-{hashlib.sha256(tmp.read_bytes()).hexdigest()[:8]}.pth"
    tmp.rename(path)
    return path


def test_inception_features_from_a_checked_local_file(inception_weights, tmp_path) -> None:
    from imbench.errors import DataError
    from imbench.inception import InceptionFeatures, applies_to

    net = InceptionFeatures(inception_weights)
    rng = np.random.default_rng(0)
    real = rng.integers(0, 256, (12, 16, 16, 3), dtype=np.uint8)
    copies = feature_metrics(real, real.copy(), net, seed=0)
    noise = feature_metrics(real, np.zeros_like(real), net, seed=0)
    # random weights shrink the features (FID ~1e-12), so compare against the copies' zero
    assert copies["precision"] == 1.0 and noise["precision"] == 0.0
    assert noise["fid"] > 1e6 * abs(copies["fid"])
    assert net(torch.zeros(2, 3, 8, 8, dtype=torch.uint8)).shape == (2, 2048)
    # grey images get a reason, not a number
    assert "grey" in applies_to((28, 28, 1)) and applies_to((32, 32, 3)) is None
    with pytest.raises(DataError, match=r"torch-fidelity/releases.*inception_weights"):
        InceptionFeatures(tmp_path / "weights-inception-2015-12-05-6726825d.pth")
    with pytest.raises(DataError, match="does not match"):
        InceptionFeatures(inception_weights, sha256="0000000000")


def test_a_missing_inception_file_fails_the_dag_build(tiny_config, tmp_path) -> None:
    from imbench.errors import ConfigError
    from imbench.plan import Grid, prepare_config

    tiny_config["generator_quality"] = {"inception_weights": str(tmp_path / "absent.pth")}
    with pytest.raises(ConfigError, match="inception_weights.*download"):
        Grid(prepare_config(tiny_config))

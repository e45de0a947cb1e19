"""Generator quality per class (seed 000 §3.2.1, seed 001 Tables 4-5) and seed 000's
"Real or Fake?" sheets.

Inputs are the rebalanced training set (its ``synthetic`` mask marks generated images), the
imbalanced training set (the real images of each class) and the reference classifier. The
test set is read only to score the GAN-train classifier (:func:`gan_train`).
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy.ndimage import uniform_filter
from torch import nn

from .io import save_figure, write_json
from .measures import (
    CLASS_MEANS,
    FEATURE_MEASURES,
    KID_SUBSETS,
    MAX_MEMORISATION_IMAGES,
    MAX_PAIRS,
    MEASURES,
    NEAR_COPY_SSIM,
    NEAREST_CANDIDATES,
    PRDC_K,
)
from .weights import sha256_of

# how many images / pairs each SSIM statistic looks at (MAX_PAIRS, MAX_MEMORISATION_IMAGES,
# NEAREST_CANDIDATES; SSIM is O(pairs): these bound a 6000-image class to seconds while
# keeping the estimate's standard error around 0.005) live with the measures' definitions


#: pairs per batched SSIM call (32x32x3 float64: ~6 MB per temporary array)
SSIM_CHUNK = 256


def ssim_pairs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """SSIM of ``a[i]`` with ``b[i]`` for each i (images ``(n, h, w, c)`` on 0-255).

    The same number as scikit-image's ``structural_similarity(a[i], b[i], data_range=255,
    win_size=w, channel_axis=2)`` with w = min(7, the largest odd size that fits): a uniform
    w x w window, sample covariance, K1 0.01, K2 0.03, the mean over the interior pixels and
    then over channels. It is computed for many pairs at once because one scikit-image call
    costs ~0.4 ms and a quality job makes ~45,000 of them (tests/test_quality.py compares
    the two on every image shape).
    """
    if a.shape != b.shape or a.ndim != 4:
        raise ValueError(f"ssim_pairs needs two (n, h, w, c) arrays of one shape, got "
                         f"{a.shape} and {b.shape}")
    n, h, w, _ = a.shape
    win = min(7, h - (h % 2 == 0), w - (w % 2 == 0))
    size = (1, win, win, 1)  # the window slides over height and width only
    cov_norm = win * win / (win * win - 1)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    pad = (win - 1) // 2
    out = np.empty(n)
    for start in range(0, n, SSIM_CHUNK):
        x = a[start:start + SSIM_CHUNK].astype(np.float64)
        y = b[start:start + SSIM_CHUNK].astype(np.float64)
        ux, uy = uniform_filter(x, size), uniform_filter(y, size)
        vx = cov_norm * (uniform_filter(x * x, size) - ux * ux)
        vy = cov_norm * (uniform_filter(y * y, size) - uy * uy)
        vxy = cov_norm * (uniform_filter(x * y, size) - ux * uy)
        s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux**2 + uy**2 + c1) * (vx + vy + c2))
        interior = s[:, pad:h - pad, pad:w - pad, :]
        out[start:start + SSIM_CHUNK] = interior.mean(axis=(1, 2)).mean(axis=1)
    return out


def mean_pairwise_ssim(images: np.ndarray, rng: np.random.Generator,
                       max_pairs: int = MAX_PAIRS) -> float | None:
    """Mean SSIM over distinct pairs (all pairs when few, else ``max_pairs`` random ones).
    Lower means more diverse; near 1 means mode collapse (seed 001 Table 4)."""
    n = len(images)
    if n < 2:
        return None
    if n * (n - 1) // 2 <= max_pairs:
        i, j = np.triu_indices(n, k=1)
    else:
        i = rng.integers(0, n, max_pairs)
        j = (i + rng.integers(1, n, max_pairs)) % n  # j != i
    return float(np.mean(ssim_pairs(images[i], images[j])))


def nearest_real_ssim(generated: np.ndarray, real: np.ndarray,
                      candidates: int = NEAREST_CANDIDATES) -> np.ndarray:
    """For each generated image, the highest SSIM to any real image among its ``candidates``
    nearest real images in pixel L2 (an exhaustive SSIM search is O(n_gen * n_real))."""
    if len(generated) == 0 or len(real) == 0:
        return np.zeros(0)
    g = generated.reshape(len(generated), -1).astype(np.float32)
    r = real.reshape(len(real), -1).astype(np.float32)
    d2 = (g**2).sum(1)[:, None] - 2 * g @ r.T + (r**2).sum(1)[None, :]
    k = min(candidates, len(real))
    near = np.argpartition(d2, k - 1, axis=1)[:, :k]
    scores = ssim_pairs(np.repeat(generated, k, axis=0), real[near.ravel()])
    return scores.reshape(len(generated), k).max(axis=1)


#: KID: the largest subset size (smaller classes use every image they have,
#: n = min(this, n_real, n_fake), recorded per class; KID_SUBSETS of them)
KID_MAX_SUBSET = 1000
#: Inception Score splits (Salimans et al. 2016); fewer when there are few images
IS_SPLITS = 10


class ReferenceExtractor(nn.Module):
    """The reference classifier as a torchmetrics feature extractor: uint8 NCHW images in,
    its penultimate features (``output="features"``) or its logits out."""

    def __init__(self, model: nn.Module, output: str = "features") -> None:
        super().__init__()
        self.model, self.output = model.eval(), output
        head = model.head  # type: ignore[union-attr]
        self.num_features = head.in_features if output == "features" else head.out_features

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        from .generators.methods import to_float

        h = to_float(x)
        return self.model.features(h) if self.output == "features" else self.model(h)


@contextlib.contextmanager
def _buffer_warning_off() -> Iterator[None]:
    """KID and IS warn that they keep every feature: expected, a class is small."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*will save all extracted features")
        yield


class _Given(nn.Module):
    """Features already extracted, passed to torchmetrics as its "feature extractor"."""

    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.num_features = num_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


def _batches(images: np.ndarray, size: int = 512) -> list[torch.Tensor]:
    t = torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2)))
    return [t[i:i + size] for i in range(0, len(t), size)]


def feature_metrics(real: np.ndarray, fake: np.ndarray, extractor: nn.Module, *, seed: int,
                    prdc_k: int = PRDC_K) -> dict[str, Any]:
    """FID, KID (mean and std over subsets) by torchmetrics, and precision / recall /
    density / coverage by ``prdc``, of ``fake`` against ``real`` images in ``extractor``'s
    feature space. A measure the class is too small for is None (FID: 2 images each; KID: 2;
    PRDC: more than k + 1, as prdc counts each point among its own neighbours), and every
    sample count and size is in the record."""
    from .inception import prepare_torch_fidelity

    prepare_torch_fidelity()  # torchmetrics imports it when installed
    from torchmetrics.image.kid import KernelInceptionDistance

    n_real, n_fake = len(real), len(fake)
    subset = min(KID_MAX_SUBSET, n_real, n_fake)
    out: dict[str, Any] = {"n_real": n_real, "n_fake": n_fake, "kid_subset_size": subset,
                           "kid_subsets": KID_SUBSETS, "prdc_k": prdc_k,
                           "fid": None, "kid_mean": None, "kid_std": None, "precision": None,
                           "recall": None, "density": None, "coverage": None}
    if min(n_real, n_fake) < 2:
        return out
    # features once per image; the metrics then get them through an identity "extractor"
    feats = {name: torch.cat([extractor(b) for b in _batches(images)]).double()
             for name, images in (("real", real), ("fake", fake))}
    given = _Given(int(feats["real"].shape[1]))
    with _buffer_warning_off():
        kid = KernelInceptionDistance(feature=given, subsets=KID_SUBSETS, subset_size=subset)
    for name, f in feats.items():
        kid.update(f, real=name == "real")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # KID's subsets come from torch's global generator
        kid_mean, kid_std = kid.compute()
    out.update(fid=fid_of_features(feats["real"], feats["fake"]), kid_mean=float(kid_mean),
               kid_std=float(kid_std))
    if min(n_real, n_fake) > prdc_k + 1:
        out.update(prdc_of_features(feats["real"], feats["fake"], prdc_k))
    return out


def fid_of_features(real: torch.Tensor, fake: torch.Tensor) -> float:
    """torchmetrics' FID between two feature sets (at least 2 rows each).

    When the features have more dimensions than there are images (a 2048-d space scored on
    a few held-out images, as the epoch choice does), both sets are first written in an
    orthonormal basis of the span of their centred rows and the difference of their means:
    the two covariances and the mean difference live in that span, so the distance is the
    same number (tests/test_selection.py checks it against the unprojected one) and the matrix
    square root is taken of an r x r matrix, r = n_real + n_fake + 1, instead of d x d.
    """
    from .inception import prepare_torch_fidelity

    prepare_torch_fidelity()
    from torchmetrics.image.fid import FrechetInceptionDistance

    real, fake = real.double(), fake.double()
    if real.shape[1] > len(real) + len(fake):
        mu_r, mu_f = real.mean(0), fake.mean(0)
        span = torch.cat([real - mu_r, fake - mu_f, (mu_r - mu_f)[None]]).T
        # span = q r with orthonormal q: q's columns hold the whole span (all of them: where
        # r is rank-deficient a column of q still carries later columns' parts)
        q = torch.linalg.qr(span).Q
        real, fake = real @ q, fake @ q
    with _buffer_warning_off():
        fid = FrechetInceptionDistance(feature=_Given(int(real.shape[1])),
                                       reset_real_features=True)
    fid.update(real, real=True)
    fid.update(fake, real=False)
    return float(fid.compute())


def prdc_of_features(real: torch.Tensor, fake: torch.Tensor, k: int = PRDC_K
                     ) -> dict[str, float]:
    """Precision, recall, density and coverage (``prdc``, Naeem et al.'s package) with k-NN
    balls of ``k`` neighbours; both sets need more than ``k + 1`` rows."""
    from prdc import compute_prdc

    return {name: float(v) for name, v in compute_prdc(
        real.double().numpy(), fake.double().numpy(), nearest_k=k).items()}


def inception_score(images: np.ndarray, extractor: nn.Module, *, seed: int,
                    splits: int = IS_SPLITS) -> dict[str, Any]:
    """Inception Score (torchmetrics) with ``extractor``'s logits as the class posterior:
    exp(E KL(p(y|x) || p(y))), mean and std over ``splits`` (at most one per 10 images)."""
    from .inception import prepare_torch_fidelity

    prepare_torch_fidelity()
    from torchmetrics.image.inception import InceptionScore

    splits = max(1, min(splits, len(images) // 10))
    out: dict[str, Any] = {"n": int(len(images)), "splits": splits, "mean": None, "std": None}
    if len(images) < 2:
        return out
    with _buffer_warning_off():
        metric = InceptionScore(feature=extractor, splits=splits)
    for batch in _batches(images):
        metric.update(batch)
    with torch.random.fork_rng(devices=[]), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the std of one split
        torch.manual_seed(seed)  # the split assignment is a torch permutation
        mean, std = metric.compute()
    out.update(mean=float(mean), std=float(std) if splits > 1 else None)
    return out


def generator_quality(
    train: dict[str, np.ndarray], imbalanced: dict[str, np.ndarray],
    reference_path: str | os.PathLike[str], *, seed: int = 0,
    test: tuple[np.ndarray, np.ndarray] | None = None,
    inception: nn.Module | None = None,
) -> dict[str, Any]:
    """Per-class quality of the synthetic images of a rebalanced set, and their means over
    the classes that received images (intra-class FID, KID, ...). With ``test`` (the real
    test images and labels), GAN-train as well (:func:`gan_train`); the test set is used
    only there, to score a classifier, never to choose anything. With ``inception``
    (:class:`imbench.inception.InceptionFeatures`), the feature-space metrics again in
    Inception-v3's pool features, for RGB images."""
    from .generators.reference import load_reference, predict
    from .inception import applies_to

    model, ref = load_reference(reference_path)
    features = ReferenceExtractor(model, "features")
    xs, ys = train["x"][train["synthetic"]], train["y"][train["synthetic"]]
    xr, yr = imbalanced["x"], imbalanced["y"].astype(np.int64)
    per_class: dict[str, Any] = {}
    for c in sorted(np.unique(ys).tolist()):
        rng = np.random.default_rng([seed, c])
        gen, real = xs[ys == c], xr[yr == c]
        mem_idx = rng.permutation(len(gen))[:MAX_MEMORISATION_IMAGES]
        nearest = nearest_real_ssim(gen[mem_idx], real)
        per_class[str(c)] = {
            "n_generated": int(len(gen)),
            "n_real": int(len(real)),
            "diversity_ssim": mean_pairwise_ssim(gen, rng),
            "real_diversity_ssim": mean_pairwise_ssim(real, rng),
            "memorisation_ssim_mean": float(nearest.mean()) if len(nearest) else None,
            "memorisation_ssim_max": float(nearest.max()) if len(nearest) else None,
            "near_copy_fraction": float((nearest >= NEAR_COPY_SSIM).mean())
            if len(nearest) else None,
            "reference_accuracy": float((predict(model, gen) == c).mean()),
            "reference_accuracy_real": float((predict(model, real) == c).mean())
            if len(real) else None,
            **feature_metrics(real, gen, features, seed=seed + c),
        }
        if inception is not None and applies_to(tuple(xs.shape[1:])) is None:
            per_class[str(c)]["inception"] = feature_metrics(real, gen, inception,
                                                             seed=seed + c)
    means = {}
    for key in CLASS_MEANS:
        values = [v[key] for v in per_class.values() if v.get(key) is not None]
        means[key] = float(np.mean(values)) if values else None
    if inception is None:
        inception_note: Any = ("not computed: no generator_quality.inception_weights "
                               "given")
    elif (why := applies_to(tuple(xs.shape[1:]))) is not None:
        inception_note = why
    else:
        inception_note = {
            "name": "Inception-v3 pool3 (2048-d), torch-fidelity's FeatureExtractorInceptionV3 "
                    "(images resized to 299 x 299 by its TensorFlow-compatible bilinear "
                    "resize)",
            "file": Path(inception.file).as_posix(),  # type: ignore[attr-defined]
            "sha256": sha256_of(inception.file),  # type: ignore[attr-defined]
            "class_means": {k: _mean(per_class, k, "inception") for k in FEATURE_MEASURES},
        }
    extractor = {
        "name": f"reference {ref.get('arch', 'cnn')}, penultimate layer "
                f"({ref['feature_dim']}-d, after ReLU)",
        "file": Path(reference_path).as_posix(),
        "sha256": sha256_of(reference_path),
        "trained_on": "the real balanced training set of the dataset (never the test set)",
        "val_accuracy": ref["val_accuracy"],
    }
    return {
        "classes": per_class,
        "class_means": means,
        "inception_score": inception_score(xs, ReferenceExtractor(model, "logits"), seed=seed),
        "gan_train": gan_train(train, test, model, ref["params"], seed=seed)
        if test is not None else None,
        "real_split": "the imbalanced training images of the class: the generator's "
                      "training images and its hold-out (held-out-only numbers are in the "
                      "generator's selection.json)",
        "feature_extractor": extractor,
        "inception": inception_note,
        "libraries": {"fid, kid, inception_score": f"torchmetrics {_version('torchmetrics')}",
                      "precision, recall, density, coverage": f"prdc {_version('prdc')}"},
        "definitions": {
            **{m.key: m.definition for m in MEASURES},
            "real_diversity_ssim": "diversity_ssim over real images of the class (the "
                                   "baseline)",
            "memorisation_ssim_mean": "mean over up to "
                f"{MAX_MEMORISATION_IMAGES} generated images of the SSIM to the nearest real "
                f"training image of the class (searched among the {NEAREST_CANDIDATES} "
                "nearest in pixel L2)",
            "reference_accuracy_real": "the same on the real imbalanced training images of the "
                                       "class (optimistic: the reference saw them in training)",
            "gan_train": "GAN-train (Shmelkov et al. 2018): accuracy and per-class recall on "
                         "the real test set of the reference architecture trained on the "
                         "generated images of these classes plus the real images of the "
                         "others; real_bound_* is the reference classifier (real balanced "
                         "training set) on the same test set",
            "inception_score": "Inception Score (torchmetrics) of every generated image with "
                               "the reference classifier's softmax as p(y|x); high = "
                               "confident and spread over the classes that received images",
        },
        "feature_space": f"{extractor['name']} of {extractor['file']} (validation accuracy "
                         f"{ref['val_accuracy']})",
        "reference_val_accuracy": ref["val_accuracy"],
    }


def gan_train(train: dict[str, np.ndarray], test: tuple[np.ndarray, np.ndarray],
              reference: Any, params: dict[str, Any], *, seed: int) -> dict[str, Any]:
    """GAN-train (Shmelkov et al. 2018): the reference classifier's architecture and recipe
    (``params``) trained on the *generated* images of the classes that received them plus
    the real images of the other classes, then scored on the real test set. Beside it, the
    reference classifier itself (trained on the real balanced set) on the same test set: the
    real-data bound. Per class: the recall of each generated class."""
    from .generators.reference import build_reference, predict, train_reference

    x, y, syn = train["x"], train["y"].astype(np.int64), train["synthetic"]
    generated = sorted(np.unique(y[syn]).tolist())
    if not generated:
        return {"generated_classes": [], "accuracy": None}
    keep = syn | ~np.isin(y, generated)
    payload = train_reference(x[keep], y[keep], seed=seed, params=params,
                              log=lambda _: None)
    model = build_reference(payload["arch"], payload["channels"], payload["n_classes"],
                            payload["feature_dim"])
    model.load_state_dict(payload["state"])
    xt, yt = test
    yt = yt.astype(np.int64)
    pred_gan, pred_real = predict(model.eval(), xt), predict(reference, xt)

    def recalls(pred: np.ndarray) -> dict[str, float | None]:
        return {str(c): float((pred[yt == c] == c).mean()) if (yt == c).any() else None
                for c in generated}

    return {
        "generated_classes": generated,
        "n_train": int(keep.sum()),
        "n_generated": int(syn.sum()),
        "n_test": int(len(yt)),
        "accuracy": float((pred_gan == yt).mean()),
        "recall": recalls(pred_gan),
        "real_bound_accuracy": float((pred_real == yt).mean()),
        "real_bound_recall": recalls(pred_real),
        "recipe": dict(payload["params"]),
    }


def _mean(per_class: dict[str, Any], key: str, space: str) -> float | None:
    values = [v[space][key] for v in per_class.values()
              if isinstance(v.get(space), dict) and v[space].get(key) is not None]
    return float(np.mean(values)) if values else None


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


def real_or_fake_sheets(
    train: dict[str, np.ndarray], imbalanced: dict[str, np.ndarray],
    out_dir: str | os.PathLike[str], *, seed: int = 0, per_kind: int = 10,
) -> dict[str, Any]:
    """Seed 000's "Real or Fake?" test: per class, one PNG page mixing ``per_kind`` real and
    ``per_kind`` generated images in a seeded random order, numbered; the answers go to
    ``answer_key.json`` (a separate file, so the sheets can be handed out alone)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    xs, ys = train["x"][train["synthetic"]], train["y"][train["synthetic"]]
    xr, yr = imbalanced["x"], imbalanced["y"]
    key: dict[str, Any] = {}
    for c in sorted(np.unique(ys).tolist()):
        rng = np.random.default_rng([seed, c])
        real = xr[yr == c][rng.permutation(int((yr == c).sum()))[:per_kind]]
        fake = xs[ys == c][rng.permutation(int((ys == c).sum()))[:per_kind]]
        images = np.concatenate([real, fake])
        truth = np.array(["real"] * len(real) + ["fake"] * len(fake))
        order = rng.permutation(len(images))
        images, truth = images[order], truth[order]
        cols = 5
        rows = int(np.ceil(len(images) / cols))
        fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.6, rows * 1.8), squeeze=False)
        for i, ax in enumerate(axes.flat):
            ax.axis("off")
            if i < len(images):
                img = images[i]
                ax.imshow(img[..., 0] if img.shape[2] == 1 else img,
                          cmap="gray" if img.shape[2] == 1 else None, vmin=0, vmax=255)
                ax.set_title(str(i + 1), fontsize=9)
        fig.suptitle(f"Real or fake? class {c}: mark each image", fontsize=10)
        save_figure(fig, out / f"class{c}.png", dpi=100)
        key[f"class{c}"] = {str(i + 1): t for i, t in enumerate(truth.tolist())}
    answer = {"seed": seed, "answers": key,
              "how": "image numbers as printed on each class{c}.png sheet"}
    write_json(out / "answer_key.json", answer)
    return answer

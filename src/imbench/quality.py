"""Generator quality per class (seed 000 §3.2.1, seed 001 Tables 4-5) and seed 000's
"Real or Fake?" sheets.

Inputs are the rebalanced training set (its ``synthetic`` mask marks generated images), the
imbalanced training set (the real images of each class) and the reference classifier. The
test set is never read here.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from scipy import linalg
from skimage.metrics import structural_similarity

from .io import save_figure, write_json

#: how many images / pairs each SSIM statistic looks at (SSIM is O(pairs); these bound a
#: 6000-image class to seconds while keeping the estimate's standard error around 0.005)
MAX_PAIRS = 1000
MAX_MEMORISATION_IMAGES = 200
NEAREST_CANDIDATES = 16
NEAR_COPY_SSIM = 0.95


def _ssim(a: np.ndarray, b: np.ndarray) -> float:
    h, w, c = a.shape
    # the window must be odd and fit the image (8x8 digits: 7)
    win = min(7, h - (h % 2 == 0), w - (w % 2 == 0))
    if c == 1:
        return float(structural_similarity(a[..., 0], b[..., 0], data_range=255, win_size=win))
    return float(structural_similarity(a, b, data_range=255, win_size=win, channel_axis=2))


def mean_pairwise_ssim(images: np.ndarray, rng: np.random.Generator,
                       max_pairs: int = MAX_PAIRS) -> float | None:
    """Mean SSIM over distinct pairs (all pairs when few, else ``max_pairs`` random ones).
    Lower means more diverse; near 1 means mode collapse (seed 001 Table 4)."""
    n = len(images)
    if n < 2:
        return None
    if n * (n - 1) // 2 <= max_pairs:
        pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    else:
        i = rng.integers(0, n, max_pairs)
        j = (i + rng.integers(1, n, max_pairs)) % n  # j != i
        pairs = list(zip(i.tolist(), j.tolist(), strict=True))
    return float(np.mean([_ssim(images[a], images[b]) for a, b in pairs]))


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
    return np.array([max(_ssim(generated[i], real[j]) for j in near[i])
                     for i in range(len(generated))])


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float | None:
    """||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2)) between two feature sets."""
    if len(a) < 2 or len(b) < 2:
        return None
    mu_a, mu_b = a.mean(0), b.mean(0)
    s_a, s_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    with warnings.catch_warnings():
        # fewer images than feature dimensions make the covariances singular (expected for
        # small minority classes; the estimate is then biased upwards, and n is reported)
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        covmean = linalg.sqrtm(s_a @ s_b)
        if not np.isfinite(covmean).all():  # the usual FID epsilon fix
            eps = 1e-6 * np.eye(len(s_a))
            covmean = linalg.sqrtm((s_a + eps) @ (s_b + eps))
    covmean = np.real(covmean)
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(s_a + s_b - 2 * covmean))


def generator_quality(
    train: dict[str, np.ndarray], imbalanced: dict[str, np.ndarray],
    reference_path: str | os.PathLike[str], *, seed: int = 0,
) -> dict[str, Any]:
    """Per-class quality of the synthetic images of a rebalanced set."""
    from .generators.reference import features, load_reference, predict

    model, ref = load_reference(reference_path)
    xs, ys = train["x"][train["synthetic"]], train["y"][train["synthetic"]]
    xr, yr = imbalanced["x"], imbalanced["y"].astype(np.int64)
    per_class: dict[str, Any] = {}
    for c in sorted(np.unique(ys).tolist()):
        rng = np.random.default_rng([seed, c])
        gen, real = xs[ys == c], xr[yr == c]
        mem_idx = rng.permutation(len(gen))[:MAX_MEMORISATION_IMAGES]
        nearest = nearest_real_ssim(gen[mem_idx], real)
        acc_gen = float((predict(model, gen) == c).mean())
        per_class[str(c)] = {
            "n_generated": int(len(gen)),
            "n_real": int(len(real)),
            "diversity_ssim": mean_pairwise_ssim(gen, rng),
            "real_diversity_ssim": mean_pairwise_ssim(real, rng),
            "memorisation_ssim_mean": float(nearest.mean()) if len(nearest) else None,
            "memorisation_ssim_max": float(nearest.max()) if len(nearest) else None,
            "near_copy_fraction": float((nearest >= NEAR_COPY_SSIM).mean())
            if len(nearest) else None,
            "reference_accuracy": acc_gen,
            "reference_accuracy_real": float((predict(model, real) == c).mean())
            if len(real) else None,
            "frechet_distance": frechet_distance(features(model, real), features(model, gen)),
        }
    return {
        "classes": per_class,
        "definitions": {
            "diversity_ssim": f"mean SSIM over up to {MAX_PAIRS} random pairs of generated "
                              "images of the class (lower = more diverse)",
            "real_diversity_ssim": "the same over real images of the class (the baseline)",
            "memorisation_ssim_mean": "mean over up to "
                f"{MAX_MEMORISATION_IMAGES} generated images of the SSIM to the nearest real "
                f"training image of the class (searched among the {NEAREST_CANDIDATES} "
                "nearest in pixel L2)",
            "near_copy_fraction": f"fraction of those with nearest-real SSIM >= "
                                  f"{NEAR_COPY_SSIM}",
            "reference_accuracy": "accuracy of the reference classifier on the generated "
                                  "images of the class (discriminability, seed 001 Table 5)",
            "reference_accuracy_real": "the same on the real imbalanced training images of the "
                                       "class (optimistic: the reference saw them in training)",
            "frechet_distance": "Fréchet distance between real (imbalanced training set) and "
                                "generated images of the class in the feature space below",
        },
        "feature_space": f"penultimate layer ({ref['feature_dim']}-d, after ReLU) of the "
                         f"reference CNN {Path(reference_path).as_posix()}, trained on the "
                         f"real balanced training set (validation accuracy "
                         f"{ref['val_accuracy']})",
        "reference_val_accuracy": ref["val_accuracy"],
    }


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

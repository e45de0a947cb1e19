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
from scipy.ndimage import uniform_filter

from .io import save_figure, write_json

#: how many images / pairs each SSIM statistic looks at (SSIM is O(pairs); these bound a
#: 6000-image class to seconds while keeping the estimate's standard error around 0.005)
MAX_PAIRS = 1000
MAX_MEMORISATION_IMAGES = 200
NEAREST_CANDIDATES = 16
NEAR_COPY_SSIM = 0.95


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
                         f"reference {ref.get('arch', 'cnn')} "
                         f"{Path(reference_path).as_posix()}, trained on the "
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

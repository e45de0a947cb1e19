"""Read the workflow's files into what :mod:`imbench.reports.figures` draws."""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import records
from ..summary import repetition_keys
from .figures import mean_normalised_confusion

_EPOCH_PNG = re.compile(r"^(?P<model>.+)_epoch(?P<epoch>\d+)\.png$")


def confusion_panels(metrics_paths: Iterable[str | os.PathLike[str]]) -> dict[str, Any]:
    """Group metrics.json files by (imbalance, augmenter) and average their row-normalised
    confusion matrices over seeds. Returns ``panels``, ``n_seeds``, ``class_names``,
    ``classifier``."""
    groups: dict[tuple[str, str], list] = {}
    class_names: list[str] | None = None
    classifiers = set()
    for path in metrics_paths:
        data = records.read_json_result(path, "metrics")
        cell = data["cell"]
        classifiers.add(cell["classifier"])
        groups.setdefault((cell["imbalance"], cell["augmenter"]), []).append(
            data["confusion_matrix"])
        names = [str(p.get("name", p["class"])) for p in data.get("per_class", [])]
        if names and class_names is None:
            class_names = names
    if class_names is None:
        k = len(next(iter(groups.values()))[0]) if groups else 0
        class_names = [str(c) for c in range(k)]
    return {
        "panels": {key: mean_normalised_confusion(ms) for key, ms in groups.items()},
        "n_seeds": {key: len(ms) for key, ms in groups.items()},
        "class_names": class_names,
        "classifier": ", ".join(sorted(classifiers)),
    }


def rebalanced_counts(imbalanced_info: Mapping[str, Any], rebalanced_info: Mapping[str, Any]
                      ) -> dict[str, list[int]]:
    """Original, imbalanced, and the rebalanced set split into real and added images, from
    the two counts.json files."""
    original = [int(n) for n in imbalanced_info["original_counts"]]
    imbalanced = [int(n) for n in imbalanced_info["counts"]]
    after = [int(n) for n in rebalanced_info["counts"]]
    added = {int(c): int(n) for c, n in (rebalanced_info.get("added") or {}).items()}
    k = len(after)
    synthetic = [min(added.get(c, 0), after[c]) if after[c] > imbalanced[c] else 0
                 for c in range(k)]
    real = [after[c] - synthetic[c] for c in range(k)]
    return {"original": original, "imbalanced": imbalanced, "real": real,
            "synthetic": synthetic}


def real_and_generated(
    train_path: str | os.PathLike[str], *, per_class: int = 8, seed: int = 0,
    max_classes: int = 10,
) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """Random real and added images of each class that received added images, from a
    rebalanced train.npz (its ``synthetic`` mask). At most ``max_classes`` classes, those
    with the most added images first, shown in class order."""
    data = records.load(train_path, "train")
    x, y, syn = data["x"], data["y"].astype(np.int64), data["synthetic"].astype(bool)
    classes, counts = np.unique(y[syn], return_counts=True)
    keep = sorted(int(c) for c in classes[np.argsort(-counts, kind="mergesort")][:max_classes])
    real, gen = {}, {}
    for c in keep:
        rng = np.random.default_rng([seed, c])
        r = np.flatnonzero((y == c) & ~syn)
        g = np.flatnonzero((y == c) & syn)
        real[c] = x[rng.permutation(r)[:per_class]] if len(r) else x[:0]
        gen[c] = x[rng.permutation(g)[:per_class]]
    return real, gen


def transform_examples(
    imbalanced_path: str | os.PathLike[str],
    classes: Sequence[int],
    *,
    params: Mapping[str, Any],
    flip_safe: bool,
    method: str = "transforms",
    n: int = 8,
    seed: int = 0,
) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """For each class, one real image and ``n`` new images the augmenter ``method`` (one
    whose class is ``single_image``) makes from that image alone (its public
    ``fit_resample`` on a one-image set; transforms' ZCA whitening, when enabled, is then
    fitted on that single image)."""
    from ..augment import AUGMENTERS

    data = records.load(imbalanced_path, "imbalanced")
    x, y = data["x"], data["y"].astype(np.int64)
    cls = AUGMENTERS[method]
    params = dict(params)
    if "flip_safe" in cls.default_params:
        params["flip_safe"] = bool(flip_safe)
    sources, out = {}, {}
    for c in classes:
        idx = np.flatnonzero(y == c)
        if not len(idx):
            continue
        rng = np.random.default_rng([seed, int(c)])
        img = x[idx[rng.integers(len(idx))]]
        aug = cls(sampling_strategy={int(c): n + 1}, random_state=seed, **params)
        xr, _ = aug.fit_resample(img[None], np.array([c], dtype=np.int64))
        sources[int(c)] = img
        out[int(c)] = xr[aug.synthetic_mask_][:n]
    return sources, out


def sample_frames(samples_dir: str | os.PathLike[str]) -> dict[str, dict[int, Path]]:
    """``{model: {epoch: png}}`` from a generator's ``samples/`` folder
    (``{model}_epoch{NNNN}.png``)."""
    out: dict[str, dict[int, Path]] = {}
    for png in sorted(Path(samples_dir).glob("*.png")):
        m = _EPOCH_PNG.match(png.name)
        if m:
            out.setdefault(m.group("model"), {})[int(m.group("epoch"))] = png
    return out


def read_png(path: str | os.PathLike[str]) -> np.ndarray:
    """uint8 HWC (alpha dropped; grey PNGs written with a colour map come back as RGB)."""
    import matplotlib.image as mpimg

    img = mpimg.imread(path)
    if img.dtype != np.uint8:
        img = np.clip(np.rint(img * 255.0), 0, 255).astype(np.uint8)
    if img.ndim == 2:
        img = img[..., None]
    if img.shape[2] == 4:
        img = img[..., :3]
    if img.shape[2] == 3 and (img[..., 0] == img[..., 1]).all() and \
            (img[..., 1] == img[..., 2]).all():
        img = img[..., :1]
    return img


def chosen_epochs(selection_paths: Iterable[str | os.PathLike[str]]) -> dict[str, int]:
    """``{model: chosen_epoch}`` over the selection.json files of a generator's units."""
    out = {}
    for path in selection_paths:
        for model, sel in (records.read_json_result(path, "selection").get("models") or {}).items():
            if sel and sel.get("chosen_epoch") is not None:
                out[str(model)] = int(sel["chosen_epoch"])
    return out


def read_losses(paths: Iterable[str | os.PathLike[str]]) -> pd.DataFrame:
    frames = [pd.read_csv(p) for p in paths]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=["model", "epoch"])
    return pd.concat(frames, ignore_index=True)


def model_label(model: str, class_names: Sequence[str] | None) -> str:
    """``class4`` -> ``"class 4 (Coat)"``; other model keys unchanged."""
    m = re.fullmatch(r"class(\d+)", model)
    if not m:
        return model
    c = int(m.group(1))
    name = class_names[c] if class_names is not None and c < len(class_names) else None
    return f"class {c}" + (f" ({name})" if name is not None and str(name) != str(c) else "")


def quality_summary(quality: Mapping[str, Any]) -> dict[str, float | None]:
    """Per-class quality measures averaged over the classes that received images (each
    class weighs the same)."""
    per_class = list((quality.get("classes") or {}).values())
    out: dict[str, float | None] = {}
    for key in ("diversity_ssim", "real_diversity_ssim", "fid", "kid_mean", "precision",
                "recall", "density", "coverage", "reference_accuracy",
                "memorisation_ssim_mean", "near_copy_fraction"):
        values = [float(c[key]) for c in per_class if c.get(key) is not None]
        out[key] = float(np.mean(values)) if values else None
    return out


def fold_column(fold: int | None) -> dict[str, int]:
    """``{"fold": f}`` for a row of a grid with folds, ``{}`` without (its frames and CSVs
    stay as they were)."""
    return {} if fold is None else {"fold": int(fold)}


#: (imbalance, augmenter, seed, fold): one rebalanced set; fold None without folds (a key
#: of three, without the fold, is read as one without folds)
VariantKey = tuple[Any, ...]


def _variant(key: Sequence[Any]) -> tuple[str, str, int, int | None]:
    i, a, s, *f = key
    return str(i), str(a), int(s), (None if not f or f[0] is None else int(f[0]))


def quality_points(
    quality_files: Mapping[VariantKey, str | os.PathLike[str]],
    summary: pd.DataFrame,
    *,
    dataset: str,
    classifier: str,
    metric: str,
    baselines: Collection[str],
) -> pd.DataFrame:
    """One row per (imbalance, augmenter, seed) with a quality.json: its averaged quality
    measures and the classifier's gain in ``metric`` over the imbalanced baseline (same
    dataset, imbalance, classifier and seed, a ``baselines`` augmenter; NaN when the
    baseline is missing)."""
    baselines = sorted(baselines)
    s = summary[(summary["dataset"] == dataset) & (summary["classifier"] == classifier)
                & (summary["metric"] == metric)]
    value = {(r.imbalance, r.augmenter, int(r.seed),
              int(r.fold) if "fold" in s.columns else None): float(r.value)
             for r in s.itertuples(index=False)}
    rows = []
    for key, path in quality_files.items():
        imbalance, augmenter, seed, fold = _variant(key)
        q = quality_summary(records.read_json_result(path, "quality"))
        rep = (int(seed), fold)
        mine = value.get((imbalance, augmenter, *rep))
        base = next((value[(imbalance, b, *rep)] for b in baselines
                     if (imbalance, b, *rep) in value), None)
        gain = mine - base if mine is not None and base is not None else np.nan
        rows.append({"dataset": dataset, "classifier": classifier, "imbalance": imbalance,
                     "augmenter": augmenter, "seed": int(seed), **fold_column(fold),
                     "metric": metric,
                     "value": mine if mine is not None else np.nan,
                     "baseline": base if base is not None else np.nan, "gain": gain, **q})
    cols = ["dataset", "classifier", "imbalance", "augmenter", "seed", "metric", "value",
            "baseline", "gain"]
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=cols)
    return frame.sort_values(["imbalance", "augmenter", *repetition_keys(frame)],
                             kind="mergesort").reset_index(drop=True)


def generator_times(
    losses_files: Mapping[VariantKey, Sequence[str | os.PathLike[str]]],
    selection_files: Mapping[VariantKey, Sequence[str | os.PathLike[str]]],
) -> pd.DataFrame:
    """One row per (imbalance, augmenter, seed, model): epochs trained and the generator
    iterations they were, summed epoch ``seconds`` from losses.csv, and the epoch the
    augmenter used (selection.json)."""
    rows = []
    for key, paths in losses_files.items():
        imbalance, augmenter, seed, fold = _variant(key)
        frame = read_losses(paths)
        chosen = chosen_epochs(selection_files.get(key, []))
        if frame.empty:
            continue
        for model, g in frame.groupby(frame["model"].astype(str), sort=False):
            rows.append({"imbalance": imbalance, "augmenter": augmenter, "seed": int(seed),
                         **fold_column(fold), "model": model, "epochs": int(g["epoch"].max()),
                         "iterations": float(g["iterations"].max())
                         if "iterations" in g else np.nan,
                         "seconds": float(g["seconds"].sum()) if "seconds" in g else np.nan,
                         "chosen_epoch": chosen.get(model, np.nan)})
    folds = ["fold"] if any("fold" in r for r in rows) else []
    cols = ["imbalance", "augmenter", "seed", *folds, "model", "epochs", "iterations",
            "seconds", "chosen_epoch"]
    return pd.DataFrame(rows, columns=cols)


def quality_frame(quality_files: Mapping[VariantKey, str | os.PathLike[str]]
                  ) -> pd.DataFrame:
    """One row per (imbalance, augmenter, seed[, fold]) with :func:`quality_summary`'s
    measures."""
    rows = [{"imbalance": i, "augmenter": a, "seed": s, **fold_column(f),
             **quality_summary(records.read_json_result(p, "quality"))}
            for (i, a, s, f), p in ((_variant(k), p) for k, p in quality_files.items())]
    return pd.DataFrame(rows)

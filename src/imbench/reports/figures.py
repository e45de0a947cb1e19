"""Report figures. Each function takes plain arrays / frames (loaders live in
:mod:`imbench.reports.collect`) and writes one image; like :mod:`imbench.reports.plots`, figures are
built on an Agg ``Figure`` with matplotlib's default style and no writer metadata, so the
same input gives the same bytes.

Colours: every figure that shows augmenters gives each the same colour (config order, tab10),
and augmenters whose method is ``none`` (the imbalanced baseline) are drawn black.
"""

from __future__ import annotations

import math
import os
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..measures import MEASURES
from . import metric_label
from .plots import montage, new_figure, save

_BASELINE_COLOUR = "black"
#: one marker per imbalance, in config order
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def augmenter_colours(names: Sequence[str], baselines: Collection[str] = ()
                      ) -> dict[str, Any]:
    """One colour per augmenter: black for the baselines, tab10 (then tab20) for the rest
    in the given order."""
    from matplotlib import colormaps

    baselines = set(baselines)
    palette = list(colormaps["tab10"].colors)
    palette = [c for i, c in enumerate(palette) if i != 7]  # tab10's grey reads as "none"
    palette += list(colormaps["tab20"].colors[1::2])
    out: dict[str, Any] = {}
    i = 0
    for name in names:
        if name in baselines:
            out[name] = _BASELINE_COLOUR
        else:
            out[name] = palette[i % len(palette)]
            i += 1
    return out


def _show(ax: Any, canvas: np.ndarray) -> None:
    """Images drawn pixel-exact (nearest), grey scale for one channel, no ticks."""
    if canvas.ndim == 3 and canvas.shape[2] == 1:
        ax.imshow(canvas[..., 0], cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    else:
        ax.imshow(canvas, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def _title_above(fig: Any, axes: Sequence[Any], title: str, *, gap_in: float = 0.38) -> None:
    """A figure title just above the highest axes once their aspect is applied (image
    panels shrink inside their slots; ``suptitle`` would float far above them)."""
    top = 0.0
    for ax in axes:
        ax.apply_aspect()
        top = max(top, ax.get_position().y1)
    height = fig.get_size_inches()[1]
    fig.text(0.5, top + gap_in / height, title, ha="center", va="bottom", fontsize=11)


def class_label(c: int, class_names: Sequence[str] | None) -> str:
    """``"4 Coat"`` (index and name), or the index alone when the name is the index."""
    name = str(class_names[c]) if class_names is not None and c < len(class_names) else str(c)
    return name if name == str(c) else f"{c} {name}"


# -- confusion matrices ----------------------------------------------------------------------

def mean_normalised_confusion(matrices: Sequence[Sequence[Sequence[float]]]) -> np.ndarray:
    """Row-normalise each count matrix (rows = true class), then average over matrices
    (seeds): each seed weighs the same. A class with no test image keeps a row of zeros."""
    out = []
    for cm in matrices:
        cm = np.asarray(cm, dtype=np.float64)
        totals = cm.sum(axis=1, keepdims=True)
        out.append(np.divide(cm, totals, out=np.zeros_like(cm), where=totals > 0))
    if not out:
        raise ValueError("no confusion matrices")
    return np.mean(out, axis=0)


def plot_confusion_grid(
    panels: Mapping[tuple[str, str], np.ndarray],
    rows: Sequence[str],
    cols: Sequence[str],
    class_names: Sequence[str],
    path: str | os.PathLike[str],
    *,
    title: str | None = None,
    row_notes: Mapping[str, str] | None = None,
    n_seeds: Mapping[tuple[str, str], int] | None = None,
) -> None:
    """Grid of row-normalised confusion matrices (seed 000 Figs 5.7–5.14 side by side):
    rows = imbalances, columns = augmenters; one shared colour scale (fraction of the true
    class, 0–1); each cell annotated in percent (cells under 0.5% left blank). Combinations
    not in the grid are left empty."""
    import matplotlib.style

    k = len(class_names)
    rows = [r for r in rows if any((r, c) in panels for c in cols)]
    cols = [c for c in cols if any((r, c) in panels for r in rows)]
    if not rows:
        raise ValueError("no confusion matrices to draw")
    row_notes = row_notes or {}
    n_seeds = n_seeds or {}
    labels = [str(n) for n in class_names]
    longest = max(len(s) for s in labels)
    side = max(2.4, 0.24 * k + 0.4)
    margin_l = 0.9 + 0.065 * longest
    margin_b = 0.6 + 0.065 * longest
    width = margin_l + side * len(cols) + 0.35 * (len(cols) - 1) + 1.1
    height = margin_b + side * len(rows) + 0.45 * len(rows) + (0.6 if title else 0.2)
    with matplotlib.style.context("default"):
        fig = new_figure((width, height))
        fig.subplots_adjust(left=margin_l / width, right=1 - 1.0 / width,
                            bottom=margin_b / height,
                            top=1 - (0.6 if title else 0.2) / height,
                            wspace=0.35 / side, hspace=0.45 / side)
        axes = fig.subplots(len(rows), len(cols), squeeze=False)
        image = None
        font = 7 if k <= 8 else (5.5 if k <= 12 else 0)
        for i, r in enumerate(rows):
            for j, c in enumerate(cols):
                ax = axes[i][j]
                values = panels.get((r, c))
                if values is None:
                    ax.axis("off")
                    continue
                image = ax.imshow(values, cmap="Blues", vmin=0.0, vmax=1.0,
                                  interpolation="nearest")
                if font:
                    for a in range(k):
                        for b in range(k):
                            v = values[a, b]
                            if v >= 0.005:
                                ax.text(b, a, f"{100 * v:.0f}", ha="center", va="center",
                                        fontsize=font,
                                        color="white" if v > 0.6 else "black")
                ticks = np.arange(k)
                below = i + 1 < len(rows) and (rows[i + 1], c) in panels
                ax.set_xticks(ticks, labels=[] if below else labels, rotation=90, fontsize=7)
                leftmost = not any((r, cc) in panels for cc in cols[:j])
                ax.set_yticks(ticks, labels=labels if leftmost else [], fontsize=7)
                if not below:
                    ax.set_xlabel("predicted", fontsize=8)
                if leftmost:
                    note = row_notes.get(r)
                    ax.set_ylabel(f"imbalance {r}" + (f" ({note})" if note else "")
                                  + "\ntrue class", fontsize=8)
                n = n_seeds.get((r, c))
                ax.set_title(f"augmenter {c}" + (f" (n={n})" if n else ""), fontsize=9)
        if image is not None:
            span = min(side * len(rows), 4.0) / height
            bottom = margin_b / height + (side * len(rows) / height - span) / 2
            cax = fig.add_axes((1 - 0.8 / width, bottom, 0.18 / width, span))
            fig.colorbar(image, cax=cax, label="fraction of true class")
        if title:
            fig.suptitle(title, fontsize=11)
    save(fig, path, tight=True)


# -- class counts ----------------------------------------------------------------------------

def plot_rebalanced_counts(
    original: Sequence[int],
    imbalanced: Sequence[int],
    rebalanced_real: Sequence[int],
    rebalanced_synthetic: Sequence[int],
    class_names: Sequence[str],
    path: str | os.PathLike[str],
    *,
    augmenter: str,
    title: str | None = None,
) -> None:
    """Images per class: original, after imbalancing, after rebalancing (Figs 4.2/4.4 plus
    the rebalanced set); the rebalanced bar is split into real images (solid) and images the
    augmenter added (hatched)."""
    import matplotlib.style

    k = len(class_names)
    arrays = [np.asarray(a, dtype=np.int64) for a in
              (original, imbalanced, rebalanced_real, rebalanced_synthetic)]
    if any(len(a) != k for a in arrays):
        raise ValueError(f"every count list needs {k} entries")
    orig, imb, real, syn = arrays
    labels = [class_label(c, class_names) for c in range(k)]
    with matplotlib.style.context("default"):
        fig = new_figure((max(7.0, 0.75 * k + 3.0), 4.6))
        ax = fig.add_subplot()
        x = np.arange(k)
        w = 0.27
        ax.bar(x - w, orig, w, label="original", color="0.75")
        ax.bar(x, imb, w, label="imbalanced", color="tab:orange")
        ax.bar(x + w, real, w, label=f"{augmenter}: real", color="tab:blue")
        ax.bar(x + w, syn, w, bottom=real, label=f"{augmenter}: added", color="white",
               edgecolor="tab:blue", hatch="////", linewidth=0.8)
        top = np.maximum.reduce([orig, imb, real + syn])
        for xi, v in zip(x, imb, strict=True):
            ax.text(xi, v, f"{v}", ha="center", va="bottom", fontsize=7, rotation=90)
        for xi, r, s in zip(x, real, syn, strict=True):
            ax.text(xi + w, r + s, f"{r + s}", ha="center", va="bottom", fontsize=7,
                    rotation=90)
        ax.set_ylim(0, max(1, int(top.max())) * 1.2)
        ax.set_xticks(x, labels=labels, rotation=45, ha="right", rotation_mode="anchor")
        ax.set_xlabel("class")
        ax.set_ylabel("training images")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        if title:
            ax.set_title(title)
        fig.tight_layout()
    save(fig, path, tight=True)


# -- images ----------------------------------------------------------------------------------

def plot_real_vs_generated(
    real: Mapping[int, np.ndarray],
    generated: Mapping[int, np.ndarray],
    class_names: Sequence[str],
    path: str | os.PathLike[str],
    *,
    generated_label: str = "generated",
    title: str | None = None,
    per_row: int = 8,
) -> None:
    """Seed 000 Figs 5.5/5.6 for every class that received images: one row per class, real
    training images of the class on the left, images the augmenter added on the right."""
    import matplotlib.style

    classes = [c for c in sorted(generated) if len(generated[c])]
    if not classes:
        raise ValueError("no generated images to show")
    sample = next(iter(generated[classes[0]]))
    h, w = sample.shape[:2]
    block = montage(np.zeros((per_row, h, w, sample.shape[2]), np.uint8), per_row)
    aspect = block.shape[1] / block.shape[0]
    row_h = 0.95 if h <= 16 else 1.1
    labels = [class_label(c, class_names) for c in classes]
    margin = 0.35 + 0.075 * max(len(s) for s in labels)
    width = margin + 2 * row_h * aspect + 0.5
    height = row_h * len(classes) + 0.9 + (0.4 if title else 0)
    with matplotlib.style.context("default"):
        fig = new_figure((width, height))
        fig.subplots_adjust(left=margin / width, right=1 - 0.15 / width, bottom=0.1 / height,
                            top=1 - (0.75 + (0.4 if title else 0)) / height,
                            wspace=0.15 / (row_h * aspect), hspace=0.12)
        axes = fig.subplots(len(classes), 2, squeeze=False)
        for i, c in enumerate(classes):
            for j, (imgs, head) in enumerate(((real.get(c, np.zeros((0, *sample.shape),
                                                                     np.uint8)), "real"),
                                              (generated[c], generated_label))):
                ax = axes[i][j]
                imgs = np.asarray(imgs)[:per_row]
                canvas = montage(imgs if len(imgs) else
                                 np.full((1, *sample.shape), 255, np.uint8), per_row)
                padded = np.full(block.shape, 255, np.uint8)
                padded[:canvas.shape[0], :canvas.shape[1]] = canvas
                _show(ax, padded)
                if j == 0 and per_row - len(imgs) >= 2:
                    # a short real row is all the class has (extreme ratios), not missing
                    # data: say so in the blank slots
                    ax.text((len(imgs) + per_row) / (2 * per_row), 0.5,
                            f"{len(imgs) or 'no'} real image{'' if len(imgs) == 1 else 's'}"
                            "\nin the training set", transform=ax.transAxes, ha="center",
                            va="center", fontsize=8, color="0.35")
                if i == 0:
                    ax.set_title(head, fontsize=10)
                if j == 0:
                    ax.set_ylabel(labels[i], rotation=0, ha="right", va="center", fontsize=9)
        if title:
            _title_above(fig, list(axes.flat), title)
    save(fig, path, tight=True)


def plot_transform_examples(
    sources: Mapping[int, np.ndarray],
    transformed: Mapping[int, np.ndarray],
    class_names: Sequence[str],
    path: str | os.PathLike[str],
    *,
    title: str | None = None,
) -> None:
    """Seed 000 Figs 5.1/5.3: per class, one real image (left) and new images the transform
    augmenter made from it (right)."""
    import matplotlib.style

    classes = [c for c in sorted(sources) if c in transformed]
    if not classes:
        raise ValueError("no transform examples to show")
    n = max(len(transformed[c]) for c in classes)
    h, w, ch = np.asarray(sources[classes[0]]).shape
    row_h = 1.0 if h <= 16 else 1.15
    labels = [class_label(c, class_names) for c in classes]
    margin = 0.35 + 0.075 * max(len(s) for s in labels)
    new_w = row_h * (n * (w + 1) + 1) / (h + 2)
    width = margin + row_h + 0.3 + new_w + 0.2
    height = row_h * len(classes) + 0.8 + (0.4 if title else 0)
    with matplotlib.style.context("default"):
        fig = new_figure((width, height))
        gs = fig.add_gridspec(len(classes), 2, width_ratios=[row_h, new_w],
                              left=margin / width, right=1 - 0.2 / width,
                              bottom=0.1 / height,
                              top=1 - (0.65 + (0.4 if title else 0)) / height,
                              wspace=0.3 / ((row_h + new_w) / 2), hspace=0.15)
        for i, c in enumerate(classes):
            ax = fig.add_subplot(gs[i, 0])
            _show(ax, montage(np.asarray(sources[c])[None], 1))
            ax.set_ylabel(labels[i], rotation=0, ha="right", va="center", fontsize=9)
            if i == 0:
                ax.set_title("original", fontsize=10)
            ax = fig.add_subplot(gs[i, 1])
            imgs = np.asarray(transformed[c])
            canvas = montage(imgs, n)
            _show(ax, canvas)
            if i == 0:
                ax.set_title("new images made from it", fontsize=10)
        if title:
            _title_above(fig, fig.axes, title)
    save(fig, path, tight=True)


def pick_epochs(epochs: Sequence[int], chosen: int | None, n: int = 6) -> list[int]:
    """Up to ``n`` epochs spread over training: the first, the last, the chosen one, and
    evenly spaced ones between (seed 000 Figs 4.7/4.9)."""
    epochs = sorted(set(int(e) for e in epochs))
    if len(epochs) <= n:
        return epochs
    keep = {epochs[0], epochs[-1]}
    if chosen is not None and chosen in epochs:
        keep.add(int(chosen))
    for q in np.linspace(0, len(epochs) - 1, n):
        if len(keep) >= n:
            break
        keep.add(epochs[int(round(q))])
    return sorted(keep)[:n] if len(keep) > n else sorted(keep)


def plot_generator_progress(
    frames: Sequence[tuple[int, np.ndarray]],
    path: str | os.PathLike[str],
    *,
    chosen_epoch: int | None = None,
    title: str | None = None,
    row_labels: Sequence[str] | None = None,
) -> None:
    """Sample grids of one generator at a few epochs, side by side, left to right (seed 000
    Figs 4.7/4.9). Every grid uses the same latent noise, so change is due to training. The
    epoch whose checkpoint the augmenter used is marked."""
    import matplotlib.style

    if not frames:
        raise ValueError("no sample grids")
    n = len(frames)
    cols = min(n, 3 if n > 4 else n)
    rows = math.ceil(n / cols)
    h, w = frames[0][1].shape[:2]
    panel = 2.6
    ph = panel * h / w
    width = cols * panel + 0.3 * (cols - 1) + 0.4
    height = rows * (ph + 0.45) + (0.6 if title else 0.1)
    with matplotlib.style.context("default"):
        fig = new_figure((width, height))
        fig.subplots_adjust(left=0.2 / width, right=1 - 0.2 / width, bottom=0.05 / height,
                            top=1 - (0.6 if title else 0.1) / height - 0.35 / height,
                            wspace=0.3 / panel, hspace=0.45 / ph)
        axes = fig.subplots(rows, cols, squeeze=False)
        for ax in axes.flat:
            ax.axis("off")
        for i, (ax, (epoch, img)) in enumerate(zip(axes.flat, frames, strict=False)):
            ax.axis("on")
            _show(ax, img if img.ndim == 3 else img[..., None])
            if row_labels and i % cols == 0:
                # conditional grids: one row of samples per class
                n_rows = len(row_labels)
                ax.set_yticks((np.arange(n_rows) + 0.5) * img.shape[0] / n_rows - 0.5,
                              labels=list(row_labels), fontsize=7)
                ax.tick_params(axis="y", length=0)
            chosen = chosen_epoch is not None and int(epoch) == int(chosen_epoch)
            ax.set_title(f"epoch {epoch}" + (" (used)" if chosen else ""), fontsize=10,
                         color="tab:red" if chosen else "black",
                         fontweight="bold" if chosen else "normal")
            if chosen:
                for spine in ax.spines.values():
                    spine.set_visible(True)
                    spine.set_color("tab:red")
                    spine.set_linewidth(2)
        if title:
            _title_above(fig, [ax for ax in axes.flat if ax.axison], title)
    save(fig, path, tight=True)


# -- curves ----------------------------------------------------------------------------------

#: columns of losses.csv that are not losses
_NOT_LOSSES = ("model", "epoch", "iterations", "passes", "seconds")


def loss_columns(frame: pd.DataFrame) -> list[str]:
    """The loss columns of a losses.csv frame (cs_acgan's per-class errors ``error_c`` and
    weights ``w_c`` are bookkeeping, not losses, and are left out)."""
    return [c for c in frame.columns if c not in _NOT_LOSSES
            and not c.startswith(("error_", "w_")) and frame[c].notna().any()]


def learning_curve_panels(history: Mapping[str, Sequence[float]]) -> dict[str, dict[str, str]]:
    """Panel -> {"training": key, "validation": key, "test": key} of a Keras-style history:
    ``loss`` and ``val_loss`` share a panel; a key with only one of them gets its own; a
    ``test_`` curve (eGAN's as-published monitor) joins its validation twin's panel."""
    panels: dict[str, dict[str, str]] = {}
    for key in history:
        for prefix, role in (("val_", "validation"), ("test_", "test")):
            if key.startswith(prefix):
                panels.setdefault(key[len(prefix):], {})[role] = key
                break
        else:
            panels.setdefault(key, {})["training"] = key
    return panels


def plot_learning_curves(
    history: Mapping[str, Sequence[float]],
    path: str | os.PathLike[str],
    *,
    best_epoch: int | None = None,
    title: str | None = None,
) -> None:
    """Per-epoch training and validation curves of one classifier (seed 004 Figs 6-9,
    seed 002 Fig 7): one panel per quantity, the epoch kept marked by a dashed line."""
    import matplotlib.style
    from matplotlib.ticker import MaxNLocator

    panels = learning_curve_panels(history)
    if not panels:
        raise ValueError("empty training history")
    cols = min(3, len(panels))
    rows = math.ceil(len(panels) / cols)
    with matplotlib.style.context("default"):
        fig = new_figure((4.0 * cols, 3.0 * rows + (0.5 if title else 0.1)))
        axes = fig.subplots(rows, cols, squeeze=False)
        for ax in axes.flat[len(panels):]:
            ax.axis("off")
        for ax, (name, keys) in zip(axes.flat, panels.items(), strict=False):
            for role, style in (("training", "-"), ("validation", "--"), ("test", ":")):
                if role in keys:
                    values = list(history[keys[role]])
                    epochs = range(1, len(values) + 1)
                    label = ("test (as published; never used to choose)" if role == "test"
                             else role)
                    ax.plot(epochs, values, style, lw=1.3, label=label,
                            marker="o" if len(values) <= 15 else None, ms=3)
            if best_epoch is not None:
                ax.axvline(best_epoch, color="0.3", ls=":", lw=1, label="epoch kept")
            ax.set_title(name.replace("_", " "), fontsize=10)
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
        if title:
            fig.suptitle(title, fontsize=11)
        fig.tight_layout()
        save(fig, path)


def plot_gan_losses(
    losses: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    chosen: Mapping[str, int] | None = None,
    model_labels: Mapping[str, str] | None = None,
    title: str | None = None,
) -> None:
    """Per-epoch mean losses of each model of a generative augmenter (seed 002 Figs 4–6),
    one panel per model (per-class models: one per class), the epoch used marked by a
    dashed line."""
    import matplotlib.style
    from matplotlib.ticker import MaxNLocator

    chosen = chosen or {}
    model_labels = model_labels or {}
    models = list(dict.fromkeys(losses["model"].astype(str)))
    if not models:
        raise ValueError("empty losses table")
    cols = min(3, len(models))
    rows = math.ceil(len(models) / cols)
    with matplotlib.style.context("default"):
        fig = new_figure((4.2 * cols + 1.6, 3.0 * rows + (0.5 if title else 0.1)))
        axes = fig.subplots(rows, cols, squeeze=False)
        for ax in axes.flat[len(models):]:
            ax.axis("off")
        handles: dict[str, Any] = {}
        for ax, model in zip(axes.flat, models, strict=False):
            sub = losses[losses["model"].astype(str) == model].sort_values("epoch")
            for col in loss_columns(sub):
                (line,) = ax.plot(sub["epoch"], sub[col], lw=1.3, label=col,
                                  marker="o" if len(sub) <= 15 else None, ms=3)
                handles.setdefault(col, line)
            if model in chosen:
                ax.axvline(chosen[model], color="0.3", ls="--", lw=1)
                handles.setdefault("epoch used", ax.lines[-1])
            ax.axhline(0, color="0.85", lw=0.8, zorder=0)
            ax.set_title(model_labels.get(model, model), fontsize=10)
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_ylabel("mean loss")
            ax.grid(alpha=0.3)
        if title:
            fig.suptitle(title, fontsize=11)
        fig.tight_layout(rect=(0, 0, 1 - 1.4 / (4.2 * cols + 1.6), 1))
        # beside the top-right panel, below the title (a figure corner collides with a long
        # title when there is one panel)
        top_right = axes[0][cols - 1].get_position()
        fig.legend(list(handles.values()), list(handles), loc="upper left",
                   bbox_to_anchor=(top_right.x1 + 0.01, top_right.y1), frameon=False,
                   fontsize=9)
    save(fig, path, tight=True)


def plot_metric_vs_ratio(
    stats: pd.DataFrame,
    metrics: Sequence[str],
    path: str | os.PathLike[str],
    *,
    colours: Mapping[str, Any],
    original: Mapping[str, tuple[float, float]] | None = None,
    title: str | None = None,
) -> None:
    """Metric vs imbalance ratio ρ (log axis), one line per augmenter with a band of ± one
    sample std over seeds; one panel per metric (columns) and imbalance protocol (rows).

    Every line starts at ρ = 1 from the original balanced set (``original``: ``{metric:
    (mean, std)}``; no augmenter has anything to add there), which also stays as a dotted
    horizontal reference. Points of different augmenters at the same ρ are spread a little
    sideways so that equal results stay visible; error bars show the same ± std as the band.

    ``stats``: columns ``protocol, original, rho, augmenter, metric, n, mean, std`` (rows of
    an original imbalance are ignored: the original comes from ``original``).
    """
    import matplotlib.style
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    stats = stats[~stats["original"].astype(bool)]
    protocols = list(dict.fromkeys(stats["protocol"]))
    metrics = [m for m in metrics if m in set(stats["metric"])]
    if not protocols or not metrics:
        raise ValueError("no results on imbalanced sets for these metrics")
    original = original or {}
    augmenters = [a for a in colours if a in set(stats["augmenter"])]
    augmenters += [a for a in dict.fromkeys(stats["augmenter"]) if a not in augmenters]
    m = len(augmenters)
    width = 3.3 * len(metrics) + 2.3
    with matplotlib.style.context("default"):
        fig = new_figure((width, 2.9 * len(protocols) + 0.7))
        axes = fig.subplots(len(protocols), len(metrics), squeeze=False)
        handles: dict[str, Any] = {}
        for i, protocol in enumerate(protocols):
            for j, metric in enumerate(metrics):
                ax = axes[i][j]
                s = stats[(stats["protocol"] == protocol) & (stats["metric"] == metric)]
                rhos = sorted(set(s["rho"].dropna()))
                span = math.log(max(rhos + [2.0]))
                for k, a in enumerate(augmenters):
                    line = s[s["augmenter"] == a].sort_values("rho")
                    if line.empty:
                        continue
                    x = line["rho"].to_numpy(float)
                    # multiplicative dodge: the same shift on a log axis at every ρ, all
                    # augmenters within 10% of the axis span so that none reads as another ρ
                    x = x * math.exp(0.1 * span * (k / max(m - 1, 1) - 0.5))
                    y = 100 * line["mean"].to_numpy(float)
                    sd = 100 * np.nan_to_num(line["std"].to_numpy(float))
                    if metric in original:
                        mean0, sd0 = original[metric]
                        x = np.concatenate([[1.0], x])
                        y = np.concatenate([[100 * mean0], y])
                        sd = np.concatenate([[100 * np.nan_to_num(sd0)], sd])
                    colour = colours.get(a, "0.5")
                    base = colour == _BASELINE_COLOUR
                    (h,) = ax.plot(x, y, marker="o", ms=4, lw=1.6, color=colour, label=a,
                                   zorder=4 if base else 3, ls="--" if base else "-")
                    handles.setdefault(a, h)
                    if (line["n"] > 1).any():
                        ax.fill_between(x, y - sd, y + sd, color=colour,
                                        alpha=0.06 if base else 0.1, lw=0, zorder=1)
                        ax.errorbar(x[-len(line):], y[-len(line):], yerr=sd[-len(line):],
                                    fmt="none", ecolor=colour, elinewidth=1, capsize=2,
                                    zorder=3)
                for rho in rhos:  # where the dodged points really are
                    ax.axvline(rho, color="0.8", lw=0.8, zorder=0)
                if metric in original:
                    h = ax.axhline(100 * original[metric][0], color="0.45", ls=":", lw=1.2,
                                   label="original (balanced, ρ = 1)", zorder=2)
                    handles.setdefault("original (balanced, ρ = 1)", h)
                ax.set_xscale("log")
                ticks = [t for t in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000)
                         if t <= max(rhos + [1]) * 1.5]
                # the configured ratios too, unless a round tick sits next to one
                ticks = sorted(set(ticks) | {round(r, 1 if r < 10 else 0) for r in rhos
                                             if all(abs(math.log(r / t)) > 0.3
                                                    for t in ticks)})
                ax.xaxis.set_major_locator(FixedLocator(ticks))
                ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
                ax.xaxis.set_minor_locator(NullLocator())
                ax.set_xlim(0.85, max(rhos + [1]) * 1.35)
                ax.set_xlabel("imbalance ratio ρ (log)")
                ax.set_ylabel(f"{metric_label(metric)} (%)")
                ax.set_title(f"{metric_label(metric)} — protocol {protocol}", fontsize=10)
                ax.grid(alpha=0.3)
        fig.legend(list(handles.values()), list(handles), loc="upper right", frameon=False,
                   fontsize=9, title="augmenter", title_fontsize=9)
        if title:
            fig.suptitle(title, fontsize=11)
        fig.tight_layout(rect=(0, 0, 1 - 2.3 / width, 1))
    save(fig, path, tight=True)


#: quality columns plotted against the gain, with axis labels and which way is better
QUALITY_AXES: tuple[tuple[str, str], ...] = tuple(
    (m.key, m.axis) for m in MEASURES if m.figure)


def plot_quality_vs_gain(
    points: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    colours: Mapping[str, Any],
    metric: str,
    title: str | None = None,
) -> None:
    """Generator quality vs classifier gain: one point per (imbalance, seed) cell, colour =
    augmenter, marker = imbalance; y = change of ``metric`` against the imbalanced baseline
    in percentage points; x = one quality measure per panel (:data:`QUALITY_AXES`). The real
    images' own pairwise SSIM is a dotted line."""
    import matplotlib.style

    if points.empty:
        raise ValueError("no quality points")
    markers = MARKERS
    imbalances = list(dict.fromkeys(points["imbalance"]))
    augmenters = [a for a in colours if a in set(points["augmenter"])]
    augmenters += [a for a in dict.fromkeys(points["augmenter"]) if a not in augmenters]
    axes_spec = [(c, lab) for c, lab in QUALITY_AXES if c in points and points[c].notna().any()]
    if not axes_spec:
        raise ValueError("no quality measure present")
    with matplotlib.style.context("default"):
        width = 3.9 * len(axes_spec) + 2.0
        fig = new_figure((width, 3.9 + (0.4 if title else 0)))
        axes = fig.subplots(1, len(axes_spec), squeeze=False)[0]
        handles: dict[str, Any] = {}
        for ax, (col, label) in zip(axes, axes_spec, strict=True):
            for a in augmenters:
                for m, imb in enumerate(imbalances):
                    s = points[(points["augmenter"] == a) & (points["imbalance"] == imb)]
                    s = s[s[col].notna() & s["gain"].notna()]
                    if s.empty:
                        continue
                    h = ax.scatter(s[col], 100 * s["gain"], color=colours.get(a, "0.5"),
                                   marker=markers[m % len(markers)], s=36, alpha=0.85,
                                   edgecolors="black", linewidths=0.4)
                    handles.setdefault(a, h)
            if col == "diversity_ssim" and "real_diversity_ssim" in points:
                real = points["real_diversity_ssim"].dropna()
                if len(real):
                    h = ax.axvline(real.mean(), color="0.4", ls=":", lw=1.2)
                    handles.setdefault("real images' SSIM", h)
            ax.axhline(0, color="0.6", lw=0.8, zorder=0)
            ax.set_xlabel(label, fontsize=8.5)
            ax.set_ylabel(f"Δ {metric_label(metric)} vs imbalanced\nbaseline (pp)",
                          fontsize=9)
            ax.grid(alpha=0.3)
        from matplotlib.lines import Line2D

        labels = list(handles)
        hs = list(handles.values())
        if len(imbalances) > 1:
            for m, imb in enumerate(imbalances):
                hs.append(Line2D([], [], color="0.3", marker=markers[m % len(markers)],
                                 ls="none"))
                labels.append(f"imbalance {imb}")
        fig.legend(hs, labels, loc="upper right", frameon=False, fontsize=8.5)
        if title:
            fig.suptitle(title, fontsize=11)
        fig.tight_layout(rect=(0, 0, 1 - 1.9 / width, 1))
    save(fig, path, tight=True)


def plot_precision_recall(
    points: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    colours: Mapping[str, Any],
    title: str | None = None,
) -> None:
    """Improved precision (fidelity) against recall (diversity) of the added images, one
    point per (imbalance, seed) of each augmenter, colour = augmenter, marker = imbalance;
    the top right corner is a generator whose images look real and cover the real ones."""
    import matplotlib.style

    have = {"precision", "recall"} <= set(points) and not points.empty
    if have:
        points = points[points["precision"].notna() & points["recall"].notna()]
    markers = MARKERS
    imbalances = list(dict.fromkeys(points["imbalance"]))
    with matplotlib.style.context("default"):
        fig = new_figure((6.4, 4.6 + (0.4 if title else 0)))
        ax = fig.subplots()
        for a in dict.fromkeys(points["augmenter"]) if have else ():
            for m, imb in enumerate(imbalances):
                s = points[(points["augmenter"] == a) & (points["imbalance"] == imb)]
                if s.empty:
                    continue
                ax.scatter(s["recall"], s["precision"], color=colours.get(a, "0.5"),
                           marker=markers[m % len(markers)], s=40, alpha=0.85,
                           edgecolors="black", linewidths=0.4,
                           label=a if len(imbalances) == 1 else f"{a}, {imb}")
        if not have or points.empty:
            # a report figure is never missing: say why it is empty
            ax.text(0.5, 0.5, "no precision / recall: every class that received images\n"
                    "has at most k = 5 real or added images", ha="center", va="center")
        ax.set_xlim(-0.03, 1.03)
        ax.set_ylim(-0.03, 1.03)
        ax.set_xlabel("recall: real images inside the added images' manifold (diversity)")
        ax.set_ylabel("precision: added images inside the\nreal images' manifold (fidelity)")
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(frameon=False, fontsize=8, loc="best")
        if title:
            ax.set_title(title, fontsize=9.5)
        fig.tight_layout()
    save(fig, path, tight=True)


def plot_change_bars(
    changes: pd.DataFrame,
    metrics: Sequence[str],
    path: str | os.PathLike[str],
    *,
    colours: Mapping[str, Any],
    imbalance_labels: Mapping[str, str] | None = None,
    title: str | None = None,
) -> None:
    """Seed 002's bar comparison as changes: per imbalance (one panel each), per metric, one
    bar per rebalancing augmenter = its change against the imbalanced baseline in percentage
    points (mean over seeds), error bars ± the sample std of the per-seed paired differences.
    The zero line is the baseline.

    ``changes``: rows of :func:`imbench.reports.tables.change_table` for one classifier.
    """
    import matplotlib.style

    from .tables import VS_BASELINE

    sub = changes[(changes["reference"] == VS_BASELINE) & changes["metric"].isin(metrics)]
    if sub.empty:
        raise ValueError("no variant with an imbalanced baseline")
    imbalances = list(dict.fromkeys(sub["imbalance"]))
    metrics = [m for m in metrics if m in set(sub["metric"])]
    augmenters = [a for a in colours if a in set(sub["augmenter"])]
    augmenters += [a for a in dict.fromkeys(sub["augmenter"]) if a not in augmenters]
    labels = imbalance_labels or {}
    n = len(augmenters)
    width = 1.1 * len(metrics) + 0.25 * n * len(metrics) + 3.2
    with matplotlib.style.context("default"):
        fig = new_figure((width, 2.8 * len(imbalances) + 0.8))
        axes = fig.subplots(len(imbalances), 1, squeeze=False)[:, 0]
        x = np.arange(len(metrics))
        w = 0.8 / n
        for ax, imbalance in zip(axes, imbalances, strict=True):
            s = sub[sub["imbalance"] == imbalance]
            for k, a in enumerate(augmenters):
                rows = s[s["augmenter"] == a].set_index("metric").reindex(metrics)
                if rows["delta"].isna().all():
                    continue
                err = 100 * rows["delta_std"].to_numpy(float)
                ax.bar(x + (k - (n - 1) / 2) * w, 100 * rows["delta"].to_numpy(float), w,
                       color=colours.get(a, "0.5"), label=a)
                xs = x + (k - (n - 1) / 2) * w
                for xi, d in zip(xs, rows["delta"].to_numpy(float), strict=True):
                    if np.isfinite(d) and abs(d) < 5e-5:  # "no change" stays visible
                        ax.plot([xi - w / 2, xi + w / 2], [0, 0], color=colours.get(a, "0.5"),
                                lw=3, solid_capstyle="butt", zorder=3)
                if np.isfinite(err).any():  # one seed: no spread to show
                    ax.errorbar(x + (k - (n - 1) / 2) * w, 100 * rows["delta"].to_numpy(float),
                                yerr=np.nan_to_num(err), fmt="none", ecolor="black",
                                elinewidth=0.9, capsize=2)
            ax.axhline(0, color="black", lw=0.9)
            ax.set_xticks(x, labels=[metric_label(m) for m in metrics])
            ax.set_ylabel("change vs imbalanced\nbaseline (pp)")
            ax.set_title(labels.get(imbalance, f"imbalance {imbalance}"), fontsize=10)
            ax.grid(axis="y", alpha=0.3)
        handles, names = axes[0].get_legend_handles_labels()
        fig.legend(handles, names, loc="upper right", frameon=False, fontsize=9,
                   title="augmenter", title_fontsize=9)
        if title:
            fig.suptitle(title, fontsize=11)
        fig.tight_layout(rect=(0, 0, 1 - 1.5 / width, 1))
    save(fig, path, tight=True)

"""Figures of one pipeline stage (a cell's confusion matrix, class counts), and the figure
set-up every report figure shares.

Figures are built on ``matplotlib.figure.Figure`` (Agg canvas), never through pyplot's backend
selection, so they render the same headless, under Snakemake or in a notebook. Style is reset
to matplotlib's defaults (a user's matplotlibrc cannot change the output) and the writer's
timestamp/software metadata is dropped, so the same input gives the same bytes.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..io import save_figure

DPI = 100


def montage(images: np.ndarray, cols: int, *, pad: int = 1, fill: int = 255) -> np.ndarray:
    """Tile uint8 NHWC images into one HWC canvas, ``pad`` pixels of ``fill`` between them."""
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(f"need NHWC images; got shape {images.shape}")
    n, h, w, c = images.shape
    cols = max(1, min(cols, n)) if n else max(1, cols)
    rows = max(1, math.ceil(n / cols))
    canvas = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad, c), fill, dtype=np.uint8)
    for i, img in enumerate(images):
        r, q = divmod(i, cols)
        y, x = pad + r * (h + pad), pad + q * (w + pad)
        canvas[y:y + h, x:x + w] = img
    return canvas


def figure_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Metadata that removes the dates and version strings each format writes by default."""
    suffix = Path(path).suffix.lower()
    if suffix == ".png":
        return {"Software": None}
    if suffix == ".svg":
        return {"Date": None, "Creator": None}
    if suffix == ".pdf":
        return {"CreationDate": None, "Creator": None, "Producer": None}
    return {}


def new_figure(figsize: tuple[float, float]) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def save(fig: Any, path: str | os.PathLike[str], *, tight: bool = False) -> None:
    """Save atomically without the writer's date/version metadata; ``tight`` crops to the
    drawn content (image grids keep no empty margins)."""
    extra = {"bbox_inches": "tight", "pad_inches": 0.08} if tight else {}
    save_figure(fig, path, dpi=DPI, metadata=figure_metadata(path), **extra)


def plot_confusion_matrix(
    cm: Sequence[Sequence[float]] | np.ndarray,
    class_names: Sequence[str],
    path: str | os.PathLike[str],
    *,
    normalize: bool = True,
    title: str | None = None,
) -> None:
    """Heat map of a confusion matrix (rows = true class), each cell annotated.

    With ``normalize`` each row is divided by its total, so a cell is the fraction of that
    class's test images given each label (the diagonal is the per-class recall); a class with
    no test image keeps a row of zeros.
    """
    import matplotlib.style

    cm = np.asarray(cm, dtype=np.float64)
    k = len(class_names)
    if cm.shape != (k, k):
        raise ValueError(f"confusion matrix {cm.shape} does not match {k} class names")
    if normalize:
        totals = cm.sum(axis=1, keepdims=True)
        values = np.divide(cm, totals, out=np.zeros_like(cm), where=totals > 0)
        vmax, fmt = 1.0, "{:.2f}"
    else:
        values = cm
        vmax, fmt = max(float(cm.max()), 1.0), "{:.0f}"

    with matplotlib.style.context("default"):
        # Size grows with the class count so ten classes' annotations stay legible.
        side = max(4.0, 0.55 * k + 2.0)
        fig = new_figure((side + 1.0, side))
        ax = fig.add_subplot()
        image = ax.imshow(values, cmap="Blues", vmin=0.0, vmax=vmax, interpolation="nearest")
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04,
                     label="fraction of true class" if normalize else "count")
        ticks = np.arange(k)
        ax.set_xticks(ticks, labels=[str(n) for n in class_names], rotation=45, ha="right",
                      rotation_mode="anchor")
        ax.set_yticks(ticks, labels=[str(n) for n in class_names])
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        fontsize = 8 if k > 8 else 10
        for i in range(k):
            for j in range(k):
                # White text on dark cells, black on light ones.
                colour = "white" if values[i, j] > 0.6 * vmax else "black"
                ax.text(j, i, fmt.format(values[i, j]), ha="center", va="center",
                        color=colour, fontsize=fontsize)
        if title:
            ax.set_title(title)
        fig.tight_layout()
    save(fig, path)


def plot_class_counts(
    counts_by_stage: Mapping[str, Sequence[int]],
    class_names: Sequence[str],
    path: str | os.PathLike[str],
    *,
    title: str | None = None,
    rho: float | None = None,
) -> None:
    """Grouped bar chart of images per class at each stage (e.g. original, imbalanced,
    rebalanced), bars labelled with their counts; stages keep the mapping's order.

    ``rho`` (imbalance ratio, largest / smallest class) is appended to the title when given.
    """
    import matplotlib.style

    stages = list(counts_by_stage)
    k = len(class_names)
    if not stages:
        raise ValueError("counts_by_stage is empty")
    for stage in stages:
        if len(counts_by_stage[stage]) != k:
            raise ValueError(f"stage {stage!r} has {len(counts_by_stage[stage])} counts for "
                             f"{k} classes")
    full_title = title or ""
    if rho is not None:
        full_title = f"{full_title} (ρ = {rho:g})" if full_title else f"ρ = {rho:g}"

    with matplotlib.style.context("default"):
        fig = new_figure((max(6.0, 0.3 * k * len(stages) + 3.0), 4.5))
        ax = fig.add_subplot()
        width = 0.8 / len(stages)
        x = np.arange(k)
        fontsize = 7 if k * len(stages) > 20 else 8
        for i, stage in enumerate(stages):
            offset = (i - (len(stages) - 1) / 2) * width
            bars = ax.bar(x + offset, np.asarray(counts_by_stage[stage], dtype=np.int64),
                          width=width, label=stage)
            ax.bar_label(bars, fmt="%d", fontsize=fontsize, rotation=90, padding=2)
        ax.set_xticks(x, labels=[str(n) for n in class_names], rotation=45, ha="right",
                      rotation_mode="anchor")
        ax.set_xlabel("class")
        ax.set_ylabel("images")
        # Head-room for the rotated count labels above the tallest bar.
        ax.margins(y=0.18)
        if len(stages) > 1:
            # Outside the axes: inside, it would hide bars of whichever class sits beneath.
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        if full_title:
            ax.set_title(full_title)
        fig.tight_layout()
    save(fig, path)

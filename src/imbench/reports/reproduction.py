"""The reproduction report: each published number of a preset beside imbench's.

For every number, imbench's value is computed per seed (a change: the cell minus its
``versus`` cell of the same seed, paired), then summarised as mean ± std over seeds with a
95 % prediction interval for one more run, mean ± t(0.975, n-1) · sd · sqrt(1 + 1/n). A
paper reports one run, so that interval, not the narrower one of the mean, is the range in
which its number should fall if both measure the same thing.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import DataError
from ..records import read_json_result
from .plots import new_figure, save

PathLike = str | os.PathLike[str]


def lookup(data: Mapping[str, Any], dotted: str, path: PathLike = "") -> float:
    """The number at ``dotted`` in a metrics.json / quality.json. A list of per-class
    records (metrics.json's ``per_class``) is indexed by its ``class`` field."""
    node: Any = data
    for part in dotted.split("."):
        if isinstance(node, list):
            match = [r for r in node if isinstance(r, Mapping) and str(r.get("class")) == part]
            node = match[0] if match else None
        elif isinstance(node, Mapping):
            node = node.get(part)
        else:
            node = None
        if node is None:
            raise DataError(f"{path}: has no {dotted!r} (missing at {part!r})")
    if isinstance(node, bool) or not isinstance(node, (int, float)):
        raise DataError(f"{path}: {dotted!r} is {node!r}, not a number")
    return float(node)


def _values(files: Sequence[Sequence[Any]], metric: str) -> dict[tuple[int, ...], float]:
    """repetition -> value, from ``[seed, path]`` (or, with folds, ``[seed, fold, path]``)."""
    key = metric.split(":", 1)[1] if metric.startswith("quality:") else metric
    return {tuple(int(v) for v in entry[:-1]):
            lookup(read_json_result(entry[-1]), key, entry[-1]) for entry in files}


def prediction_interval(values: Sequence[float], level: float = 0.95
                        ) -> tuple[float, float] | None:
    """``level`` prediction interval for one more run from ``values`` (None below 2)."""
    x = np.asarray(values, dtype=float)
    if len(x) < 2:
        return None
    t = stats.t.ppf(0.5 + level / 2, len(x) - 1)
    half = t * x.std(ddof=1) * math.sqrt(1 + 1 / len(x))
    return float(x.mean() - half), float(x.mean() + half)


def compare(number: Mapping[str, Any]) -> dict[str, Any]:
    """imbench's value of one published number, in the paper's unit."""
    cell = _values(number["files"]["cell"], number["metric"])
    if number.get("change"):
        base = _values(number["files"]["versus"], number["metric"])
        seeds = sorted(set(cell) & set(base))
        if not seeds:
            raise DataError(f"{number['name']}: no seed has both the cell and its versus cell")
        if number["change"] == "relative":
            per_seed = [100 * (cell[s] - base[s]) / base[s] for s in seeds]
        else:
            per_seed = [number["scale"] * (cell[s] - base[s]) for s in seeds]
    else:
        seeds = sorted(cell)
        per_seed = [number["scale"] * cell[s] for s in seeds]
    x = np.asarray(per_seed)
    interval = prediction_interval(per_seed)
    paper = float(number["value"])
    return {
        "name": number["name"], "metric": number["metric"],
        "kind": f"change ({number['change']})" if number.get("change") else "value",
        "paper": paper, "mean": float(x.mean()),
        "std": float(x.std(ddof=1)) if len(x) > 1 else float("nan"),
        "n_seeds": len(x), "seeds": seeds,
        "low": interval[0] if interval else float("nan"),
        "high": interval[1] if interval else float("nan"),
        "difference": float(x.mean()) - paper,
        "inside": (interval[0] <= paper <= interval[1]) if interval else None,
        "same_sign": bool(np.sign(x.mean()) == np.sign(paper)) if number.get("change")
        else None,
        "where": number["where"], "quote": number.get("quote", ""),
        "notes": number.get("notes", ""),
        "consistent": bool(number.get("consistent", True)),
        "arithmetic": number.get("arithmetic", ""),
        "cell": "/".join(number["cell"].values()),
        "versus": "/".join(number["versus"].values()) if number.get("versus") else "",
    }


def reproduction_frame(numbers: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame([compare(n) for n in numbers])


def _fmt(v: float, digits: int = 3) -> str:
    return "–" if v is None or not np.isfinite(v) else f"{v:.{digits}g}"


def scale_words(scale: str) -> str:
    """The words a title adds for a scale: " (quick scale)"; nothing at real scale."""
    return "" if scale == "real" else f" ({scale} scale)"


def card_markdown(card: Sequence[Mapping[str, str]], scale: str = "real",
                  scale_changes: Sequence[str] = ()) -> list[str]:
    """The protocol card as a table: the study's protocol beside imbench's, item by item."""
    count = {s: sum(r["status"] == s for r in card) for s in ("same", "deviation", "assumed")}
    lines = ["## The protocol, item by item", "",
             f"{len(card)} entries: {count['same']} the same as the study, "
             f"{count['deviation']} deviations (each with its reason), {count['assumed']} "
             "assumed where the paper is silent (the preset's `protocol:` card).", ""]
    if scale != "real":
        lines += [f"The card describes the real scale; the {scale} scale changes "
                  + "; ".join(scale_changes or ["nothing"]) + ".", ""]
    lines += ["| item | the paper | where | imbench | status |", "|---|---|---|---|---|"]
    for r in card:
        status = r["status"] + (f": {r['why']}" if r.get("why") else "")
        lines.append("| " + " | ".join(_cell(v) for v in (
            r["item"], r["paper"], r["where"], r["imbench"], status)) + " |")
    return [*lines, ""]


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|") or "–"


def _numbers_table(frame: pd.DataFrame) -> list[str]:
    header = ["number", "kind", "paper", "imbench", "95 % interval", "imbench − paper",
              "inside", "runs", "where in the paper"]
    lines = ["| " + " | ".join(header) + " |",
             "|---|---|---:|---:|---:|---:|---|---:|---|"]
    for r in frame.itertuples():
        spread = f" ± {_fmt(r.std)}" if np.isfinite(r.std) else ""
        interval = f"[{_fmt(r.low)}, {_fmt(r.high)}]" if np.isfinite(r.low) else "–"
        inside = {True: "yes", False: "**no**", None: "–"}[r.inside]
        lines.append(f"| {r.name} | {r.kind} | {_fmt(r.paper, 4)} | {_fmt(r.mean, 4)}{spread} "
                     f"| {interval} | {_fmt(r.difference)} | {inside} | {r.n_seeds} | "
                     f"{r.where} |")
    return lines


def reproduction_markdown(frame: pd.DataFrame, *, preset: str, source: str,
                          scale: str = "real", card: Sequence[Mapping[str, str]] = (),
                          scale_changes: Sequence[str] = (),
                          not_run: Sequence[str] = ()) -> str:
    sound = frame[frame["consistent"]] if "consistent" in frame else frame
    unsound = frame[~frame["consistent"]] if "consistent" in frame else frame.iloc[:0]
    lines = [f"# Reproduction: {preset}{scale_words(scale)}", "",
             f"Compared with: {source}.", ""]
    if len(card):
        lines += card_markdown(card, scale, scale_changes)
    lines += [
        "## The published numbers", "",
        "imbench: mean ± std over runs (seeds, or seeds × folds with k-fold "
        "cross-validation; the `runs` column), and the 95 % prediction interval for one more "
        "run (mean ± t · sd · √(1 + 1/n)); a paper reports one run, so its number should fall "
        "inside that interval if both measure the same thing. A change is the cell minus "
        "its baseline cell, paired by seed (and fold). Values are in the paper's unit.", "",
    ]
    if scale != "real":
        lines += [f"**{scale.capitalize()} scale**: fewer images, epochs and seeds than the "
                  "study. The absolute numbers are not expected to match; the sign of each "
                  "change is the first thing to compare.", ""]
    if not_run:
        lines += [f"Not run at the {scale} scale, so not compared: " + "; ".join(not_run)
                  + ".", ""]
    inside = sound["inside"].dropna()
    lines += [f"{int(inside.sum())} of {len(inside)} published numbers fall inside imbench's "
              "interval" if len(inside) else "One seed: no interval (run more seeds).", ""]
    changes = sound[sound["same_sign"].notna()]
    if len(changes):
        lines += [f"{int(changes['same_sign'].sum())} of {len(changes)} published changes "
                  "have the same sign in imbench.", ""]
    lines += _numbers_table(sound)
    if len(unsound):
        lines += ["", "## Published numbers that cannot be right as printed", "",
                  f"{len(unsound)} numbers are counted neither as reproduced nor as not: the "
                  "paper's own figures contradict them.", ""]
        lines += _numbers_table(unsound)
        lines += [""] + [f"- **{r.name}**: {r.arithmetic}" for r in unsound.itertuples()]
    lines += ["", "## What each number is", ""]
    for r in frame.itertuples():
        what = f"`{r.metric}` of {r.cell}" + (f" against {r.versus}" if r.versus else "")
        extra = "".join(f" {t}" for t in (f'"{r.quote}"' if r.quote else "", r.notes) if t)
        lines.append(f"- **{r.name}**: {what}.{extra}")
    return "\n".join(lines) + "\n"


def plot_reproduction(frame: pd.DataFrame, path: PathLike, *, title: str) -> None:
    """One row per number: the paper's value (cross) and imbench's mean with its interval."""
    n = len(frame)
    fig = new_figure((8.0, 0.45 * n + 1.6))
    ax = fig.add_subplot(1, 1, 1)
    y = np.arange(n)[::-1]
    mean, low, high = (frame[c].to_numpy(dtype=float) for c in ("mean", "low", "high"))
    has = np.isfinite(low)
    if has.any():
        ax.errorbar(mean[has], y[has], xerr=[mean[has] - low[has], high[has] - mean[has]],
                    fmt="o", color="tab:blue", capsize=3,
                    label="imbench (95 % prediction interval)")
    if (~has).any():
        ax.plot(mean[~has], y[~has], "o", color="tab:blue", mfc="white",
                label="imbench (one seed)")
    ax.plot(frame["paper"].to_numpy(dtype=float), y, "x", color="tab:red", ms=8, mew=2,
            label="paper")
    ax.set_yticks(y, list(frame["name"]))
    ax.axvline(0, color="grey", lw=0.6)
    ax.set_xlabel("value in the paper's unit (a change: cell − baseline)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    save(fig, path)


__all__ = ["card_markdown", "compare", "lookup", "plot_reproduction", "prediction_interval",
           "reproduction_frame", "reproduction_markdown"]

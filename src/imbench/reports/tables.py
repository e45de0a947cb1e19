"""Metric tables per dataset, from the tidy ``results/summary.csv``.

* **Variant table** (seed 000 Tables 5.1/5.2): one row per imbalance × augmenter × classifier,
  one column per metric, ``mean ± std`` over seeds in percent (sample std, ddof=1).
* **Change table** (seed 002's "Absolute Difference" / "Performance Shift"): each variant
  against its reference, in percentage points and in percent of the reference's mean:

  - a rebalanced variant against the **imbalanced baseline**: the same dataset × imbalance ×
    classifier with a baseline augmenter (``baselines``: those whose class is the baseline,
    method ``none``);
  - the imbalanced baseline itself against the **original**: the same classifier and
    augmenter on an original imbalance (``originals``: protocol ``none``, or a balanced
    subsample) — the cost of the imbalance.

  ``delta`` is the difference of the two means over seeds; ``delta_std`` is the sample std of
  the per-seed differences over the seeds both have (the paired spread), when there are two.
* **Cross-ratio table**: rows augmenters, columns imbalances ordered by imbalance ratio ρ,
  one table per classifier × metric.
"""

from __future__ import annotations

import math
import os
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..io import write_text
from ..measures import MEASURES
from ..metrics import METRIC_NAMES
from ..summary import count_repetitions, format_mean_std, repetition_keys, repetition_words
from . import metric_label

VARIANT = ["dataset", "imbalance", "augmenter", "classifier"]

#: the reference kinds a change row can have
VS_BASELINE = "imbalanced baseline"
VS_ORIGINAL = "original"


def _rank(order: Sequence[str] | None, values: Sequence[str]) -> dict[str, int]:
    """Position of each value: config order first, unknown names after, alphabetically."""
    order = list(order or [])
    extra = sorted(v for v in set(values) if v not in order)
    return {v: i for i, v in enumerate([*order, *extra])}


def sort_variants(
    frame: pd.DataFrame,
    *,
    order: Mapping[str, Sequence[str]] | None = None,
    originals: Collection[str] = (),
    rho: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Rows in reading order: the originals first, then imbalances by ρ (then config
    order), augmenters and classifiers in config order."""
    order = order or {}
    originals = set(originals)
    rho = rho or {}
    keys = {}
    for axis in ("imbalance", "augmenter", "classifier"):
        if axis in frame:
            keys[axis] = _rank(order.get(axis), frame[axis].astype(str).tolist())
    out = frame.copy()
    cols = []
    if "imbalance" in out:
        out["_orig"] = [0 if i in originals else 1 for i in out["imbalance"]]
        out["_rho"] = [1.0 if i in originals else float(rho.get(i, math.inf))
                       for i in out["imbalance"]]
        cols += ["_orig", "_rho"]
    for axis, rank in keys.items():
        out[f"_{axis}"] = out[axis].map(rank)
        cols.append(f"_{axis}")
    if "metric" in out:
        morder = {m: i for i, m in enumerate(METRIC_NAMES)}
        out["_metric"] = out["metric"].map(lambda m: morder.get(m, len(morder)))
        cols.append("_metric")
    out = out.sort_values(cols, kind="mergesort").drop(columns=cols)
    return out.reset_index(drop=True)


def variant_stats(df: pd.DataFrame) -> pd.DataFrame:
    """``dataset, imbalance, augmenter, classifier, metric, n, mean, std`` (std NaN for n=1)."""
    g = df.groupby([*VARIANT, "metric"], sort=True)["value"]
    out = g.agg(n="count", mean="mean", std=lambda v: v.std(ddof=1) if len(v) > 1 else np.nan)
    return out.reset_index()


def change_table(
    df: pd.DataFrame,
    baselines: Collection[str],
    originals: Collection[str],
) -> pd.DataFrame:
    """Every variant × metric with its mean, std and change against its reference.

    Columns: ``dataset, imbalance, augmenter, classifier, metric, n, mean, std, reference,
    ref_imbalance, ref_augmenter, ref_n, ref_mean, delta, delta_rel_pct, delta_std,
    n_paired`` (means and deltas as fractions, ``delta_rel_pct`` in percent). A variant with
    no reference in the results (e.g. no baseline augmenter configured) has NaN deltas and
    an empty ``reference``; the original row has reference ``""`` too.
    """
    stats = variant_stats(df)
    baselines, originals = sorted(baselines), sorted(originals)
    present = {tuple(r) for r in stats[VARIANT].itertuples(index=False)}
    by_key = {tuple(r[:5]): r for r in stats.itertuples(index=False)}
    # paired by repetition: the seed, and the fold with folds
    seeds = {k: g.set_index(repetition_keys(df))["value"]
             for k, g in df.groupby([*VARIANT, "metric"], sort=False)}

    rows = []
    for r in stats.itertuples(index=False):
        dataset, imbalance, augmenter, classifier, metric = r[:5]
        ref: tuple[str, str] | None = None
        kind = ""
        if augmenter not in baselines:
            for b in baselines:
                if (dataset, imbalance, b, classifier) in present:
                    ref, kind = (imbalance, b), VS_BASELINE
                    break
        elif imbalance not in originals:
            for o in originals:
                if (dataset, o, augmenter, classifier) in present:
                    ref, kind = (o, augmenter), VS_ORIGINAL
                    break
        row: dict[str, Any] = dict(zip([*VARIANT, "metric", "n", "mean", "std"], r, strict=True))
        row.update(reference=kind, ref_imbalance="", ref_augmenter="", ref_n=0,
                   ref_mean=np.nan, delta=np.nan, delta_rel_pct=np.nan, delta_std=np.nan,
                   n_paired=0)
        ref_row = by_key.get((dataset, *ref, classifier, metric)) if ref else None
        if ref_row is not None:
            ref_mean = float(ref_row.mean)
            delta = float(r.mean) - ref_mean
            mine = seeds[(dataset, imbalance, augmenter, classifier, metric)]
            theirs = seeds[(dataset, *ref, classifier, metric)]
            common = mine.index.intersection(theirs.index)
            paired = (mine[common] - theirs[common]).to_numpy()
            row.update(
                ref_imbalance=ref[0], ref_augmenter=ref[1], ref_n=int(ref_row.n),
                ref_mean=ref_mean, delta=delta,
                delta_rel_pct=100.0 * delta / ref_mean if ref_mean != 0 else np.nan,
                delta_std=float(np.std(paired, ddof=1)) if len(paired) > 1 else np.nan,
                n_paired=int(len(paired)),
            )
        elif ref is None:
            row["reference"] = ""
        rows.append(row)
    return pd.DataFrame(rows)


def format_change(delta: float, rel_pct: float) -> str:
    """``"+0.43 (+0.47%)"``: percentage points, then percent of the reference."""
    if delta is None or not np.isfinite(delta):
        return "–"
    rel = f"{rel_pct:+.2f}%" if rel_pct is not None and np.isfinite(rel_pct) else "n/a"
    return f"{100.0 * delta:+.2f} ({rel})"


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]], n_left: int) -> list[str]:
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join(["---"] * n_left + ["---:"] * (len(header) - n_left)) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _fmt_rho(value: float | None) -> str:
    if value is None or not np.isfinite(value):
        return "–"
    return f"{value:.3g}"


#: metrics for which a lower value ranks first
LOWER_IS_BETTER = frozenset({"ece"})


def leaderboard(df: pd.DataFrame, dataset: str, metric: str, *, baselines: Collection[str],
                originals: Collection[str], rho: Mapping[str, float] | None = None,
                order: Mapping[str, Sequence[str]] | None = None) -> tuple[str, pd.DataFrame]:
    """What the report opens on: per imbalanced set, every augmenter + classifier ranked by
    ``metric`` (mean and the half-width of its 95 % t-interval over the repetitions), with
    the change against the imbalanced baseline (paired by repetition). Markdown and frame."""
    from scipy import stats as st

    changes = change_table(df[df["dataset"] == dataset], baselines, originals)
    rows = changes[(changes["metric"] == metric) & ~changes["imbalance"].isin(originals)].copy()
    rho = dict(rho or {})
    rows.insert(2, "rho", [rho.get(i, np.nan) for i in rows["imbalance"]])
    rows = sort_variants(rows, order=order, originals=originals, rho=rho)
    n = rows["n"].astype(float)
    rows["ci95"] = [st.t.ppf(0.975, k - 1) * s / math.sqrt(k) if k > 1 else np.nan
                    for k, s in zip(n, rows["std"], strict=True)]
    lower = metric in LOWER_IS_BETTER
    rows["rank"] = rows.groupby("imbalance")["mean"].rank(ascending=lower, method="min")
    rows = rows.sort_values(["rho", "imbalance", "rank"], kind="stable")
    label = metric_label(metric)
    lines = [f"# Leaderboard: {dataset}, {label}", "",
             f"Per imbalanced set, every method ranked by {label} ({'lower' if lower else 'higher'}"
             " is better): mean over the repetitions ± the half-width of its 95 % t-interval, "
             "in percent; change: against the imbalanced baseline (same classifier), in "
             "percentage points.", ""]
    for imbalance, group in rows.groupby("imbalance", sort=False):
        r = group["rho"].iloc[0]
        lines += [f"## {imbalance}" + ("" if np.isnan(r) else f" (ρ = {r:.3g})"), "",
                  f"| rank | augmenter | classifier | {label} | change |",
                  "|---:|---|---|---:|---:|"]
        for row in group.itertuples(index=False):
            ci = "" if np.isnan(row.ci95) else f" ± {100 * row.ci95:.2f}"
            change = "baseline" if row.augmenter in baselines else (
                "–" if np.isnan(row.delta) else f"{100 * row.delta:+.2f}")
            lines.append(f"| {int(row.rank)} | {row.augmenter} | {row.classifier} | "
                         f"{100 * row.mean:.2f}{ci} | {change} |")
        lines.append("")
    cols = [*VARIANT, "rho", "metric", "n", "mean", "ci95", "rank", "delta"]
    return "\n".join(lines), rows[cols].reset_index(drop=True)


def dataset_tables(
    df: pd.DataFrame,
    dataset: str,
    *,
    baselines: Collection[str],
    originals: Collection[str],
    rho: Mapping[str, float] | None = None,
    order: Mapping[str, Sequence[str]] | None = None,
) -> tuple[str, pd.DataFrame]:
    """The markdown of one dataset (variant table + change table) and its CSV frame."""
    sub = df[df["dataset"] == dataset]
    if sub.empty:
        raise ValueError(f"no results for dataset {dataset!r}")
    rho = dict(rho or {})
    changes = change_table(sub, baselines, originals)
    changes.insert(2, "rho", [1.0 if i in originals else rho.get(i, np.nan)
                              for i in changes["imbalance"]])
    changes = sort_variants(changes, order=order, originals=originals, rho=rho)
    metrics = [m for m in METRIC_NAMES if m in set(changes["metric"])]
    variants = changes.drop_duplicates(VARIANT)[[*VARIANT, "rho"]]

    def cell(v: tuple, metric: str) -> pd.Series | None:
        hit = changes[(changes["imbalance"] == v[1]) & (changes["augmenter"] == v[2])
                      & (changes["classifier"] == v[3]) & (changes["metric"] == metric)]
        return None if hit.empty else hit.iloc[0]

    main_rows, change_rows = [], []
    for v in variants.itertuples(index=False):
        key = tuple(v)
        group = sub[(sub["imbalance"] == v.imbalance) & (sub["augmenter"] == v.augmenter)
                    & (sub["classifier"] == v.classifier)]
        row = [v.imbalance, _fmt_rho(v.rho), v.augmenter, v.classifier,
               str(count_repetitions(group))]
        for metric in metrics:
            row.append(format_mean_std(group.loc[group["metric"] == metric, "value"]))
        main_rows.append(row)
        first = next((c for m in metrics if (c := cell(key, m)) is not None), None)
        if first is None or not first["reference"]:
            continue
        ref = (f"{first['reference']} ({first['ref_imbalance']}/{first['ref_augmenter']})")
        crow = [v.imbalance, v.augmenter, v.classifier, ref]
        for metric in metrics:
            c = cell(key, metric)
            crow.append("–" if c is None else format_change(c["delta"], c["delta_rel_pct"]))
        change_rows.append(crow)

    labels = [metric_label(m) for m in metrics]
    lines = [
        f"# Dataset `{dataset}`",
        "",
        f"Test-set metrics, mean ± sample std (ddof=1) over {repetition_words(df)}, in "
        "percent; `(n=1)`: a single seed, std undefined. ρ: largest over smallest training "
        "class after imbalancing (the original row: 1).",
        "",
        *_md_table(["imbalance", "ρ", "augmenter", "classifier",
                    "seeds" if "fold" not in df.columns else "repetitions", *labels],
                   main_rows, 4),
        "",
        "## Change against the reference",
        "",
        "Each cell: the difference of means in percentage points, and in brackets relative "
        "to the reference's mean. A rebalanced variant is compared with the imbalanced "
        "baseline (same imbalance and classifier, augmenter method `none`); the imbalanced "
        "baseline with the original (imbalance protocol `none`, or a balanced subsample).",
        "",
    ]
    if change_rows:
        lines += _md_table(["imbalance", "augmenter", "classifier", "compared with", *labels],
                           change_rows, 4)
    else:
        lines.append("_No variant has a reference in these results._")
    return "\n".join(lines) + "\n", changes


def ratio_table(
    df: pd.DataFrame,
    dataset: str,
    *,
    originals: Collection[str],
    rho: Mapping[str, float] | None = None,
    order: Mapping[str, Sequence[str]] | None = None,
    metrics: Sequence[str] | None = None,
) -> tuple[str, pd.DataFrame]:
    """Cross-ratio tables of one dataset: per classifier and metric, rows augmenters,
    columns imbalances sorted by ρ (the original first). Returns markdown and tidy CSV frame
    (``classifier, metric, augmenter, imbalance, original, rho, n, mean, std``)."""
    sub = df[df["dataset"] == dataset]
    if sub.empty:
        raise ValueError(f"no results for dataset {dataset!r}")
    rho = dict(rho or {})
    stats = with_ratio(variant_stats(sub), originals, rho)
    stats = sort_variants(stats, order=order, originals=originals, rho=rho)
    present = [m for m in METRIC_NAMES if m in set(stats["metric"])]
    wanted = [m for m in (metrics or present) if m in present]
    imbalances = list(dict.fromkeys(stats["imbalance"]))
    augmenters = list(dict.fromkeys(stats["augmenter"]))
    lines = [
        f"# Dataset `{dataset}`: metric by imbalance ratio",
        "",
        "Rows: augmenters; columns: imbalances, by increasing ρ (largest over smallest "
        f"training class). Cells: mean ± sample std over {repetition_words(sub)}, in percent; "
        "– where the cell is not part of the grid.",
    ]
    for classifier in list(dict.fromkeys(stats["classifier"])):
        for metric in wanted:
            s = stats[(stats["classifier"] == classifier) & (stats["metric"] == metric)]
            header = ["augmenter"]
            for i in imbalances:
                r = s.loc[s["imbalance"] == i, "rho"]
                header.append(f"{i} (ρ={_fmt_rho(r.iloc[0])})" if len(r) else i)
            rows = []
            for a in augmenters:
                row = [a]
                for i in imbalances:
                    hit = sub[(sub["imbalance"] == i) & (sub["augmenter"] == a)
                              & (sub["classifier"] == classifier) & (sub["metric"] == metric)]
                    row.append(format_mean_std(hit["value"]) if len(hit) else "–")
                rows.append(row)
            lines += ["", f"## {metric_label(metric)} — classifier `{classifier}`", "",
                      *_md_table(header, rows, 1)]
    return "\n".join(lines) + "\n", stats.drop(columns=["dataset"])


def with_ratio(stats: pd.DataFrame, originals: Collection[str], rho: Mapping[str, float]
               ) -> pd.DataFrame:
    """``stats`` with ``original`` (the imbalance stands for the original set) and ``rho``
    (1 for an original) columns."""
    out = stats.copy()
    out["original"] = out["imbalance"].isin(list(originals))
    out["rho"] = [1.0 if o else rho.get(i, np.nan)
                  for i, o in zip(out["imbalance"], out["original"], strict=True)]
    return out


def write_frame(frame: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """CSV atomically, ``\\n`` line ends, full precision."""
    write_text(path, frame.to_csv(index=False, lineterminator="\n"))


def rho_from_counts(counts_by_imbalance: Mapping[str, Mapping[str, Any]]) -> dict[str, float]:
    """``{imbalance: ρ}`` from each imbalanced set's counts.json content."""
    out = {}
    for name, info in counts_by_imbalance.items():
        value = info.get("rho")
        if value is None:
            counts = [n for n in info.get("counts", []) if n > 0]
            value = max(counts) / min(counts) if counts else None
        if value is not None:
            out[name] = float(value)
    return out


#: quality measures tabulated per imbalance × augmenter (seed 001 Tables 4 and 5), with how
#: to read them
QUALITY_MEASURES: tuple[tuple[str, str], ...] = tuple(
    (m.key, m.caption) for m in MEASURES if m.table)


def _mean_std(values: Sequence[float], digits: int = 3) -> str:
    return format_mean_std(values, scale=1.0, digits=digits)


#: the fit table's columns: (column, what it is)
FIT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("train_loss", "training loss"), ("train_accuracy", "training accuracy"),
    ("val_loss", "validation loss"), ("val_accuracy", "validation accuracy"),
    ("test_accuracy", "test accuracy"), ("test_precision_macro", "test macro precision"),
    ("test_recall_macro", "test macro recall"),
)


def fit_rows(history: Mapping[str, Sequence[float]], best_epoch: int | None,
             metrics: Mapping[str, Any]) -> dict[str, float | None]:
    """One cell's row of the fit table: the training and validation loss and accuracy at
    the epoch whose weights were kept (``best_epoch``; the last without validation) and the
    test metrics of those weights."""
    def at(key: str) -> float | None:
        values = list(history.get(key) or [])
        if not values:
            return None
        i = (best_epoch or len(values)) - 1
        return float(values[min(max(i, 0), len(values) - 1)])

    return {"train_loss": at("loss"), "train_accuracy": at("accuracy"),
            "val_loss": at("val_loss"), "val_accuracy": at("val_accuracy"),
            "test_accuracy": metrics.get("accuracy"),
            "test_precision_macro": metrics.get("precision_macro"),
            "test_recall_macro": metrics.get("recall_macro")}


def fit_table(frame: pd.DataFrame, dataset: str, order: Mapping[str, Sequence[str]]
              ) -> str:
    """Seed 004 Table I, honestly: per variant the training, validation (held-out real
    training images) and test (never seen in training or model choice) numbers, mean ± std
    over seeds. The study's "val" column was its test set; here they are two columns."""
    header = ["imbalance", "augmenter", "classifier", *[c for c, _ in FIT_COLUMNS]]
    rows = []
    keys = ["imbalance", "augmenter", "classifier"]
    for key, group in sort_variants(frame, order=order).groupby(keys, sort=False):
        rows.append([*map(str, key), *[_mean_std(group[c].tolist()) for c, _ in FIT_COLUMNS]])
    lines = [f"# {dataset}: training, validation and test", "",
             "Loss and accuracy at the epoch whose weights were kept (lowest validation "
             "loss), on the training part and on the validation part (real training images "
             "held out, stratified); test = the test set, which neither training nor that "
             "choice saw. For a two-stage classifier (cnn_svm) training and validation are its "
             "CNN's, test the whole classifier's. Mean ± std over seeds. "
             + "; ".join(f"`{c}`: {w}" for c, w in FIT_COLUMNS) + ".",
             "", *_md_table(header, rows, 3), ""]
    return "\n".join(lines)


def generator_tables(
    quality: pd.DataFrame,
    times: pd.DataFrame,
    dataset: str,
    *,
    rho: Mapping[str, float] | None = None,
    order: Mapping[str, Sequence[str]] | None = None,
    class_names: Sequence[str] | None = None,
) -> str:
    """Markdown of a dataset's generator quality (rows imbalances by ρ, columns augmenters,
    mean ± std over seeds; seed 001 Tables 4/5) and training times (seed 000 Tables A1/A2).

    ``quality``: one row per (imbalance, augmenter, seed) with the measures of
    :data:`QUALITY_MEASURES` (and ``real_diversity_ssim``); ``times``: one row per
    (imbalance, augmenter, seed, model) with ``epochs``, ``seconds``, ``chosen_epoch``.
    """
    rho = dict(rho or {})
    order = order or {}
    lines = [f"# Dataset `{dataset}`: generators", ""]
    if not quality.empty:
        imbalances = sorted(dict.fromkeys(quality["imbalance"]),
                            key=lambda i: (rho.get(i, math.inf),
                                           _rank(order.get("imbalance"), [i]).get(i, 0)))
        rank = _rank(order.get("augmenter"), quality["augmenter"].tolist())
        augmenters = sorted(dict.fromkeys(quality["augmenter"]), key=rank.get)
        lines += ["Averages over the classes that received images, then mean ± sample std "
                  f"over {repetition_words(quality)}.", ""]
        for col, label in QUALITY_MEASURES:
            if col not in quality or quality[col].isna().all():
                continue
            header = ["imbalance", "ρ", *augmenters]
            extra = col == "diversity_ssim" and "real_diversity_ssim" in quality
            if extra:
                header.append("real images")
            rows = []
            for i in imbalances:
                sub = quality[quality["imbalance"] == i]
                row = [i, _fmt_rho(rho.get(i))]
                row += [_mean_std(sub.loc[sub["augmenter"] == a, col]) for a in augmenters]
                if extra:
                    row.append(_mean_std(sub.drop_duplicates(repetition_keys(sub))[
                        "real_diversity_ssim"]))
                rows.append(row)
            lines += [f"## {label}", "", *_md_table(header, rows, 1), ""]
    if not times.empty:
        rows = []
        for (i, a, model), g in times.groupby(["imbalance", "augmenter", "model"], sort=False):
            name = model
            if class_names is not None and model.startswith("class") and model[5:].isdigit():
                c = int(model[5:])
                name = f"{model} ({class_names[c]})" if c < len(class_names) else model
            chosen = sorted({int(e) for e in g["chosen_epoch"].dropna()})
            iters = g["iterations"].dropna()  # none in a losses.csv from before the column
            rows.append([i, a, name, str(count_repetitions(g)), str(int(g["epochs"].max())),
                         f"{int(iters.max()):,}" if len(iters) else "–",
                         _mean_std(g["seconds"] / 60.0, 1),
                         ", ".join(str(e) for e in chosen) or "–"])
        lines += ["## Generator training time (seed 000 Tables A1/A2)", "",
                  "An epoch is a pass over the model's training images unless "
                  "min_iters_per_epoch lengthens it; iterations are generator steps "
                  "(losses.csv). Wall-clock minutes of the training epochs "
                  "(sum of losses.csv `seconds`; checkpoint scoring and sampling not "
                  "included), mean ± std over seeds.", "",
                  *_md_table(["imbalance", "augmenter", "model", "seeds", "epochs",
                              "iterations", "minutes", "epoch used"], rows, 3), ""]
    if len(lines) == 2:
        lines.append("_No generator outputs._")
    return "\n".join(lines) + "\n"

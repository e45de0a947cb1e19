"""Which augmenters differ significantly, across seeds and datasets.

Tests (named in every output):

* **Friedman test** on the ranks of the augmenters within each *block*, with the
  Iman–Davenport F correction (Demšar 2006, JMLR 7 §3.2.2), followed by the **Nemenyi
  post-hoc test**: two augmenters differ at level α when their average ranks differ by more
  than the critical difference ``CD = q_α · sqrt(k(k+1) / (6N))`` with ``q_α`` the
  studentized range quantile (k groups, infinite degrees of freedom) over √2.
* As a check that does not pool ranks: **paired two-sided Wilcoxon signed-rank tests** for
  every pair of augmenters over the same blocks, **Holm**-corrected for the number of pairs.

Libraries compute what they can: Friedman's chi-square (scipy; by hand only for k = 2, which
scipy refuses), Nemenyi p-values (scikit-posthocs), Wilcoxon (scipy), Holm (statsmodels).
Kept here, since none of them has it in this form: the Iman–Davenport F and the critical
difference with its cliques (tests/test_reports.py compares the library values with the
formulas written out).

With ``report.compare: methods`` the compared arms are the augmenter + classifier pairs
(``"ros + resnet32"``, ``"none + ldam_drw"``) and a block is one (dataset, imbalance, seed):
GANs, data-level and loss-level remedies (classifier entries) are ranked together.

A block is one (dataset, imbalance, classifier, seed) for which every compared augmenter has
a result, on an imbalanced set (imbalances with protocol ``none`` are left out: rebalancing a
balanced set is not the question). Rank 1 is the best (highest metric). Seeds of the same
dataset × imbalance × classifier are repeated measurements rather than independent data sets,
so p-values are optimistic when seeds dominate the block count; the output says how many
blocks came from how many distinct (dataset, imbalance, classifier) problems.
"""

from __future__ import annotations

import math
import os
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..summary import FOLD
from . import metric_label
from .plots import new_figure, save

BLOCK = ["dataset", "imbalance", "classifier", "seed"]
METHOD_BLOCK = ["dataset", "imbalance", "seed"]
TEST_NAME = ("Friedman test (Iman–Davenport F) with Nemenyi post-hoc critical difference; "
             "paired Wilcoxon signed-rank tests with Holm correction")


def block_matrix(
    df: pd.DataFrame,
    metric: str,
    originals: Collection[str],
    augmenters: Sequence[str] | None = None,
    by: str = "augmenters",
) -> tuple[pd.DataFrame, list[str]]:
    """Blocks × augmenters matrix of ``metric`` on the imbalanced sets (every imbalance but
    the ``originals``; complete blocks only) and notes on what was dropped. Augmenters
    missing from every complete block are dropped, the one with the fewest results first,
    until complete blocks remain. ``by="methods"``: blocks × (augmenter + classifier)."""
    sub = df[(df["metric"] == metric) & ~df["imbalance"].isin(list(originals))]
    if augmenters is not None:
        sub = sub[sub["augmenter"].isin(list(augmenters))]
    notes: list[str] = []
    if sub.empty:
        return pd.DataFrame(), [f"no {metric} results on imbalanced sets"]
    # with folds a block is one (seed, fold) repetition of a problem
    folds = [FOLD] if FOLD in sub.columns else []
    if by == "methods":
        sub = sub.assign(method=sub["augmenter"] + " + " + sub["classifier"])
        wide = sub.pivot_table(index=[*METHOD_BLOCK, *folds], columns="method",
                               values="value", aggfunc="first")
    else:
        wide = sub.pivot_table(index=[*BLOCK, *folds], columns="augmenter", values="value",
                               aggfunc="first")
        if augmenters is not None:
            wide = wide[[a for a in augmenters if a in wide.columns]]
    while wide.shape[1] >= 2:
        complete = wide.dropna()
        if len(complete):
            break
        worst = wide.notna().sum().sort_values(kind="mergesort").index[0]
        notes.append(f"augmenter {worst!r} dropped: no block has results for every augmenter")
        wide = wide.drop(columns=worst)
    complete = wide.dropna()
    if len(complete) < len(wide):
        notes.append(f"{len(wide) - len(complete)} incomplete block(s) left out")
    return complete, notes


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values, in the input order (statsmodels' multipletests)."""
    from statsmodels.stats.multitest import multipletests

    if len(pvalues) == 0:
        return []
    return [float(p) for p in multipletests(np.asarray(pvalues, dtype=np.float64),
                                            method="holm")[1]]


def friedman_chi2(values: np.ndarray) -> float:
    """Friedman's chi-square with the tie correction, blocks × groups: scipy's
    ``friedmanchisquare`` for k >= 3; for k = 2, which scipy refuses, the same formula from
    the rank sums (Demšar 2006, eq. in §3.2.2)."""
    from scipy.stats import friedmanchisquare, rankdata

    n, k = values.shape
    if k >= 3:
        return float(friedmanchisquare(*values.T).statistic)
    ranks = rankdata(values, axis=1)
    avg = ranks.mean(axis=0)
    chi = 12.0 * n / (k * (k + 1)) * float(((avg - (k + 1) / 2.0) ** 2).sum())
    ties = sum(float((c**3 - c).sum()) for c in
               (np.unique(row, return_counts=True)[1] for row in ranks))
    denom = 1.0 - ties / (n * k * (k * k - 1))
    return chi / denom if denom > 0 else 0.0


def critical_difference(k: int, n_blocks: int, alpha: float = 0.05) -> float:
    """Nemenyi CD = q_α · sqrt(k(k+1)/(6N)), q_α = studentized range quantile / √2."""
    from scipy.stats import studentized_range

    q = float(studentized_range.ppf(1.0 - alpha, k, np.inf)) / math.sqrt(2.0)
    return q * math.sqrt(k * (k + 1) / (6.0 * n_blocks))


def compare(matrix: pd.DataFrame, alpha: float = 0.05) -> dict[str, Any]:
    """Friedman + Nemenyi and Holm-corrected Wilcoxon on a blocks × augmenters matrix
    (higher is better). Returns a JSON-ready dict."""
    import scikit_posthocs
    from scipy.stats import chi2, f, rankdata, wilcoxon

    names = [str(c) for c in matrix.columns]
    values = matrix.to_numpy(dtype=np.float64)
    n, k = values.shape
    result: dict[str, Any] = {
        "test": TEST_NAME, "alpha": alpha, "n_blocks": int(n), "k": int(k),
        "augmenters": names,
        "block": [str(b) for b in matrix.index.names],
        "problems": int(matrix.reset_index()[[b for b in matrix.index.names
                                              if b not in ("seed", FOLD)]]
                        .drop_duplicates().shape[0]) if n else 0,
    }
    if n < 2 or k < 2:
        result["error"] = f"need at least 2 blocks and 2 augmenters; have {n} and {k}"
        return result
    ranks = rankdata(-values, axis=1)  # 1 = best; ties share the average rank
    avg = ranks.mean(axis=0)
    result["average_ranks"] = {a: float(r) for a, r in zip(names, avg, strict=True)}
    result["mean"] = {a: float(v) for a, v in zip(names, values.mean(axis=0), strict=True)}
    chi = friedman_chi2(values)
    result["friedman_chi2"] = chi
    result["friedman_p"] = float(chi2.sf(chi, k - 1))
    ff_den = n * (k - 1) - chi
    if ff_den > 0:
        ff = (n - 1) * chi / ff_den
        result["iman_davenport_F"] = ff
        result["iman_davenport_p"] = float(f.sf(ff, k - 1, (k - 1) * (n - 1)))
    else:  # perfect agreement of every block: F is infinite
        result["iman_davenport_F"] = math.inf
        result["iman_davenport_p"] = 0.0
    cd = critical_difference(k, n, alpha)
    result["critical_difference"] = cd
    # Nemenyi p-values from the rank differences (scikit-posthocs; average ranks for ties)
    nemenyi = scikit_posthocs.posthoc_nemenyi_friedman(values).to_numpy()
    pairs = []
    raw_w = []
    for i in range(k):
        for j in range(i + 1, k):
            diff = abs(float(avg[i] - avg[j]))
            p_nem = float(nemenyi[i, j])
            d = values[:, i] - values[:, j]
            if np.all(d == 0):
                p_w, stat = 1.0, 0.0
            else:
                w = wilcoxon(values[:, i], values[:, j], zero_method="wilcox")
                p_w, stat = float(w.pvalue), float(w.statistic)
            raw_w.append(p_w)
            pairs.append({
                "a": names[i], "b": names[j], "rank_difference": diff,
                "nemenyi_p": min(1.0, p_nem), "nemenyi_significant": bool(diff > cd),
                "mean_difference": float(d.mean()), "wilcoxon_statistic": stat,
                "wilcoxon_p": p_w,
            })
    for pair, p_adj in zip(pairs, holm(raw_w), strict=True):
        pair["wilcoxon_holm_p"] = p_adj
        pair["wilcoxon_significant"] = bool(p_adj < alpha)
    result["pairs"] = pairs
    result["cliques"] = cliques(result["average_ranks"], cd)
    return result


def cliques(avg_ranks: Mapping[str, float], cd: float) -> list[list[str]]:
    """Maximal runs of augmenters (sorted by average rank) whose ranks lie within ``cd`` of
    each other: the groups the Nemenyi test cannot tell apart (bars of a CD diagram)."""
    items = sorted(avg_ranks.items(), key=lambda kv: (kv[1], kv[0]))
    spans = []
    for i in range(len(items)):
        j = i
        while j + 1 < len(items) and items[j + 1][1] - items[i][1] <= cd:
            j += 1
        if j > i:
            spans.append((i, j))
    maximal = [s for s in spans
               if not any(o != s and o[0] <= s[0] and s[1] <= o[1] for o in spans)]
    return [[items[t][0] for t in range(a, b + 1)] for a, b in maximal]


def markdown(result: Mapping[str, Any], metric: str) -> str:
    """A short report of :func:`compare`'s result."""
    arm = ("augmenter + classifier pair" if result.get("compared") == "methods"
           else "augmenter")
    block = result.get("block", BLOCK)
    lines = [f"# Which {arm}s differ: {metric_label(metric)}", "",
             f"Test: {result['test']}; α = {result['alpha']}.", ""]
    for note in result.get("notes", []):
        lines.append(f"- note: {note}")
    if "error" in result:
        lines += ["", f"Not tested: {result['error']}."]
        return "\n".join(lines) + "\n"
    lines += [
        f"{result['n_blocks']} blocks ({' × '.join(block)}) from "
        f"{result['problems']} {' × '.join(b for b in block if b not in ('seed', FOLD))} "
        "problem(s), "
        f"{result['k']} {arm}s. Seeds of one problem are repeated measurements: "
        "treat p-values as optimistic when there are few problems.",
        "",
        f"Friedman χ² = {result['friedman_chi2']:.3f}, p = {result['friedman_p']:.3g}; "
        f"Iman–Davenport F = {result['iman_davenport_F']:.3f}, "
        f"p = {result['iman_davenport_p']:.3g}. "
        f"Nemenyi critical difference CD = {result['critical_difference']:.3f}.",
        "",
        f"| {arm} | average rank (1 = best) | mean (%) |",
        "|---|---:|---:|",
    ]
    for a, r in sorted(result["average_ranks"].items(), key=lambda kv: kv[1]):
        lines.append(f"| {a} | {r:.3f} | {100 * result['mean'][a]:.2f} |")
    lines += ["", "| pair | rank difference | Nemenyi p | mean difference (pp) | "
              "Wilcoxon p | Wilcoxon p (Holm) |", "|---|---:|---:|---:|---:|---:|"]
    for p in result["pairs"]:
        star_n = " *" if p["nemenyi_significant"] else ""
        star_w = " *" if p["wilcoxon_significant"] else ""
        lines.append(
            f"| {p['a']} vs {p['b']} | {p['rank_difference']:.3f} | "
            f"{p['nemenyi_p']:.3g}{star_n} | {100 * p['mean_difference']:+.2f} | "
            f"{p['wilcoxon_p']:.3g} | {p['wilcoxon_holm_p']:.3g}{star_w} |")
    lines += ["", "`*`: significant at α. Groups the Nemenyi test cannot separate: "
              + ("; ".join("{" + ", ".join(c) + "}" for c in result["cliques"]) or "none")
              + "."]
    return "\n".join(lines) + "\n"


def plot_critical_difference(
    result: Mapping[str, Any], path: str | os.PathLike[str], *, title: str | None = None
) -> None:
    """Demšar-style critical-difference diagram: average ranks on an axis (1 = best, left),
    each augmenter hanging from its rank, thick bars joining groups that the Nemenyi test
    cannot separate, and the CD drawn to scale above the axis. Without a test result the
    figure says why."""
    import matplotlib.style

    with matplotlib.style.context("default"):
        if "error" in result or not result.get("average_ranks"):
            fig = new_figure((6.0, 1.6))
            ax = fig.add_subplot()
            ax.axis("off")
            ax.text(0.5, 0.5, f"No test: {result.get('error', 'no results')}",
                    ha="center", va="center", wrap=True)
            if title:
                ax.set_title(title)
            save(fig, path, tight=True)
            return
        ranks = sorted(result["average_ranks"].items(), key=lambda kv: (kv[1], kv[0]))
        k = int(result["k"])
        cd = float(result["critical_difference"])
        cl = result.get("cliques", [])
        left = ranks[: math.ceil(k / 2)]
        right = ranks[math.ceil(k / 2):]
        rows = max(len(left), len(right))
        height = 1.6 + 0.32 * rows + 0.18 * len(cl)
        fig = new_figure((7.5, height))
        ax = fig.add_axes((0.2, 0.02, 0.6, 0.78 if not title else 0.72))
        lo, hi = 1.0, float(k)
        ax.set_xlim(lo - 0.05 * (hi - lo + 1), hi + 0.05 * (hi - lo + 1))
        top = 0.0
        bottom = -(0.6 + 0.32 * rows + 0.18 * len(cl))
        ax.set_ylim(bottom, 1.15)
        ax.axis("off")
        ax.plot([lo, hi], [top, top], color="black", lw=1.2)
        for t in range(1, k + 1):
            ax.plot([t, t], [top, top + 0.08], color="black", lw=1.0)
            ax.text(t, top + 0.12, str(t), ha="center", va="bottom", fontsize=9)
        ax.text((lo + hi) / 2, top + 0.42, "average rank (1 = best)", ha="center",
                va="bottom", fontsize=9)
        # CD bar, to scale, above the axis title
        ax.plot([lo, lo + cd], [top + 0.95, top + 0.95], color="tab:red", lw=2)
        for x_end in (lo, lo + cd):
            ax.plot([x_end, x_end], [top + 0.89, top + 1.01], color="tab:red", lw=1.5)
        ax.text(lo + cd + 0.08, top + 0.95, f"CD = {cd:.2f} (Nemenyi, α = {result['alpha']})",
                va="center", fontsize=8, color="tab:red")
        # clique bars just under the axis
        clique_y = []
        for i, group in enumerate(cl):
            y = top - 0.15 - 0.18 * i
            rs = [result["average_ranks"][a] for a in group]
            ax.plot([min(rs) - 0.03, max(rs) + 0.03], [y, y], color="black", lw=3.5,
                    solid_capstyle="round")
            clique_y.append(y)
        start = top - 0.25 - 0.18 * len(cl)
        for side, items in (("left", left), ("right", right)):
            for i, (name, r) in enumerate(items if side == "left" else items[::-1]):
                y = start - 0.32 * i
                x_end = lo - 0.05 * (hi - lo + 1) if side == "left" else \
                    hi + 0.05 * (hi - lo + 1)
                ax.plot([r, r, x_end], [top, y, y], color="0.25", lw=1.0)
                ax.text(x_end + (-0.03 if side == "left" else 0.03), y,
                        f"{name} ({r:.2f})", ha="right" if side == "left" else "left",
                        va="center", fontsize=9)
        sub = (f"Friedman p = {result['friedman_p']:.3g}, N = {result['n_blocks']} blocks")
        fig.suptitle((title + "\n" if title else "") + sub, fontsize=10)
    save(fig, path, tight=True)

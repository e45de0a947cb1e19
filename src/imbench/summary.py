"""Collect every cell's metrics.json into one tidy table and per-dataset markdown tables.

Tables follow Tables 5.1/5.2 of the reference study: one row per (imbalance, augmenter,
classifier) variant, one column per metric, each cell ``mean ± std`` over seeds in percent
with two decimals. ``std`` is the sample standard deviation (ddof=1); with a single seed it is
undefined, and the cell reads ``mean (n=1)`` instead of a misleading ``± 0.00``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .io import write_text
from .metrics import METRIC_NAMES
from .records import read_json_result

CELL_KEYS = ("dataset", "imbalance", "augmenter", "classifier", "seed")
COLUMNS = (*CELL_KEYS, "metric", "value")
VARIANT_KEYS = ("imbalance", "augmenter", "classifier")
#: a grid with ``folds: k`` has a ``fold`` column after ``seed``; one without has none, so its
#: summary.csv is what it always was
FOLD = "fold"


def repetition_keys(df: pd.DataFrame) -> list[str]:
    """The columns that name one repetition: ``seed``, and ``fold`` when there are folds.
    Results are averaged over repetitions and paired by them."""
    return ["seed", FOLD] if FOLD in df.columns else ["seed"]


def repetition_words(df: pd.DataFrame) -> str:
    """What a mean ± std is over, for a table's note: "seeds" or "seeds × folds"."""
    return "seeds × folds" if FOLD in df.columns else "seeds"


def count_repetitions(df: pd.DataFrame) -> int:
    """How many distinct repetitions (seed, or seed x fold) a frame's rows come from."""
    return int(len(df[repetition_keys(df)].drop_duplicates()))


Metrics = list[tuple[str, dict[str, Any]]]


def read_metrics(metrics_paths: Iterable[str | os.PathLike[str]]) -> Metrics:
    """Each metrics.json, checked against its record, with its path (read once)."""
    return [(str(p), read_json_result(p, "metrics")) for p in metrics_paths]


def other_code(metrics: Metrics) -> list[str]:
    """The metrics files made by other code than the running imbench (their provenance's
    ``code_sha256``; none recorded counts as other)."""
    from .provenance import code_digest

    current = code_digest()
    return [path for path, data in metrics
            if (data.get("provenance") or {}).get("code_sha256") != current]


def other_code_text(stale: list[str], n_cells: int) -> str:
    """``results/other_code.txt``: a sentence, then the metrics files made by other code
    (the report's index opens with them)."""
    if not stale:
        return f"0 of {n_cells} cells were made by other imbench code.\n"
    return (f"{len(stale)} of {n_cells} cells were made by other imbench code than the one "
            "that wrote results/summary.csv; `snakemake --forcerun $(python -m imbench.stale)` "
            "reruns exactly what they came from.\n" + "".join(f"{p}\n" for p in stale))


def collect(metrics_paths: Iterable[str | os.PathLike[str]]) -> pd.DataFrame:
    """:func:`metrics_frame` of the files at ``metrics_paths``."""
    return metrics_frame(read_metrics(metrics_paths))


def metrics_frame(metrics: Metrics) -> pd.DataFrame:
    """Tidy frame, one row per cell × scalar metric (columns ``COLUMNS``).

    The cell identity comes from each file's ``"cell"`` dict, never from its path. Metrics that
    are null in a file (e.g. ``minority_recall`` without minority classes) get no row. Rows are
    sorted by cell, then by the order of ``METRIC_NAMES``.
    """
    rows = []
    seen: dict[tuple, str] = {}
    for path, data in metrics:
        cell = data.get("cell")
        if not isinstance(cell, dict) or any(k not in cell for k in CELL_KEYS):
            raise ValueError(f"{path}: 'cell' must name {', '.join(CELL_KEYS)}")
        fold = cell.get(FOLD)
        ident = (*(str(cell[k]) if k != "seed" else int(cell[k]) for k in CELL_KEYS),
                 None if fold is None else int(fold))
        # Two files claiming the same cell would silently double-count a seed.
        if ident in seen:
            raise ValueError(f"{path} and {seen[ident]} both describe cell {ident}")
        seen[ident] = str(path)
        for metric in METRIC_NAMES:
            value = data.get(metric)
            if value is None:
                continue
            rows.append((*ident, metric, float(value)))
    df = pd.DataFrame(rows, columns=[*CELL_KEYS, FOLD, "metric", "value"])
    df["seed"] = df["seed"].astype(np.int64)
    folds = df[FOLD].notna()
    if folds.all() and len(df):
        df[FOLD] = df[FOLD].astype(np.int64)
    elif folds.any():
        raise ValueError("some cells name a fold and others do not: results of two grids")
    else:
        df = df.drop(columns=FOLD)
    df["value"] = df["value"].astype(np.float64)
    order = {m: i for i, m in enumerate(METRIC_NAMES)}
    df["_order"] = df["metric"].map(order)
    keys = [*CELL_KEYS, *([FOLD] if FOLD in df.columns else [])]
    df = df.sort_values([*keys, "_order"], kind="mergesort").drop(columns="_order")
    return df.reset_index(drop=True)


def write_summary(df: pd.DataFrame, csv_path: str | os.PathLike[str]) -> None:
    """Write the tidy frame as CSV atomically (``\\n`` line ends, full float precision)."""
    write_text(csv_path, df.to_csv(index=False, lineterminator="\n"))


def read_summary(csv_path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read ``write_summary``'s CSV back with the dtypes of ``collect``.

    Identity columns stay strings: pandas' default NA parsing would turn a config name such as
    ``NA`` or ``None`` into NaN, and a NaN row silently vanishes from a groupby.
    """
    dtypes = {k: str for k in (*CELL_KEYS, "metric") if k != "seed"}
    return pd.read_csv(
        csv_path, dtype={**dtypes, "seed": np.int64, FOLD: np.int64, "value": np.float64},
        keep_default_na=False, na_values={"value": ["nan", "NaN", ""]},
    )


def format_mean_std(values: Iterable[float], *, scale: float = 100.0, digits: int = 2) -> str:
    """``"mean ± std"`` (std with ddof=1) of the finite values times ``scale`` (percent by
    default), ``digits`` decimals; ``mean (n=1)`` for one value, ``–`` for none (module
    doc)."""
    arr = np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=np.float64)
    if arr.size == 0:
        return "–"
    mean = scale * arr.mean()
    if arr.size == 1:
        return f"{mean:.{digits}f} (n=1)"
    return f"{mean:.{digits}f} ± {scale * arr.std(ddof=1):.{digits}f}"


def markdown_tables(df: pd.DataFrame) -> dict[str, str]:
    """One markdown table per dataset (sorted), rows sorted by variant."""
    tables: dict[str, str] = {}
    present = set(df["metric"])
    metrics = [m for m in METRIC_NAMES if m in present]
    for dataset in sorted(df["dataset"].unique()):
        sub = df[df["dataset"] == dataset]
        header = [*VARIANT_KEYS, "repetitions" if FOLD in df.columns else "seeds", *metrics]
        lines = [
            "| " + " | ".join(header) + " |",
            "|" + "|".join(["---"] * len(VARIANT_KEYS) + ["---:"] * (1 + len(metrics))) + "|",
        ]
        for variant, group in sub.groupby(list(VARIANT_KEYS), sort=True, dropna=False):
            cells = [str(v) for v in variant]
            cells.append(str(count_repetitions(group)))
            for metric in metrics:
                cells.append(format_mean_std(group.loc[group["metric"] == metric, "value"]))
            lines.append("| " + " | ".join(cells) + " |")
        over = repetition_words(df)
        note = (
            f"Dataset `{dataset}`: mean ± sample std (ddof=1) over {over}, in percent; "
            "`(n=1)`: a single seed, std undefined."
        )
        tables[str(dataset)] = note + "\n\n" + "\n".join(lines) + "\n"
    return tables


def write_tables(df: pd.DataFrame, out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write ``{out_dir}/{dataset}.md`` for each dataset; return the paths written."""
    out_dir = Path(out_dir)
    paths = []
    for dataset, text in markdown_tables(df).items():
        path = out_dir / f"{dataset}.md"
        write_text(path, text)
        paths.append(path)
    return paths

"""A preset's published numbers (its ``published:`` block), resolved against the grid.

Each number names the cell it belongs to and, for a change, the cell it is measured against;
both must be cells of the grid (after ``rename``, which the quick scale uses for its renamed
datasets and original imbalance), so a typo fails at DAG build, not in the report job.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ConfigError
from . import layout
from .grid import Grid

#: metrics.json keys holding per-class values, addressed as ``<key>.<class>[.<field>]``
PER_CLASS_KEYS = ("per_class", "auc_per_class", "pr_auc_per_class", "minority_recall_per_class")
CELL_AXES = ("dataset", "imbalance", "augmenter", "classifier")
_RENAME_SECTION = {"dataset": "datasets", "imbalance": "imbalances", "augmenter": "augmenters",
                   "classifier": "classifiers"}
QUALITY_PREFIX = "quality:"


def _resolve_cell(cell: Mapping[str, str], rename: Mapping[str, Mapping[str, str]]
                  ) -> dict[str, str]:
    return {axis: str((rename.get(_RENAME_SECTION[axis]) or {}).get(cell[axis], cell[axis]))
            for axis in CELL_AXES}


def _check_metric(metric: str, key: str) -> None:
    from ..metrics import METRIC_NAMES

    if metric.startswith(QUALITY_PREFIX):
        head = metric[len(QUALITY_PREFIX):].split(".")[0]
        if head != "classes":
            raise ConfigError(key, metric, "quality:classes.<class>.<measure>")
        return
    head = metric.split(".")[0]
    if head not in METRIC_NAMES and head not in PER_CLASS_KEYS:
        raise ConfigError(key, metric, [*METRIC_NAMES, *(f"{k}.<class>" for k in PER_CLASS_KEYS)])


def published_not_run(grid: Grid) -> list[str]:
    """Names of the published numbers whose cells a smaller scale leaves out (the smoke
    scale runs one cell per code path); at the real scale every cell must be run."""
    block = grid.config.get("published")
    if not block or grid.config.get("scale", "real") == "real":
        return []
    return [number["name"] for number in block["numbers"] if not _run(grid, number, block)]


def _run(grid: Grid, number: Mapping[str, Any], block: Mapping[str, Any]) -> bool:
    rename = block.get("rename") or {}
    have = {(c.dataset, c.imbalance, c.augmenter, c.classifier) for c in grid.cells}
    cells = [number["cell"], *([{**number["cell"], **number["versus"]}]
                               if number.get("versus") else [])]
    return all(tuple(_resolve_cell(c, rename).values()) in have for c in cells)


def published_numbers(grid: Grid) -> list[dict[str, Any]]:
    """The ``published`` numbers with, for each, the result file of every seed of its cell
    (and of its ``versus`` cell). Raises ConfigError for a cell the grid does not have
    (below the real scale, such numbers are left out: :func:`published_not_run`)."""
    block = grid.config.get("published")
    if not block:
        return []
    rename = block.get("rename") or {}
    have = {(c.dataset, c.imbalance, c.augmenter, c.classifier, c.repetition)
            for c in grid.cells}
    repetitions = grid.repetitions()
    skip = set(published_not_run(grid))
    out = []
    for n, number in enumerate(block["numbers"]):
        if number["name"] in skip:
            continue
        key = f"published.numbers[{n}] ({number['name']})"
        metric = str(number["metric"])
        _check_metric(metric, f"{key}.metric")
        quality = metric.startswith(QUALITY_PREFIX)
        cells = {"cell": _resolve_cell(number["cell"], rename)}
        if number.get("versus"):
            cells["versus"] = _resolve_cell({**number["cell"], **number["versus"]}, rename)
        elif number.get("change"):
            raise ConfigError(f"{key}.change", number["change"], "only with versus")
        files: dict[str, list[list[Any]]] = {}
        for role, cell in cells.items():
            present = [r for r in repetitions if (*cell.values(), r) in have]
            if not present:
                raise ConfigError(f"{key}.{role}", dict(cell),
                                  "a cell of the grid (dataset, imbalance, augmenter, "
                                  "classifier as named in the config)")
            pattern = layout.QUALITY if quality else layout.METRICS
            # [seed, path], or [seed, fold, path] with folds: paired by all but the path
            files[role] = [[s, *([] if f is None else [f]),
                            layout.path(pattern, {**cell, "seed": s, "fold": f})]
                           for s, f in present]
        if quality and cells["cell"]["imbalance"] in grid.originals:
            raise ConfigError(f"{key}.cell", cells["cell"], "an imbalanced, augmented cell "
                              "(only those have a quality.json)")
        consistent = bool(number.get("consistent", True))
        if not consistent and not number.get("arithmetic"):
            raise ConfigError(f"{key}.arithmetic", None, "the arithmetic that shows the "
                              "number unsound (with consistent: false)")
        out.append({
            "name": number["name"], "metric": metric, "value": float(number["value"]),
            "where": number["where"], "quote": number.get("quote", ""),
            "notes": number.get("notes", ""), "consistent": consistent,
            "arithmetic": number.get("arithmetic", ""), "scale": float(number.get("scale", 1)),
            "change": number.get("change", "absolute") if "versus" in cells else None,
            **cells, "files": files,
        })
    return out


def published_targets(grid: Grid) -> list[dict[str, str]]:
    block = grid.config.get("published")
    return [{"preset": str(block["preset"])}] if block else []


__all__ = ["PER_CLASS_KEYS", "QUALITY_PREFIX", "published_numbers", "published_targets"]

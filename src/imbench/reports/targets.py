"""Which report files a configured grid gets, and the input files of each report rule.

``rules/common.smk`` builds one :class:`ReportPlan` over the checked workflow ``Grid``;
``rules/report.smk`` calls its methods from input functions. Figures that need generator
outputs exist only for cells with a generative augmenter; cross-cell figures only where
there is something to compare. Single-seed figures (class counts after rebalancing, sample
images, transform examples, generator progress and losses) use each cell's first configured
seed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..workflow import Grid, cell_path, imbalanced_path
from . import DEFAULT_REPORT_METRICS

#: augmenter methods whose added images are worth showing next to real ones and scoring
#: for quality (random over-sampling only duplicates; undersampling adds nothing)
SYNTHESISING_METHODS = frozenset({"smote", "transforms"})

INDEX = "reports/index.html"

#: defaults of the config's optional ``report:`` block
REPORT_DEFAULTS: dict[str, Any] = {
    "metrics": list(DEFAULT_REPORT_METRICS),
    "alpha": 0.05,
    "quality_metric": "balanced_accuracy",
}


def report_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """The config's ``report:`` block over :data:`REPORT_DEFAULTS`."""
    from ..errors import ConfigError
    from ..metrics import METRIC_NAMES

    out = {**REPORT_DEFAULTS, **dict(config.get("report") or {})}
    for key in out:
        if key not in REPORT_DEFAULTS:
            raise ConfigError(f"report.{key}", out[key], sorted(REPORT_DEFAULTS))
    metrics = list(out["metrics"])
    for m in [*metrics, out["quality_metric"]]:
        if m not in METRIC_NAMES:
            raise ConfigError("report.metrics", m, list(METRIC_NAMES))
    if not metrics:
        raise ConfigError("report.metrics", metrics, "a non-empty list of metric names")
    alpha = out["alpha"]
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise ConfigError("report.alpha", alpha, "a number in (0, 1)")
    out["metrics"] = metrics
    return out


class ReportPlan:
    def __init__(self, grid: Grid) -> None:
        self.grid = grid
        self.settings = report_settings(grid.config)
        self._generative = set(grid.augmenters_needing_generator())
        self._protocols = self.imbalance_protocols()

    # -- config views (rule params) ------------------------------------------------------
    def augmenter_methods(self) -> dict[str, str]:
        return {a: self.grid.augmenter_cfg(a)["method"] for a in self.grid.names("augmenters")}

    def imbalance_protocols(self) -> dict[str, str]:
        """``{imbalance: protocol}`` as the reports read it: ``"none"`` for the original set
        and also for any protocol that leaves every class the same size on every dataset it
        runs on (a balanced subsample standing in for the original, e.g. in quick presets),
        so that it is the "original" row and reference of the tables and figures."""
        out = {}
        for i in self.grid.names("imbalances"):
            protocol = self.grid.imbalance_cfg(i)["protocol"]
            datasets = {c.dataset for c in self.grid.cells if c.imbalance == i}
            counts = [self.grid.expected_counts(d, i) for d in sorted(datasets)]
            if datasets and all(c is not None and len(set(c)) == 1 for c in counts):
                protocol = "none"
            out[i] = protocol
        return out

    def order(self) -> dict[str, list[str]]:
        return {"imbalance": self.grid.names("imbalances"),
                "augmenter": self.grid.names("augmenters"),
                "classifier": self.grid.names("classifiers")}

    def _method(self, augmenter: str) -> str:
        return self.grid.augmenter_cfg(augmenter)["method"]

    def _imbalanced(self, imbalance: str) -> bool:
        return self._protocols.get(imbalance) != "none"

    def _first_seeds(self) -> list[tuple[str, str, str, int]]:
        """(dataset, imbalance, augmenter, first configured seed that has a cell)."""
        seeds = list(self.grid.config["seeds"])
        first: dict[tuple[str, str, str], int] = {}
        for c in self.grid.cells:
            key = (c.dataset, c.imbalance, c.augmenter)
            if key not in first or seeds.index(c.seed) < seeds.index(first[key]):
                first[key] = c.seed
        return sorted((*k, s) for k, s in first.items())

    def is_synthesising(self, augmenter: str) -> bool:
        return augmenter in self._generative or self._method(augmenter) in SYNTHESISING_METHODS

    # -- inputs ----------------------------------------------------------------------------
    def counts_inputs(self, dataset: str) -> dict[str, str]:
        """One imbalanced counts.json per imbalance of the dataset (for ρ)."""
        seeds = list(self.grid.config["seeds"])
        out: dict[str, str] = {}
        for c in sorted(self.grid.cells_of_dataset(dataset),
                        key=lambda c: seeds.index(c.seed)):
            out.setdefault(c.imbalance, imbalanced_path(dataset, c.imbalance, c.seed,
                                                         "counts.json"))
        return out

    def confusion_inputs(self, dataset: str, classifier: str) -> list[str]:
        return [cell_path(c, "metrics.json") for c in self.grid.cells
                if c.dataset == dataset and c.classifier == classifier]

    def units(self, dataset: str, imbalance: str, augmenter: str) -> list[str]:
        """Generator training units of a generative augmenter (as rules/common.smk's
        generator_dirs)."""
        return self.grid.generator_units(dataset, imbalance, augmenter)

    def unit_of_model(self, dataset: str, imbalance: str, augmenter: str, model: str) -> str:
        """The training unit whose folder holds a model's samples (``all`` holds every
        per-class model when one job trains them)."""
        units = self.units(dataset, imbalance, augmenter)
        return model if model in units else units[0]

    @staticmethod
    def model_dir(dataset: str, imbalance: str, augmenter: str, seed: Any, unit: str) -> str:
        return f"models/{dataset}/{imbalance}/{augmenter}/seed{seed}/{unit}"

    def loss_inputs(self, dataset: str, imbalance: str, augmenter: str, seed: Any
                    ) -> dict[str, list[str]]:
        units = self.units(dataset, imbalance, augmenter)
        base = [self.model_dir(dataset, imbalance, augmenter, seed, u) for u in units]
        return {"losses": [f"{b}/losses.csv" for b in base],
                "selection": [f"{b}/selection.json" for b in base],
                "counts": imbalanced_path(dataset, imbalance, seed, "counts.json")}

    def quality_files(self, dataset: str) -> dict[tuple[str, str, int], str]:
        """quality.json of every synthesising cell of the dataset on an imbalanced set."""
        out = {}
        for d, i, a, s in self.grid.unique("dataset", "imbalance", "augmenter", "seed"):
            if d == dataset and self._imbalanced(i) and self.is_synthesising(a):
                out[(i, a, s)] = f"results/{d}/{i}/{a}/seed{s}/quality.json"
        return out

    def generator_cells(self, dataset: str) -> dict[tuple[str, str, int], dict[str, list[str]]]:
        """losses.csv and selection.json of every generative cell of the dataset (all
        seeds), keyed by (imbalance, augmenter, seed)."""
        out = {}
        for d, i, a, s in self.grid.unique("dataset", "imbalance", "augmenter", "seed"):
            if d == dataset and a in self._generative and self._imbalanced(i):
                files = self.loss_inputs(d, i, a, s)
                out[(i, a, s)] = {"losses": files["losses"], "selection": files["selection"]}
        return out

    def generator_table_inputs(self, dataset: str) -> list[str]:
        paths = list(self.quality_files(dataset).values())
        for files in self.generator_cells(dataset).values():
            paths += files["losses"] + files["selection"]
        return paths

    def has_generative(self, dataset: str) -> bool:
        return any(c.dataset == dataset and c.augmenter in self._generative
                   and self._imbalanced(c.imbalance) for c in self.grid.cells)

    # -- targets ---------------------------------------------------------------------------
    def tables(self) -> list[str]:
        out = []
        for d in self.grid.names("datasets"):
            if self.grid.cells_of_dataset(d):
                out += [f"reports/tables/{d}.md", f"reports/tables/{d}.csv",
                        f"reports/tables/{d}.by_ratio.md", f"reports/tables/{d}.by_ratio.csv"]
        return out

    def class_counts(self) -> list[str]:
        out = [f"reports/class_counts/{d}/{i}/seed{s}.png"
               for d, i, s in self.grid.unique("dataset", "imbalance", "seed")]
        for d, i, a, s in self._first_seeds():
            if self._imbalanced(i) and self._method(a) != "none":
                out.append(f"reports/rebalanced_counts/{d}/{i}/{a}/seed{s}.png")
        return out

    def confusion_grids(self) -> list[str]:
        return [f"reports/confusion/{d}/{c}.png"
                for d, c in self.grid.unique("dataset", "classifier")]

    def samples(self) -> list[str]:
        return [f"reports/samples/{d}/{i}/{a}/seed{s}.png" for d, i, a, s in self._first_seeds()
                if self._imbalanced(i) and self.is_synthesising(a)]

    def transforms(self) -> list[str]:
        return [f"reports/transforms/{d}/{i}/{a}/seed{s}.png"
                for d, i, a, s in self._first_seeds()
                if self._imbalanced(i) and self._method(a) == "transforms"]

    def generators(self) -> list[str]:
        out = []
        for d, i, a, s in self._first_seeds():
            models = self.grid.generator_models(d, i, a) if self._imbalanced(i) else []
            if not models:
                continue
            base = f"reports/generators/{d}/{i}/{a}/seed{s}"
            out += [f"{base}/{m}.png" for m in models]
            out.append(f"{base}/losses.png")
        return out

    def ratio_plots(self) -> list[str]:
        return [f"reports/ratios/{d}/{c}.png"
                for d, c in self.grid.unique("dataset", "classifier")
                if any(self._imbalanced(i) for i in
                       {x.imbalance for x in self.grid.cells if x.dataset == d})]

    def quality(self) -> list[str]:
        out = []
        for d, c in self.grid.unique("dataset", "classifier"):
            if self.has_generative(d):
                out += [f"reports/quality/{d}/{c}.png", f"reports/quality/{d}/{c}.csv"]
        return out

    def changes(self) -> list[str]:
        """Change-against-baseline bars where some rebalanced variant has a baseline."""
        methods = self.augmenter_methods()
        out = []
        for d, c in self.grid.unique("dataset", "classifier"):
            have = {(x.imbalance, x.augmenter) for x in self.grid.cells
                    if x.dataset == d and x.classifier == c and self._imbalanced(x.imbalance)}
            if any(methods[a] != "none" and any((i, b) in have for b in methods
                                                if methods[b] == "none")
                   for i, a in have):
                out.append(f"reports/changes/{d}/{c}.png")
        return out

    def generator_tables(self) -> list[str]:
        out = []
        for d in self.grid.names("datasets"):
            if self.has_generative(d):
                out += [f"reports/tables/{d}.generators.md",
                        f"reports/tables/{d}.generators.quality.csv",
                        f"reports/tables/{d}.generators.times.csv"]
        return out

    def real_or_fake(self) -> list[str]:
        """The GAN rules' Real-or-Fake sheet folders (linked from the index)."""
        return [f"reports/real_or_fake/{d}/{i}/{a}/seed{s}"
                for d, i, a, s in self.grid.unique("dataset", "imbalance", "augmenter", "seed")
                if a in self._generative and self._imbalanced(i)]

    def statistics_possible(self) -> bool:
        augmenters = {c.augmenter for c in self.grid.cells if self._imbalanced(c.imbalance)}
        blocks = {(c.dataset, c.imbalance, c.classifier, c.seed) for c in self.grid.cells
                  if self._imbalanced(c.imbalance)}
        return len(augmenters) >= 2 and len(blocks) >= 2

    def statistics(self) -> list[str]:
        if not self.statistics_possible():
            return []
        return [f"reports/statistics/{m}.{ext}" for m in self.settings["metrics"]
                for ext in ("png", "md", "json")]

    def cell_confusion_matrices(self) -> list[str]:
        return [cell_path(c, "confusion_matrix.png") for c in self.grid.cells]

    def index_inputs(self) -> list[str]:
        """Every file the index links (all report targets but the index itself)."""
        return [*self.tables(), *self.generator_tables(), *self.changes(),
                *self.class_counts(), *self.confusion_grids(),
                *self.cell_confusion_matrices(), *self.samples(), *self.transforms(),
                *self.generators(), *self.ratio_plots(), *self.quality(),
                *self.statistics(), *self.real_or_fake()]

    def targets(self) -> list[str]:
        """Everything the report stage adds to the final output."""
        return [*self.index_inputs(), INDEX]

    # -- for the index ---------------------------------------------------------------------
    def index_entries(self) -> list[dict[str, str]]:
        """(section, dataset, title, path) of every linked file, in reading order."""
        entries: list[dict[str, str]] = []

        def add(section: str, dataset: str, title: str, path: str) -> None:
            entries.append({"section": section, "dataset": dataset, "title": title,
                            "path": path})

        for path in self.statistics():
            metric = path.rsplit("/", 1)[1].rsplit(".", 1)[0]
            add("Statistics", "", f"{metric}", path)
        for d in self.grid.names("datasets"):
            if not self.grid.cells_of_dataset(d):
                continue
            for p in self.tables():
                if p.startswith(f"reports/tables/{d}."):
                    add("Tables", d, p.rsplit("/", 1)[1], p)
            for p in self.generator_tables():
                if p.startswith(f"reports/tables/{d}."):
                    add("Tables", d, p.rsplit("/", 1)[1], p)
            for p in self.changes():
                if p.startswith(f"reports/changes/{d}/"):
                    add("Change against the imbalanced baseline", d, _stem(p), p)
            for p in self.ratio_plots():
                if p.startswith(f"reports/ratios/{d}/"):
                    add("Metric vs imbalance ratio", d, _stem(p), p)
            for p in self.confusion_grids():
                if p.startswith(f"reports/confusion/{d}/"):
                    add("Confusion matrices (mean over seeds)", d, _stem(p), p)
            for p in self.quality():
                if p.startswith(f"reports/quality/{d}/"):
                    add("Generator quality vs classifier gain", d, _stem(p), p)
            for p in self.class_counts():
                if p.startswith((f"reports/class_counts/{d}/", f"reports/rebalanced_counts/{d}/")):
                    add("Class counts", d, p.split(f"{d}/", 1)[1].rsplit(".", 1)[0], p)
            for p in self.samples():
                if p.startswith(f"reports/samples/{d}/"):
                    add("Real vs added images", d, p.split(f"{d}/", 1)[1].rsplit(".", 1)[0], p)
            for p in self.transforms():
                if p.startswith(f"reports/transforms/{d}/"):
                    add("Transform examples", d, p.split(f"{d}/", 1)[1].rsplit(".", 1)[0], p)
            for p in self.generators():
                if p.startswith(f"reports/generators/{d}/"):
                    kind = ("GAN loss curves" if p.endswith("losses.png")
                            else "Generator progress over epochs")
                    add(kind, d, p.split(f"{d}/", 1)[1].rsplit(".", 1)[0], p)
            for p in self.real_or_fake():
                if p.startswith(f"reports/real_or_fake/{d}/"):
                    add("Real-or-fake sheets", d, p.split(f"{d}/", 1)[1], p)
            for c in self.grid.cells_of_dataset(d):
                add("Confusion matrices per seed", d,
                    f"{c.imbalance}/{c.augmenter}/{c.classifier}/seed{c.seed}",
                    cell_path(c, "confusion_matrix.png"))
        return entries


def _stem(path: str) -> str:
    return path.rsplit("/", 1)[1].rsplit(".", 1)[0]


__all__ = ["INDEX", "REPORT_DEFAULTS", "ReportPlan", "report_settings"]

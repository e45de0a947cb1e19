"""Which report files a configured grid gets, and every report rule's inputs and params.

One table, :data:`REPORT_RULES`: an entry names a rule, the job function it runs
(``scripts/report.py`` calls it), its outputs (each with its ``report()`` caption and its
section in ``reports/index.html``), which targets a grid gets, and its inputs and params.
``rules/report.smk`` makes one rule per entry, so adding a figure is one job function, one
entry here and its caption (docs/CONVENTIONS.md).

Figures that need generator outputs exist only for cells with a generative augmenter;
cross-cell figures only where there is something to compare. Single-seed figures (class
counts after rebalancing, sample images, transform examples, generator progress and losses)
use each variant's first configured seed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..metrics import METRIC_NAMES
from ..params import Choice, ListOf, Number, Param, ParamSpec
from . import layout
from .grid import Grid
from .published import published_numbers, published_targets

#: metrics shown in figures, cross-ratio tables and statistics unless ``report.metrics`` says
#: otherwise (tables list every metric)
DEFAULT_REPORT_METRICS: tuple[str, ...] = (
    "balanced_accuracy", "f1_macro", "g_mean", "auc_ovr_macro", "accuracy",
)

COMPARE = ("augmenters", "methods")

#: the config's optional ``report:`` block
REPORT = ParamSpec(
    Param("metrics", list(DEFAULT_REPORT_METRICS), ListOf(Choice(METRIC_NAMES), min_length=1),
          "metrics drawn against the imbalance ratio, tabulated across ratios and tested for "
          "differences (names as in metrics.json)"),
    Param("alpha", 0.05, Number(0, 1, lo_open=True, hi_open=True),
          "significance level of the Friedman/Nemenyi and Holm-Wilcoxon tests"),
    Param("quality_metric", "balanced_accuracy", Choice(METRIC_NAMES),
          "metric whose gain over the imbalanced baseline the quality figure plots"),
    # data-level and loss-level remedies compete only when every pair is ranked
    Param("compare", "augmenters", Choice(COMPARE),
          "what the significance tests rank: the augmenters within each classifier, or "
          "every augmenter + classifier pair (methods)"),
)
REPORT_DEFAULTS: dict[str, Any] = REPORT.defaults()

Wildcards = Mapping[str, str]


def report_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """The config's ``report:`` block over the declared defaults."""
    out = REPORT.resolve(config.get("report"), "report")
    out["metrics"] = list(out["metrics"])
    return out


# -- the table's vocabulary -------------------------------------------------------------------
@dataclass(frozen=True)
class Indexed:
    """A file's place in reports/index.html: its section and a title made from its
    wildcards. ``open``: a markdown table shown unfolded; ``wide``: a figure shown at page
    width instead of as a thumbnail."""

    section: str
    title: str
    open: bool = False
    wide: bool = False


@dataclass(frozen=True)
class Output:
    pattern: str
    #: ``report()`` keywords (caption: a file in report/; category, subcategory, labels), or
    #: None for a file that is not in Snakemake's report
    report: Mapping[str, Any] | None = None
    index: Indexed | None = None
    directory: bool = False


@dataclass(frozen=True)
class ReportRule:
    """One report rule. ``targets(plan)`` gives the wildcards of every target the grid gets;
    ``inputs(plan, wildcards)`` and ``params(plan, wildcards)`` the job's named inputs and
    its params (passed to ``make``, a ``"module:function"`` taking a ReportJob)."""

    name: str
    make: str
    key: str
    outputs: Mapping[str, Output]
    targets: Callable[[ReportPlan], Iterable[Mapping[str, Any]]]
    inputs: Callable[[ReportPlan, Wildcards], dict[str, Any]]
    params: Callable[[ReportPlan, Wildcards], dict[str, Any]] = lambda plan, wc: {}
    constraints: Callable[[ReportPlan], dict[str, str]] = lambda plan: {}
    #: on a cluster, the group job it joins (profiles/gpu: a variant's figures with the jobs
    #: they come ready with); None for the tables and figures over the whole grid, which run
    #: on the submit host (``local``): grouped, each of them makes Snakemake walk the whole DAG
    #: once per member of its group (docs/cluster.md). ``small``: a figure of one variant
    #: (seconds, 2 GB)
    group: str | None = None
    small: bool = False

    @property
    def local(self) -> bool:
        """Runs on the submit host, never submitted (a Snakemake ``localrule``)."""
        return self.group is None


def _report(caption: str, category: str, subcategory: str = "{dataset}",
            **labels: str) -> dict[str, Any]:
    return {"caption": caption, "category": category, "subcategory": subcategory,
            "labels": labels}


# Index sections, in reading order: per dataset, what a reader came for first (the metric
# table, metric vs ρ), then comparisons, then the images; statistics after the datasets.
SECTIONS = (
    "Metric table", "Metric vs imbalance ratio", "Change against the imbalanced baseline",
    "Confusion matrices (mean over seeds)", "Generator quality vs classifier gain",
    "More tables", "Class counts", "Real vs added images", "Transform examples",
    "Generator progress over epochs", "GAN loss curves", "Classifier learning curves",
    "Real-or-fake sheets",
    "Confusion matrices per seed", "Reproduction of the study", "Statistics",
)


class ReportPlan:
    """The report targets of one checked :class:`~imbench.plan.grid.Grid`."""

    def __init__(self, grid: Grid) -> None:
        self.grid = grid
        self.settings = report_settings(grid.config)
        self._generative = set(grid.augmenters_needing_generator())
        # resolved now: a published number naming a cell the grid lacks fails the DAG build
        self.published = published_numbers(grid)

    # -- views of the grid ----------------------------------------------------------------
    def imbalanced(self, imbalance: str) -> bool:
        return imbalance not in self.grid.originals

    def adds_images(self, dataset: str, imbalance: str, augmenter: str) -> bool:
        """Whether the augmenter adds images to this set: on an imbalanced set, always; on
        an original (balanced) one only with a sampling_strategy of its own, as seed 004
        adds +250 / +500 / +1000 to a balanced tiny set. Its figures follow from this."""
        if self.imbalanced(imbalance):
            return True
        if self.grid.needs_generator(augmenter):
            return bool(self.grid.generator_units(dataset, imbalance, augmenter))
        return self.grid.augmenter_cfg(augmenter)["sampling_strategy"] != "protocol"

    def is_synthesising(self, augmenter: str) -> bool:
        return self.grid.augmenter_class(augmenter).synthesises

    def order(self) -> dict[str, list[str]]:
        return {"imbalance": self.grid.names("imbalances"),
                "augmenter": self.grid.names("augmenters"),
                "classifier": self.grid.names("classifiers")}

    def roles(self) -> dict[str, list[str]]:
        """The baseline augmenters and original imbalances, as job params."""
        return {"baselines": sorted(self.grid.baselines),
                "originals": sorted(self.grid.originals)}

    def first_repetitions(self, key: Callable[[Any], tuple[str, ...]]
                          ) -> list[tuple[tuple[str, ...], tuple[int, int | None]]]:
        """(key, its first configured repetition (seed, fold) that has a cell) for every
        ``key(cell)``, sorted by key."""
        rank = self.grid.repetition_rank
        first: dict[tuple[str, ...], tuple[int, int | None]] = {}
        for c in self.grid.cells:
            k = key(c)
            if k not in first or rank(c.repetition) < rank(first[k]):
                first[k] = c.repetition
        return sorted(first.items())

    def first_seeds(self) -> list[tuple[str, str, str, tuple[int, int | None]]]:
        """(dataset, imbalance, augmenter, its first configured repetition (seed, fold) that
        has a cell)."""
        return [(*k, r) for k, r in self.first_repetitions(
            lambda c: (c.dataset, c.imbalance, c.augmenter))]

    def variants(self) -> list[tuple[str, str, str, tuple[int, int | None]]]:
        """(dataset, imbalance, augmenter, (seed, fold)) of every rebalanced set."""
        return sorted({(c.dataset, c.imbalance, c.augmenter, c.repetition)
                       for c in self.grid.cells},
                      key=lambda t: (t[:3], self.grid.repetition_rank(t[3])))

    def counts_inputs(self, dataset: str) -> dict[str, str]:
        """One imbalanced counts.json per imbalance of the dataset (for ρ)."""
        out: dict[str, str] = {}
        for c in sorted(self.grid.cells_of_dataset(dataset),
                        key=lambda c: self.grid.repetition_rank(c.repetition)):
            out.setdefault(c.imbalance, layout.path(layout.IMBALANCED_COUNTS, c.as_dict()))
        return out

    def confusion_inputs(self, dataset: str, classifier: str) -> list[str]:
        return [c.path(layout.METRICS) for c in self.grid.cells
                if c.dataset == dataset and c.classifier == classifier]

    def unit_of_model(self, dataset: str, imbalance: str, augmenter: str, model: str) -> str:
        """The training unit whose folder holds a model's samples (``all`` holds every
        per-class model when one job trains them)."""
        units = self.grid.generator_units(dataset, imbalance, augmenter)
        return model if model in units else units[0]

    def loss_inputs(self, dataset: str, imbalance: str, augmenter: str, seed: Any,
                    fold: Any = None) -> dict[str, Any]:
        wc = {"dataset": dataset, "imbalance": imbalance, "augmenter": augmenter, "seed": seed,
              "fold": fold}
        units = self.grid.generator_units(dataset, imbalance, augmenter)
        where = self.grid.generator_wildcards(wc)
        return {"losses": [layout.path(layout.GENERATOR_LOSSES, where, unit=u) for u in units],
                "selection": [layout.path(layout.GENERATOR_SELECTION, where, unit=u)
                              for u in units],
                "counts": layout.path(layout.IMBALANCED_COUNTS, wc)}

    def quality_files(self, dataset: str) -> dict[tuple[str, str, int, int | None], str]:
        """quality.json of every synthesising cell of the dataset where it adds images,
        keyed by (imbalance, augmenter, seed, fold)."""
        out = {}
        for d, i, a, (s, f) in self.variants():
            if d == dataset and self.is_synthesising(a) and self.adds_images(d, i, a):
                out[(i, a, s, f)] = layout.path(layout.QUALITY, dataset=d, imbalance=i,
                                                augmenter=a, seed=s, fold=f)
        return out

    def quality_targets(self) -> list[str]:
        """quality.json of every generative cell whose generator adds images (every seed)."""
        return [layout.path(layout.QUALITY, dataset=d, imbalance=i, augmenter=a, seed=s,
                            fold=f)
                for d, i, a, (s, f) in self.variants()
                if a in self._generative and self.adds_images(d, i, a)]

    def generator_cells(self, dataset: str
                        ) -> dict[tuple[str, str, int, int | None], dict[str, list[str]]]:
        """losses.csv and selection.json of every generative cell of the dataset (all
        repetitions), keyed by (imbalance, augmenter, seed, fold)."""
        out = {}
        for d, i, a, (s, f) in self.variants():
            if d == dataset and a in self._generative and self.adds_images(d, i, a):
                files = self.loss_inputs(d, i, a, s, f)
                out[(i, a, s, f)] = {"losses": files["losses"], "selection": files["selection"]}
        return out

    def classifier_history(self, classifier: str) -> str | None:
        """The pattern of the file with the classifier's per-epoch history (None: none)."""
        from .stages import CLASSIFIER_STAGES

        return CLASSIFIER_STAGES[self.grid.classifier_class(classifier).stage].history

    def fit_cells(self, dataset: str) -> list[Any]:
        """The cells of ``dataset`` whose classifier trains in epochs (a history to read)."""
        return [c for c in self.grid.cells
                if c.dataset == dataset and self.classifier_history(c.classifier) is not None]

    def has_generative(self, dataset: str) -> bool:
        return any(c.dataset == dataset and c.augmenter in self._generative
                   and self.adds_images(c.dataset, c.imbalance, c.augmenter)
                   for c in self.grid.cells)

    def left_out_of_statistics(self) -> list[str]:
        """The imbalances the statistics leave out: the originals (rebalancing a balanced
        set is not the question), unless every set is one, as seed 004's balanced tiny set
        that +N images are added to, where those sets are the question."""
        if not any(self.imbalanced(i) for i in self.grid.names("imbalances")):
            return []
        return sorted(self.grid.originals)

    def statistics_possible(self) -> bool:
        left_out = set(self.left_out_of_statistics())
        cells = [c for c in self.grid.cells if c.imbalance not in left_out]
        if self.settings["compare"] == "methods":
            arms = {(c.augmenter, c.classifier) for c in cells}
            blocks = {(c.dataset, c.imbalance, c.repetition) for c in cells}
        else:
            arms = {c.augmenter for c in cells}
            blocks = {(c.dataset, c.imbalance, c.classifier, c.repetition) for c in cells}
        return len(arms) >= 2 and len(blocks) >= 2

    def datasets(self) -> list[str]:
        return [d for d in self.grid.names("datasets") if self.grid.cells_of_dataset(d)]

    # -- the table's targets ----------------------------------------------------------------
    @property
    def rules(self) -> list[ReportRule]:
        return list(REPORT_RULES.values())

    def rule_targets(self, rule: ReportRule, indexed_only: bool = False
                     ) -> list[tuple[str, dict[str, Any]]]:
        """``(pattern, wildcards)`` of every output of every target of ``rule``."""
        return [(o.pattern, dict(wc)) for wc in rule.targets(self) for o in rule.outputs.values()
                if o.index is not None or not indexed_only]

    def indexed_targets(self) -> list[tuple[str, dict[str, Any]]]:
        """Every file the index links: the report rules' outputs that have a place in it
        (all but the index itself) and the other rules' files the index shows."""
        out = []
        for rule in self.rules:
            out += self.rule_targets(rule, indexed_only=True)
        for pattern, (_, targets) in INDEXED_FILES.items():
            out += [(pattern, dict(wc)) for wc in targets(self)]
        return out

    def index_inputs(self) -> list[str]:
        return [layout.path(p, wc) for p, wc in self.indexed_targets()]

    def targets(self) -> list[str]:
        """Everything the report stage adds to the final output (the index last)."""
        return [*self.index_inputs(), layout.INDEX]

    def paths(self, name: str) -> list[str]:
        """The target files of report rule ``name``."""
        return [layout.path(p, wc) for p, wc in self.rule_targets(REPORT_RULES[name])]

    def statistics(self) -> list[str]:
        return self.paths("augmenter_statistics")

    def index_entries(self) -> list[dict[str, Any]]:
        """(section, dataset, title, path, open, wide) of every linked file, in reading order:
        datasets in config order, sections in :data:`SECTIONS` order, files in plan order;
        files of no dataset (statistics) after the datasets."""
        table = index_table()
        datasets = self.datasets()
        rows = []
        for n, (pattern, wc) in enumerate(self.indexed_targets()):
            spec = table[pattern]
            dataset = str(wc.get("dataset", ""))
            rows.append(((datasets.index(dataset) if dataset in datasets else len(datasets),
                          SECTIONS.index(spec.section), n),
                         {"section": spec.section, "dataset": dataset,
                          "title": spec.title.format(
                              **{**wc, "fold": layout.fold_token(wc.get("fold"))}),
                          "open": spec.open,
                          "wide": spec.wide, "path": layout.path(pattern, wc)}))
        return [entry for _, entry in sorted(rows, key=lambda r: r[0])]

    # -- Snakemake glue (report.smk) --------------------------------------------------------
    def input_function(self, rule: ReportRule) -> Callable[[Wildcards], dict[str, Any]]:
        def inputs(wildcards: Wildcards) -> dict[str, Any]:
            return rule.inputs(self, dict(wildcards.items()))
        return inputs

    def params_function(self, rule: ReportRule) -> Callable[[Wildcards], dict[str, Any]]:
        def params(wildcards: Wildcards) -> dict[str, Any]:
            return rule.params(self, dict(wildcards.items()))
        return params

    def constraints(self, rule: ReportRule) -> dict[str, str]:
        return rule.constraints(self)

    @staticmethod
    def snakemake_outputs(rule: ReportRule, report: Callable[..., Any],
                          directory: Callable[[str], Any]) -> dict[str, Any]:
        """The rule's ``output:`` (``report()``/``directory()`` applied), captions relative
        to rules/."""
        out = {}
        for name, o in rule.outputs.items():
            if o.report is not None:
                kw = dict(o.report)
                out[name] = report(o.pattern, caption=f"../report/{kw.pop('caption')}", **kw)
            else:
                out[name] = directory(o.pattern) if o.directory else o.pattern
        return out


# -- targets, inputs and params of each rule --------------------------------------------------
def _wc(d: str, i: str | None = None, a: str | None = None, s: Any = None, **more: Any
        ) -> dict[str, Any]:
    """Wildcards of a target; ``s`` a repetition (seed, fold) or a seed."""
    out: dict[str, Any] = {"dataset": d}
    if isinstance(s, tuple):
        s, out["fold"] = s
    for k, v in (("imbalance", i), ("augmenter", a), ("seed", s)):
        if v is not None:
            out[k] = v
    return {**out, **more}


def _by_dataset_classifier(plan: ReportPlan, keep: Callable[[str, str], bool] = lambda d, c: True
                           ) -> list[dict[str, Any]]:
    return [{"dataset": d, "classifier": c} for d, c in plan.grid.unique("dataset", "classifier")
            if keep(d, c)]


def _counts(plan: ReportPlan, wc: Wildcards) -> list[str]:
    return list(plan.counts_inputs(wc["dataset"]).values())


def _imbalances(plan: ReportPlan, wc: Wildcards) -> list[str]:
    return list(plan.counts_inputs(wc["dataset"]))


def _summary_inputs(plan: ReportPlan, wc: Wildcards) -> dict[str, Any]:
    return {"summary": layout.SUMMARY, "counts": _counts(plan, wc)}


def _rebalanced_counts_targets(plan: ReportPlan) -> list[dict[str, Any]]:
    return [_wc(d, i, a, s) for d, i, a, s in plan.first_seeds()
            if a not in plan.grid.baselines and plan.adds_images(d, i, a)]


def _samples_targets(plan: ReportPlan) -> list[dict[str, Any]]:
    return [_wc(d, i, a, s) for d, i, a, s in plan.first_seeds()
            if plan.is_synthesising(a) and plan.adds_images(d, i, a)]


def _transforms_targets(plan: ReportPlan) -> list[dict[str, Any]]:
    return [_wc(d, i, a, s) for d, i, a, s in plan.first_seeds()
            if plan.grid.augmenter_class(a).single_image and plan.adds_images(d, i, a)]


def _progress_targets(plan: ReportPlan) -> list[dict[str, Any]]:
    return [_wc(d, i, a, s, model=m) for d, i, a, s in plan.first_seeds()
            if plan.adds_images(d, i, a) for m in plan.grid.generator_models(d, i, a)]


def _losses_targets(plan: ReportPlan) -> list[dict[str, Any]]:
    return [_wc(d, i, a, s) for d, i, a, s in plan.first_seeds()
            if plan.adds_images(d, i, a) and plan.grid.generator_models(d, i, a)]


def _learning_curve_targets(plan: ReportPlan) -> list[dict[str, Any]]:
    """The first configured repetition of every cell whose classifier trains in epochs."""
    return [_wc(d, i, a, r, classifier=k) for (d, i, a, k), r in plan.first_repetitions(
        lambda c: (c.dataset, c.imbalance, c.augmenter, c.classifier))
        if plan.classifier_history(k) is not None]


def _ratio_targets(plan: ReportPlan) -> list[dict[str, Any]]:
    return _by_dataset_classifier(plan, lambda d, c: any(
        plan.imbalanced(x.imbalance) for x in plan.grid.cells if x.dataset == d))


def _changes_targets(plan: ReportPlan) -> list[dict[str, Any]]:
    """Change-against-baseline bars where some rebalanced variant has a baseline."""
    baselines = plan.grid.baselines

    def keep(d: str, c: str) -> bool:
        have = {(x.imbalance, x.augmenter) for x in plan.grid.cells
                if x.dataset == d and x.classifier == c and plan.imbalanced(x.imbalance)}
        return any(a not in baselines and any((i, b) in have for b in baselines)
                   for i, a in have)
    return _by_dataset_classifier(plan, keep)


def _generator_unit_inputs(plan: ReportPlan, wc: Wildcards) -> dict[str, Any]:
    unit = plan.unit_of_model(wc["dataset"], wc["imbalance"], wc["augmenter"], wc["model"])
    where = plan.grid.generator_wildcards(wc)
    return {"samples": layout.path(layout.GENERATOR_SAMPLES, where, unit=unit),
            "selection": layout.path(layout.GENERATOR_SELECTION, where, unit=unit),
            "counts": layout.path(layout.IMBALANCED_COUNTS, wc)}


def _generator_table_inputs(plan: ReportPlan, wc: Wildcards) -> dict[str, Any]:
    files = list(plan.quality_files(wc["dataset"]).values())
    for f in plan.generator_cells(wc["dataset"]).values():
        files += f["losses"] + f["selection"]
    return {"files": files, "counts": _counts(plan, wc)}


def _generator_table_params(plan: ReportPlan, wc: Wildcards) -> dict[str, Any]:
    d = wc["dataset"]
    return {"imbalances": _imbalances(plan, wc),
            "quality": [[*k, p] for k, p in plan.quality_files(d).items()],
            "generators": [[*k, f["losses"], f["selection"]]
                           for k, f in plan.generator_cells(d).items()],
            "order": plan.order()}


def _method(plan: ReportPlan, wc: Wildcards) -> dict[str, Any]:
    return {"method": plan.grid.augmenter_cfg(wc["augmenter"])["method"]}


def _generative_constraint(plan: ReportPlan) -> dict[str, str]:
    return {"augmenter": plan.grid.regex("augmenters", plan.grid.augmenters_needing_generator())}


_BUILD = "imbench.reports.build"
_CS = layout.DATASET_CLASSIFIER

REPORT_RULES: dict[str, ReportRule] = {r.name: r for r in [
    ReportRule(
        name="plot_class_counts", make=f"{_BUILD}:class_counts", key=layout.IMBALANCED_SET,
        group="imbalance", small=True,
        outputs={"plot": Output(
            layout.CLASS_COUNTS,
            _report("class_counts.rst", "Class counts", imbalance="{imbalance}",
                    augmenter="(before rebalancing)", seed="{seed}{fold}"),
            Indexed("Class counts", "{imbalance}/seed{seed}{fold}"))},
        targets=lambda plan: [_wc(d, i, s=(s, f)) for d, i, s, f in
                              plan.grid.unique("dataset", "imbalance", "seed", "fold")],
        inputs=lambda plan, wc: {"counts": layout.path(layout.IMBALANCED_COUNTS, wc)},
    ),
    ReportRule(
        name="plot_rebalanced_counts", make=f"{_BUILD}:rebalanced_counts", key=layout.VARIANT,
        group="variant_{augmenter}", small=True,
        outputs={"plot": Output(
            layout.REBALANCED_COUNTS,
            _report("rebalanced_counts.rst", "Class counts", imbalance="{imbalance}",
                    augmenter="{augmenter}", seed="{seed}{fold}"),
            Indexed("Class counts", "{imbalance}/{augmenter}/seed{seed}{fold}"))},
        targets=_rebalanced_counts_targets,
        inputs=lambda plan, wc: {"imbalanced": layout.path(layout.IMBALANCED_COUNTS, wc),
                                 "rebalanced": layout.path(layout.TRAIN_COUNTS, wc)},
    ),
    ReportRule(
        name="metric_tables", make=f"{_BUILD}:metric_tables", key=layout.DATASET,
        outputs={
            "table": Output(layout.TABLE, _report("metric_table.rst", "Tables",
                                                  dataset="{dataset}",
                                                  table="variants × metrics"),
                            Indexed("Metric table", "{dataset}.md", open=True)),
            "csv": Output(layout.TABLE_CSV, index=Indexed("More tables", "{dataset}.csv")),
            "by_ratio": Output(layout.RATIO_TABLE,
                               _report("ratio_table.rst", "Tables", dataset="{dataset}",
                                       table="augmenters × imbalance ratios"),
                               Indexed("More tables", "{dataset}.by_ratio.md")),
            "by_ratio_csv": Output(layout.RATIO_TABLE_CSV,
                                   index=Indexed("More tables", "{dataset}.by_ratio.csv")),
        },
        targets=lambda plan: [{"dataset": d} for d in plan.datasets()],
        inputs=_summary_inputs,
        params=lambda plan, wc: {"imbalances": _imbalances(plan, wc), "order": plan.order(),
                                 "metrics": plan.settings["metrics"], **plan.roles()},
    ),
    ReportRule(
        name="fit_tables", make=f"{_BUILD}:fit_tables", key=layout.DATASET,
        outputs={
            "table": Output(layout.FIT_TABLE,
                            _report("fit_table.rst", "Tables", dataset="{dataset}",
                                    table="train / validation / test"),
                            Indexed("More tables", "{dataset}.fit.md")),
            "csv": Output(layout.FIT_TABLE_CSV, index=Indexed("More tables", "{dataset}.fit.csv")),
        },
        targets=lambda plan: [{"dataset": d} for d in plan.datasets() if plan.fit_cells(d)],
        inputs=lambda plan, wc: {
            "reports": [layout.path(plan.classifier_history(c.classifier), c.as_dict())
                        for c in plan.fit_cells(wc["dataset"])],
            "metrics": [c.path(layout.METRICS) for c in plan.fit_cells(wc["dataset"])]},
        params=lambda plan, wc: {
            "cells": [[c.imbalance, c.augmenter, c.classifier, c.seed, c.fold]
                      for c in plan.fit_cells(wc["dataset"])], "order": plan.order()},
    ),
    ReportRule(
        name="confusion_grid", make=f"{_BUILD}:confusion_grid", key=_CS,
        outputs={"plot": Output(
            layout.CONFUSION_GRID,
            _report("confusion_grid.rst", "Confusion matrices (grids)", dataset="{dataset}",
                    classifier="{classifier}"),
            Indexed("Confusion matrices (mean over seeds)", "{classifier}"))},
        targets=_by_dataset_classifier,
        inputs=lambda plan, wc: {"metrics": plan.confusion_inputs(wc["dataset"],
                                                                  wc["classifier"]),
                                 "counts": _counts(plan, wc)},
        params=lambda plan, wc: {"imbalances": _imbalances(plan, wc), "order": plan.order(),
                                 **plan.roles()},
    ),
    ReportRule(
        name="plot_samples", make=f"{_BUILD}:samples", key=layout.VARIANT,
        group="variant_{augmenter}", small=True,
        outputs={"plot": Output(
            layout.SAMPLES,
            _report("samples.rst", "Real vs added images", imbalance="{imbalance}",
                    augmenter="{augmenter}", seed="{seed}{fold}"),
            Indexed("Real vs added images", "{imbalance}/{augmenter}/seed{seed}{fold}"))},
        targets=_samples_targets,
        inputs=lambda plan, wc: {"train": layout.path(layout.TRAIN, wc),
                                 "counts": layout.path(layout.IMBALANCED_COUNTS, wc)},
        params=_method,
    ),
    ReportRule(
        name="plot_transforms", make=f"{_BUILD}:transforms", key=layout.VARIANT,
        group="variant_{augmenter}", small=True,
        outputs={"plot": Output(
            layout.TRANSFORMS,
            _report("transforms.rst", "Transform examples", imbalance="{imbalance}",
                    augmenter="{augmenter}", seed="{seed}{fold}"),
            Indexed("Transform examples", "{imbalance}/{augmenter}/seed{seed}{fold}"))},
        targets=_transforms_targets,
        inputs=lambda plan, wc: {"imbalanced": layout.path(layout.IMBALANCED, wc),
                                 "counts": layout.path(layout.IMBALANCED_COUNTS, wc),
                                 "rebalanced": layout.path(layout.TRAIN_COUNTS, wc)},
        params=lambda plan, wc: {
            **_method(plan, wc), "params": plan.grid.augmenter_cfg(wc["augmenter"])["params"],
            "flip_safe": plan.grid.spec(wc["dataset"]).flip_safe},
    ),
    ReportRule(
        name="plot_generator_progress", make=f"{_BUILD}:generator_progress",
        key=f"{layout.VARIANT}/{{model}}", group="generator_plots_{augmenter}", small=True,
        outputs={"plot": Output(
            layout.GENERATOR_PROGRESS,
            _report("generator_progress.rst", "Generator progress", imbalance="{imbalance}",
                    augmenter="{augmenter}", model="{model}", seed="{seed}{fold}"),
            Indexed("Generator progress over epochs",
                    "{imbalance}/{augmenter}/seed{seed}{fold}/{model}"))},
        targets=_progress_targets,
        inputs=_generator_unit_inputs,
        params=_method,
        constraints=lambda plan: {**_generative_constraint(plan),
                                  "model": r"class\d+|conditional|all"},
    ),
    ReportRule(
        name="plot_gan_losses", make=f"{_BUILD}:gan_losses", key=layout.VARIANT,
        group="generator_plots_{augmenter}", small=True,
        outputs={"plot": Output(
            layout.GAN_LOSSES,
            _report("gan_losses.rst", "GAN loss curves", imbalance="{imbalance}",
                    augmenter="{augmenter}", seed="{seed}{fold}"),
            Indexed("GAN loss curves", "{imbalance}/{augmenter}/seed{seed}{fold}/losses"))},
        targets=_losses_targets,
        inputs=lambda plan, wc: plan.loss_inputs(wc["dataset"], wc["imbalance"],
                                                 wc["augmenter"], wc["seed"], wc["fold"]),
        params=_method,
        constraints=_generative_constraint,
    ),
    ReportRule(
        name="plot_learning_curves", make=f"{_BUILD}:learning_curves", key=layout.CELL,
        # with its cell: the training set's group would hold the job before the (ungrouped)
        # GPU training and the one after it, a group depending on itself
        group="cell_{augmenter}_{classifier}", small=True,
        outputs={"plot": Output(
            layout.LEARNING_CURVES,
            _report("learning_curves.rst", "Classifier learning curves",
                    imbalance="{imbalance}", augmenter="{augmenter}",
                    classifier="{classifier}", seed="{seed}{fold}"),
            Indexed("Classifier learning curves",
                    "{imbalance}/{augmenter}/{classifier}/seed{seed}{fold}"))},
        targets=_learning_curve_targets,
        inputs=lambda plan, wc: {"report": layout.path(
            plan.classifier_history(wc["classifier"]) or layout.TRAIN_REPORT, wc)},
    ),
    ReportRule(
        name="plot_metric_vs_ratio", make=f"{_BUILD}:metric_vs_ratio", key=_CS,
        outputs={"plot": Output(
            layout.RATIOS,
            _report("metric_vs_ratio.rst", "Metric vs imbalance ratio", dataset="{dataset}",
                    classifier="{classifier}"),
            Indexed("Metric vs imbalance ratio", "{classifier}", wide=True))},
        targets=_ratio_targets,
        inputs=_summary_inputs,
        params=lambda plan, wc: {"imbalances": _imbalances(plan, wc),
                                 "metrics": plan.settings["metrics"],
                                 "augmenters": plan.grid.names("augmenters"), **plan.roles()},
    ),
    ReportRule(
        name="plot_quality_vs_gain", make=f"{_BUILD}:quality_vs_gain", key=_CS,
        outputs={
            "plot": Output(layout.QUALITY_PLOT,
                           _report("quality_vs_gain.rst", "Generator quality vs classifier gain",
                                   dataset="{dataset}", classifier="{classifier}"),
                           Indexed("Generator quality vs classifier gain", "{classifier}")),
            "csv": Output(layout.QUALITY_CSV,
                          index=Indexed("Generator quality vs classifier gain",
                                        "{classifier}")),
            "precision_recall": Output(
                layout.PRECISION_RECALL,
                _report("precision_recall.rst", "Generator quality vs classifier gain",
                        dataset="{dataset}", classifier="{classifier}"),
                Indexed("Generator quality vs classifier gain",
                        "precision and recall of the added images")),
        },
        targets=lambda plan: _by_dataset_classifier(plan, lambda d, c: plan.has_generative(d)),
        inputs=lambda plan, wc: {"summary": layout.SUMMARY,
                                 "quality": list(plan.quality_files(wc["dataset"]).values())},
        params=lambda plan, wc: {"cells": [list(k) for k in plan.quality_files(wc["dataset"])],
                                 "metric": plan.settings["quality_metric"],
                                 "augmenters": plan.grid.names("augmenters"), **plan.roles()},
    ),
    ReportRule(
        name="augmenter_statistics", make=f"{_BUILD}:statistics", key="{metric}",
        outputs={
            "plot": Output(layout.STATISTICS_PLOT,
                           _report("statistics.rst", "Significance tests", "all datasets",
                                   metric="{metric}"),
                           Indexed("Statistics", "{metric}")),
            "markdown": Output(layout.STATISTICS_TABLE,
                               _report("statistics.rst", "Significance tests",
                                       "all datasets (tables)", metric="{metric}"),
                               Indexed("Statistics", "{metric}")),
            "json": Output(layout.STATISTICS_JSON, index=Indexed("Statistics", "{metric}")),
        },
        targets=lambda plan: ([{"metric": m} for m in plan.settings["metrics"]]
                              if plan.statistics_possible() else []),
        inputs=lambda plan, wc: {"summary": layout.SUMMARY},
        params=lambda plan, wc: {"alpha": plan.settings["alpha"],
                                 "compare": plan.settings["compare"],
                                 "augmenters": plan.grid.names("augmenters"), **plan.roles(),
                                 "originals": plan.left_out_of_statistics()},
        constraints=lambda plan: {"metric": "|".join(plan.settings["metrics"])},
    ),
    ReportRule(
        name="reproduction", make=f"{_BUILD}:reproduction", key="{preset}",
        outputs={
            "table": Output(layout.REPRODUCTION,
                            _report("reproduction.rst", "Reproduction", "{preset}",
                                    preset="{preset}"),
                            Indexed("Reproduction of the study", "{preset}.md", open=True)),
            "plot": Output(layout.REPRODUCTION_PLOT,
                           _report("reproduction.rst", "Reproduction", "{preset} (figure)",
                                   preset="{preset}"),
                           Indexed("Reproduction of the study", "{preset}", wide=True)),
            "csv": Output(layout.REPRODUCTION_CSV,
                          index=Indexed("Reproduction of the study", "{preset}.csv")),
        },
        targets=lambda plan: published_targets(plan.grid),
        # files: [seed, (fold,) path] per repetition
        inputs=lambda plan, wc: {"files": sorted({entry[-1] for n in plan.published
                                                  for entries in n["files"].values()
                                                  for entry in entries})},
        params=lambda plan, wc: {"numbers": plan.published,
                                 "source": plan.grid.config["published"]["source"],
                                 "scale": plan.grid.config.get("scale", "real")},
        constraints=lambda plan: {"preset": r"[A-Za-z0-9_]+"},
    ),
    ReportRule(
        name="report_index", make=f"{_BUILD}:index", key="index",
        outputs={"index": Output(layout.INDEX)},
        targets=lambda plan: [{}],
        inputs=lambda plan, wc: {"files": plan.index_inputs()},
        params=lambda plan, wc: {"entries": plan.index_entries()},
    ),
    ReportRule(
        name="plot_changes", make=f"{_BUILD}:change_bars", key=_CS,
        outputs={"plot": Output(
            layout.CHANGES,
            _report("changes.rst", "Change against the imbalanced baseline",
                    dataset="{dataset}", classifier="{classifier}"),
            Indexed("Change against the imbalanced baseline", "{classifier}"))},
        targets=_changes_targets,
        inputs=_summary_inputs,
        params=lambda plan, wc: {"imbalances": _imbalances(plan, wc),
                                 "metrics": plan.settings["metrics"], "order": plan.order(),
                                 "augmenters": plan.grid.names("augmenters"), **plan.roles()},
    ),
    ReportRule(
        name="generator_tables", make=f"{_BUILD}:generator_tables", key=layout.DATASET,
        outputs={
            "table": Output(layout.GENERATOR_TABLE,
                            _report("generator_tables.rst", "Tables", dataset="{dataset}",
                                    table="generator quality and time"),
                            Indexed("More tables", "{dataset}.generators.md")),
            "quality": Output(layout.GENERATOR_QUALITY_CSV,
                              index=Indexed("More tables", "{dataset}.generators.quality.csv")),
            "times": Output(layout.GENERATOR_TIMES_CSV,
                            index=Indexed("More tables", "{dataset}.generators.times.csv")),
        },
        targets=lambda plan: [{"dataset": d} for d in plan.grid.names("datasets")
                              if plan.has_generative(d)],
        inputs=_generator_table_inputs,
        params=_generator_table_params,
    ),
]}

#: report rule -> the group job it joins on a cluster (profiles/gpu/config.yaml reads these)
REPORT_GROUPS: dict[str, str] = {r.name: r.group for r in REPORT_RULES.values() if r.group}
#: report rules run on the submit host (rules/report.smk marks them local)
LOCAL_REPORT_RULES: list[str] = [r.name for r in REPORT_RULES.values() if r.local]
#: report rules that draw one small figure of one variant (seconds, 2 GB on a cluster)
SMALL_REPORT_RULES: list[str] = [r.name for r in REPORT_RULES.values() if r.small]

#: files of other rules that the index links: pattern -> (its place, its targets)
INDEXED_FILES: dict[str, tuple[Indexed, Callable[[ReportPlan], list[dict[str, Any]]]]] = {
    layout.REAL_OR_FAKE: (
        Indexed("Real-or-fake sheets", "{imbalance}/{augmenter}/seed{seed}{fold}"),
        lambda plan: [_wc(d, i, a, r) for d, i, a, r in plan.variants()
                      if a in plan._generative and plan.adds_images(d, i, a)]),
    layout.CONFUSION: (
        Indexed("Confusion matrices per seed",
                "{imbalance}/{augmenter}/{classifier}/seed{seed}{fold}"),
        lambda plan: [c.as_dict() for c in plan.grid.cells]),
}


def index_table() -> dict[str, Indexed]:
    """pattern -> its section and title in reports/index.html (from the report rules'
    outputs and :data:`INDEXED_FILES`)."""
    table = {o.pattern: o.index for r in REPORT_RULES.values() for o in r.outputs.values()
             if o.index is not None}
    table.update({p: spec for p, (spec, _) in INDEXED_FILES.items()})
    return table


__all__ = ["DEFAULT_REPORT_METRICS", "INDEXED_FILES", "LOCAL_REPORT_RULES", "REPORT_DEFAULTS",
           "REPORT_GROUPS", "REPORT_RULES", "SECTIONS", "SMALL_REPORT_RULES", "Indexed", "Output",
           "ReportPlan", "ReportRule", "index_table", "report_settings"]

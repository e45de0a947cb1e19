"""The report stage as a grid plans it: its settings (the config's ``report:`` block) and
:class:`ReportPlan`, which answers the rule table's questions (:mod:`.report_rules`: which
report files a grid gets, and each rule's inputs and params) for one configured grid.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..metrics import METRIC_NAMES
from ..params import Choice, ListOf, Number, Param, ParamSpec
from . import card, layout
from .grid import Grid
from .published import published_numbers
from .report_rules import (
    INDEXED_FILES,
    LOCAL_REPORT_RULES,
    REPORT_GROUPS,
    REPORT_RULES,
    SECTIONS,
    SMALL_REPORT_RULES,
    Indexed,
    Output,
    ReportRule,
    Wildcards,
    index_table,
)

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

def report_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """The config's ``report:`` block over the declared defaults."""
    out = REPORT.resolve(config.get("report"), "report")
    out["metrics"] = list(out["metrics"])
    return out


class ReportPlan:
    """The report targets of one checked :class:`~imbench.plan.grid.Grid`."""

    def __init__(self, grid: Grid) -> None:
        self.grid = grid
        self.settings = report_settings(grid.config)
        self._generative = set(grid.augmenters_needing_generator())
        # checked now: a missing card item, or a published number naming a cell the grid
        # lacks, fails the DAG build
        card.check(grid.config)
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

    def is_generative(self, augmenter: str) -> bool:
        """The augmenter samples a trained generator."""
        return augmenter in self._generative

    def has_generative(self, dataset: str, classifier: str | None = None) -> bool:
        """Whether some cell of the dataset (and classifier) adds generated images."""
        return any(c.dataset == dataset and classifier in (None, c.classifier)
                   and c.augmenter in self._generative
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


__all__ = ["DEFAULT_REPORT_METRICS", "INDEXED_FILES", "LOCAL_REPORT_RULES", "REPORT",
           "REPORT_DEFAULTS", "REPORT_GROUPS", "REPORT_RULES", "SECTIONS", "SMALL_REPORT_RULES",
           "Indexed", "Output", "ReportPlan", "ReportRule", "index_table", "report_settings"]

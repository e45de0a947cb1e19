"""The report rules' table: one entry per rule, each naming the job function it runs
(``scripts/report.py`` calls it), its outputs (each with its ``report()`` caption and its
section in ``reports/index.html``), which targets a grid gets, and its inputs, params and
wildcard constraints -- all named functions of the :class:`~.reports.ReportPlan`.
``rules/report.smk`` makes one rule per entry, so adding a figure is one job function, one
entry here and its caption (docs/contributing.md).

Figures that need generator outputs exist only for cells with a generative augmenter;
cross-cell figures only where there is something to compare. Single-seed figures (class
counts after rebalancing, sample images, transform examples, generator progress and losses)
use each variant's first configured seed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import card, layout
from .published import published_not_run, published_targets

if TYPE_CHECKING:
    from .reports import ReportPlan

Wildcards = Mapping[str, str]


# -- the table's vocabulary -------------------------------------------------------------------
# Index sections, in reading order: per dataset, what a reader came for first (the
# leaderboard and the change figure at page width, then the metric table, folded, and
# metric vs ρ), then comparisons, then the images; statistics after the datasets.
SECTIONS = (
    "Leaderboard", "Change against the imbalanced baseline", "Metric table",
    "Metric vs imbalance ratio",
    "Confusion matrices (mean over seeds)", "Generator quality vs classifier gain",
    "More tables", "Class counts", "Real vs added images", "Transform examples",
    "Generator progress over epochs", "GAN loss curves", "Classifier learning curves",
    "Real-or-fake sheets",
    "Confusion matrices per seed", "Reproduction of the study", "Statistics",
)




def _no_params(plan: ReportPlan, wc: Wildcards) -> dict[str, Any]:
    return {}


def _no_constraints(plan: ReportPlan) -> dict[str, str]:
    return {}


@dataclass(frozen=True)
class Indexed:
    """A file's place in reports/index.html: its section and a title made from its
    wildcards. ``open``: a markdown table shown unfolded; ``wide``: a figure shown at page
    width instead of as a thumbnail."""

    section: str
    title: str
    open: bool = False
    wide: bool = False

    def __post_init__(self) -> None:
        if self.section not in SECTIONS:
            raise ValueError(f"index section {self.section!r} of {self.title!r}; allowed: "
                             + ", ".join(repr(s) for s in SECTIONS))


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
    params: Callable[[ReportPlan, Wildcards], dict[str, Any]] = _no_params
    constraints: Callable[[ReportPlan], dict[str, str]] = _no_constraints
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


def _by_dataset_classifier(plan: ReportPlan, keep: Callable[[str, str], bool] | None = None
                           ) -> list[dict[str, Any]]:
    return [{"dataset": d, "classifier": c} for d, c in plan.grid.unique("dataset", "classifier")
            if keep is None or keep(d, c)]


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


def _cell_key(c: Any) -> tuple[str, ...]:
    return c.dataset, c.imbalance, c.augmenter, c.classifier


def _learning_curve_targets(plan: ReportPlan) -> list[dict[str, Any]]:
    """The first configured repetition of every cell whose classifier trains in epochs."""
    return [_wc(d, i, a, r, classifier=k)
            for (d, i, a, k), r in plan.first_repetitions(_cell_key)
            if plan.classifier_history(k) is not None]


def _ratio_targets(plan: ReportPlan) -> list[dict[str, Any]]:
    """Metric against the imbalance ratio where the classifier ran on an imbalanced set of
    the dataset and on some other set: one ratio is no curve (seed003's ``_last`` variants
    may run on balanced sets only, a remedy on one imbalanced set)."""
    def keep(d: str, c: str) -> bool:
        ran = {x.imbalance for x in plan.grid.cells if x.dataset == d and x.classifier == c}
        return len(ran) > 1 and any(plan.imbalanced(i) for i in ran)
    return _by_dataset_classifier(plan, keep)


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


# -- the rules' own targets, inputs, params and constraints ----------------------------------
def _each_dataset(plan: ReportPlan) -> list[dict[str, Any]]:
    return [{"dataset": d} for d in plan.datasets()]


def _class_counts_targets(plan: ReportPlan) -> list[dict[str, Any]]:
    return [_wc(d, i, s=(s, f))
            for d, i, s, f in plan.grid.unique("dataset", "imbalance", "seed", "fold")]


def _class_counts_inputs(plan: ReportPlan, wc: Wildcards) -> dict[str, Any]:
    return {"counts": layout.path(layout.IMBALANCED_COUNTS, wc)}


def _rebalanced_counts_inputs(plan: ReportPlan, wc: Wildcards) -> dict[str, Any]:
    return {"imbalanced": layout.path(layout.IMBALANCED_COUNTS, wc),
            "rebalanced": layout.path(layout.TRAIN_COUNTS, wc)}


def _metric_table_params(plan: ReportPlan, wc: Wildcards) -> dict[str, Any]:
    return {"imbalances": _imbalances(plan, wc), "order": plan.order(),
            "metrics": plan.settings["metrics"], **plan.roles()}


def _fit_targets(plan: ReportPlan) -> list[dict[str, Any]]:
    return [{"dataset": d} for d in plan.datasets() if plan.fit_cells(d)]


def _fit_inputs(plan: ReportPlan, wc: Wildcards) -> dict[str, Any]:
    cells = plan.fit_cells(wc["dataset"])
    return {"reports": [layout.path(plan.classifier_history(c.classifier), c.as_dict())
                        for c in cells],
            "metrics": [c.path(layout.METRICS) for c in cells]}


def _fit_params(plan: ReportPlan, wc: Wildcards) -> dict[str, Any]:
    return {"cells": [[c.imbalance, c.augmenter, c.classifier, c.seed, c.fold]
                      for c in plan.fit_cells(wc["dataset"])], "order": plan.order()}


def _confusion_grid_inputs(plan: ReportPlan, wc: Wildcards) -> dict[str, Any]:
    return {"metrics": plan.confusion_inputs(wc["dataset"], wc["classifier"]),
            "counts": _counts(plan, wc)}


def _confusion_grid_params(plan: ReportPlan, wc: Wildcards) -> dict[str, Any]:
    return {"imbalances": _imbalances(plan, wc), "order": plan.order(), **plan.roles()}


def _samples_inputs(plan: ReportPlan, wc: Wildcards) -> dict[str, Any]:
    return {"train": layout.path(layout.TRAIN, wc),
            "counts": layout.path(layout.IMBALANCED_COUNTS, wc)}


def _transforms_inputs(plan: ReportPlan, wc: Wildcards) -> dict[str, Any]:
    return {"imbalanced": layout.path(layout.IMBALANCED, wc),
            "counts": layout.path(layout.IMBALANCED_COUNTS, wc),
            "rebalanced": layout.path(layout.TRAIN_COUNTS, wc)}


def _transforms_params(plan: ReportPlan, wc: Wildcards) -> dict[str, Any]:
    return {**_method(plan, wc), "params": plan.grid.augmenter_cfg(wc["augmenter"])["params"],
            "flip_safe": plan.grid.spec(wc["dataset"]).flip_safe}


def _progress_constraints(plan: ReportPlan) -> dict[str, str]:
    return {**_generative_constraint(plan), "model": r"class\d+|conditional|all"}


def _losses_inputs(plan: ReportPlan, wc: Wildcards) -> dict[str, Any]:
    return plan.loss_inputs(wc["dataset"], wc["imbalance"], wc["augmenter"], wc["seed"],
                            wc["fold"])


def _learning_curve_inputs(plan: ReportPlan, wc: Wildcards) -> dict[str, Any]:
    return {"report": layout.path(
        plan.classifier_history(wc["classifier"]) or layout.TRAIN_REPORT, wc)}


def _ratio_params(plan: ReportPlan, wc: Wildcards) -> dict[str, Any]:
    return {"imbalances": _imbalances(plan, wc), "metrics": plan.settings["metrics"],
            "augmenters": plan.grid.names("augmenters"), **plan.roles()}


def _quality_targets(plan: ReportPlan) -> list[dict[str, Any]]:
    """Quality against gain for each classifier that ran on generated images."""
    return _by_dataset_classifier(plan, plan.has_generative)


def _quality_inputs(plan: ReportPlan, wc: Wildcards) -> dict[str, Any]:
    return {"summary": layout.SUMMARY,
            "quality": list(plan.quality_files(wc["dataset"]).values())}


def _quality_params(plan: ReportPlan, wc: Wildcards) -> dict[str, Any]:
    return {"cells": [list(k) for k in plan.quality_files(wc["dataset"])],
            "metric": plan.settings["quality_metric"],
            "augmenters": plan.grid.names("augmenters"), **plan.roles()}


def _statistics_targets(plan: ReportPlan) -> list[dict[str, Any]]:
    return ([{"metric": m} for m in plan.settings["metrics"]]
            if plan.statistics_possible() else [])


def _summary_only(plan: ReportPlan, wc: Wildcards) -> dict[str, Any]:
    return {"summary": layout.SUMMARY}


def _statistics_params(plan: ReportPlan, wc: Wildcards) -> dict[str, Any]:
    return {"alpha": plan.settings["alpha"], "compare": plan.settings["compare"],
            "augmenters": plan.grid.names("augmenters"), **plan.roles(),
            "originals": plan.left_out_of_statistics()}


def _statistics_constraints(plan: ReportPlan) -> dict[str, str]:
    return {"metric": "|".join(plan.settings["metrics"])}


def _reproduction_targets(plan: ReportPlan) -> list[dict[str, Any]]:
    return published_targets(plan.grid)


def _reproduction_inputs(plan: ReportPlan, wc: Wildcards) -> dict[str, Any]:
    # files: [seed, (fold,) path] per repetition
    return {"files": sorted({entry[-1] for n in plan.published
                             for entries in n["files"].values() for entry in entries})}


def _reproduction_params(plan: ReportPlan, wc: Wildcards) -> dict[str, Any]:
    config = plan.grid.config
    return {"numbers": plan.published, "source": config["published"]["source"],
            "scale": config.get("scale", "real"), "card": card.card_rows(config["protocol"]),
            "scale_changes": card.scale_changes(config),
            "not_run": published_not_run(plan.grid)}


def _preset_constraint(plan: ReportPlan) -> dict[str, str]:
    return {"preset": r"[A-Za-z0-9_]+"}


def _one_index(plan: ReportPlan) -> list[dict[str, Any]]:
    return [{}]


def _index_inputs(plan: ReportPlan, wc: Wildcards) -> dict[str, Any]:
    return {"files": plan.index_inputs(), "other_code": layout.OTHER_CODE}


def _index_params(plan: ReportPlan, wc: Wildcards) -> dict[str, Any]:
    return {"entries": plan.index_entries()}


def _changes_params(plan: ReportPlan, wc: Wildcards) -> dict[str, Any]:
    return {"imbalances": _imbalances(plan, wc), "metrics": plan.settings["metrics"],
            "order": plan.order(), "augmenters": plan.grid.names("augmenters"),
            **plan.roles()}


def _generator_table_targets(plan: ReportPlan) -> list[dict[str, Any]]:
    return [{"dataset": d} for d in plan.grid.names("datasets") if plan.has_generative(d)]


def _real_or_fake_targets(plan: ReportPlan) -> list[dict[str, Any]]:
    return [_wc(d, i, a, r) for d, i, a, r in plan.variants()
            if plan.is_generative(a) and plan.adds_images(d, i, a)]


def _confusion_targets(plan: ReportPlan) -> list[dict[str, Any]]:
    return [c.as_dict() for c in plan.grid.cells]


# -- the table --------------------------------------------------------------------------------
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
        targets=_class_counts_targets,
        inputs=_class_counts_inputs,
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
        inputs=_rebalanced_counts_inputs,
    ),
    ReportRule(
        name="metric_tables", make=f"{_BUILD}:metric_tables", key=layout.DATASET,
        outputs={
            "leaderboard": Output(layout.LEADERBOARD,
                                  index=Indexed("Leaderboard", "{dataset}.leaderboard.md",
                                                open=True)),
            "table": Output(layout.TABLE, _report("metric_table.rst", "Tables",
                                                  dataset="{dataset}",
                                                  table="variants × metrics"),
                            Indexed("Metric table", "{dataset}.md")),
            "csv": Output(layout.TABLE_CSV, index=Indexed("More tables", "{dataset}.csv")),
            "by_ratio": Output(layout.RATIO_TABLE,
                               _report("ratio_table.rst", "Tables", dataset="{dataset}",
                                       table="augmenters × imbalance ratios"),
                               Indexed("More tables", "{dataset}.by_ratio.md")),
            "by_ratio_csv": Output(layout.RATIO_TABLE_CSV,
                                   index=Indexed("More tables", "{dataset}.by_ratio.csv")),
        },
        targets=_each_dataset,
        inputs=_summary_inputs,
        params=_metric_table_params,
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
        targets=_fit_targets,
        inputs=_fit_inputs,
        params=_fit_params,
    ),
    ReportRule(
        name="confusion_grid", make=f"{_BUILD}:confusion_grid", key=_CS,
        outputs={"plot": Output(
            layout.CONFUSION_GRID,
            _report("confusion_grid.rst", "Confusion matrices (grids)", dataset="{dataset}",
                    classifier="{classifier}"),
            Indexed("Confusion matrices (mean over seeds)", "{classifier}"))},
        targets=_by_dataset_classifier,
        inputs=_confusion_grid_inputs,
        params=_confusion_grid_params,
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
        inputs=_samples_inputs,
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
        inputs=_transforms_inputs,
        params=_transforms_params,
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
        constraints=_progress_constraints,
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
        inputs=_losses_inputs,
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
        inputs=_learning_curve_inputs,
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
        params=_ratio_params,
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
        targets=_quality_targets,
        inputs=_quality_inputs,
        params=_quality_params,
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
        targets=_statistics_targets,
        inputs=_summary_only,
        params=_statistics_params,
        constraints=_statistics_constraints,
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
        targets=_reproduction_targets,
        inputs=_reproduction_inputs,
        params=_reproduction_params,
        constraints=_preset_constraint,
    ),
    ReportRule(
        name="report_index", make=f"{_BUILD}:index", key="index",
        outputs={"index": Output(layout.INDEX)},
        targets=_one_index,
        inputs=_index_inputs,
        params=_index_params,
    ),
    ReportRule(
        name="plot_changes", make=f"{_BUILD}:change_bars", key=_CS,
        outputs={"plot": Output(
            layout.CHANGES,
            _report("changes.rst", "Change against the imbalanced baseline",
                    dataset="{dataset}", classifier="{classifier}"),
            Indexed("Change against the imbalanced baseline", "{classifier}", wide=True))},
        targets=_changes_targets,
        inputs=_summary_inputs,
        params=_changes_params,
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
        targets=_generator_table_targets,
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
        _real_or_fake_targets),
    layout.CONFUSION: (
        Indexed("Confusion matrices per seed",
                "{imbalance}/{augmenter}/{classifier}/seed{seed}{fold}"),
        _confusion_targets),
}


def index_table() -> dict[str, Indexed]:
    """pattern -> its section and title in reports/index.html (from the report rules'
    outputs and :data:`INDEXED_FILES`)."""
    table = {o.pattern: o.index for r in REPORT_RULES.values() for o in r.outputs.values()
             if o.index is not None}
    table.update({p: spec for p, (spec, _) in INDEXED_FILES.items()})
    return table


__all__ = ["INDEXED_FILES", "LOCAL_REPORT_RULES", "REPORT_GROUPS", "REPORT_RULES", "SECTIONS",
           "SMALL_REPORT_RULES", "Indexed", "Output", "ReportRule", "index_table"]

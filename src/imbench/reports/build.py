"""One function per report rule: read the job's input files, draw or tabulate, write its
outputs. Each takes a :class:`~imbench.reports.job.ReportJob`; the rule's entry in
``imbench.plan.reports.REPORT_RULES`` names it and says what its inputs and params are.

Params the reports share: ``baselines`` (augmenters that train on the imbalanced set as it
is), ``originals`` (imbalances that stand for the original set), ``order`` (config order of
imbalances, augmenters and classifiers), ``imbalances`` (the names of the ``counts`` input
files, one imbalanced counts.json per imbalance, for ρ).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from .. import records
from ..io import read_json, write_json, write_text
from ..summary import read_summary
from . import collect, figures, stats, tables
from . import metric_label as _label
from . import reproduction as repro
from .job import ReportJob
from .plots import plot_class_counts

PathLike = str | os.PathLike[str]



def _rep(wc: Any) -> str:
    """A job's repetition for a title: its seed, and ``/fold<f>`` with folds."""
    return f"{wc.seed}{getattr(wc, 'fold', '')}"

def _counts_files(job: ReportJob) -> dict[str, str]:
    return dict(zip(job.params.imbalances, job.input.counts, strict=True))


def _rho(counts_files: Mapping[str, PathLike]) -> dict[str, float]:
    return tables.rho_from_counts({i: read_json(p) for i, p in counts_files.items()})


def _colours(job: ReportJob) -> dict[str, Any]:
    return figures.augmenter_colours(list(job.params.augmenters), job.params.baselines)


def class_counts(job: ReportJob) -> None:
    info = read_json(job.input.counts)
    wc = job.wildcards
    plot_class_counts(
        {"original": info["original_counts"], "imbalanced": info["counts"]},
        info["class_names"], job.output.plot,
        title=f"{wc.dataset} / {wc.imbalance} (seed {_rep(wc)}), ρ = {info['rho']:.1f}")


def metric_tables(job: ReportJob) -> None:
    p, out = job.params, job.output
    df = read_summary(job.input.summary)
    rho = _rho(_counts_files(job))
    md, frame = tables.dataset_tables(df, job.wildcards.dataset, baselines=p.baselines,
                                      originals=p.originals, rho=rho, order=p.order)
    write_text(out.table, md)
    tables.write_frame(frame, out.csv)
    md, _ = tables.leaderboard(df, job.wildcards.dataset, p.metrics[0],
                               baselines=p.baselines, originals=p.originals, rho=rho,
                               order=p.order)
    write_text(out.leaderboard, md)
    md, frame = tables.ratio_table(df, job.wildcards.dataset, originals=p.originals, rho=rho,
                                   order=p.order, metrics=p.metrics)
    write_text(out.by_ratio, md)
    tables.write_frame(frame, out.by_ratio_csv)


def confusion_grid(job: ReportJob) -> None:
    p, wc = job.params, job.wildcards
    data = collect.confusion_panels(job.input.metrics)
    rho = _rho(_counts_files(job))
    originals = set(p.originals)
    rows = tables.sort_variants(
        pd.DataFrame({"imbalance": list(p.order["imbalance"])}),
        order=p.order, originals=originals, rho=rho)["imbalance"].tolist()
    notes = {i: "original" if i in originals else f"ρ = {rho[i]:.3g}"
             for i in rows if i in rho or i in originals}
    figures.plot_confusion_grid(
        data["panels"], rows, list(p.order["augmenter"]), data["class_names"], job.output.plot,
        title=f"{wc.dataset}, classifier {wc.classifier}: row-normalised confusion matrices "
              "(% of true class, mean over seeds)",
        row_notes=notes, n_seeds=data["n_seeds"])


def rebalanced_counts(job: ReportJob) -> None:
    wc = job.wildcards
    info = read_json(job.input.imbalanced)
    c = collect.rebalanced_counts(info, read_json(job.input.rebalanced))
    figures.plot_rebalanced_counts(
        c["original"], c["imbalanced"], c["real"], c["synthetic"], info["class_names"],
        job.output.plot, augmenter=wc.augmenter,
        title=f"{wc.dataset} / {wc.imbalance} (ρ = {info['rho']:.3g}) rebalanced by "
              f"{wc.augmenter}, seed {_rep(wc)}")


def samples(job: ReportJob) -> None:
    wc = job.wildcards
    info = read_json(job.input.counts)
    real, gen = collect.real_and_generated(job.input.train, seed=int(wc.seed))
    figures.plot_real_vs_generated(
        real, gen, info["class_names"], job.output.plot,
        generated_label=f"added by {wc.augmenter} ({job.params.method})",
        title=f"{wc.dataset} / {wc.imbalance} / seed {_rep(wc)}: real training images vs "
              f"images added by {wc.augmenter}")


def transforms(job: ReportJob, max_classes: int = 4) -> None:
    wc, p = job.wildcards, job.params
    info = read_json(job.input.counts)
    added = {int(c): int(n) for c, n in
             (read_json(job.input.rebalanced).get("added") or {}).items() if int(n) > 0}
    # the classes that got the most new images (the minority classes), in class order
    classes = sorted(sorted(added, key=lambda c: (-added[c], c))[:max_classes])
    sources, new = collect.transform_examples(job.input.imbalanced, classes, params=p.params,
                                              flip_safe=bool(p.flip_safe), method=p.method,
                                              seed=int(wc.seed))
    figures.plot_transform_examples(
        sources, new, info["class_names"], job.output.plot,
        title=f"{wc.dataset} / {wc.imbalance}: images made by {wc.augmenter} from one real "
              "image")


def generator_progress(job: ReportJob, n_frames: int = 6) -> None:
    """Sample grids of one model over epochs; ``model`` is ``class{c}``, ``conditional`` or
    (counts unknown until loading) ``all``, which shows the unit's first model."""
    wc = job.wildcards
    samples_dir = job.input.samples
    info = read_json(job.input.counts)
    chosen = collect.chosen_epochs([job.input.selection])
    frames_by_model = collect.sample_frames(samples_dir)
    if not frames_by_model:
        raise FileNotFoundError(f"no epoch sample grids in {samples_dir}")
    model = wc.model
    if model == "all":
        model = sorted(frames_by_model)[0]
    elif model not in frames_by_model:
        raise FileNotFoundError(f"no sample grids of {model} in {samples_dir}: "
                                f"found {sorted(frames_by_model)}")
    pngs = frames_by_model[model]
    epochs = figures.pick_epochs(list(pngs), chosen.get(model), n_frames)
    frames = [(e, collect.read_png(pngs[e])) for e in epochs]
    what = collect.model_label(model, info["class_names"])
    rows = None
    if model == "conditional":
        what = "conditional model, one row per class"
        rows = [figures.class_label(c, info["class_names"])
                for c in range(len(info["class_names"]))]
    figures.plot_generator_progress(
        frames, job.output.plot, chosen_epoch=chosen.get(model), row_labels=rows,
        title=f"{wc.dataset} / {wc.imbalance} / {wc.augmenter} ({job.params.method}), seed "
              f"{_rep(wc)}: {what}, same noise at every epoch")


def gan_losses(job: ReportJob) -> None:
    wc = job.wildcards
    info = read_json(job.input.counts)
    frame = collect.read_losses(job.input.losses)
    models = list(dict.fromkeys(frame["model"].astype(str)))
    figures.plot_gan_losses(
        frame, job.output.plot, chosen=collect.chosen_epochs(job.input.selection),
        model_labels={m: collect.model_label(m, info["class_names"]) for m in models},
        title=f"{wc.dataset} / {wc.imbalance} / {wc.augmenter} ({job.params.method}), seed "
              f"{_rep(wc)}: mean training losses per epoch")


def metric_vs_ratio(job: ReportJob) -> None:
    p, wc = job.params, job.wildcards
    df = read_summary(job.input.summary)
    df = df[(df["dataset"] == wc.dataset) & (df["classifier"] == wc.classifier)]
    counts_files = _counts_files(job)
    st = tables.with_ratio(tables.variant_stats(df), p.originals, _rho(counts_files))
    # a panel row per protocol, named as the config names it
    st["protocol"] = st["imbalance"].map(
        lambda i: read_json(counts_files[i])["protocol"]["protocol"] if i in counts_files
        else "")
    original = {}
    for m in p.metrics:
        o = st[st["original"] & st["augmenter"].isin(list(p.baselines)) & (st["metric"] == m)]
        if len(o):
            original[m] = (float(o.iloc[0]["mean"]), float(o.iloc[0]["std"]))
    figures.plot_metric_vs_ratio(
        st, p.metrics, job.output.plot, colours=_colours(job), original=original,
        title=f"{wc.dataset}, classifier {wc.classifier}: test metrics vs imbalance ratio "
              "(mean ± std over seeds)")


def quality_vs_gain(job: ReportJob) -> None:
    p, wc = job.params, job.wildcards
    df = read_summary(job.input.summary)
    quality_files = {tuple(k): path for k, path in
                     zip(p.cells, job.input.quality, strict=True)}
    points = collect.quality_points(quality_files, df, dataset=wc.dataset,
                                    classifier=wc.classifier, metric=p.metric,
                                    baselines=p.baselines)
    tables.write_frame(points, job.output.csv)
    figures.plot_quality_vs_gain(
        points, job.output.plot, colours=_colours(job), metric=p.metric,
        title=f"{wc.dataset}, classifier {wc.classifier}: generator quality vs gain in "
              f"{_label(p.metric)} (one point per imbalance × seed)")
    figures.plot_precision_recall(
        points, job.output.precision_recall, colours=_colours(job),
        title=f"{wc.dataset}: precision and recall of the added images (prdc, k = 5, "
              "reference features; one point per imbalance × seed, classes averaged)")


def statistics(job: ReportJob) -> dict[str, Any]:
    p, metric = job.params, job.wildcards.metric
    df = read_summary(job.input.summary)
    matrix, notes = stats.block_matrix(df, metric, p.originals, p.augmenters, by=p.compare)
    if matrix.empty:
        result: dict[str, Any] = {"test": stats.TEST_NAME, "alpha": p.alpha, "k": 0,
                                  "n_blocks": 0, "error": "no complete blocks"}
    else:
        result = stats.compare(matrix, float(p.alpha))
    result["metric"] = metric
    result["compared"] = p.compare
    result["notes"] = notes
    write_json(job.output.json, result)
    write_text(job.output.markdown, stats.markdown(result, metric))
    stats.plot_critical_difference(
        result, job.output.plot,
        title=(f"Augmenter + classifier pairs ranked by {_label(metric)}: Friedman + Nemenyi"
               if p.compare == "methods"
               else f"Augmenters ranked by {_label(metric)}: Friedman + Nemenyi"))
    return result


def index(job: ReportJob) -> None:
    from .index import write_index

    out = job.output.index
    lines = Path(job.input.other_code).read_text().splitlines()
    write_index(
        job.params.entries, out, root=str(Path(out).parent), warning=lines[1:] and lines,
        description="Every table and figure of this run, regenerated from results/ by the "
        "workflow's report rules. snakemake --report report.html gives the same with "
        "captions.")


def change_bars(job: ReportJob) -> None:
    p, wc = job.params, job.wildcards
    df = read_summary(job.input.summary)
    df = df[(df["dataset"] == wc.dataset) & (df["classifier"] == wc.classifier)]
    rho = _rho(_counts_files(job))
    changes = tables.sort_variants(tables.change_table(df, p.baselines, p.originals),
                                   order=p.order, originals=p.originals, rho=rho)
    figures.plot_change_bars(
        changes, p.metrics, job.output.plot, colours=_colours(job),
        imbalance_labels={i: f"imbalance {i} (ρ = {r:.3g})" for i, r in rho.items()},
        title=f"{wc.dataset}, classifier {wc.classifier}: change against the imbalanced "
              "baseline (mean ± std of per-seed differences)")


def generator_tables(job: ReportJob) -> None:
    p, out = job.params, job.output
    counts_files = _counts_files(job)
    # keys (imbalance, augmenter, seed, fold), read by imbench.reports.collect
    quality_files = {tuple(q[:4]): q[4] for q in p.quality}
    losses_files = {tuple(g[:4]): list(g[4]) for g in p.generators}
    selection_files = {tuple(g[:4]): list(g[5]) for g in p.generators}
    names = None
    if counts_files:
        names = read_json(next(iter(counts_files.values()))).get("class_names")
    quality = collect.quality_frame(quality_files)
    times = collect.generator_times(losses_files, selection_files)
    write_text(out.table, tables.generator_tables(
        quality, times, job.wildcards.dataset, rho=_rho(counts_files), order=p.order,
        class_names=names))
    tables.write_frame(quality, out.quality)
    tables.write_frame(times, out.times)



def reproduction(job: ReportJob) -> None:
    p, out = job.params, job.output
    frame = repro.reproduction_frame(p.numbers)
    preset = job.wildcards.preset
    write_text(out.table, repro.reproduction_markdown(
        frame, preset=preset, source=p.source, scale=p.scale, card=p.card,
        scale_changes=p.scale_changes, not_run=p.not_run))
    tables.write_frame(frame.drop(columns=["seeds"]), out.csv)
    repro.plot_reproduction(frame, out.plot,
                            title=f"{preset}{repro.scale_words(p.scale)}: published "
                                  "numbers (×) and imbench's")


def fit_tables(job: ReportJob) -> None:
    """Seed 004 Table I's columns: train / validation / test per variant."""
    p = job.params
    rows = []
    for (i, a, c, s, *f), report, metrics in zip(p.cells, job.input.reports,
                                                 job.input.metrics, strict=True):
        r = read_json(report)
        rows.append({"imbalance": i, "augmenter": a, "classifier": c, "seed": s,
                     **collect.fold_column(f[0] if f else None),
                     **tables.fit_rows(r.get("history") or {}, r.get("best_epoch"),
                                       records.read_json_result(metrics, "metrics"))})
    frame = pd.DataFrame(rows)
    write_text(job.output.table, tables.fit_table(frame, job.wildcards.dataset, p.order))
    tables.write_frame(frame, job.output.csv)


def learning_curves(job: ReportJob) -> None:
    report = read_json(job.input.report)
    wc = job.wildcards
    figures.plot_learning_curves(
        report["history"], job.output.plot, best_epoch=report.get("best_epoch"),
        title=f"{wc.dataset} / {wc.imbalance} / {wc.augmenter} / {wc.classifier} (seed "
              f"{_rep(wc)}): training and validation per epoch")


__all__ = ["change_bars", "class_counts", "confusion_grid", "fit_tables", "gan_losses",
           "generator_progress", "generator_tables", "index", "learning_curves",
           "metric_tables", "metric_vs_ratio", "quality_vs_gain", "rebalanced_counts",
           "reproduction", "samples", "statistics", "transforms"]

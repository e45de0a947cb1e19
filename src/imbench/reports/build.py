"""One function per report rule: read the rule's input files, draw or tabulate, write the
outputs. ``scripts/report_*.py`` only unpack ``snakemake`` and call these."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..io import read_json, write_json, write_text
from ..summary import read_summary
from . import collect, figures, stats, tables
from . import metric_label as _label

PathLike = str | os.PathLike[str]


def _rho(counts_files: Mapping[str, PathLike]) -> dict[str, float]:
    return tables.rho_from_counts({i: read_json(p) for i, p in counts_files.items()})


def metric_tables(
    summary: PathLike, counts_files: Mapping[str, PathLike], *, dataset: str,
    augmenter_methods: Mapping[str, str], imbalance_protocols: Mapping[str, str],
    order: Mapping[str, Sequence[str]], metrics: Sequence[str],
    table_md: PathLike, table_csv: PathLike, ratio_md: PathLike, ratio_csv: PathLike,
) -> None:
    df = read_summary(summary)
    rho = _rho(counts_files)
    md, frame = tables.dataset_tables(df, dataset, augmenter_methods=augmenter_methods,
                                      imbalance_protocols=imbalance_protocols, rho=rho,
                                      order=order)
    write_text(table_md, md)
    tables.write_frame(frame, table_csv)
    md, frame = tables.ratio_table(df, dataset, imbalance_protocols=imbalance_protocols,
                                   rho=rho, order=order, metrics=metrics)
    write_text(ratio_md, md)
    tables.write_frame(frame, ratio_csv)


def confusion_grid(
    metrics_files: Sequence[PathLike], counts_files: Mapping[str, PathLike], out: PathLike, *,
    dataset: str, classifier: str, order: Mapping[str, Sequence[str]],
    imbalance_protocols: Mapping[str, str],
) -> None:
    data = collect.confusion_panels(metrics_files)
    rho = _rho(counts_files)
    rows = tables.sort_variants(
        pd.DataFrame({"imbalance": list(order["imbalance"])}),
        order=order, protocols=imbalance_protocols, rho=rho)["imbalance"].tolist()
    notes = {i: "original" if imbalance_protocols.get(i) == "none"
             else f"ρ = {rho[i]:.3g}" for i in rows if i in rho or
             imbalance_protocols.get(i) == "none"}
    figures.plot_confusion_grid(
        data["panels"], rows, list(order["augmenter"]), data["class_names"], out,
        title=f"{dataset}, classifier {classifier}: row-normalised confusion matrices "
              "(% of true class, mean over seeds)",
        row_notes=notes, n_seeds=data["n_seeds"])


def rebalanced_counts(imbalanced_counts: PathLike, rebalanced_counts: PathLike, out: PathLike,
                      *, dataset: str, imbalance: str, augmenter: str, seed: int) -> None:
    info = read_json(imbalanced_counts)
    c = collect.rebalanced_counts(info, read_json(rebalanced_counts))
    figures.plot_rebalanced_counts(
        c["original"], c["imbalanced"], c["real"], c["synthetic"], info["class_names"], out,
        augmenter=augmenter,
        title=f"{dataset} / {imbalance} (ρ = {info['rho']:.3g}) rebalanced by {augmenter}, "
              f"seed {seed}")


def samples(train: PathLike, imbalanced_counts: PathLike, out: PathLike, *, dataset: str,
            imbalance: str, augmenter: str, method: str, seed: int) -> None:
    info = read_json(imbalanced_counts)
    real, gen = collect.real_and_generated(train, seed=seed)
    figures.plot_real_vs_generated(
        real, gen, info["class_names"], out, generated_label=f"added by {augmenter} ({method})",
        title=f"{dataset} / {imbalance} / seed {seed}: real training images vs images "
              f"added by {augmenter}")


def transforms(imbalanced: PathLike, imbalanced_counts: PathLike, rebalanced_counts: PathLike,
               out: PathLike, *, dataset: str, imbalance: str, augmenter: str,
               params: Mapping[str, Any], flip_safe: bool, seed: int, max_classes: int = 4
               ) -> None:
    info = read_json(imbalanced_counts)
    added = {int(c): int(n) for c, n in (read_json(rebalanced_counts).get("added") or {}).items()
             if int(n) > 0}
    # the classes that got the most new images (the minority classes), in class order
    classes = sorted(sorted(added, key=lambda c: (-added[c], c))[:max_classes])
    sources, new = collect.transform_examples(imbalanced, classes, params=params,
                                              flip_safe=flip_safe, seed=seed)
    figures.plot_transform_examples(
        sources, new, info["class_names"], out,
        title=f"{dataset} / {imbalance}: images made by {augmenter} from one real image")


def generator_progress(samples_dir: PathLike, selection: PathLike, imbalanced_counts: PathLike,
                       out: PathLike, *, dataset: str, imbalance: str, augmenter: str,
                       method: str, model: str, seed: int, n_frames: int = 6) -> None:
    """Sample grids of one model over epochs; ``model`` is ``class{c}``, ``conditional`` or
    (counts unknown until loading) ``all``, which shows the unit's first model."""
    info = read_json(imbalanced_counts)
    chosen = collect.chosen_epochs([selection])
    frames_by_model = collect.sample_frames(samples_dir)
    if not frames_by_model:
        raise FileNotFoundError(f"no epoch sample grids in {samples_dir}")
    if model == "all":
        model = sorted(frames_by_model)[0]
    elif model not in frames_by_model:
        raise FileNotFoundError(f"no sample grids of {model} in {samples_dir}: "
                                f"found {sorted(frames_by_model)}")
    pngs = frames_by_model[model]
    epochs = figures.pick_epochs(list(pngs), chosen.get(model), n_frames)
    frames = [(e, collect.read_png(pngs[e])) for e in epochs]
    what = collect.model_label(model, info["class_names"])
    if model == "conditional":
        what = "conditional model, one row per class"
    rows = None
    if model == "conditional":
        rows = [figures.class_label(c, info["class_names"])
                for c in range(len(info["class_names"]))]
    figures.plot_generator_progress(
        frames, out, chosen_epoch=chosen.get(model), row_labels=rows,
        title=f"{dataset} / {imbalance} / {augmenter} ({method}), seed {seed}: {what}, "
              "same noise at every epoch")


def gan_losses(losses: Sequence[PathLike], selection: Sequence[PathLike],
               imbalanced_counts: PathLike, out: PathLike, *, dataset: str, imbalance: str,
               augmenter: str, method: str, seed: int) -> None:
    info = read_json(imbalanced_counts)
    frame = collect.read_losses(losses)
    models = list(dict.fromkeys(frame["model"].astype(str)))
    figures.plot_gan_losses(
        frame, out, chosen=collect.chosen_epochs(selection),
        model_labels={m: collect.model_label(m, info["class_names"]) for m in models},
        title=f"{dataset} / {imbalance} / {augmenter} ({method}), seed {seed}: "
              "mean training losses per epoch")


def metric_vs_ratio(summary: PathLike, counts_files: Mapping[str, PathLike], out: PathLike, *,
                    dataset: str, classifier: str, metrics: Sequence[str],
                    augmenter_methods: Mapping[str, str],
                    imbalance_protocols: Mapping[str, str]) -> None:
    df = read_summary(summary)
    df = df[(df["dataset"] == dataset) & (df["classifier"] == classifier)]
    rho = _rho(counts_files)
    st = tables.variant_stats(df)
    st["protocol"] = st["imbalance"].map(lambda i: imbalance_protocols.get(i, ""))
    st["rho"] = st["imbalance"].map(lambda i: rho.get(i, np.nan))
    baselines = tables.baseline_augmenters(augmenter_methods)
    original = {}
    for m in metrics:
        o = st[(st["protocol"] == "none") & (st["augmenter"].isin(baselines))
               & (st["metric"] == m)]
        if len(o):
            original[m] = (float(o.iloc[0]["mean"]), float(o.iloc[0]["std"]))
    figures.plot_metric_vs_ratio(
        st, metrics, out, colours=figures.augmenter_colours(list(augmenter_methods),
                                                            augmenter_methods),
        original=original,
        title=f"{dataset}, classifier {classifier}: test metrics vs imbalance ratio "
              "(mean ± std over seeds)")


def quality_vs_gain(summary: PathLike, quality_files: Mapping[tuple[str, str, int], PathLike],
                    out_png: PathLike, out_csv: PathLike, *, dataset: str, classifier: str,
                    metric: str, augmenter_methods: Mapping[str, str]) -> None:
    df = read_summary(summary)
    points = collect.quality_points(quality_files, df, dataset=dataset, classifier=classifier,
                                    metric=metric, augmenter_methods=augmenter_methods)
    tables.write_frame(points, out_csv)
    figures.plot_quality_vs_gain(
        points, out_png,
        colours=figures.augmenter_colours(list(augmenter_methods), augmenter_methods),
        metric=metric,
        title=f"{dataset}, classifier {classifier}: generator quality vs gain in "
              f"{_label(metric)} (one point per imbalance × seed)")


def statistics(summary: PathLike, out_png: PathLike, out_md: PathLike, out_json: PathLike, *,
               metric: str, alpha: float, imbalance_protocols: Mapping[str, str],
               augmenters: Sequence[str] | None = None) -> dict[str, Any]:
    df = read_summary(summary)
    matrix, notes = stats.block_matrix(df, metric, imbalance_protocols, augmenters)
    if matrix.empty:
        result: dict[str, Any] = {"test": stats.TEST_NAME, "alpha": alpha, "k": 0,
                                  "n_blocks": 0, "error": "no complete blocks"}
    else:
        result = stats.compare(matrix, alpha)
    result["metric"] = metric
    result["notes"] = notes
    write_json(out_json, result)
    write_text(out_md, stats.markdown(result, metric))
    stats.plot_critical_difference(
        result, out_png, title=f"Augmenters ranked by {_label(metric)}: Friedman + Nemenyi")
    return result


def index(entries: Sequence[Mapping[str, str]], out: PathLike, *, description: str = ""
          ) -> None:
    from .index import write_index

    write_index(entries, out, root=str(Path(out).parent), description=description)


def change_bars(summary: PathLike, counts_files: Mapping[str, PathLike], out: PathLike, *,
                dataset: str, classifier: str, metrics: Sequence[str],
                augmenter_methods: Mapping[str, str],
                imbalance_protocols: Mapping[str, str],
                order: Mapping[str, Sequence[str]]) -> None:
    df = read_summary(summary)
    df = df[(df["dataset"] == dataset) & (df["classifier"] == classifier)]
    rho = _rho(counts_files)
    changes = tables.sort_variants(tables.change_table(df, augmenter_methods,
                                                       imbalance_protocols),
                                   order=order, protocols=imbalance_protocols, rho=rho)
    figures.plot_change_bars(
        changes, metrics, out,
        colours=figures.augmenter_colours(list(augmenter_methods), augmenter_methods),
        imbalance_labels={i: f"imbalance {i} (ρ = {r:.3g})" for i, r in rho.items()},
        title=f"{dataset}, classifier {classifier}: change against the imbalanced baseline "
              "(mean ± std of per-seed differences)")


def generator_tables(
    quality_files: Mapping[tuple[str, str, int], PathLike],
    losses_files: Mapping[tuple[str, str, int], Sequence[PathLike]],
    selection_files: Mapping[tuple[str, str, int], Sequence[PathLike]],
    counts_files: Mapping[str, PathLike], out_md: PathLike, out_quality_csv: PathLike,
    out_times_csv: PathLike, *, dataset: str, order: Mapping[str, Sequence[str]],
) -> None:
    rho = _rho(counts_files)
    names = None
    if counts_files:
        names = read_json(next(iter(counts_files.values()))).get("class_names")
    quality = collect.quality_frame(quality_files)
    times = collect.generator_times(losses_files, selection_files)
    write_text(out_md, tables.generator_tables(quality, times, dataset, rho=rho, order=order,
                                               class_names=names))
    tables.write_frame(quality, out_quality_csv)
    tables.write_frame(times, out_times_csv)

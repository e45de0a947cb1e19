"""Report figures, tables and statistics, all computed from files under ``results/``,
``data/`` and ``models/`` (never by hand).

* :mod:`.tables` — per-dataset metric tables (mean ± std over seeds, change against the
  imbalanced baseline) and the cross-ratio table (augmenters × imbalance ratios).
* :mod:`.figures` — confusion-matrix grids, class counts after rebalancing, real vs generated
  samples, transform examples, generator progress, GAN loss curves, metric vs imbalance ratio,
  generator quality vs classifier gain.
* :mod:`.stats` — Friedman test with the Nemenyi post-hoc test (critical-difference plot) and
  Holm-corrected paired Wilcoxon tests.
* :mod:`.index` — the static ``reports/index.html`` that links everything.
* :mod:`.plots` — a cell's confusion matrix, class counts, and the figure set-up shared by
  every figure.
* :mod:`.build` — one function per report rule (a :class:`.job.ReportJob` in, files out).

Which report files a grid gets, and each rule's inputs and params, is decided while the DAG
is built, in :mod:`imbench.plan.reports`. Every function here is importable without
Snakemake, torch or TensorFlow.
"""

from __future__ import annotations

#: how figures and tables name the metrics: one human label for every metric of metrics.json
METRIC_LABELS: dict[str, str] = {
    "accuracy": "accuracy",
    "balanced_accuracy": "balanced accuracy",
    "precision_macro": "macro precision",
    "recall_macro": "macro recall",
    "f1_macro": "macro F1",
    "g_mean": "G-mean",
    "auc_ovr_macro": "macro AUC (OvR)",
    "minority_recall": "minority recall",
    "minority_precision": "minority precision",
    "minority_f1": "minority F1",
    "minority_auc": "minority AUC",
    "mcc": "Matthews correlation",
    "pr_auc_macro": "macro PR-AUC",
    "ece": "calibration error (ECE)",
    "many_shot_accuracy": "many-shot accuracy",
    "medium_shot_accuracy": "medium-shot accuracy",
    "few_shot_accuracy": "few-shot accuracy",
}


def metric_label(metric: str) -> str:
    return METRIC_LABELS.get(metric, metric)


__all__ = ["METRIC_LABELS", "metric_label"]

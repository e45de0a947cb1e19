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
* :mod:`.targets` — which report files a configured grid gets, and each rule's inputs
  (``rules/report.smk`` and ``rules/common.smk`` are thin layers over it).

Every function here is importable without Snakemake, torch or TensorFlow.
"""

from __future__ import annotations

#: metrics shown in figures, cross-ratio tables and statistics unless ``report.metrics`` says
#: otherwise (tables list every metric)
DEFAULT_REPORT_METRICS: tuple[str, ...] = (
    "balanced_accuracy",
    "f1_macro",
    "g_mean",
    "auc_ovr_macro",
    "accuracy",
)

#: how figures and tables name the metrics
METRIC_LABELS: dict[str, str] = {
    "accuracy": "accuracy",
    "balanced_accuracy": "balanced accuracy",
    "precision_macro": "macro precision",
    "recall_macro": "macro recall",
    "f1_macro": "macro F1",
    "g_mean": "G-mean",
    "auc_ovr_macro": "macro AUC (OvR)",
    "minority_recall": "minority recall",
}


def metric_label(metric: str) -> str:
    return METRIC_LABELS.get(metric, metric)


__all__ = ["DEFAULT_REPORT_METRICS", "METRIC_LABELS", "metric_label"]

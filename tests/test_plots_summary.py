"""Summary tables from fake metrics.json files, and byte-reproducible figures."""

from __future__ import annotations

import struct

import numpy as np
import pandas as pd
import pytest

from imbench.metrics import METRIC_NAMES
from imbench.records import write_json_result
from imbench.reports.plots import plot_class_counts, plot_confusion_matrix
from imbench.summary import (
    collect,
    format_mean_std,
    markdown_tables,
    read_summary,
    write_summary,
    write_tables,
)


def fake_metrics(tmp_path, dataset, imbalance, augmenter, classifier, seed, **values):
    path = tmp_path / dataset / imbalance / augmenter / classifier / f"seed{seed}" / "m.json"
    cell = dict(dataset=dataset, imbalance=imbalance, augmenter=augmenter,
                classifier=classifier, seed=seed)
    write_json_result(path, {"cell": cell, "provenance": {}, "per_class": [], **values},
                      "metrics")
    return path


@pytest.fixture
def paths(tmp_path):
    return [
        # Deliberately unsorted, so that collect's ordering is exercised.
        fake_metrics(tmp_path, "mnist", "step", "smote", "svm", 1, accuracy=0.8, g_mean=0.5,
                     minority_recall=None),
        fake_metrics(tmp_path, "mnist", "step", "smote", "svm", 0, accuracy=0.9, g_mean=0.7,
                     minority_recall=None),
        fake_metrics(tmp_path, "mnist", "none", "none", "svm", 0, accuracy=0.95, g_mean=0.9),
        fake_metrics(tmp_path, "digits", "none", "ros", "svm", 0, accuracy=0.12345,
                     minority_recall=0.5),
    ]


def test_collect_tidy_and_sorted(paths):
    df = collect(paths)
    assert list(df.columns) == ["dataset", "imbalance", "augmenter", "classifier", "seed",
                                "metric", "value"]
    assert len(df) == 8  # 2 + 2 + 2 * 2; null minority_recall values give no row
    first = df.iloc[0]
    assert (first["dataset"], first["metric"]) == ("digits", "accuracy")
    assert df.iloc[1]["metric"] == "minority_recall"  # METRIC_NAMES order, not alphabetical
    step = df[(df["imbalance"] == "step") & (df["metric"] == "accuracy")]
    assert step["seed"].tolist() == [0, 1] and step["value"].tolist() == [0.9, 0.8]
    assert set(df["metric"]) <= set(METRIC_NAMES)


def test_collect_rejects_duplicate_cell_and_missing_cell(tmp_path, paths):
    dup = fake_metrics(tmp_path / "copy", "mnist", "step", "smote", "svm", 1, accuracy=0.1)
    with pytest.raises(ValueError, match="both describe"):
        collect([*paths, dup])
    bad = tmp_path / "bad.json"
    write_json_result(bad, {"accuracy": 0.5}, "metrics")
    with pytest.raises(ValueError, match="cell"):
        collect([bad])


def test_mean_std_strings(paths):
    tables = markdown_tables(collect(paths))
    assert list(tables) == ["digits", "mnist"]
    mnist = tables["mnist"]
    # accuracy 0.9, 0.8: mean 85.00, sample std 0.0707... -> 7.07
    assert "| step | smote | svm | 2 | 85.00 ± 7.07 | 60.00 ± 14.14 |" in mnist
    assert "| none | none | svm | 1 | 95.00 (n=1) | 90.00 (n=1) |" in mnist
    # Variants are sorted: "none" before "step".
    assert mnist.index("| none |") < mnist.index("| step |")
    assert "| 12.35 (n=1) | – | 50.00 (n=1) |" in tables["digits"]
    assert "ddof=1" in mnist


def test_format_mean_std_edge_cases():
    assert format_mean_std([]) == "–"
    assert format_mean_std([0.5, 0.5]) == "50.00 ± 0.00"
    assert format_mean_std([1.0]) == "100.00 (n=1)"


def test_write_summary_and_tables(tmp_path, paths):
    df = collect(paths)
    csv = tmp_path / "out" / "summary.csv"
    write_summary(df, csv)
    pd.testing.assert_frame_equal(read_summary(csv), df, check_dtype=False)
    written = write_tables(df, tmp_path / "tables")
    assert sorted(p.name for p in written) == ["digits.md", "mnist.md"]
    assert "85.00 ± 7.07" in (tmp_path / "tables" / "mnist.md").read_text()


def test_read_summary_keeps_na_like_names(tmp_path):
    # pandas would read an augmenter called "None" (or "NA") as NaN and groupby would drop it.
    paths = [fake_metrics(tmp_path, "d", "NA", "None", "svm", s, accuracy=0.5 + s / 10)
             for s in (0, 1)]
    csv = tmp_path / "summary.csv"
    write_summary(collect(paths), csv)
    back = read_summary(csv)
    assert back["augmenter"].tolist() == ["None", "None"]
    assert back["seed"].dtype == np.int64
    assert "| NA | None | svm | 2 | 55.00 ± 7.07 |" in markdown_tables(back)["d"]


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])  # IHDR width, height


def test_confusion_matrix_png_reproducible(tmp_path):
    rng = np.random.RandomState(0)
    cm = rng.randint(0, 50, (10, 10)) + np.diag(np.full(10, 200))
    cm[9] = 0  # a class without test images must not divide by zero
    names = [f"class {i}" for i in range(10)]
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    plot_confusion_matrix(cm, names, a, title="test")
    plot_confusion_matrix(cm, names, b, title="test")
    assert a.stat().st_size > 10_000
    assert png_size(a) == (850, 750)  # (0.55 * 10 + 3) x (0.55 * 10 + 2) inches at 100 dpi
    assert a.read_bytes() == b.read_bytes()
    c = tmp_path / "c.png"
    plot_confusion_matrix(cm, names, c, normalize=False)
    assert c.read_bytes() != a.read_bytes()
    with pytest.raises(ValueError):
        plot_confusion_matrix(cm, names[:3], tmp_path / "d.png")


def test_class_counts_png(tmp_path):
    names = [str(i) for i in range(10)]
    stages = {"original": [500] * 10, "imbalanced": [500] * 9 + [25],
              "rebalanced": [500] * 10}
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    plot_class_counts(stages, names, a, title="mnist", rho=20)
    plot_class_counts(stages, names, b, title="mnist", rho=20)
    assert a.read_bytes() == b.read_bytes()
    assert png_size(a) == (1200, 450)  # 0.3 * 10 classes * 3 stages + 3 inches wide
    single = tmp_path / "single.png"
    plot_class_counts({"imbalanced": stages["imbalanced"]}, names, single)
    assert png_size(single) == (600, 450) and single.stat().st_size > 5_000
    with pytest.raises(ValueError, match="stage"):
        plot_class_counts({"x": [1, 2]}, names, tmp_path / "bad.png")

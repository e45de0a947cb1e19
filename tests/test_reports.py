"""Report tables, statistics, figures, index and targets on small synthetic data."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from imbench import records
from imbench.errors import ConfigError
from imbench.io import read_json, write_json
from imbench.plan import Grid
from imbench.plan.config import apply_data_sources, apply_quick, merge_overrides, prepare_config
from imbench.plan.reports import ReportPlan, report_settings
from imbench.reports import build, collect, figures, stats, tables
from imbench.reports.index import markdown_to_html, render_index
from imbench.reports.job import ReportJob

# the config sections a recorded train/imbalanced file of these tests was made under
CONFIG = {s: {"name": s} for s in ("dataset", "imbalance", "augmenter")}

PNG = b"\x89PNG\r\n\x1a\n"
AUGMENTERS = ["none", "ros", "wgan"]
BASELINES = {"none"}  # the baseline augmenters
ORIGINALS = {"none"}  # the imbalances standing for the original set


def tidy(rows):
    """rows: (imbalance, augmenter, seed, metric, value) on dataset d, classifier svm."""
    return pd.DataFrame(
        [("d", i, a, "svm", s, m, v) for i, a, s, m, v in rows],
        columns=["dataset", "imbalance", "augmenter", "classifier", "seed", "metric", "value"],
    )


@pytest.fixture
def summary():
    rows = []
    for s in (0, 1, 2):
        rows += [("none", "none", s, "accuracy", 0.95 + 0.01 * s),
                 ("none", "none", s, "balanced_accuracy", 0.94)]
        for imb, drop in (("step5", 0.05), ("step20", 0.15)):
            rows += [(imb, "none", s, "accuracy", 0.95 - drop),
                     (imb, "none", s, "balanced_accuracy", 0.94 - drop - 0.01 * s),
                     (imb, "ros", s, "accuracy", 0.95 - drop + 0.01),
                     (imb, "ros", s, "balanced_accuracy", 0.94 - drop + 0.02 - 0.01 * s),
                     (imb, "wgan", s, "accuracy", 0.95 - drop + 0.03),
                     (imb, "wgan", s, "balanced_accuracy", 0.94 - drop + 0.05 - 0.01 * s)]
    return tidy(rows)


# -- tables ----------------------------------------------------------------------------------

def test_change_table_references_and_deltas(summary):
    ch = tables.change_table(summary, BASELINES, ORIGINALS)
    row = ch[(ch.imbalance == "step20") & (ch.augmenter == "wgan")
             & (ch.metric == "balanced_accuracy")].iloc[0]
    assert row["reference"] == tables.VS_BASELINE
    assert (row["ref_imbalance"], row["ref_augmenter"]) == ("step20", "none")
    assert row["delta"] == pytest.approx(0.05)
    assert row["delta_rel_pct"] == pytest.approx(100 * 0.05 / (0.94 - 0.15 - 0.01))
    assert row["delta_std"] == pytest.approx(0.0, abs=1e-12)  # same offset on every seed
    assert row["n_paired"] == 3
    base = ch[(ch.imbalance == "step5") & (ch.augmenter == "none")
              & (ch.metric == "accuracy")].iloc[0]
    assert base["reference"] == tables.VS_ORIGINAL
    assert base["delta"] == pytest.approx(-0.05 - 0.01)  # original mean is 0.96
    orig = ch[(ch.imbalance == "none") & (ch.metric == "accuracy")].iloc[0]
    assert orig["reference"] == "" and math.isnan(orig["delta"])


def test_change_table_without_baseline_augmenter(summary):
    sub = summary[summary.augmenter != "none"]
    ch = tables.change_table(sub, BASELINES, ORIGINALS)
    assert ch["delta"].isna().all()


def test_format_change():
    assert tables.format_change(0.0043, 0.47) == "+0.43 (+0.47%)"
    assert tables.format_change(-0.012, -1.2) == "-1.20 (-1.20%)"
    assert tables.format_change(float("nan"), 1.0) == "–"


def test_dataset_tables_markdown_and_csv(summary):
    md, frame = tables.dataset_tables(
        summary, "d", baselines=BASELINES, originals=ORIGINALS,
        rho={"step5": 5.0, "step20": 20.0},
        order={"imbalance": ["step20", "none", "step5"], "augmenter": AUGMENTERS})
    lines = [x for x in md.splitlines() if x.startswith("| ")]
    # the original first, then by rho whatever the config order
    assert lines[1].startswith("| none | 1 | none | svm | 3 |")
    assert lines[2].startswith("| step5 | 5 | none")
    assert "## Change against the reference" in md
    assert "imbalanced baseline (step20/none)" in md
    assert "original (none/none)" in md
    assert {"delta", "delta_rel_pct", "ref_mean", "rho"} <= set(frame.columns)
    assert list(frame.drop_duplicates("imbalance")["imbalance"]) == ["none", "step5", "step20"]


def test_ratio_table(summary):
    md, frame = tables.ratio_table(summary, "d", originals=ORIGINALS,
                                   rho={"step5": 5.0, "step20": 20.0},
                                   metrics=["balanced_accuracy"])
    header = next(x for x in md.splitlines() if x.startswith("| augmenter"))
    assert header == "| augmenter | none (ρ=1) | step5 (ρ=5) | step20 (ρ=20) |"
    ros = next(x for x in md.splitlines() if x.startswith("| ros"))
    assert ros.split(" | ")[1] == "–"  # ros was not run on the original
    assert "## accuracy — classifier" not in md  # only the requested metric
    assert set(frame["metric"]) == {"accuracy", "balanced_accuracy"}  # CSV has every metric


def test_rho_from_counts():
    assert tables.rho_from_counts({"a": {"rho": 12.0}, "b": {"counts": [10, 5, 0]}}) == \
        {"a": 12.0, "b": 2.0}


# -- statistics ------------------------------------------------------------------------------

def test_holm():
    assert stats.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert stats.holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])
    assert stats.holm([]) == []


def test_critical_difference_matches_demsar_table():
    # Demšar (2006) Table 5(a): q_0.05 = 2.569 for k = 4, 2.728 for k = 5
    assert stats.critical_difference(4, 1) == pytest.approx(2.569 * math.sqrt(4 * 5 / 6),
                                                            rel=1e-3)
    assert stats.critical_difference(5, 10) == pytest.approx(2.728 * math.sqrt(5 * 6 / 60),
                                                             rel=1e-3)


def test_friedman_nemenyi_on_a_clear_winner():
    rng = np.random.default_rng(0)
    n = 20
    base = rng.uniform(0.6, 0.9, n)
    matrix = pd.DataFrame(
        {"none": base, "ros": base + 0.001 * rng.standard_normal(n), "wgan": base + 0.05},
        index=pd.MultiIndex.from_tuples([("d", "i", "svm", s) for s in range(n)],
                                        names=stats.BLOCK))
    r = stats.compare(matrix)
    assert r["average_ranks"]["wgan"] == 1.0
    assert r["friedman_p"] < 1e-4 and r["iman_davenport_p"] < 1e-4
    pairs = {(p["a"], p["b"]): p for p in r["pairs"]}
    assert pairs[("none", "wgan")]["nemenyi_significant"]
    assert pairs[("none", "wgan")]["wilcoxon_significant"]
    assert not pairs[("none", "ros")]["nemenyi_significant"]
    assert ["ros", "none"] in r["cliques"] or ["none", "ros"] in r["cliques"]
    assert "Nemenyi" in r["test"] and "Holm" in r["test"]
    md = stats.markdown(r, "balanced_accuracy")
    assert "Friedman" in md and "critical difference" in md


def test_compare_scipy_friedman_agrees_without_ties():
    from scipy.stats import friedmanchisquare

    rng = np.random.default_rng(1)
    values = rng.uniform(size=(12, 4))
    matrix = pd.DataFrame(values, columns=list("abcd"),
                          index=pd.MultiIndex.from_tuples(
                              [("d", "i", "c", s) for s in range(12)], names=stats.BLOCK))
    r = stats.compare(matrix)
    ref = friedmanchisquare(*values.T)
    assert r["friedman_chi2"] == pytest.approx(ref.statistic)
    assert r["friedman_p"] == pytest.approx(ref.pvalue)


def _hand_friedman_and_nemenyi(values: np.ndarray) -> tuple[float, np.ndarray]:
    """The formulas stats.compare computed by hand before scipy / scikit-posthocs."""
    from scipy.stats import rankdata, studentized_range

    n, k = values.shape
    ranks = rankdata(-values, axis=1)
    avg = ranks.mean(axis=0)
    chi = 12.0 * n / (k * (k + 1)) * float(((avg - (k + 1) / 2.0) ** 2).sum())
    ties = sum(float((c**3 - c).sum()) for c in
               (np.unique(r, return_counts=True)[1] for r in ranks))
    chi /= 1.0 - ties / (n * k * (k * k - 1))
    se = math.sqrt(k * (k + 1) / (6.0 * n))
    p = np.array([[studentized_range.sf(abs(avg[i] - avg[j]) / se * math.sqrt(2.0), k, np.inf)
                   if i != j else 1.0 for j in range(k)] for i in range(k)])
    return chi, np.minimum(p, 1.0)


@pytest.mark.parametrize("k", [2, 3, 5])
def test_statistics_from_libraries_equal_the_hand_written_formulas(k):
    rng = np.random.default_rng(k)
    values = np.round(rng.uniform(size=(15, k)), 1)  # rounded: many ties
    matrix = pd.DataFrame(values, columns=[f"a{i}" for i in range(k)],
                          index=pd.MultiIndex.from_tuples(
                              [("d", "i", "c", s) for s in range(15)], names=stats.BLOCK))
    r = stats.compare(matrix)
    chi, nemenyi = _hand_friedman_and_nemenyi(values)
    assert r["friedman_chi2"] == pytest.approx(chi, rel=1e-12)
    names = list(matrix.columns)
    for pair in r["pairs"]:
        i, j = names.index(pair["a"]), names.index(pair["b"])
        assert pair["nemenyi_p"] == pytest.approx(nemenyi[i, j], rel=1e-9)
    # Holm by statsmodels, against the step-down rule written out
    raw = [pair["wilcoxon_p"] for pair in r["pairs"]]
    order = np.argsort(raw, kind="mergesort")
    expected, running = np.empty(len(raw)), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(raw) - rank) * raw[i]))
        expected[i] = running
    assert [pair["wilcoxon_holm_p"] for pair in r["pairs"]] == pytest.approx(expected)


def test_block_matrix_drops_incomplete_blocks_and_balanced_sets(summary):
    df = summary[~((summary.augmenter == "wgan") & (summary.seed == 2)
                   & (summary.imbalance == "step5"))]
    m, notes = stats.block_matrix(df, "accuracy", ORIGINALS)
    assert set(m.columns) == {"none", "ros", "wgan"}
    assert len(m) == 5  # 2 imbalances x 3 seeds, one incomplete; `none` imbalance left out
    assert any("incomplete" in n for n in notes)


def test_methods_rank_augmenter_and_classifier_pairs_together(summary, tmp_path):
    # a loss-level remedy is a classifier entry on the `none` augmenter: with compare:
    # methods it is ranked beside the augmenters of the plain classifier
    remedy = summary[(summary.augmenter == "none")].assign(
        classifier="ldam_drw", value=lambda d: d.value + 0.04)
    df = pd.concat([summary, remedy], ignore_index=True)
    m, _ = stats.block_matrix(df, "accuracy", ORIGINALS, by="methods")
    assert list(m.index.names) == stats.METHOD_BLOCK and len(m) == 6
    assert set(m.columns) == {"none + svm", "ros + svm", "wgan + svm", "none + ldam_drw"}
    r = stats.compare(m)
    assert r["problems"] == 2 and r["block"] == stats.METHOD_BLOCK
    # by augmenter (the default) the two classifiers are separate blocks
    m2, _ = stats.block_matrix(df, "accuracy", ORIGINALS)
    assert set(m2.columns) == {"none", "ros", "wgan"}
    df.to_csv(tmp_path / "s.csv", index=False)
    out = build.statistics(ReportJob.of(
        input={"summary": tmp_path / "s.csv"},
        output={"plot": tmp_path / "s.png", "markdown": tmp_path / "s.md",
                "json": tmp_path / "s.json"},
        params={"alpha": 0.05, "originals": list(ORIGINALS), "augmenters": None,
                "compare": "methods"},
        wildcards={"metric": "accuracy"}))
    assert out["compared"] == "methods" and out["k"] == 4
    md = (tmp_path / "s.md").read_text()
    assert "augmenter + classifier pair" in md and "| none + ldam_drw |" in md


def test_too_few_blocks_is_reported_not_raised(tmp_path):
    df = tidy([("s", "none", 0, "accuracy", 0.5), ("s", "ros", 0, "accuracy", 0.6)])
    df.to_csv(tmp_path / "s.csv", index=False)
    r = build.statistics(ReportJob.of(
        input={"summary": tmp_path / "s.csv"},
        output={"plot": tmp_path / "s.png", "markdown": tmp_path / "s.md",
                "json": tmp_path / "s.json"},
        params={"alpha": 0.05, "originals": [], "augmenters": ["none", "ros"],
                "compare": "augmenters"},
        wildcards={"metric": "accuracy"}))
    assert "error" in r and (tmp_path / "s.png").read_bytes().startswith(PNG)
    assert "Not tested" in (tmp_path / "s.md").read_text()


# -- figures ---------------------------------------------------------------------------------

def _images(n, h=12, w=12, c=1, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, h, w, c), dtype=np.uint8)


def test_figures_write_pngs(tmp_path):
    names = [f"class {i}" for i in range(4)]
    cm = np.eye(4) * 0.8 + 0.05
    figures.plot_confusion_grid({("none", "none"): cm, ("s", "none"): cm, ("s", "ros"): cm},
                                ["none", "s"], ["none", "ros"], names, tmp_path / "cg.png",
                                title="t", row_notes={"none": "original"})
    figures.plot_rebalanced_counts([10] * 4, [10, 10, 2, 1], [10, 10, 2, 1], [0, 0, 8, 9],
                                   names, tmp_path / "rc.png", augmenter="ros", title="t")
    figures.plot_real_vs_generated({2: _images(8)}, {2: _images(8, seed=1)}, names,
                                   tmp_path / "s.png", title="t")
    figures.plot_transform_examples({1: _images(1)[0]}, {1: _images(8, c=1)}, names,
                                    tmp_path / "tr.png", title="t")
    figures.plot_generator_progress([(e, _images(1, 40, 40, 3)[0]) for e in (1, 5, 10)],
                                    tmp_path / "gp.png", chosen_epoch=5, title="t",
                                    row_labels=["a", "b"])
    losses = pd.DataFrame({"model": ["class2"] * 3 + ["class3"] * 3, "epoch": [1, 2, 3] * 2,
                           "d_loss": np.arange(6.0), "g_loss": -np.arange(6.0),
                           "w_0": 1.0, "seconds": 0.1})
    assert figures.loss_columns(losses) == ["d_loss", "g_loss"]
    figures.plot_gan_losses(losses, tmp_path / "gl.png", chosen={"class2": 2}, title="t")
    st = pd.DataFrame({"protocol": ["step"] * 4, "original": False, "rho": [5.0, 20.0] * 2,
                       "augmenter": ["none", "none", "ros", "ros"], "metric": "accuracy",
                       "n": 3, "mean": [0.9, 0.8, 0.92, 0.85], "std": 0.01})
    colours = figures.augmenter_colours(["none", "ros"], BASELINES)
    assert colours["none"] == "black"
    figures.plot_metric_vs_ratio(st, ["accuracy"], tmp_path / "mr.png", colours=colours,
                                 original={"accuracy": (0.95, 0.01)}, title="t")
    pts = pd.DataFrame({"augmenter": ["ros", "ros"], "imbalance": ["a", "b"], "seed": [0, 0],
                        "gain": [0.01, 0.02], "diversity_ssim": [0.3, 0.4],
                        "real_diversity_ssim": [0.35, 0.35], "kid_mean": [1.0, 2.0],
                        "precision": [0.9, None], "recall": [0.2, None],
                        "reference_accuracy": [0.9, 0.8]})
    figures.plot_quality_vs_gain(pts, tmp_path / "q.png", colours=colours,
                                 metric="balanced_accuracy", title="t")
    figures.plot_precision_recall(pts, tmp_path / "pr.png", colours=colours, title="t")
    # classes too small for prdc: the figure says so instead of failing the report
    figures.plot_precision_recall(pts.assign(precision=None, recall=None),
                                  tmp_path / "pr0.png", colours=colours)
    for name in ("cg", "rc", "s", "tr", "gp", "gl", "mr", "q", "pr", "pr0"):
        assert (tmp_path / f"{name}.png").read_bytes().startswith(PNG), name


def test_figures_are_byte_reproducible(tmp_path):
    for name in ("a", "b"):
        figures.plot_real_vs_generated({0: _images(3)}, {0: _images(3, seed=2)}, ["x"],
                                       tmp_path / f"{name}.png", title="same")
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


def test_pick_epochs_keeps_first_last_and_chosen():
    got = figures.pick_epochs(range(1, 101), 37, 6)
    assert got[0] == 1 and got[-1] == 100 and 37 in got and len(got) == 6
    assert figures.pick_epochs([1, 2], None) == [1, 2]


def test_montage_shape():
    m = figures.montage(_images(5, 4, 3), 2)
    assert m.shape == (3 * 5 + 1, 2 * 4 + 1, 1)


def test_critical_difference_plot(tmp_path):
    r = {"test": stats.TEST_NAME, "alpha": 0.05, "k": 4, "n_blocks": 10,
         "average_ranks": {"a": 1.2, "b": 2.0, "c": 3.1, "d": 3.7},
         "critical_difference": 1.48, "friedman_p": 0.001}
    r["cliques"] = stats.cliques(r["average_ranks"], r["critical_difference"])
    assert r["cliques"] == [["a", "b"], ["b", "c"], ["c", "d"]]
    stats.plot_critical_difference(r, tmp_path / "cd.png", title="t")
    assert (tmp_path / "cd.png").read_bytes().startswith(PNG)


# -- collect ---------------------------------------------------------------------------------

def test_real_and_generated_and_counts(tmp_path):
    x = _images(30)
    y = np.repeat([0, 1, 2], 10)
    syn = np.zeros(30, bool)
    syn[[15, 16, 17, 25]] = True
    records.save(tmp_path / "t.npz", "train", CONFIG, x=x, y=y, synthetic=syn)
    real, gen = collect.real_and_generated(tmp_path / "t.npz", per_class=2)
    assert sorted(gen) == [1, 2] and len(gen[1]) == 2 and len(gen[2]) == 1
    assert all(any((img == x[i]).all() for i in (15, 16, 17)) for img in gen[1])
    c = collect.rebalanced_counts({"original_counts": [10, 10, 10], "counts": [10, 3, 2]},
                                  {"counts": [10, 10, 10], "added": {"1": 7, "2": 8}})
    assert c["real"] == [10, 3, 2] and c["synthetic"] == [0, 7, 8]


def test_transform_examples(tmp_path):
    records.save(tmp_path / "i.npz", "imbalanced", CONFIG, x=_images(6, 16, 16),
                 y=np.array([0, 0, 0, 1, 1, 1]))
    src, new = collect.transform_examples(tmp_path / "i.npz", [1], params={},
                                          flip_safe=False, n=4)
    assert list(src) == [1] and new[1].shape == (4, 16, 16, 1)


def test_sample_frames_selection_and_quality(tmp_path):
    (tmp_path / "samples").mkdir()
    for e in (2, 4):
        (tmp_path / "samples" / f"class3_epoch{e:04d}.png").write_bytes(b"")
    frames = collect.sample_frames(tmp_path / "samples")
    assert sorted(frames["class3"]) == [2, 4]
    records.write_json_result(tmp_path / "sel.json", {"models": {"class3": {"chosen_epoch": 4}}},
                              "selection")
    assert collect.chosen_epochs([tmp_path / "sel.json"]) == {"class3": 4}
    assert collect.model_label("class3", ["a", "b", "c", "Dress"]) == "class 3 (Dress)"
    records.write_json_result(tmp_path / "q.json", {"classes": {
        "3": {"diversity_ssim": 0.2, "fid": 4.0, "reference_accuracy": 1.0},
        "4": {"diversity_ssim": 0.4, "fid": None, "reference_accuracy": 0.5}}}, "quality")
    q = collect.quality_summary(read_json(tmp_path / "q.json"))
    assert q["diversity_ssim"] == pytest.approx(0.3) and q["fid"] == 4.0
    summ = tidy([("s", "none", 0, "accuracy", 0.8), ("s", "wgan", 0, "accuracy", 0.85)])
    pts = collect.quality_points({("s", "wgan", 0): tmp_path / "q.json"}, summ, dataset="d",
                                 classifier="svm", metric="accuracy",
                                 baselines=BASELINES)
    assert pts.loc[0, "gain"] == pytest.approx(0.05)


# -- index -----------------------------------------------------------------------------------

def test_index_links_relative_and_renders_tables(tmp_path):
    md = tmp_path / "reports" / "tables" / "d.md"
    md.parent.mkdir(parents=True)
    md.write_text("# T\n\nSome `code`.\n\n| a | b |\n|---|---:|\n| x | 1.0 |\n")
    html = render_index(
        [{"section": "Tables", "dataset": "d", "title": "d.md", "path": str(md)},
         {"section": "Figures", "dataset": "d", "title": "f",
          "path": str(tmp_path / "results" / "f.png")}],
        root=str(tmp_path / "reports"))
    assert 'href="tables/d.md"' in html and 'src="../results/f.png"' in html
    assert '<td class="num">1.0</td>' in html and "<code>code</code>" in html
    assert markdown_to_html("_None._") == "<p><em>None.</em></p>"


# -- targets and config preparation ----------------------------------------------------------

def test_report_targets_of_the_tiny_grid(tiny_config):
    plan = ReportPlan(Grid(tiny_config))
    t = plan.targets()
    assert t[-1] == "reports/index.html"
    assert "reports/tables/digits.md" in t and "reports/tables/digits.by_ratio.csv" in t
    assert "reports/confusion/digits/svm.png" in t
    assert "reports/ratios/digits/svm.png" in t
    assert "reports/rebalanced_counts/digits/step/smote/seed0.png" in t
    assert "reports/rebalanced_counts/digits/step/none/seed0.png" not in t  # nothing rebalanced
    assert "reports/samples/digits/step/transforms/seed0.png" in t
    assert "reports/samples/digits/step/ros/seed0.png" not in t  # duplicates only
    assert "reports/transforms/digits/step/transforms/seed0.png" in t
    assert not [x for x in t if x.startswith(("reports/generators", "reports/quality"))]
    assert not plan.statistics()  # one block only: nothing to test
    assert len(t) == len(set(t))


def test_no_ratio_figure_for_a_classifier_run_on_the_balanced_set_only(tiny_config):
    # seed003's `_last` variants run on a balanced set only at the smoke scale; their
    # metric-against-ratio figure had nothing to draw and failed the run
    tiny_config["classifiers"]["svm_b"] = {"method": "svm"}
    tiny_config["exclude"].append({"imbalance": "step", "classifier": "svm_b"})
    t = ReportPlan(Grid(tiny_config)).targets()
    assert "reports/ratios/digits/svm.png" in t
    assert "reports/ratios/digits/svm_b.png" not in t


def test_no_cross_cell_figure_with_nothing_to_compare(tiny_config):
    # a remedy run on one imbalanced set beside a generator it never met (cifar10_lt's
    # smoke scale): one ratio is no curve, and it has no generated images to judge
    tiny_config["augmenters"]["wgan"] = {"method": "wgan_gp", "params": {"epochs": 1}}
    tiny_config["classifiers"]["focal"] = {"method": "svm"}
    tiny_config["exclude"] += [{"imbalance": "none", "augmenter": "wgan"},
                               {"imbalance": "none", "classifier": "focal"},
                               {"augmenter": "wgan", "classifier": "focal"}]
    t = ReportPlan(Grid(tiny_config)).targets()
    assert {"reports/ratios/digits/svm.png", "reports/quality/digits/svm.png"} <= set(t)
    assert "reports/ratios/digits/focal.png" not in t
    assert "reports/quality/digits/focal.png" not in t
    assert "reports/confusion/digits/focal.png" in t  # its own cells still have a grid


def test_report_targets_with_generators_and_seeds(tiny_config):
    cfg = copy.deepcopy(tiny_config)
    cfg["augmenters"]["wgan"] = {"method": "wgan_gp", "params": {"epochs": 2}}
    cfg["augmenters"]["acgan"] = {"method": "acgan"}
    cfg["exclude"] += [{"imbalance": "none", "augmenter": "wgan"},
                       {"imbalance": "none", "augmenter": "acgan"}]
    cfg["seeds"] = [3, 1]
    plan = ReportPlan(Grid(cfg))
    t = plan.targets()
    # per-class units of the step protocol's minority classes, first configured seed only
    assert "reports/generators/digits/step/wgan/seed3/class8.png" in t
    assert "reports/generators/digits/step/wgan/seed3/losses.png" in t
    assert "reports/generators/digits/step/acgan/seed3/conditional.png" in t
    assert not [x for x in t if "generators" in x and "seed1" in x]
    assert "reports/quality/digits/svm.png" in t
    q = plan.quality_files("digits")
    # keyed by (imbalance, augmenter, seed, fold); fold None without folds
    assert ("step", "smote", 1, None) in q and ("step", "ros", 1, None) not in q
    assert "reports/statistics/balanced_accuracy.png" in t
    inputs = plan.loss_inputs("digits", "step", "wgan", 3)
    key = plan.grid.generator_key("digits", "step", "wgan")
    assert inputs["losses"][0].startswith(f"models/digits/step/{key}/seed3/class")


def test_balanced_counts_protocol_counts_as_original(tiny_config):
    cfg = copy.deepcopy(tiny_config)
    cfg["imbalances"] = {"orig": {"protocol": "counts", "counts": {c: 100 for c in range(10)}},
                         "step": cfg["imbalances"]["step"]}
    cfg["exclude"] = [{"imbalance": "orig", "augmenter": a} for a in ("ros", "smote",
                                                                      "transforms")]
    grid = Grid(cfg)
    assert grid.originals == {"orig"} and grid.baselines == {"none"}
    plan = ReportPlan(grid)
    assert not plan.imbalanced("orig") and plan.imbalanced("step")


def test_report_settings():
    assert report_settings({})["alpha"] == 0.05
    assert report_settings({"report": {"metrics": ["g_mean"]}})["metrics"] == ["g_mean"]
    with pytest.raises(ConfigError):
        report_settings({"report": {"metrics": ["nope"]}})
    with pytest.raises(ConfigError):
        report_settings({"report": {"alpha": 2}})


def test_merge_overrides_semantics():
    base = {"a": {"x": 1, "y": {"p": 1}}, "l": [1, 2], "k": 1}
    merge_overrides(base, {"a": {"y": {"q": 2}, "x": None}, "l": [3], "n": {"m": 1}})
    assert base == {"a": {"y": {"p": 1, "q": 2}}, "l": [3], "k": 1, "n": {"m": 1}}


def test_apply_quick():
    cfg = {"seeds": [0, 1, 2], "quick_overrides": {"seeds": [0]}}
    assert apply_quick(copy.deepcopy(cfg))["seeds"] == [0, 1, 2]
    assert apply_quick({**copy.deepcopy(cfg), "quick": True})["seeds"] == [0]
    q = apply_quick({**copy.deepcopy(cfg), "quick": "true"})  # --config quick=true
    assert q["quick"] is True and q["seeds"] == [0]
    assert apply_quick({**copy.deepcopy(cfg), "quick": "False"})["seeds"] == [0, 1, 2]
    with pytest.raises(ConfigError):
        apply_quick({"quick": "maybe"})


def test_a_scale_is_an_overrides_block_and_an_unknown_one_is_refused():
    cfg = {"seeds": [0, 1, 2], "quick_overrides": {"seeds": [0]},
           "medium_overrides": {"seeds": [0, 1, 2], "epochs": 5}}
    m = apply_quick({**copy.deepcopy(cfg), "scale": "medium"})
    assert (m["scale"], m["quick"], m["epochs"]) == ("medium", False, 5)
    assert apply_quick(copy.deepcopy(cfg))["scale"] == "real"
    assert apply_quick({**copy.deepcopy(cfg), "quick": "true"})["scale"] == "quick"
    with pytest.raises(ConfigError, match="large.*real, medium, quick"):
        apply_quick({**copy.deepcopy(cfg), "scale": "large"})
    with pytest.raises(ConfigError, match="scale"):  # two scales at once
        apply_quick({**copy.deepcopy(cfg), "scale": "medium", "quick": True})
    with pytest.raises(ConfigError, match="quick"):  # no quick block: not silently real
        apply_quick({"seeds": [0], "quick": True})


def test_apply_data_sources(tmp_path):
    cfg = {"datasets": {"fm": {"loader": "fashion_mnist"}, "mnist": {},
                        "mine": {"loader": "fashion_mnist", "source": "/own"}},
           "data_sources": {"fashion_mnist": "/a.npz", "cifar10": "/c.npz"}}
    out = apply_data_sources(cfg)
    assert out["datasets"]["fm"]["source"] == "/a.npz"
    assert "source" not in out["datasets"]["mnist"]
    assert out["datasets"]["mine"]["source"] == "/own"
    assert set(out["datasets"]) == {"fm", "mnist", "mine"}  # cifar10 not added
    prepared = prepare_config({"quick": True, "datasets": {"x": {}},
                               "quick_overrides": {"datasets": {"x": None, "mnist": {}}},
                               "data_sources": {"mnist": "/m.npz"}})
    assert prepared["datasets"] == {"mnist": {"source": "/m.npz"}}


def test_learning_curves_of_every_neural_cell(tmp_path) -> None:
    history = {"loss": [2.0, 1.5, 1.2], "val_loss": [2.1, 1.7, 1.6],
               "accuracy": [0.2, 0.4, 0.5], "val_accuracy": [0.2, 0.35, 0.45],
               "d_loss": [0.7, 0.6, 0.6]}
    assert figures.learning_curve_panels(history) == {
        "loss": {"training": "loss", "validation": "val_loss"},
        "accuracy": {"training": "accuracy", "validation": "val_accuracy"},
        "d_loss": {"training": "d_loss"}}
    write_json(tmp_path / "train_report.json", {"history": history, "best_epoch": 3})
    out = tmp_path / "curves.png"
    build.learning_curves(ReportJob.of(
        input={"report": str(tmp_path / "train_report.json")}, output={"plot": str(out)},
        wildcards={"dataset": "d", "imbalance": "i", "augmenter": "a", "classifier": "c",
                   "seed": 0}))
    assert out.stat().st_size > 5000
    with pytest.raises(ValueError, match="empty"):
        figures.plot_learning_curves({}, tmp_path / "x.png")

    # the plan: one figure per neural cell (first seed), none for the SVM
    repo = Path(__file__).resolve().parents[1]
    cfg = yaml.safe_load((repo / "configs" / "cifar10_lt.yaml").read_text())
    cfg["quick"] = True
    plan = ReportPlan(Grid(prepare_config(cfg)))
    paths = plan.paths("plot_learning_curves")
    assert len(paths) == len({(c.imbalance, c.augmenter, c.classifier) for c in plan.grid.cells})
    cfg = yaml.safe_load((repo / "configs" / "seed000.yaml").read_text())
    cfg["quick"] = True
    plan = ReportPlan(Grid(prepare_config(cfg)))
    rule = next(r for r in plan.rules if r.name == "plot_learning_curves")
    wc = rule.targets(plan)[0]
    assert rule.inputs(plan, wc)["report"].startswith("models/")  # cnn_svm: its CNN's report
    default = yaml.safe_load((repo / ".test" / "config.yaml").read_text())  # SVM only
    assert ReportPlan(Grid(prepare_config(default))).paths("plot_learning_curves") == []


def test_fit_table_is_table_one_with_validation_and_test_apart(tmp_path) -> None:
    # seed 004 Table I: train / val, where its val was the test set; here three columns
    history = {"loss": [2.0, 1.5, 1.2], "val_loss": [2.1, 1.4, 1.6],
               "accuracy": [0.2, 0.4, 0.5], "val_accuracy": [0.2, 0.45, 0.4]}
    row = tables.fit_rows(history, 2, {"accuracy": 0.41, "precision_macro": 0.5,
                                       "recall_macro": 0.3})
    assert row == {"train_loss": 1.5, "train_accuracy": 0.4, "val_loss": 1.4,
                   "val_accuracy": 0.45, "test_accuracy": 0.41,
                   "test_precision_macro": 0.5, "test_recall_macro": 0.3}
    assert tables.fit_rows({"loss": [1.0, 0.5]}, None, {})["train_loss"] == 0.5  # no val
    cells, reports, metrics = [], [], []
    for seed, acc in ((0, 0.4), (1, 0.6)):
        reports.append(tmp_path / f"r{seed}.json")
        metrics.append(tmp_path / f"m{seed}.json")
        write_json(reports[-1], {"history": history, "best_epoch": 2})
        records.write_json_result(metrics[-1], {"accuracy": acc, "precision_macro": 0.5,
                                                "recall_macro": 0.5}, "metrics")
        cells.append(["tiny", "cgan_250", "small_cnn", seed])
    out = {"table": str(tmp_path / "fit.md"), "csv": str(tmp_path / "fit.csv")}
    build.fit_tables(ReportJob.of(
        input={"reports": [str(p) for p in reports], "metrics": [str(p) for p in metrics]},
        output=out, wildcards={"dataset": "d"},
        params={"cells": cells, "order": {"imbalance": ["tiny"], "augmenter": ["cgan_250"],
                                          "classifier": ["small_cnn"]}}))
    md = Path(out["table"]).read_text()
    assert "| tiny | cgan_250 | small_cnn | 1.500 ± 0.000 |" in md
    assert "0.500 ± 0.141" in md  # test accuracy over the two seeds
    assert len(pd.read_csv(out["csv"])) == 2
    # the plan: a table per dataset with neural cells, reading each cell's history
    repo = Path(__file__).resolve().parents[1]
    cfg = yaml.safe_load((repo / "configs" / "seed001.yaml").read_text())
    cfg["quick"] = True
    plan = ReportPlan(Grid(prepare_config(cfg)))
    assert plan.paths("fit_tables") == ["reports/tables/mnist_quick.fit.md",
                                        "reports/tables/mnist_quick.fit.csv"]
    default = yaml.safe_load((repo / ".test" / "config.yaml").read_text())  # SVM only
    assert ReportPlan(Grid(prepare_config(default))).paths("fit_tables") == []


def test_every_metric_has_one_human_label():
    from imbench.metrics import METRIC_NAMES
    from imbench.reports import METRIC_LABELS

    assert set(METRIC_LABELS) >= set(METRIC_NAMES)
    labels = [METRIC_LABELS[m] for m in METRIC_NAMES]
    assert len(set(labels)) == len(labels)  # no two metrics share a label
    assert not any("_" in label for label in labels)  # no raw key shown as a label


def test_the_leaderboard_ranks_each_imbalanced_set_with_intervals_and_changes(summary):
    md, frame = tables.leaderboard(summary, "d", "balanced_accuracy", baselines=BASELINES,
                                   originals=ORIGINALS, rho={"step5": 5, "step20": 20})
    step5 = frame[frame["imbalance"] == "step5"].set_index("augmenter")
    assert list(frame["imbalance"].unique()) == ["step5", "step20"]  # by ρ; no original row
    assert step5["rank"].to_dict() == {"wgan": 1, "ros": 2, "none": 3}
    # 0.94 - 0.05 + 0.05 - 0.01 s over s = 0, 1, 2: mean 0.93, sd 0.01, t(0.975, 2) = 4.303
    assert step5.loc["wgan", "mean"] == pytest.approx(0.93)
    assert step5.loc["wgan", "ci95"] == pytest.approx(4.303 * 0.01 / 3 ** 0.5, rel=1e-3)
    assert step5.loc["wgan", "delta"] == pytest.approx(0.05)  # paired by seed
    assert "| 1 | wgan | svm | 93.00 ± 2.48 | +5.00 |" in md
    assert "| 3 | none | svm | 88.00 ± 2.48 | baseline |" in md
    # a lower-is-better metric ranks the other way
    ece = tidy([(i, a, s, "ece", v) for s in (0, 1) for i, a, v in
                (("step5", "none", 0.2), ("step5", "ros", 0.1))])
    _, ranked = tables.leaderboard(ece, "d", "ece", baselines=BASELINES, originals=ORIGINALS)
    assert ranked.set_index("augmenter")["rank"].to_dict() == {"ros": 1, "none": 2}

"""The reproduction report: published numbers resolved against the grid at DAG build, imbench's
value per seed (paired changes), the prediction interval, and each preset's numbers in its
report."""

from __future__ import annotations

import copy
import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from imbench.errors import ConfigError, DataError
from imbench.plan import Grid, ReportPlan, prepare_config
from imbench.plan.card import CHECKLIST, entries
from imbench.plan.published import QUALITY_PREFIX
from imbench.records import write_json_result
from imbench.reports import build
from imbench.reports.job import ReportJob
from imbench.reports.reproduction import compare, lookup, prediction_interval

REPO = Path(__file__).resolve().parents[1]
PRESETS = ["seed000", "seed001", "seed002", "seed003", "seed004", "cifar10_lt"]
SEEDS = REPO.parent / "shared" / "seeds"


def _plan(name: str, scale: str, edit=None) -> ReportPlan:
    cfg = yaml.safe_load((REPO / "configs" / f"{name}.yaml").read_text())
    cfg["scale"] = scale
    if edit is not None:
        edit(cfg)
    prepare_config(cfg)
    return ReportPlan(Grid(cfg))


def test_lookup_reads_nested_and_per_class_values(tmp_path) -> None:
    data = {"accuracy": 0.5, "auc_per_class": {"1": 0.9},
            "per_class": [{"class": 0, "recall": 0.1}, {"class": 4, "recall": 0.4}],
            "classes": {"0": {"diversity_ssim": 0.3, "fid": None}}}
    assert lookup(data, "accuracy") == 0.5
    assert lookup(data, "per_class.4.recall") == 0.4
    assert lookup(data, "auc_per_class.1") == 0.9
    assert lookup(data, "classes.0.diversity_ssim") == 0.3
    with pytest.raises(DataError, match=r"per_class\.7\.recall.*'7'"):
        lookup(data, "per_class.7.recall", "m.json")
    with pytest.raises(DataError, match="fid"):
        lookup(data, "classes.0.fid")
    with pytest.raises(DataError, match="not a number"):
        lookup(data, "per_class")


def test_prediction_interval_closed_form() -> None:
    low, high = prediction_interval([1.0, 2.0, 3.0])
    # mean 2, sd 1, t(0.975, 2) = 4.3027: half-width 4.3027 * sqrt(1 + 1/3)
    assert (high - low) / 2 == pytest.approx(4.302653 * math.sqrt(4 / 3), rel=1e-5)
    assert (low + high) / 2 == pytest.approx(2.0)
    assert prediction_interval([1.0]) is None


def test_changes_are_paired_by_seed_in_the_papers_unit(tmp_path) -> None:
    files = {"cell": [], "versus": []}
    for seed, (a, b) in enumerate([(0.80, 0.70), (0.90, 0.75), (0.60, 0.58)]):
        for role, v in (("cell", a), ("versus", b)):
            p = tmp_path / f"{role}{seed}.json"
            write_json_result(p, {"accuracy": v}, "metrics")
            files[role].append([seed, str(p)])
    number = {"name": "gain", "metric": "accuracy", "value": 10.0, "where": "T1", "scale": 100,
              "change": "absolute", "cell": {"a": "x"}, "versus": {"a": "y"}, "files": files}
    r = compare(number)
    assert r["mean"] == pytest.approx(100 * (0.10 + 0.15 + 0.02) / 3)
    assert r["n_seeds"] == 3 and r["same_sign"] is True and r["inside"] is True
    assert r["difference"] == pytest.approx(r["mean"] - 10.0)
    rel = compare({**number, "change": "relative", "value": 80.0})
    assert rel["mean"] == pytest.approx(100 * (0.1 / 0.7 + 0.15 / 0.75 + 0.02 / 0.58) / 3)
    assert rel["inside"] is False  # [-29, 54] %: 80 % lies outside
    one = compare({**number, "change": None, "versus": None,
                   "files": {"cell": files["cell"][:1]}, "value": 80.0})
    assert one["mean"] == pytest.approx(80.0) and one["inside"] is None


def _add_fake_result(path: Path, metric: str, value: float) -> None:
    """Put ``value`` at ``metric``'s place in the metrics.json / quality.json at ``path``
    (several published numbers read one file)."""
    data = json.loads(path.read_text()) if path.exists() else {}
    data.pop("record", None)
    key = metric[len(QUALITY_PREFIX):] if metric.startswith(QUALITY_PREFIX) else metric
    parts = key.split(".")
    if parts[0] == "per_class":
        rows = data.setdefault("per_class", [])
        row = next((r for r in rows if r["class"] == int(parts[1])), None)
        if row is None:
            row = {"class": int(parts[1])}
            rows.append(row)
        row[parts[2]] = value
    else:
        node = data
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    write_json_result(path, data, "quality" if metric.startswith(QUALITY_PREFIX) else "metrics")


def _scales(name: str) -> list[str]:
    cfg = yaml.safe_load((REPO / "configs" / f"{name}.yaml").read_text())
    return ["real", *sorted(k.removesuffix("_overrides") for k in cfg
                            if k.endswith("_overrides"))]


@pytest.mark.parametrize(("name", "scale"), [(n, s) for n in PRESETS for s in _scales(n)])
def test_each_preset_has_published_numbers_in_its_report(name, scale, tmp_path) -> None:
    plan = _plan(name, scale)
    numbers = plan.published
    assert numbers, f"{name}: no published numbers"
    for n in numbers:  # well-formed: where it stands in the paper, and a finite value
        assert n["where"].strip() and math.isfinite(n["value"])
        # [seed, path] per repetition, [seed, fold, path] with folds (seed003: 5 folds)
        width = 3 if plan.grid.folds else 2
        assert n["files"]["cell"] and all(len(e) == width for e in n["files"]["cell"])
        assert len(n["files"]["cell"]) == len(plan.grid.repetitions())
    (target,) = plan.paths("reproduction")[:1]
    assert target == f"reports/reproduction/{name}{'' if scale == 'real' else '_' + scale}.md"
    # the rule reads exactly the cells' result files
    rule = next(r for r in plan.rules if r.name == "reproduction")
    inputs = rule.inputs(plan, {"preset": ""})["files"]
    wanted = {pair[-1] for n in numbers for pairs in n["files"].values() for pair in pairs}
    assert set(inputs) == wanted

    # run the report job on made-up result files (one value per file, different per seed)
    numbers = copy.deepcopy(numbers)
    for n in numbers:
        for role, pairs in n["files"].items():
            for i, pair in enumerate(pairs):
                path = tmp_path / pair[-1]
                path.parent.mkdir(parents=True, exist_ok=True)
                value = 0.5 + 0.01 * i + (0.1 if role == "cell" else 0.0)
                _add_fake_result(path, n["metric"], value)
                pair[-1] = str(path)
    out = {k: str(tmp_path / f"r.{k}") for k in ("table", "csv")}
    out["plot"] = str(tmp_path / "r.png")
    params = rule.params(plan, {"preset": ""})
    build.reproduction(ReportJob.of(output=out, wildcards={"preset": name},
                                    params={**params, "numbers": numbers}))
    md = Path(out["table"]).read_text()
    frame = pd.read_csv(out["csv"])
    assert len(frame) == len(numbers)
    for n in numbers:
        assert f"| {n['name']} |" in md, n["name"]
    assert Path(out["plot"]).stat().st_size > 1000
    assert md.splitlines()[0].endswith(f"({scale} scale)") == (scale != "real")
    # the report opens with the protocol card, every checklist item a row
    card_at, numbers_at = md.index("## The protocol, item by item"), md.index("## The published")
    assert card_at < numbers_at
    for item in CHECKLIST:
        assert f"| {item.title}" in md[card_at:numbers_at], item.title
    if scale != "real":
        assert f"the {scale} scale changes" in md
    # numbers the paper's own figures contradict are shown apart, and not counted
    unsound = [n for n in numbers if not n["consistent"]]
    sound = len(numbers) - len(unsound)
    assert (("## Published numbers that cannot be right as printed" in md) == bool(unsound))
    if sound and len(plan.grid.repetitions()) > 1:
        assert re.search(rf"\b\d+ of {sound} published numbers fall inside", md)


def test_a_published_number_naming_no_cell_fails_the_dag_build() -> None:
    def typo(cfg):
        cfg["published"]["numbers"][0]["cell"]["augmenter"] = "wgan"
    with pytest.raises(ConfigError, match=r"published\.numbers\[0\].*cell"):
        _plan("seed000", "real", typo)

    def metric(cfg):
        cfg["published"]["numbers"][0]["metric"] = "accuracy_macro"
    with pytest.raises(ConfigError, match="accuracy_macro"):
        _plan("seed000", "real", metric)

    def quality_of_baseline(cfg):
        cfg["published"]["numbers"][0]["metric"] = "quality:classes.0.diversity_ssim"
        cfg["published"]["numbers"][0].pop("versus")
        cfg["published"]["numbers"][0]["cell"]["imbalance"] = "none"
    with pytest.raises(ConfigError, match="quality.json"):
        _plan("seed000", "real", quality_of_baseline)


def _normalise(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the papers (../shared/seeds) are not here")
@pytest.mark.parametrize("name", ["seed000", "seed001", "seed002", "seed003"])
def test_quotes_are_the_papers_words(name) -> None:
    cfg = yaml.safe_load((REPO / "configs" / f"{name}.yaml").read_text())
    (paper,) = SEEDS.glob(f"{name[-3:]}_*.txt")
    text = _normalise(paper.read_text())
    assert paper.name in cfg["published"]["source"]
    for n in cfg["published"]["numbers"]:
        assert _normalise(n["quote"]) in text, n["name"]


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the papers (../shared/seeds) are not here")
@pytest.mark.parametrize("name", ["seed000", "seed001", "seed002", "seed003", "seed004"])
def test_the_cards_quotes_are_the_papers_words(name) -> None:
    """Every passage a card quotes (between double quotes; "..." marks a cut) is in the
    paper, so a card cannot put words in a study's mouth."""
    cfg = yaml.safe_load((REPO / "configs" / f"{name}.yaml").read_text())
    (paper,) = SEEDS.glob(f"{name[-3:]}_*.txt")
    # the papers' Markdown emphasis (*airplane*) is not part of their words
    text = _normalise(paper.read_text().replace("*", "")).lower()
    checked = 0
    for item in CHECKLIST:
        for entry in entries(cfg["protocol"], item.key):
            for quote in re.findall(r'"([^"]+)"', entry["paper"]):
                for piece in _normalise(quote).split(" ... "):
                    assert piece.strip(" .").lower() in text, (item.key, piece)
                    checked += 1
    assert checked >= 5, f"{name}: the card quotes the paper {checked} times"

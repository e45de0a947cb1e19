"""The protocol card: a complete checklist in every preset at every scale, refused at DAG
build when an item is missing, a deviation has no reason or a stated protocol no place."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from imbench.errors import ConfigError
from imbench.plan import Grid, ReportPlan, prepare_config
from imbench.plan.card import CHECKLIST, STATUSES, card_rows, check, counts, scale_changes
from imbench.plan.schema import validate_config

REPO = Path(__file__).resolve().parents[1]
PRESETS = sorted(p.stem for p in (REPO / "configs").glob("*.yaml")
                 if "published" in yaml.safe_load(p.read_text()))


def _config(name: str, scale: str = "real") -> dict:
    cfg = yaml.safe_load((REPO / "configs" / f"{name}.yaml").read_text())
    cfg["scale"] = scale
    return cfg


def _scales(name: str) -> list[str]:
    return ["real", *sorted(k.removesuffix("_overrides") for k in _config(name)
                            if k.endswith("_overrides"))]


def test_every_study_preset_is_found() -> None:
    assert {"seed000", "seed001", "seed002", "seed003", "seed004", "cifar10_lt"} <= set(PRESETS)


@pytest.mark.parametrize(("name", "scale"), [(n, s) for n in PRESETS for s in _scales(n)])
def test_every_preset_at_every_scale_has_a_complete_card(name, scale) -> None:
    cfg = prepare_config(_config(name, scale))
    validate_config(cfg)
    ReportPlan(Grid(cfg))  # the DAG build checks the card
    card = cfg["protocol"]
    assert [k for k in card] == [i.key for i in CHECKLIST]  # the checklist's order
    rows = card_rows(card)
    assert sum(counts(card).values()) == len(rows) >= len(CHECKLIST)
    for row in rows:
        assert row["paper"].strip() and row["imbench"].strip(), row["item"]
        assert row["status"] in STATUSES
        if row["status"] != "same":
            assert row["why"].strip(), row["item"]  # a deviation or assumption says why
    assert bool(scale_changes(cfg)) == (scale != "real")


def _plan(cfg: dict) -> None:
    cfg = prepare_config(cfg)
    validate_config(cfg)
    ReportPlan(Grid(cfg))


def test_a_missing_item_fails_the_dag_build_naming_it() -> None:
    cfg = _config("seed004")
    del cfg["protocol"]["test_set"]
    with pytest.raises(ConfigError, match=r"'protocol\.test_set'.*test set: which images"):
        _plan(cfg)


def test_a_study_preset_without_a_card_is_refused() -> None:
    cfg = _config("seed004")
    del cfg["protocol"]
    with pytest.raises(ConfigError, match=r"'protocol'.*protocol card"):
        _plan(cfg)
    # a config that compares with no study needs none
    del cfg["published"]
    _plan(cfg)


@pytest.mark.parametrize(("edit", "match"), [
    (lambda c: c["protocol"]["repetitions"].pop("why"), r"protocol\.repetitions\.why"),
    (lambda c: c["protocol"]["dataset"].pop("where"), r"protocol\.dataset\.where"),
    (lambda c: c["protocol"]["generator_architecture"][1].pop("subject"),
     r"protocol\.generator_architecture\[1\]\.subject"),
])
def test_an_entry_without_its_reason_place_or_subject_is_refused(edit, match) -> None:
    cfg = _config("seed004")
    edit(cfg)
    with pytest.raises(ConfigError, match=match):
        check(cfg)


def test_the_schema_refuses_an_unknown_status_or_item() -> None:
    cfg = prepare_config(_config("seed004"))
    bad = copy.deepcopy(cfg)
    bad["protocol"]["dataset"]["status"] = "similar"
    with pytest.raises(ConfigError, match=r"protocol\.dataset"):
        validate_config(bad)
    bad = copy.deepcopy(cfg)
    bad["protocol"]["optimiser"] = {"paper": "x", "imbench": "y", "status": "same"}
    with pytest.raises(ConfigError, match=r"protocol\.optimiser"):
        validate_config(bad)

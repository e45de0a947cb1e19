"""The recipes of docs/contributing.md, each done with a toy entry: register it as the recipe
says (one module plus one line; here the module is this file and the line a temporary
registration), dry-run the real workflow with it, and run its registry's contract on it.
A recipe that stops working fails here."""

from __future__ import annotations

import copy
from typing import Any, ClassVar

import numpy as np
import pytest

from imbench.augment import AUGMENTERS
from imbench.augment.base import Augmenter
from imbench.classify import CLASSIFIERS
from imbench.classify.training import KerasClassifier
from imbench.errors import ConfigError
from imbench.generators import GENERATORS, GeneratorMethod
from imbench.imbalance import PROTOCOLS
from imbench.imbalance.base import Counts, Protocol, check_class_list
from imbench.params import Int, ListOf, Number, Param, ParamSpec
from imbench.plan import Grid, ReportPlan, layout
from imbench.plan.reports import REPORT_RULES, Indexed, Output, ReportRule
from imbench.reference import reference_markdown

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _refused(dry_run: Any, cfg: dict, path: tuple[str, ...], value: Any, key: str,
             allowed: str) -> None:
    """The toy's own parameter at a bad value: the DAG build stops with one ConfigError
    naming the key, the value and what its declaration allows (the schema knows the key
    from the declaration: nothing else was edited)."""
    bad = copy.deepcopy(cfg)
    node = bad
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    with pytest.raises(ConfigError) as err:
        dry_run(bad)
    assert err.value.key == key and err.value.value == value
    assert allowed in str(err.value)


def _rules(jobs: list, rule: str, **wildcards: Any) -> list:
    return [j for j in jobs if j[0] == rule
            and all(j[1].get(k) == str(v) for k, v in wildcards.items())]


# (a) a classic augmenter -------------------------------------------------------------------
class ToyJitter(Augmenter):
    """Each new image is a real one with one pixel changed."""

    name: ClassVar[str] = "toy_jitter"
    synthesises: ClassVar[bool] = True
    parameters: ClassVar[ParamSpec] = ParamSpec(
        Param("amount", 1, Int(1, 255), "added to the first pixel of each copy"))

    def _generate(self, x, y, cls, n, rng):
        out = x[y == cls][rng.randint(0, int((y == cls).sum()), size=n)].copy()
        out[:, 0, 0, 0] = (out[:, 0, 0, 0].astype(int) + self.params_["amount"]) % 256
        return out.astype(np.uint8)


def test_recipe_classic_augmenter(tiny_config, dry_run):
    from test_augmenters import test_contract as augmenter_contract

    with AUGMENTERS.registered("toy_jitter", ToyJitter):
        augmenter_contract("toy_jitter", (8, 8, 1))
        cfg = copy.deepcopy(tiny_config)
        cfg["augmenters"]["toy"] = {"method": "toy_jitter", "params": {"amount": 2}}
        cfg["exclude"].append({"imbalance": "none", "augmenter": "toy"})
        jobs = dry_run(cfg)
        _refused(dry_run, cfg, ("augmenters", "toy", "params", "amount"), 300,
                 "augmenters.toy.params.amount", "an integer in [1, 255]")
        assert "amount" in reference_markdown()
    assert _rules(jobs, "augment", imbalance="step", augmenter="toy")
    assert _rules(jobs, "train_classifier", augmenter="toy")
    # it synthesises, so the samples figure shows what it added
    assert _rules(jobs, "plot_samples", augmenter="toy")
    assert not _rules(jobs, "train_generator")  # no generator anywhere in this grid


# (b) a Keras classifier --------------------------------------------------------------------
class ToyDense(KerasClassifier):
    """Flatten, one hidden layer, softmax."""

    name: ClassVar[str] = "toy_dense"
    parameters: ClassVar[ParamSpec] = KerasClassifier.parameters + ParamSpec(
        Param("units", 8, Int(1), "width of the hidden layer"))

    def build_model(self, input_shape, n_classes):
        import keras

        from imbench.classify.layers import image_input, softmax_head

        inp = image_input(input_shape)
        h = keras.layers.Flatten()(keras.layers.Rescaling(1 / 255)(inp))
        h = keras.layers.Dense(self.params["units"], activation="relu")(h)
        return keras.Model(inp, softmax_head(h, n_classes))


def test_recipe_keras_classifier(tiny_config, dry_run, small_digits):
    from test_contracts import check_classifier

    with CLASSIFIERS.registered("toy_dense", ToyDense):
        check_classifier(ToyDense, {"epochs": 1, "batch_size": 32, "verbose": 0}, small_digits)
        cfg = copy.deepcopy(tiny_config)
        cfg["classifiers"]["toy"] = {"method": "toy_dense", "params": {"units": 4}}
        jobs = dry_run(cfg)
        _refused(dry_run, cfg, ("classifiers", "toy", "params", "units"), 0,
                 "classifiers.toy.params.units", "an integer >= 1")
        assert "width of the hidden layer" in reference_markdown()
    # its class says "neural": the GPU rule trains it, not the SVM rule
    assert _rules(jobs, "train_neural", classifier="toy")
    assert not _rules(jobs, "train_classifier", classifier="toy")
    assert _rules(jobs, "evaluate", classifier="toy")
    assert _rules(jobs, "confusion_grid", classifier="toy")


# (c) a report figure -----------------------------------------------------------------------
def toy_figure(job) -> None:
    """The job function: reads its inputs, writes its output."""
    from imbench.io import read_json, write_text

    counts = {i: read_json(p)["rho"] for i, p in zip(job.params.imbalances, job.input.counts,
                                                     strict=True)}
    write_text(job.output.plot, f"{job.wildcards.dataset}: {counts}\n")


TOY_RULE = ReportRule(
    name="plot_toy", make=f"{__name__}:toy_figure", key=layout.DATASET,
    outputs={"plot": Output(layout.report_file("toy", layout.DATASET, ".txt"),
                            index=Indexed("More tables", "{dataset} toy"))},
    targets=lambda plan: [{"dataset": d} for d in plan.datasets()],
    inputs=lambda plan, wc: {"counts": list(plan.counts_inputs(wc["dataset"]).values())},
    params=lambda plan, wc: {"imbalances": list(plan.counts_inputs(wc["dataset"]))},
)


def test_recipe_report_figure(tiny_config, dry_run, monkeypatch, tmp_path):
    from imbench.io import write_json
    from imbench.reports.job import ReportJob

    monkeypatch.setitem(REPORT_RULES, TOY_RULE.name, TOY_RULE)
    jobs = dry_run(tiny_config)
    (toy,) = _rules(jobs, "plot_toy", dataset="digits")
    assert toy[2] == ["reports/toy/digits.txt"]
    plan = ReportPlan(Grid(tiny_config))
    assert "reports/toy/digits.txt" in plan.index_inputs()  # the index links it
    assert any(e["title"] == "digits toy" for e in plan.index_entries())
    # and the job function runs on what its entry gives it
    write_json(tmp_path / "c.json", {"rho": 8.0})
    toy_figure(ReportJob.of(input={"counts": [tmp_path / "c.json"]},
                            output={"plot": tmp_path / "t.txt"},
                            params={"imbalances": ["step"]}, wildcards={"dataset": "d"}))
    assert (tmp_path / "t.txt").read_text() == "d: {'step': 8.0}\n"


# (d) an imbalance protocol -----------------------------------------------------------------
class HalveClasses(Protocol):
    """``classes: [..]`` keep ``fraction`` of their images."""

    name = "toy_halve"
    parameters = ParamSpec(
        Param("classes", None, ListOf(Int(0), min_length=1), "the classes shrunk",
              required=True),
        Param("fraction", 0.5, Number(0, 1, lo_open=True), "the share of them kept"))
    example = {"protocol": "toy_halve", "classes": [0, 9]}

    def check_values(self, prefix, cfg, counts, n_classes) -> None:
        check_class_list(f"{prefix}.classes", cfg["classes"], n_classes)

    def targets(self, cfg, counts) -> Counts:
        kept = float(cfg.get("fraction", 0.5))
        return [int(n * kept) if c in cfg["classes"] else n for c, n in enumerate(counts)]


def test_recipe_imbalance_protocol(tiny_config, dry_run):
    from test_contracts import check_protocol_entry

    with PROTOCOLS.registered("toy_halve", HalveClasses):
        check_protocol_entry("toy_halve")
        cfg = copy.deepcopy(tiny_config)
        cfg["imbalances"]["half"] = {"protocol": "toy_halve", "classes": [9], "fraction": 0.25}
        grid = Grid(cfg)
        counts, original = grid.expected_counts("digits", "half"), grid.original_counts("digits")
        assert counts[9] == int(original[9] * 0.25) and counts[:9] == original[:9]
        assert "half" not in grid.originals
        jobs = dry_run(cfg)
        _refused(dry_run, cfg, ("imbalances", "half", "fraction"), 2,
                 "imbalances.half.fraction", "a number in (0, 1]")
        assert "the share of them kept" in reference_markdown()
    assert _rules(jobs, "make_imbalanced", imbalance="half")
    assert _rules(jobs, "augment", imbalance="half", augmenter="smote")
    assert _rules(jobs, "plot_class_counts", imbalance="half")


# (e) a generator method --------------------------------------------------------------------
def _toy_gan() -> type:
    from imbench.generators.methods import Dcgan

    class ToyGan(Dcgan):
        """DCGAN with a softer real label."""

        name = "toy_gan"

        def _bce(self, logits, target):
            return super()._bce(logits, self.cfg["soft_label"] * target)

    return ToyGan


def test_recipe_generator_method(tiny_config, dry_run, small_digits, tmp_path):
    pytest.importorskip("torch")
    from test_contracts import check_generator

    own = ParamSpec(Param("soft_label", 0.9, Number(0, 1), "factor of the BCE targets"))
    with GENERATORS.registered("toy_gan", GeneratorMethod("per_class", _toy_gan(), own,
                                                          defaults={"epochs": 3})):
        # every generator method is an augmenter too: nothing to add there
        assert AUGMENTERS["toy_gan"].generator == "per_class"
        check_generator("toy_gan", small_digits[:2], tmp_path)
        cfg = copy.deepcopy(tiny_config)
        cfg["augmenters"]["toy"] = {"method": "toy_gan",
                                    "params": {"epochs": 2, "soft_label": 0.8}}
        cfg["exclude"].append({"imbalance": "none", "augmenter": "toy"})
        jobs = dry_run(cfg)
        _refused(dry_run, cfg, ("augmenters", "toy", "params", "soft_label"), 1.5,
                 "augmenters.toy.params.soft_label", "a number in [0, 1]")
        assert "factor of the BCE targets" in reference_markdown()
    # one training job per minority class of the step protocol (the last 20% of classes)
    # stored under the generator's key, <method>-<digest>
    units = {j[1]["unit"] for j in jobs if j[0] == "train_generator"
             and j[1]["augmenter"].startswith("toy_gan-")}
    assert units == {"class8", "class9"}
    assert _rules(jobs, "generator_quality", augmenter="toy")
    assert {j[1]["model"] for j in _rules(jobs, "plot_generator_progress")} == units
    assert _rules(jobs, "plot_gan_losses", augmenter="toy")

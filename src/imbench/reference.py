"""``docs/reference.md``: every config key and every registered method's parameters, made from
the declarations (the config schema's descriptions and defaults for the workflow's keys; each
entry's :class:`~imbench.params.ParamSpec` for the rest), never written by hand.

``python -m imbench.reference > docs/reference.md`` (``make reference``) writes it; a test
fails when the file in the repository differs from what the code declares.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterable, Mapping
from typing import Any

from .params import Param, ParamSpec

HEADER = """\
# Reference: every config key and parameter

Generated from the code's declarations by `make reference` (`python -m imbench.reference`);
do not edit by hand. A config gives overrides only: each default below is what an absent key
means. A value outside "allowed" stops the run before any job starts, naming the key.
"""


def _value(v: Any) -> str:
    if isinstance(v, tuple):
        v = list(v)
    text = json.dumps(v, default=str)
    return f"`{text}`"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _doc(obj: Any) -> str:
    """The first paragraph of ``obj``'s own docstring, on one line, in Markdown."""
    doc = inspect.getdoc(obj) or ""
    first = doc.split("\n\n")[0]
    return _cell(first.replace("``", "`").replace(":func:", "").replace(":data:", ""))


def param_table(params: Iterable[Param]) -> list[str]:
    rows = ["| parameter | default | allowed | meaning |", "|---|---|---|---|"]
    for p in params:
        default = "*(required)*" if p.required else _value(p.default)
        rows.append(f"| `{p.name}` | {default} | {_cell(p.allowed.allowed)} | {_cell(p.help)} |")
    return rows


def _changed(spec: ParamSpec, base: ParamSpec) -> tuple[list[Param], list[str]]:
    """``spec``'s parameters that ``base`` lacks or declares otherwise, and the names of
    those whose default alone differs (shown as ``name = value``)."""
    own, defaults = [], []
    for p in spec:
        if p.name not in base or base.param(p.name).allowed != p.allowed:
            own.append(p)
        elif base.param(p.name).default != p.default:
            defaults.append(f"`{p.name}` = {_value(p.default)}")
    return own, defaults


def _section(title: str, summary: str, facts: str, own: list[Param],
             defaults: list[str], common: str = "") -> list[str]:
    out = [f"### `{title}`", ""] + ([summary, ""] if summary else [])
    if facts:
        out += [facts, ""]
    if common:
        out += [common + (f"; defaults changed: {', '.join(defaults)}" if defaults else "")
                + ".", ""]
    if own:
        out += [*param_table(own), ""]
    elif not common:
        out += ["No parameters.", ""]
    return out


# -- the workflow's own keys (the schema file, its $defs filled from the code) ---------------
def _resolved(sub: Mapping[str, Any], schema: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = sub.get("$ref", "")
    if ref.startswith("#/$defs/"):
        return {**schema["$defs"][ref.removeprefix("#/$defs/")], **sub}
    return sub


def _schema_rows(props: Mapping[str, Any], schema: Mapping[str, Any], prefix: str = ""
                 ) -> list[str]:
    rows = []
    for name, raw in props.items():
        if name.endswith("_overrides") or name == "published":
            continue
        sub = _resolved(raw, schema)
        default = sub.get("default", sub.get("x-default", ""))
        default = _value(default) if "default" in sub or "x-default" in sub else ""
        rows.append(f"| `{prefix}{name}` | {default} | {_cell(sub.get('description', ''))} |")
        if name in ("imbalances", "augmenters", "classifiers"):
            continue  # their sections below
        nested = sub.get("properties")
        if isinstance(nested, Mapping):
            rows += _schema_rows(nested, schema, f"{prefix}{name}.")
        extra = sub.get("additionalProperties")
        if isinstance(extra, Mapping) and isinstance(extra.get("properties"), Mapping):
            rows += _schema_rows(extra["properties"], schema, f"{prefix}{name}.<name>.")
    return rows


def workflow_keys() -> list[str]:
    from .plan.schema import config_schema

    schema = config_schema()
    out = ["## The config file", "", _cell(schema.get("description", "")), "",
           "| key | default | meaning |", "|---|---|---|"]
    out += _schema_rows(schema["properties"], schema)
    required = ", ".join(f"`{k}`" for k in schema.get("required", []))
    out += ["", f"Required: {required}. `augmenters.<name>` and `classifiers.<name>` take "
            "`method` (a name below) and `params` (that method's parameters); augmenters also "
            "`sampling_strategy` and, for per-class generators, `training_jobs`. "
            "`<scale>_overrides` blocks hold a preset's smaller scales "
            "(same keys, merged key by key); `published` holds a study's numbers "
            "(docs/presets.md).", ""]
    return out


# -- the registries -------------------------------------------------------------------------
def datasets() -> list[str]:
    from .datasets import DATASETS
    from .datasets.base import COMMON

    out = ["## Datasets (`datasets.<name>.loader`)", "",
           "Options every loader takes:", "", *param_table(COMMON), ""]
    for name in DATASETS:
        spec = DATASETS[name]
        shape = "x".join(map(str, spec.image_shape)) if spec.image_shape else "any size"
        n = len(spec.class_names) if spec.class_names else "one per sub-folder"
        facts = (f"Images {shape}; classes: {n}; flips "
                 f"{'keep' if spec.flip_safe else 'do not keep'} the label.")
        out += _section(name, "", facts, list(spec.parameters), [])
    return out


def protocols() -> list[str]:
    from .imbalance import PROTOCOLS

    out = ["## Imbalance protocols (`imbalances.<name>.protocol`)", "",
           "The test set is never imbalanced; a protocol never invents images (every target "
           "is capped at the class's size).", ""]
    for name in PROTOCOLS:
        cls = PROTOCOLS[name]
        example = f"Example: `{json.dumps(cls.example)}`"
        out += _section(name, _doc(cls), example, list(cls.parameters), [])
    return out


def augmenters() -> list[str]:
    from .augment import AUGMENTERS

    out = ["## Augmenters (`augmenters.<name>.method`)", "",
           "Each generator method below is an augmenter too: its parameters are the "
           "generator's (next section).", ""]
    for name in AUGMENTERS:
        cls = AUGMENTERS[name]
        if cls.generator is not None:
            continue
        facts = ("The imbalanced baseline: trains on the set as it is." if cls.baseline
                 else "Removes images." if cls.kind == "under"
                 else "Adds images" + ("; they are new images (shown beside real ones and "
                                       "scored)." if cls.synthesises else ": copies."))
        out += _section(name, _doc(cls), facts, list(cls.parameters), [])
    return out


def generators() -> list[str]:
    from .generators import GENERATORS, spec
    from .generators.parameters import SHARED

    out = ["## Generator methods (augmenters that train a generator)", "",
           "An epoch is one pass of the model's training images through the discriminator; "
           "every method takes the shared parameters below, with its own defaults where "
           "its section says so.", "", "### Shared generator parameters", "",
           *param_table(SHARED), ""]
    for name in GENERATORS:
        entry = GENERATORS[name]
        kind = ("one model per class that receives images" if entry.kind == "per_class"
                else "one class-conditional model")
        own, defaults = _changed(spec(name), SHARED)
        out += _section(name, _doc(entry.load()), f"Trains {kind}.", own, defaults,
                        common="Takes the shared generator parameters")
    return out


def classifiers() -> list[str]:
    from .classify import CLASSIFIERS
    from .classify.losses import PARAMETERS as LOSSES
    from .classify.training import RECIPE, TRAINING, KerasClassifier

    keras_base, training = KerasClassifier.parameters, TRAINING
    out = ["## Classifiers (`classifiers.<name>.method`)", "",
           "### Common parameters of the Keras classifiers", "",
           "Training:", "", *param_table(training), "",
           "Loss-level remedies (imbench.classify.losses):", "", *param_table(LOSSES), "",
           "Training recipe (optimiser, schedule, augmentation, mixing, cRT):", "",
           *param_table(RECIPE), ""]
    for name in CLASSIFIERS:
        cls = CLASSIFIERS[name]
        facts = {"cpu": "Trains on a CPU.", "neural": "A neural network (a GPU rule).",
                 "two_stage": "A CNN on a GPU, then an SVM on its features on a CPU."}
        inherits = all(n in cls.parameters for n in training.names)
        if inherits:
            base = keras_base if all(n in cls.parameters for n in keras_base.names) else \
                training
            own, defaults = _changed(cls.parameters, base)
            common = ("Takes the common Keras parameters" if base is keras_base else
                      "Takes the common Keras training parameters (not the loss remedies "
                      "or the recipe)")
            out += _section(name, _doc(cls), facts.get(cls.stage, ""), own, defaults, common)
        else:
            out += _section(name, _doc(cls), facts.get(cls.stage, ""),
                            list(cls.parameters), [])
    return out


def reference_markdown() -> str:
    """The whole page."""
    parts = [HEADER, *workflow_keys(), *datasets(), *protocols(), *augmenters(),
             *generators(), *classifiers()]
    return "\n".join(parts).rstrip() + "\n"


if __name__ == "__main__":
    print(reference_markdown(), end="")

"""The config schema and its validation.

``schemas/config.schema.yaml`` declares the workflow's own keys (seeds, cache_dir, exclude,
...) with their descriptions and defaults. What the code declares is not copied there: the
imbalance protocols, augmenters, classifiers and loaders (names, and each one's parameters
from its :class:`~imbench.params.ParamSpec`) and the blocks declared beside the code that
reads them (report, reference_classifier, shot_thresholds) are filled into its ``$defs``
here, so a new entry with keys of its own is valid as soon as it is registered.

:func:`validate_config` applies the schema's ``default`` values (as Snakemake's ``validate``
does) and turns the first violation into one :class:`~imbench.errors.ConfigError` line
naming the key, the value and what is allowed.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError
from . import card

#: the schema file of this checkout (rules/common.smk passes the workflow's own)
SCHEMA_FILE = Path(__file__).resolve().parents[3] / "schemas" / "config.schema.yaml"


@cache
def _base(path: str) -> dict[str, Any]:
    return yaml.safe_load(Path(path).read_text())


def _choice(name: str, registry: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": "string", "enum": list(registry),
            "description": f"Registry name of the {name} (docs/reference.md)."}


def _per_method(key: str, entries: Mapping[str, Any], fragment: Any) -> dict[str, Any]:
    """``allOf`` of ``if {key: name} then fragment(name)`` over the registry's names."""
    return {"allOf": [{"if": {"properties": {key: {"const": name}}, "required": [key]},
                       "then": fragment(name)} for name in entries]}


def _dataset(registry: Mapping[str, Any]) -> dict[str, Any]:
    """A dataset entry: a loader and the options any loader declares (which loader takes
    which is the Grid's check, since the entry's name may stand for its loader)."""
    from ..datasets.base import COMMON

    options: dict[str, Any] = {}
    for name in registry:
        for p in registry[name].parameters + COMMON:
            options.setdefault(p.name, p.schema())
    loader = _choice("loader", registry)
    loader["description"] = "Registry name of the loader; defaults to the entry's name."
    return {"type": ["object", "null"], "additionalProperties": False,
            "properties": {"loader": loader, **options}}


def declared_defs() -> dict[str, Any]:
    """The ``$defs`` the code declares: the registries' names and every entry's parameters,
    and the blocks declared beside the code that reads them (report, reference_classifier,
    shot_thresholds)."""
    from ..augment import AUGMENTERS
    from ..classify import CLASSIFIERS
    from ..datasets import DATASETS
    from ..generators import TRAINING_JOBS
    from ..generators.parameters import REFERENCE
    from ..imbalance import PROTOCOLS
    from ..metrics import SHOTS
    from .reports import REPORT

    def protocol(name: str) -> dict[str, Any]:
        return PROTOCOLS[name].parameters.schema(
            extra={"protocol": {"const": name}}, owner=name)

    def params_of(registry: Any) -> Any:
        return lambda name: {"properties": {"params": registry[name].parameters.schema(
            owner=name)}}

    return {
        "dataset": _dataset(DATASETS),
        "imbalance": {"type": "object", "required": ["protocol"],
                      "properties": {"protocol": _choice("imbalance protocol", PROTOCOLS)},
                      **_per_method("protocol", PROTOCOLS, protocol)},
        "augmenter_method": _choice("augmenter", AUGMENTERS),
        "training_jobs": {
            "enum": list(TRAINING_JOBS), "x-default": TRAINING_JOBS[0],
            "description": "Per-class generators only. per_class: one job per minority "
                           "class, run side by side by a cluster; one: a single job trains "
                           "every class in turn (faster on one shared GPU, docs/cluster.md)."},
        "augmenter_params": _per_method("method", AUGMENTERS, params_of(AUGMENTERS)),
        "classifier_method": _choice("classifier", CLASSIFIERS),
        "classifier_params": _per_method("method", CLASSIFIERS, params_of(CLASSIFIERS)),
        "shot_thresholds": SHOTS.schema(),
        "reference_classifier": REFERENCE.schema(),
        "report": REPORT.schema(),
        "protocol_card": card.schema(),
    }


def config_schema(path: str | os.PathLike[str] = SCHEMA_FILE) -> dict[str, Any]:
    """The whole config schema: the file's, with the registries' ``$defs`` filled in."""
    schema = copy.deepcopy(_base(str(path)))
    schema.setdefault("$defs", {}).update(declared_defs())
    return schema


def validate_config(config: dict[str, Any], path: str | os.PathLike[str] = SCHEMA_FILE
                    ) -> dict[str, Any]:
    """Validate ``config`` in place, filling the schema's defaults; ConfigError (one line)
    for the first violation. Returns ``config``."""
    from jsonschema import Draft202012Validator, validators
    from jsonschema.exceptions import best_match

    schema = config_schema(path)
    validate_properties = Draft202012Validator.VALIDATORS["properties"]

    def set_defaults(validator: Any, properties: Any, instance: Any, sub: Any) -> Any:
        # Snakemake's validate does the same (jsonschema's FAQ recipe)
        if isinstance(instance, dict):
            for prop, subschema in properties.items():
                if "default" in subschema:
                    instance.setdefault(prop, copy.deepcopy(subschema["default"]))
        yield from validate_properties(validator, properties, instance, sub)

    cls = validators.extend(Draft202012Validator, {"properties": set_defaults})
    error = best_match(cls(schema).iter_errors(config))
    if error is not None:
        raise config_error(error)
    return config


def _key(path: Any) -> str:
    return ".".join(str(p) for p in path) or "(the config)"


def config_error(error: Any) -> ConfigError:
    """A jsonschema ValidationError as the one-line ConfigError every check raises."""
    schema, path, value = error.schema, list(error.absolute_path), error.instance
    if error.validator == "additionalProperties" and isinstance(value, Mapping):
        known = sorted(schema.get("properties", {}))
        extra = sorted(k for k in value if k not in known)
        owner = schema.get("x-owner")
        allowed = f"keys for {owner!r}: {known}" if owner else f"keys {known}"
        key = extra[0] if extra else "?"
        return ConfigError(_key([*path, key]), value.get(key), allowed)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else "?"
        return ConfigError(_key([*path, missing]), None, "a value (required)")
    if isinstance(schema, Mapping) and "x-allowed" in schema:
        return ConfigError(_key(path), value, schema["x-allowed"])
    if error.validator == "enum":
        return ConfigError(_key(path), value, error.validator_value)
    if error.validator in ("minItems", "minProperties") and not value:
        return ConfigError(_key(path), value, "a non-empty list/mapping")
    return ConfigError(_key(path), value, _words(error))


def _words(error: Any) -> str:
    """What the failed keyword allows, in words."""
    v = error.validator_value
    words = {"type": lambda: f"a value of type {v}", "minimum": lambda: f"a number >= {v}",
             "maximum": lambda: f"a number <= {v}",
             "exclusiveMinimum": lambda: f"a number > {v}",
             "exclusiveMaximum": lambda: f"a number < {v}",
             "minItems": lambda: f"at least {v} item(s)", "const": lambda: repr(v),
             "pattern": lambda: f"a string matching {v}"}
    return words.get(error.validator, lambda: error.message)()


__all__ = ["SCHEMA_FILE", "config_error", "config_schema", "declared_defs", "validate_config"]

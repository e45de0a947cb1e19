"""Config preparation: what ``rules/common.smk`` does to the config before the schema and
the grid check it (a preset's quick scale, local data sources), and the canonical form of
the config sections that rule params carry."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from ..errors import ConfigError


def canonical(obj: Any) -> Any:
    """``obj`` with every mapping's keys sorted, recursively.

    Rule params are compared by their text: without this, reordering keys in a YAML file
    would look like a parameter change and rerun every job.
    """
    if isinstance(obj, Mapping):
        return {k: canonical(obj[k]) for k in sorted(obj, key=str)}
    if isinstance(obj, (list, tuple)):
        return [canonical(v) for v in obj]
    return obj


def merge_overrides(base: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge ``overrides`` into ``base`` in place: mappings merge key by key, ``None``
    removes the key, anything else (lists, scalars) replaces it. Returns ``base``."""
    for key, value in overrides.items():
        if value is None:
            base.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(base.get(key), Mapping):
            merged = dict(base[key])
            merge_overrides(merged, value)
            base[key] = merged
        else:
            base[key] = _plain(value)
    return base


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


_WORDS = {"true": True, "yes": True, "on": True, "1": True,
          "false": False, "no": False, "off": False, "0": False}


def apply_quick(config: dict[str, Any]) -> dict[str, Any]:
    """Merge the overrides of the preset's chosen scale into ``config`` (in place; see
    :func:`merge_overrides`) so one preset file holds every scale. ``scale: S`` merges the
    block ``S_overrides`` (``--config scale=medium``); ``quick: true`` is short for
    ``scale: quick``. Without either the config is the real scale, as written."""
    quick = config.get("quick", False)
    if isinstance(quick, str):
        # `--config quick=true` arrives as the string "true" (Snakemake parses only
        # "True"/"False" as booleans)
        if quick.strip().lower() not in _WORDS:
            raise ConfigError("quick", quick, "true or false")
        config["quick"] = quick = _WORDS[quick.strip().lower()]
    blocks = {k.removesuffix("_overrides"): v for k, v in config.items()
              if isinstance(k, str) and k.endswith("_overrides")}
    for name, block in blocks.items():
        if block is not None and not isinstance(block, Mapping):
            raise ConfigError(f"{name}_overrides", block, "a mapping of config overrides")
    scale = config.get("scale")
    if scale is None:
        scale = "quick" if quick else "real"
    elif quick and scale != "quick":
        raise ConfigError("scale", scale, "quick (quick: true asks for it) or leave quick "
                                          "out")
    allowed = ["real", *sorted(n for n, b in blocks.items() if b)]
    if scale not in allowed:
        # a scale the preset does not define would otherwise run the real scale silently
        raise ConfigError("scale", scale, "one of " + ", ".join(allowed)
                          + " (a scale is a <name>_overrides block of the preset)")
    config["scale"] = scale
    config["quick"] = scale == "quick"
    if scale != "real" and blocks.get(scale):
        merge_overrides(config, blocks[scale])
    return config


def apply_data_sources(config: dict[str, Any]) -> dict[str, Any]:
    """``data_sources: {loader: local file or folder}`` gives every dataset entry with that
    loader and no ``source:`` of its own that ``source`` (in place). Lets one overlay file,
    passed as a second ``--configfile``, point any preset at local copies without adding
    datasets the preset does not use."""
    sources = config.get("data_sources") or {}
    if not isinstance(sources, Mapping):
        raise ConfigError("data_sources", sources, "a mapping {loader name: path}")
    datasets = config.get("datasets")
    if not sources or not isinstance(datasets, Mapping):
        return config
    for name in list(datasets):
        entry = dict(datasets[name] or {})
        loader = entry.get("loader", name)
        if "source" not in entry and loader in sources and sources[loader] is not None:
            entry["source"] = str(sources[loader])
            datasets[name] = entry
    return config


class _UniqueKeyLoader(yaml.SafeLoader):
    """A SafeLoader that refuses a key given twice in one mapping (PyYAML, like Snakemake,
    keeps the last silently)."""


def _construct_unique_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode,
                              deep: bool = False) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue  # `<<: *anchor`: keys given beside it override the merged ones
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in seen:
            raise ConfigError(f"{key_node.start_mark.name}: {key}", f"defined on lines "
                              f"{seen[key]} and {line}", "each key once per mapping")
        seen[key] = line
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                                 _construct_unique_mapping)


def check_unique_keys(paths: Iterable[str | os.PathLike[str]]) -> None:
    """Raise :class:`ConfigError` naming the file, the key and both lines when a config file
    defines a key twice in one mapping (and file, line and column of a syntax error)."""
    for path in paths:
        with open(path) as fh:
            try:
                yaml.load(fh, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader subclass)
            except yaml.MarkedYAMLError as exc:
                raise _syntax_error(path, exc) from None


def check_yaml_syntax(path: str | os.PathLike[str]) -> None:
    """Raise :class:`ConfigError` naming the file, line and column of a YAML syntax error in
    ``path`` (Snakemake's own message names none of them). The Snakefile calls it on the
    demo config.yaml before loading it; Snakemake reads ``--configfile`` files before any
    workflow code runs, so ``python -m imbench.check_config FILE`` checks those."""
    try:
        with open(path) as fh:
            yaml.safe_load(fh)
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(path, exc) from None


def _syntax_error(path: str | os.PathLike[str], exc: yaml.MarkedYAMLError) -> ConfigError:
    mark = exc.problem_mark or exc.context_mark
    where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
    context = exc.context
    if context and exc.context_mark and exc.context_mark is not mark:
        context += f" (started on line {exc.context_mark.line + 1}, column " \
                   f"{exc.context_mark.column + 1})"
    what = "; ".join(str(t) for t in (context, exc.problem) if t)
    return ConfigError(where, what, "valid YAML (a mapping's braces and brackets closed, "
                                    "spaces, not tabs, for indentation)")


# YAML 1.1 (PyYAML, Snakemake) reads 1e9 as a string: it needs a dot (1.0e9)
_FLOAT_WITHOUT_DOT = re.compile(r"^[-+]?\d+[eE][-+]?\d+$")
# values that are file names, never numbers
_TEXT_KEYS = frozenset({"path", "source", "cache_dir", "loader", "method", "name"})


def _numbers(obj: Any, key: str = "") -> Any:
    if isinstance(obj, Mapping):
        return {k: _numbers(v, str(k)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_numbers(v, key) for v in obj]
    if isinstance(obj, str) and key not in _TEXT_KEYS and _FLOAT_WITHOUT_DOT.match(obj.strip()):
        return float(obj)
    return obj


def coerce_numbers(config: dict[str, Any]) -> dict[str, Any]:
    """In place: ``1e9`` written without a dot becomes the float YAML 1.2 would read, and
    ``--config seeds=[0]`` (Snakemake reads command-line values as strings) gives integer
    seeds."""
    for key in list(config):
        config[key] = _numbers(config[key], str(key))
    seeds = config.get("seeds")
    if isinstance(seeds, list):
        config["seeds"] = [int(s) if isinstance(s, str) and s.strip().isdigit() else s
                           for s in seeds]
    return config


def prepare_config(config: dict[str, Any],
                   files: Iterable[str | os.PathLike[str]] = ()) -> dict[str, Any]:
    """What ``rules/common.smk`` does to the config before validating it: duplicate keys
    in its ``files`` refused, numbers as YAML 1.2 reads them, the quick scale of a preset,
    then local data sources. In place (Snakemake's ``config`` object)."""
    check_unique_keys(files)
    return apply_data_sources(apply_quick(coerce_numbers(config)))


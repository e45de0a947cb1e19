"""One report job: its named inputs, outputs, params and wildcards, as plain values.

``scripts/report.py`` turns Snakemake's objects into a :class:`ReportJob` and calls the
function its rule names (``params.make``, a ``"module:function"``); tests build a ReportJob
by hand. Every function in :mod:`imbench.reports.build` takes one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from ..registry import load_attribute


def _plain(value: Any) -> Any:
    """Snakemake's Namedlist of files -> a list of str; a single file (a str or a path) stays
    one."""
    if isinstance(value, list):
        return [str(v) for v in value]
    return value


def _files(items: Mapping[str, Any] | None) -> SimpleNamespace:
    return SimpleNamespace(**{k: _plain(v) for k, v in dict(items or {}).items()})


@dataclass(frozen=True)
class ReportJob:
    input: SimpleNamespace = field(default_factory=SimpleNamespace)
    output: SimpleNamespace = field(default_factory=SimpleNamespace)
    params: SimpleNamespace = field(default_factory=SimpleNamespace)
    wildcards: SimpleNamespace = field(default_factory=SimpleNamespace)

    @classmethod
    def of(cls, input: Mapping[str, Any] | None = None, output: Mapping[str, Any] | None = None,
           params: Mapping[str, Any] | None = None,
           wildcards: Mapping[str, Any] | None = None) -> ReportJob:
        return cls(_files(input), _files(output), SimpleNamespace(**dict(params or {})),
                   SimpleNamespace(**{k: str(v) for k, v in dict(wildcards or {}).items()}))


def run(snakemake: Any) -> Any:
    """Run the report function named by the rule's ``make`` param on this job."""
    job = ReportJob.of(
        dict(snakemake.input.items()), dict(snakemake.output.items()),
        dict(snakemake.params.args), dict(snakemake.wildcards.items()))
    return load_attribute(snakemake.params.make)(job)

"""docs/reference.md is made from the declarations, and every declaration says what it is."""

from __future__ import annotations

from pathlib import Path

import pytest

from imbench.augment import AUGMENTERS
from imbench.classify import CLASSIFIERS
from imbench.generators import GENERATORS, spec
from imbench.imbalance import PROTOCOLS
from imbench.params import ParamSpec
from imbench.reference import reference_markdown

REPO = Path(__file__).resolve().parents[1]


def test_reference_page_is_the_generated_one():
    pytest.importorskip("torch")  # the generator sections read the methods' docstrings
    page = (REPO / "docs" / "reference.md").read_text()
    assert page == reference_markdown(), (
        "docs/reference.md is stale: run `make reference` and commit it")


def _specs() -> list[tuple[str, ParamSpec]]:
    out = [(f"generator {m}", spec(m)) for m in GENERATORS]
    out += [(f"augmenter {a}", AUGMENTERS[a].parameters) for a in AUGMENTERS]
    out += [(f"classifier {c}", CLASSIFIERS[c].parameters) for c in CLASSIFIERS]
    out += [(f"protocol {p}", PROTOCOLS[p].parameters) for p in PROTOCOLS]
    return out


@pytest.mark.parametrize(("owner", "params"), _specs(), ids=lambda v: v if isinstance(v, str)
                         else "")
def test_every_parameter_is_described_and_its_default_allowed(owner, params):
    for p in params:
        assert p.help and len(p.help) > 8, f"{owner}: {p.name} has no meaning"
        if not p.required and p.default is not None:
            assert p.allowed.ok(p.default), f"{owner}: {p.name}'s default {p.default!r}"


def test_every_method_has_a_section():
    page = reference_markdown() if _torch() else (REPO / "docs" / "reference.md").read_text()
    for registry in (AUGMENTERS, CLASSIFIERS, PROTOCOLS, GENERATORS):
        for name in registry:
            assert f"### `{name}`" in page, name


def _torch() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True

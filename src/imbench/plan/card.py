"""A preset's protocol card (its ``protocol:`` block): the study's protocol beside imbench's,
item by item of one fixed checklist, so every difference is data in one place.

Each checklist item holds one entry, or a list of entries with a ``subject`` each (seed 004
has a cGAN and a CycleGAN): the paper's words (or ``not stated``) and where they stand,
imbench's setting, and a status — ``same``; ``deviation``, which must say why; ``assumed``,
where the paper is silent. A preset that compares with a study (``published:``) must carry a
complete card: a missing item stops the DAG build naming it. The reproduction report opens
with the card as a table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError


@dataclass(frozen=True)
class Item:
    key: str
    title: str
    covers: str


#: the checklist, in the card's order
CHECKLIST: tuple[Item, ...] = (
    Item("dataset", "Dataset and classes", "which dataset, which classes, image size"),
    Item("imbalance", "Imbalance", "how the training set is made imbalanced and the "
                                   "resulting per-class counts"),
    Item("test_set", "Test set", "which images are scored, how many per class"),
    Item("classifier_architecture", "Classifier architecture",
         "the network (or SVM) and its input"),
    Item("classifier_training", "Classifier training",
         "optimiser, learning rate, batch, epochs, model choice, hold-out"),
    Item("generator_architecture", "Generator architecture",
         "generator and discriminator / critic networks, image size"),
    Item("generator_training", "Generator training",
         "optimiser, rates, betas, batch, budget and its unit, critic steps, penalty"),
    Item("images_added", "Images added", "how many synthetic (or resampled) images per class"),
    Item("epoch_choice", "Generator epoch choice", "which checkpoint generates the images"),
    Item("metrics", "Metrics", "what is reported, for which class, averaged how"),
    Item("repetitions", "Repetitions", "runs, seeds, folds"),
)
ITEMS = {item.key: item for item in CHECKLIST}
STATUSES = ("same", "deviation", "assumed")
NOT_STATED = "not stated"
_FIELDS = ("subject", "paper", "where", "imbench", "status", "why")


def schema() -> dict[str, Any]:
    """The config schema of ``protocol:`` (structure only; :func:`check` adds what the
    schema cannot say in one line: every item present, ``why`` for a deviation)."""
    entry = {
        "type": "object", "additionalProperties": False,
        "required": ["paper", "imbench", "status"],
        "properties": {
            "subject": {"type": "string", "description": "what the entry is about, when an "
                        "item has several (a cGAN, a CycleGAN)"},
            "paper": {"type": "string", "description": f"the paper's words, or '{NOT_STATED}'"},
            "where": {"type": "string", "description": "section, table or figure"},
            "imbench": {"type": "string", "description": "imbench's setting"},
            "status": {"enum": list(STATUSES)},
            "why": {"type": "string", "description": "the reason for a deviation or an "
                    "assumption"},
        },
    }
    one_or_many = {"anyOf": [entry, {"type": "array", "minItems": 1, "items": entry}]}
    return {
        "type": "object", "additionalProperties": False,
        "description": "The protocol card: for each checklist item, the study's protocol "
                       "beside imbench's and a status (same / deviation / assumed). "
                       "Required with `published`. Items: "
                       + "; ".join(f"`{i.key}` ({i.covers})" for i in CHECKLIST) + ".",
        "properties": {i.key: one_or_many for i in CHECKLIST},
    }


def entries(card: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = card[key]
    return list(value) if isinstance(value, Sequence) else [value]


def check(config: Mapping[str, Any]) -> None:
    """ConfigError for a preset with ``published:`` but no complete card, a deviation
    without ``why``, a stated protocol without ``where``, or a list entry without subject."""
    card = config.get("protocol")
    if card is None:
        if config.get("published"):
            raise ConfigError("protocol", None, "a protocol card (a preset that compares with "
                              "a study lists its protocol: docs/presets.md)")
        return
    for item in CHECKLIST:
        if item.key not in card:
            raise ConfigError(f"protocol.{item.key}", None,
                              f"an entry for {item.title.lower()}: {item.covers}")
        many = entries(card, item.key)
        for n, entry in enumerate(many):
            key = f"protocol.{item.key}" + (f"[{n}]" if len(many) > 1 else "")
            if entry["status"] == "deviation" and not entry.get("why"):
                raise ConfigError(f"{key}.why", None, "the reason for the deviation")
            if not entry["paper"].strip().lower().startswith(NOT_STATED) and not entry.get("where"):
                raise ConfigError(f"{key}.where", None, "where the paper says it "
                                  f"(or paper: '{NOT_STATED}')")
            if len(many) > 1 and not entry.get("subject"):
                raise ConfigError(f"{key}.subject", None, "what this entry is about (an item "
                                  "with several entries names each)")


def card_rows(card: Mapping[str, Any]) -> list[dict[str, str]]:
    """One row per entry, in checklist order."""
    rows = []
    for item in CHECKLIST:
        for entry in entries(card, item.key):
            title = item.title + (f" ({entry['subject']})" if entry.get("subject") else "")
            rows.append({"item": title, **{f: str(entry.get(f, "")) for f in _FIELDS[1:]}})
    return rows


def counts(card: Mapping[str, Any]) -> dict[str, int]:
    """How many entries have each status."""
    rows = card_rows(card)
    return {s: sum(r["status"] == s for r in rows) for s in STATUSES}


def scale_changes(config: Mapping[str, Any]) -> list[str]:
    """What a smaller scale changes from the real one the card describes: each section its
    ``<scale>_overrides`` block touches, with the entries it names ("augmenters: gan,
    dcgan"). Empty at real scale."""
    scale = config.get("scale", "real")
    block = {} if scale == "real" else config.get(f"{scale}_overrides") or {}
    out = []
    for section, value in block.items():
        names = ", ".join(map(str, value)) if isinstance(value, Mapping) else ""
        out.append(f"{section}: {names}" if names else str(section))
    return out


__all__ = ["CHECKLIST", "ITEMS", "NOT_STATED", "STATUSES", "card_rows", "check", "counts",
           "entries", "scale_changes", "schema"]

"""Name -> implementation tables, imported lazily so that a CPU-only run never imports torch
or TensorFlow. Adding an augmenter or classifier is one module plus one line in its table."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Any

from .errors import ConfigError


class Registry(Mapping[str, Any]):
    """Maps a name to ``"package.module:Attribute"``, resolved on first use."""

    def __init__(self, kind: str, entries: Mapping[str, str]) -> None:
        self.kind = kind
        self._paths = dict(entries)
        self._loaded: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._paths:
            raise ConfigError(self.kind, name, sorted(self._paths))
        if name not in self._loaded:
            module_name, attr = self._paths[name].split(":")
            self._loaded[name] = getattr(importlib.import_module(module_name), attr)
        return self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)

    def __contains__(self, name: object) -> bool:
        return name in self._paths

    def check(self, name: str, key: str | None = None) -> str:
        """Return ``name`` if registered, else raise a ConfigError naming ``key``."""
        if name not in self._paths:
            raise ConfigError(key or self.kind, name, sorted(self._paths))
        return name

"""Name -> implementation tables. Adding an augmenter, classifier, protocol or generator is one
module plus one line in its table.

An entry is either an object, or ``"package.module:Attribute"`` imported on first use, so
that a CPU-only run (and the DAG build) never imports torch or TensorFlow. A registry may also
*derive* entries from another one: every generator method is an augmenter too, so the
augmenter table follows the generator table instead of repeating it.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from .errors import ConfigError


def load_attribute(path: str) -> Any:
    """``"package.module:Attribute"`` -> the attribute."""
    module_name, attr = path.split(":")
    return getattr(importlib.import_module(module_name), attr)


class Registry(Mapping[str, Any]):
    """Maps a name to its entry; unknown names raise a ConfigError listing the known ones.

    ``derived_from``/``derive``: every name of that other registry is a name here too, its
    entry ``derive(name)`` (made on first use). Own entries come first.
    """

    def __init__(self, kind: str, entries: Mapping[str, Any] | None = None, *,
                 derived_from: Registry | None = None,
                 derive: Callable[[str], Any] | None = None) -> None:
        if (derived_from is None) != (derive is None):
            raise TypeError("derived_from and derive go together")
        self.kind = kind
        self._entries = dict(entries or {})
        self._derived_from, self._derive = derived_from, derive
        self._loaded: dict[str, Any] = {}
        self._derived: dict[str, tuple[Any, Any]] = {}

    def _names(self) -> list[str]:
        names = list(self._entries)
        if self._derived_from is not None:
            names += [n for n in self._derived_from if n not in self._entries]
        return names

    def __getitem__(self, name: str) -> Any:
        # membership first: a derived entry must not outlive its source's (temporary) entry
        if name not in self:
            raise ConfigError(self.kind, name, sorted(self._names()))
        if name in self._entries:
            if name not in self._loaded:
                entry = self._entries[name]
                self._loaded[name] = load_attribute(entry) if isinstance(entry, str) else entry
            return self._loaded[name]
        # derived: remade when the source entry changed (a toy registered twice in tests)
        assert self._derived_from is not None and self._derive is not None
        source = self._derived_from[name]
        cached = self._derived.get(name)
        if cached is None or cached[0] is not source:
            cached = self._derived[name] = (source, self._derive(name))
        return cached[1]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())

    def __contains__(self, name: object) -> bool:
        return name in self._entries or (
            self._derived_from is not None and name in self._derived_from)

    def check(self, name: str, key: str | None = None) -> str:
        """Return ``name`` if registered, else raise a ConfigError naming ``key``."""
        if name not in self:
            raise ConfigError(key or self.kind, name, sorted(self._names()))
        return name

    @contextlib.contextmanager
    def registered(self, name: str, entry: Any) -> Iterator[Any]:
        """Add ``entry`` under ``name`` for the duration of a ``with`` block (tests and
        experiments: the recipe tests register a toy entry this way)."""
        if name in self:
            raise ValueError(f"{self.kind} {name!r} is registered already")
        self._entries[name] = entry
        try:
            yield self[name]
        finally:
            del self._entries[name]
            self._loaded.pop(name, None)

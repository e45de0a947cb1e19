"""Exceptions with messages that name the bad value and what is allowed."""

from __future__ import annotations

from collections.abc import Iterable


def yaml_word(value: object) -> str:
    """A value as a config file spells it: true, false, null, 'text', 3."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else repr(value)


class ImbenchError(Exception):
    """Base class of every error imbench raises on purpose."""


class ConfigError(ImbenchError, ValueError):
    """A configuration value is invalid."""

    def __init__(self, key: str, value: object, allowed: str | Iterable[object]) -> None:
        if not isinstance(allowed, str):
            allowed = ", ".join(yaml_word(a) for a in allowed)
        self.key, self.value, self.allowed = key, value, allowed
        super().__init__(f"config key {key!r}: got {value!r}; allowed: {allowed}")


class DataError(ImbenchError):
    """A dataset could not be fetched, parsed or verified."""

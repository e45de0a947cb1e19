"""Exceptions with messages that name the bad value and what is allowed."""

from __future__ import annotations

from collections.abc import Iterable


class ImbenchError(Exception):
    """Base class of every error imbench raises on purpose."""


class ConfigError(ImbenchError, ValueError):
    """A configuration value is invalid."""

    def __init__(self, key: str, value: object, allowed: str | Iterable[object]) -> None:
        if not isinstance(allowed, str):
            allowed = ", ".join(repr(a) for a in allowed)
        self.key, self.value, self.allowed = key, value, allowed
        super().__init__(f"config key {key!r}: got {value!r}; allowed: {allowed}")


class DataError(ImbenchError):
    """A dataset could not be fetched, parsed or verified."""

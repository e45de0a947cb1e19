"""Parameter checks the classifiers share (each raises ConfigError naming ``key.name``)."""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Integral, Real
from typing import Any

from ..errors import ConfigError


def is_int(value: object, minimum: int = 0) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool) and value >= minimum


def is_number(value: object, minimum: float = 0.0, *, strict: bool = True) -> bool:
    if not isinstance(value, Real) or isinstance(value, bool):
        return False
    return value > minimum if strict else value >= minimum


def require(params: Mapping[str, Any], key: str, name: str, ok: bool, allowed: Any) -> None:
    """Raise ``ConfigError(f"{key}.{name}", params[name], allowed)`` unless ``ok``."""
    if not ok:
        raise ConfigError(f"{key}.{name}", params[name], allowed)


def require_choice(params: Mapping[str, Any], key: str, name: str, choices: Any) -> None:
    require(params, key, name, params[name] in choices, choices)


def require_bool(params: Mapping[str, Any], key: str, name: str) -> None:
    require(params, key, name, isinstance(params[name], bool), [True, False])

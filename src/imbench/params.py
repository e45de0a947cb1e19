"""One declaration per parameter: name, default, allowed values, one line of meaning.

A registered entry (augmenter, classifier, generator method, imbalance protocol) lists its
parameters as a :class:`ParamSpec` of :class:`Param` in the module that implements it
(imbalanced-learn's ``_parameter_constraints`` beside its docstring is the model). From that
one declaration come

* the validation: :meth:`ParamSpec.resolve` (defaults updated by the config's overrides; one
  :class:`~imbench.errors.ConfigError` format naming the config key, the value and what is
  allowed),
* the config schema's fragment for the entry (:meth:`ParamSpec.schema`, assembled by
  :mod:`imbench.plan.schema`), and
* the reference page ``docs/reference.md`` (:mod:`imbench.reference`).

Checks that relate two parameters (``lr_factors`` has one factor per milestone) stay in the
entry's code and raise the same ConfigError.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from numbers import Integral, Real
from pathlib import Path
from typing import Any, ClassVar

from .errors import ConfigError, yaml_word


def _is_int(v: object) -> bool:
    return isinstance(v, Integral) and not isinstance(v, bool)


def _is_number(v: object) -> bool:
    return isinstance(v, Real) and not isinstance(v, bool) and math.isfinite(float(v))


def _fmt(v: float) -> str:
    return f"{v:g}"


class Constraint:
    """What a value may be: a test, the words an error uses for it, and its JSON schema."""

    def ok(self, value: object) -> bool:
        raise NotImplementedError

    @property
    def allowed(self) -> str:
        raise NotImplementedError

    def schema(self) -> dict[str, Any]:
        return {}

    def error(self, value: object, key: str) -> ConfigError | None:
        """The ConfigError for ``value`` at ``key`` (None when allowed); a container may
        name the entry at fault (``key.<entry>``)."""
        return None if self.ok(value) else ConfigError(key, value, self.allowed)


def _worded(c: Constraint) -> dict[str, Any]:
    """``c``'s schema with its words, for an error about one item of a container."""
    return {**c.schema(), "x-allowed": c.allowed}


@dataclass(frozen=True)
class Int(Constraint):
    """An integer (not a bool) in ``[lo, hi]``; either bound may be None."""

    lo: int | None = None
    hi: int | None = None

    def ok(self, value: object) -> bool:
        return _is_int(value) and (self.lo is None or value >= self.lo) and (
            self.hi is None or value <= self.hi)

    @property
    def allowed(self) -> str:
        if self.lo is not None and self.hi is not None:
            return f"an integer in [{self.lo}, {self.hi}]"
        if self.lo is not None:
            return f"an integer >= {self.lo}"
        return f"an integer <= {self.hi}" if self.hi is not None else "an integer"

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "integer"}
        if self.lo is not None:
            out["minimum"] = self.lo
        if self.hi is not None:
            out["maximum"] = self.hi
        return out


@dataclass(frozen=True)
class Number(Constraint):
    """A finite number (ints too, not bools) between ``lo`` and ``hi``; ``lo_open`` /
    ``hi_open`` exclude the bound."""

    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    unit: str = ""

    def ok(self, value: object) -> bool:
        if not _is_number(value):
            return False
        v = float(value)  # type: ignore[arg-type]
        if self.lo is not None and (v <= self.lo if self.lo_open else v < self.lo):
            return False
        return self.hi is None or (v < self.hi if self.hi_open else v <= self.hi)

    @property
    def allowed(self) -> str:
        what = f"a number{' of ' + self.unit if self.unit else ''}"
        lo, hi = self.lo, self.hi
        if lo is not None and hi is not None:
            return (f"{what} in {'(' if self.lo_open else '['}{_fmt(lo)}, "
                    f"{_fmt(hi)}{')' if self.hi_open else ']'}")
        if lo is not None:
            return f"{what} {'>' if self.lo_open else '>='} {_fmt(lo)}"
        if hi is not None:
            return f"{what} {'<' if self.hi_open else '<='} {_fmt(hi)}"
        return what

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "number"}
        if self.lo is not None:
            out["exclusiveMinimum" if self.lo_open else "minimum"] = self.lo
        if self.hi is not None:
            out["exclusiveMaximum" if self.hi_open else "maximum"] = self.hi
        return out


@dataclass(frozen=True)
class Choice(Constraint):
    """One of ``values`` (compared with ``==``; ``True`` is not ``1`` here)."""

    values: tuple[Any, ...]

    def ok(self, value: object) -> bool:
        # a bool is not the number it equals: True is no choice among (0, 1, 2)
        return any(value == v and isinstance(value, bool) == isinstance(v, bool)
                   for v in self.values)

    @property
    def allowed(self) -> str:
        return ", ".join(yaml_word(v) for v in self.values)

    def schema(self) -> dict[str, Any]:
        return {"enum": list(self.values)}


def one_of(*values: Any) -> Choice:
    return Choice(tuple(values))


BOOL = Choice((True, False))


@dataclass(frozen=True)
class Text(Constraint):
    """A string."""

    def ok(self, value: object) -> bool:
        return isinstance(value, str)

    @property
    def allowed(self) -> str:
        return "a string"

    def schema(self) -> dict[str, Any]:
        return {"type": "string"}


@dataclass(frozen=True)
class Folder(Constraint):
    """An existing folder (``~`` expanded), checked while the DAG is built."""

    def ok(self, value: object) -> bool:
        return isinstance(value, str) and Path(value).expanduser().is_dir()

    @property
    def allowed(self) -> str:
        return "an existing folder"

    def schema(self) -> dict[str, Any]:
        return {"type": "string"}


@dataclass(frozen=True)
class ListOf(Constraint):
    """A list (or tuple) of items, each allowed by ``item``; ``length`` fixes its size;
    ``increasing`` asks for strictly increasing items."""

    item: Constraint
    length: int | None = None
    increasing: bool = False
    min_length: int = 0

    def ok(self, value: object) -> bool:
        if not isinstance(value, (list, tuple)) or len(value) < self.min_length:
            return False
        if self.length is not None and len(value) != self.length:
            return False
        if not all(self.item.ok(v) for v in value):
            return False
        return not self.increasing or all(a < b for a, b in zip(value, value[1:], strict=False))

    @property
    def allowed(self) -> str:
        size = f" of {self.length}" if self.length is not None else (
            f" of at least {self.min_length}" if self.min_length > 1
            else " (not empty)" if self.min_length else "")
        order = ", increasing," if self.increasing else ""
        return f"a list{size}{order} each item {self.item.allowed}"

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "array", "items": _worded(self.item)}
        if self.length is not None:
            out["minItems"] = out["maxItems"] = self.length
        elif self.min_length:
            out["minItems"] = self.min_length
        return out


@dataclass(frozen=True)
class Pair(Constraint):
    """``(lo, hi)``: two items allowed by ``item`` with ``lo <= hi``."""

    item: Constraint

    def ok(self, value: object) -> bool:
        return (isinstance(value, (list, tuple)) and len(value) == 2
                and all(self.item.ok(v) for v in value) and value[0] <= value[1])

    @property
    def allowed(self) -> str:
        return f"a pair (lo, hi) with lo <= hi, each {self.item.allowed}"

    def schema(self) -> dict[str, Any]:
        return {"type": "array", "items": _worded(self.item), "minItems": 2, "maxItems": 2}


@dataclass(frozen=True)
class ClassMap(Constraint):
    """``{class index: value}``, non-empty, each value allowed by ``value``. Class keys
    are integers (YAML) or digit strings (JSON); the range is the protocol's to check."""

    value: Constraint

    def ok(self, value: object) -> bool:
        return isinstance(value, Mapping) and bool(value) and all(
            (_is_int(c) and c >= 0) or (isinstance(c, str) and c.strip().isdigit())
            for c in value) and all(self.value.ok(v) for v in value.values())

    @property
    def allowed(self) -> str:
        return f"a non-empty {{class index: value}} mapping, each value {self.value.allowed}"

    def error(self, value: object, key: str) -> ConfigError | None:
        if not isinstance(value, Mapping) or not value:
            return ConfigError(key, value, self.allowed)
        for c, v in value.items():
            if not ((_is_int(c) and c >= 0) or (isinstance(c, str) and c.strip().isdigit())):
                return ConfigError(f"{key}.{c}", c, "a class index >= 0")
            if not self.value.ok(v):
                return ConfigError(f"{key}.{c}", v, self.value.allowed)
        return None

    def schema(self) -> dict[str, Any]:
        return {"type": "object", "minProperties": 1,
                "propertyNames": {"pattern": r"^\s*[0-9]+\s*$"},
                "additionalProperties": _worded(self.value)}


@dataclass(frozen=True)
class AnyOf(Constraint):
    """Allowed by any of ``options`` (``null`` is ``Choice((None,))``, see :data:`NULL`)."""

    options: tuple[Constraint, ...]

    def ok(self, value: object) -> bool:
        return any(o.ok(value) for o in self.options)

    @property
    def allowed(self) -> str:
        return " or ".join(o.allowed if not (isinstance(o, Choice) and o.values == (None,))
                           else "null" for o in self.options)

    def schema(self) -> dict[str, Any]:
        return {"anyOf": [o.schema() for o in self.options]}


NULL = Choice((None,))


def optional(c: Constraint) -> AnyOf:
    """``c`` or null."""
    return AnyOf((c, NULL))


@dataclass(frozen=True)
class Check(Constraint):
    """A test written as a function, for what the other constraints cannot say; ``words``
    is what is allowed, ``json`` its schema (as close as JSON schema gets)."""

    test: Callable[[object], bool]
    words: str
    json: Mapping[str, Any] = field(default_factory=dict)

    def ok(self, value: object) -> bool:
        return bool(self.test(value))

    @property
    def allowed(self) -> str:
        return self.words

    def schema(self) -> dict[str, Any]:
        return dict(self.json)


# -- the declaration ------------------------------------------------------------------------
@dataclass(frozen=True)
class Param:
    """One parameter: its name, default, what is allowed and what it means (one line).

    ``required``: the config must give it (``default`` is then unused).
    """

    name: str
    default: Any
    allowed: Constraint
    help: str
    required: bool = False

    def check(self, value: Any, key: str) -> None:
        error = self.allowed.error(value, f"{key}.{self.name}")
        if error is not None:
            raise error

    def schema(self) -> dict[str, Any]:
        """Its JSON-schema property: the constraint, its meaning, what is allowed in words
        (``x-allowed``) and the default the package applies (``x-default``)."""
        out = {**self.allowed.schema(), "description": self.help,
               "x-allowed": self.allowed.allowed}
        if not self.required:
            out["x-default"] = _jsonable(self.default)
        return out


class ParamSpec(Sequence[Param]):
    """The ordered parameters of one registry entry, built once at import.

    ``+`` appends (a name declared twice is a bug), :meth:`with_defaults` changes defaults
    (a subclass that trains longer), :meth:`without` drops keys (eGAN trains no loss remedy).
    """

    def __init__(self, *params: Param) -> None:
        names = [p.name for p in params]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"parameters declared twice: {dup}")
        self._params = tuple(params)
        self._by_name = {p.name: p for p in params}

    def __getitem__(self, i: Any) -> Any:
        return self._params[i]

    def __len__(self) -> int:
        return len(self._params)

    def __iter__(self) -> Iterator[Param]:
        return iter(self._params)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __add__(self, other: Iterable[Param]) -> ParamSpec:
        return ParamSpec(*self._params, *other)

    def __repr__(self) -> str:
        return f"ParamSpec({', '.join(p.name for p in self._params)})"

    def param(self, name: str) -> Param:
        return self._by_name[name]

    @property
    def names(self) -> list[str]:
        return [p.name for p in self._params]

    def merged(self, other: Iterable[Param]) -> ParamSpec:
        """These parameters with ``other``'s: one of the same name takes the place of this
        one (a method that narrows a shared parameter), the rest are appended."""
        other = list(other)
        by_name = {p.name: p for p in other}
        kept = [by_name.get(p.name, p) for p in self._params]
        return ParamSpec(*kept, *(p for p in other if p.name not in self._by_name))

    def with_defaults(self, **defaults: Any) -> ParamSpec:
        unknown = sorted(set(defaults) - set(self._by_name))
        if unknown:
            raise ValueError(f"with_defaults: no parameters {unknown}")
        return ParamSpec(*(replace(p, default=defaults[p.name]) if p.name in defaults else p
                           for p in self._params))

    def without(self, *names: str) -> ParamSpec:
        return ParamSpec(*(p for p in self._params if p.name not in names))

    def defaults(self) -> dict[str, Any]:
        """Every non-required parameter's default (a deep copy: never shared)."""
        return copy.deepcopy({p.name: p.default for p in self._params if not p.required})

    def resolve(self, overrides: Mapping[str, Any] | None, key: str, owner: str = ""
                ) -> dict[str, Any]:
        """The defaults updated by ``overrides``, every value checked.

        ConfigError naming ``key.<name>`` for an unknown name (listing the known ones), a
        missing required one, or a value its constraint does not allow.
        """
        overrides = dict(overrides or {})
        self.check(overrides, key, owner)
        resolved = self.defaults()
        resolved.update(overrides)
        for p in self._params:
            if p.name in resolved and p.name not in overrides:
                p.check(resolved[p.name], key)  # a default a subclass or a YAML changed
        return resolved

    def check(self, given: Mapping[str, Any], key: str, owner: str = "",
              ignore: Iterable[str] = ()) -> None:
        """Check the keys ``given`` as they are (no defaults merged: an imbalance protocol
        reads what the config says): ConfigError for an unknown name, a missing required
        one, or a value not allowed. ``ignore``: keys that are not parameters (a
        protocol's ``protocol``)."""
        ignore = set(ignore)
        for k, v in given.items():
            if k not in self._by_name and k not in ignore:
                names = sorted(self._by_name)
                raise ConfigError(f"{key}.{k}", v, (f"keys for {owner!r}: {names}" if owner
                                                    else f"keys {names}") if names
                                  else f"no parameters for {owner!r}")
        for p in self._params:
            if p.required and p.name not in given:
                raise ConfigError(f"{key}.{p.name}", None,
                                  f"a value ({p.allowed.allowed}; required"
                                  f"{' by ' + repr(owner) if owner else ''})")
            if p.name in given:
                p.check(given[p.name], key)

    def schema(self, *, extra: Mapping[str, Any] | None = None, owner: str = ""
               ) -> dict[str, Any]:
        """A JSON-schema object for these parameters (``extra``: more properties, e.g. a
        protocol's ``protocol`` key). Defaults are the package's to apply, so they are given
        as ``x-default`` (the workflow's validator fills only ``default``); ``x-allowed``
        is the constraint in the words of every other error."""
        props: dict[str, Any] = {**(extra or {}), **{p.name: p.schema() for p in self._params}}
        out: dict[str, Any] = {"type": "object", "additionalProperties": False,
                               "properties": props}
        if owner:
            out["x-owner"] = owner
        required = [p.name for p in self._params if p.required]
        if required:
            out["required"] = required
        return out


class Declared:
    """Base of a registry entry that declares its parameters (augmenters, classifiers):
    ``default_params`` is derived from ``parameters``; ``check_params`` validates a config's
    overrides against them, then ``_check_values`` checks what relates two of them."""

    #: registry name, set by each subclass
    name: ClassVar[str] = ""
    #: every accepted parameter: default, allowed values, meaning; the config holds
    #: overrides only, so a key missing here is a typo and is rejected
    parameters: ClassVar[ParamSpec] = ParamSpec()
    #: ``parameters``' defaults (derived, never written by hand)
    default_params: ClassVar[dict[str, Any]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "default_params" in vars(cls):
            raise TypeError(f"{cls.__name__}: declare `parameters` (imbench.params); "
                            "default_params is derived from them")
        cls.default_params = cls.parameters.defaults()

    @classmethod
    def check_params(cls, params: Mapping[str, Any] | None = None, key: str = "params"
                     ) -> dict[str, Any]:
        """The defaults updated by ``params``, each value checked against its declaration,
        then ``_check_values``. ConfigError naming ``key.<param>`` (``key`` is the config
        path, e.g. ``"augmenters.smote.params"``). It runs once while the DAG is built and
        once in the job."""
        resolved = cls.parameters.resolve(params, key, cls.name)
        cls._check_values(resolved, key)
        return resolved

    @classmethod
    def _check_values(cls, params: dict[str, Any], key: str) -> None:
        """Checks that relate parameters (each one's own values are declared); subclasses
        extend, calling super first. Raise ConfigError."""


def _jsonable(v: Any) -> Any:
    if isinstance(v, tuple):
        return [_jsonable(x) for x in v]
    if isinstance(v, Mapping):
        return {str(k): _jsonable(x) for k, x in v.items()}
    return v


def require(ok: bool, key: str, value: object, allowed: str) -> None:
    """A relation between parameters: ConfigError(key, value, allowed) unless ``ok``."""
    if not ok:
        raise ConfigError(key, value, allowed)


__all__ = ["BOOL", "NULL", "AnyOf", "Check", "Choice", "ClassMap", "Constraint", "Declared",
           "Folder", "Int", "ListOf", "Number", "Pair", "Param", "ParamSpec", "Text", "one_of",
           "optional", "require"]

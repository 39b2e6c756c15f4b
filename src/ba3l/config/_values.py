"""What a config value may be, and when one value may replace another.

Config values are JSON data, so a resolved config can be stored and replayed:
``None``, booleans, numbers, strings, lists and dicts with string keys. Tuples are
stored as lists. When a higher layer replaces a value, its type must fit the value
it replaces; the only silent conversion is an int where a float was.
"""

from __future__ import annotations

import inspect
from typing import Any

from ._errors import ConfigError
from ._imports import factory_name
from ._references import is_reference
from ._tree import Path, format_path

_SCALARS = (str, int, float, bool)


MAX_VALUES = 1_000_000
"""Most values one tree may hold (YAML aliases can expand a small file without bound)."""

JSON_DATA = "config values are JSON data (numbers, strings, booleans, None, lists, dicts with string keys)"

_KINDS: dict[type, str] = {
    set: "a set",
    frozenset: "a set",
    bytes: "bytes",
    complex: "a complex number",
    type(Ellipsis): "an Ellipsis",
}
# YAML and TOML read dates; named here so that datetime need not be imported
_DATE_KINDS = {"date": "a date", "datetime": "a date and time", "time": "a time"}


def normalize(value: Any, path: Path = ()) -> Any:
    """A fresh copy of ``value`` as JSON data (tuples become lists), or raise naming the entry.

    Refuses values that are not JSON data, non-string keys, containers that contain
    themselves and trees of more than ``MAX_VALUES`` values.

    Example:
        >>> normalize({"betas": (0.9, 0.99)}, ("opt",))
        {'betas': [0.9, 0.99]}
    """
    try:
        return _normalize(value, path, set(), [MAX_VALUES])
    except RecursionError:
        raise ConfigError(f"{_subject(path)} is nested too deeply") from None


def _normalize(value: Any, path: Path, active: set[int], budget: list[int]) -> Any:
    """``active`` holds the containers being copied (to find cycles); ``budget`` the values left."""
    budget[0] -= 1
    if budget[0] < 0:
        raise ConfigError(f"the config holds more than {MAX_VALUES} values")
    if value is None or type(value) in _SCALARS:
        return value
    for scalar in (bool, int, float, str):  # subclasses, e.g. an IntEnum member, as their base type
        if isinstance(value, scalar):
            return scalar(value)
    if path and (isinstance(value, type) or inspect.isroutine(value)):
        if "<locals>" in value.__qualname__:
            raise ConfigError(
                f"{_subject(path)} is {value.__qualname__}, defined inside a function: no import string "
                "can name it; define it at the top level of a module"
            )
        return factory_name(value)  # a class or function in a config is its import string
    if not isinstance(value, (dict, list, tuple)):
        raise ConfigError(f"{_subject(path)} is {_kind(value)} ({short_repr(value)}); {JSON_DATA}")
    if id(value) in active:
        raise ConfigError(f"{_subject(path)} contains itself")
    active.add(id(value))
    try:
        if isinstance(value, dict):
            return {_key(key, path): _normalize(item, path + (key,), active, budget) for key, item in value.items()}
        return [_normalize(item, path + (f"[{i}]",), active, budget) for i, item in enumerate(value)]
    finally:
        active.discard(id(value))


def _key(key: Any, path: Path) -> str:
    if not isinstance(key, str):
        where = _subject(path) if path else "the top level"
        raise ConfigError(f"{where} has the key {key!r}; keys must be strings")
    return key


def _subject(path: Path) -> str:
    """What a message is about: ``config entry 'a.b'``, or ``the value`` for an unnamed one."""
    return f"config entry '{format_path(path)}'" if path else "the value"


def _kind(value: Any) -> str:
    """How a value's type reads in a message: ``a set``, ``a date``, ``a Thing``, ``an object``."""
    kind = _KINDS.get(type(value))
    if kind is None and type(value).__module__ == "datetime":
        kind = _DATE_KINDS.get(type(value).__name__)
    if kind is None:
        name = type(value).__name__
        kind = ("an " if name[:1].lower() in "aeiou" else "a ") + name
    return kind


def type_name(value: Any) -> str:
    """The JSON-flavoured name of a value's type, for messages: ``int``, ``dict``, ``None``."""
    if value is None:
        return "None"
    if isinstance(value, (list, tuple)):
        return "list"
    return type(value).__name__


def replacement_problem(old: Any, new: Any) -> str | None:
    """Why ``new`` cannot replace ``old``, or ``None`` when it can.

    ``None`` on either side, the same type, an int for a float, and list for tuple are
    fine; a bool is not an int; a dict replaces only a dict (or ``None``).
    """
    if old is None or new is None or is_reference(old) or is_reference(new):
        return None  # a reference's command decides its type when it runs
    if isinstance(old, dict) != isinstance(new, dict):
        if isinstance(old, dict):
            return f"a dict cannot be replaced by {type_name(new)} {short_repr(new)}"
        return f"expected {type_name(old)}, got a dict"
    if type_name(old) == type_name(new) or (type(old) is float and type(new) is int):
        return None
    problem = f"expected {type_name(old)} like the default {short_repr(old)}, got {type_name(new)} {short_repr(new)}"
    return problem + _spelling_hint(new)


_PYTHON_SPELLING = {"true": "True", "false": "False", "null": "None", "none": "None"}


def _spelling_hint(new: Any) -> str:
    """Values are Python literals: point out JSON's or YAML's spelling of one."""
    if isinstance(new, str) and new.lower() in _PYTHON_SPELLING:
        return f"; write {_PYTHON_SPELLING[new.lower()]}"
    return ""


def coerce_like(old: Any, new: Any) -> Any:
    """``new`` converted to ``old``'s type where that is silent (int to float only)."""
    if type(old) is float and type(new) is int:
        return float(new)
    return new


def short_repr(value: Any, limit: int = 40) -> str:
    """``repr(value)``, cut to ``limit`` characters with ``...``."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."

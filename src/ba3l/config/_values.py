"""What a config value may be, and when one value may replace another.

Config values are JSON data, so a resolved config can be stored and replayed:
``None``, booleans, numbers, strings, lists and dicts with string keys. Tuples are
stored as lists. When a higher layer replaces a value, its type must fit the value
it replaces; the only silent conversion is an int where a float was.
"""

from __future__ import annotations

from typing import Any

from ._errors import ConfigError
from ._tree import Path, format_path

_SCALARS = (str, int, float, bool, type(None))


def normalize(value: Any, path: Path) -> Any:
    """Return ``value`` as JSON data (tuples become lists), or raise naming the entry.

    Example:
        >>> normalize({"betas": (0.9, 0.99)}, ("opt",))
        {'betas': [0.9, 0.99]}
    """
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ConfigError(
                    f"config entry '{format_path(path)}' has the key {key!r}; keys must be strings"
                )
            out[key] = normalize(item, path + (key,))
        return out
    if isinstance(value, (list, tuple)):
        return [normalize(item, path + (str(i),)) for i, item in enumerate(value)]
    raise ConfigError(
        f"config entry '{format_path(path)}' is of type {type(value).__name__} ({_short(value)}), which "
        "cannot be stored as JSON; use numbers, strings, booleans, None, lists or dicts"
    )


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
    if old is None or new is None:
        return None
    if isinstance(old, dict) != isinstance(new, dict):
        if isinstance(old, dict):
            return f"a dict cannot be replaced by {type_name(new)} {_short(new)}"
        return f"expected {type_name(old)}, got a dict"
    if type_name(old) == type_name(new) or (type(old) is float and type(new) is int):
        return None
    return f"expected {type_name(old)} like the default {_short(old)}, got {type_name(new)} {_short(new)}"


def coerce_like(old: Any, new: Any) -> Any:
    """``new`` converted to ``old``'s type where that is silent (int to float only)."""
    if type(old) is float and type(new) is int:
        return float(new)
    return new


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."

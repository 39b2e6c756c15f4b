"""Checking config values against the annotations of the parameters they fill.

A captured callable's annotations say what its config entries may hold. Values are
JSON data, so a ``Path`` entry holds a string and an ``Enum`` entry the name or value
of a member. The only silent conversion is an int where a float is expected.
"""

from __future__ import annotations

import enum
import types
import typing
from typing import Any

from ._values import short_repr, type_name

_NONE = type(None)


def annotation_problem(value: Any, annotation: Any) -> str | None:
    """Why ``value`` does not fit ``annotation``, or ``None`` when it does (or cannot be told).

    Example:
        >>> annotation_problem("x", int)
        "expected int, got str 'x'"
    """
    if _fits(value, annotation):
        return None
    return f"expected {describe(annotation)}, got {type_name(value)} {short_repr(value)}"


def coerce_to(value: Any, annotation: Any) -> Any:
    """``value`` as ``annotation`` wants it where that is silent: an int for a float."""
    members = _members(annotation)
    if type(value) is int and float in members and int not in members:
        return float(value)
    return value


def describe(annotation: Any) -> str:
    """An annotation as messages print it: ``int``, ``list[int]``, ``'a' or 'b'``."""
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return " or ".join(repr(choice) for choice in typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(describe(member) for member in typing.get_args(annotation))
    if annotation is _NONE or annotation is None:
        return "None"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return "one of " + ", ".join(repr(member.name) for member in annotation)
    if origin is not None:
        return str(annotation).removeprefix("typing.")  # list[int], dict[str, float]
    return getattr(annotation, "__name__", str(annotation))


def _members(annotation: Any) -> tuple:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return typing.get_args(annotation)
    return (annotation,)


def _fits(value: Any, annotation: Any) -> bool:  # noqa: C901 - one case per kind of annotation
    if annotation is Any or annotation is typing.Any or annotation is object:
        return True
    if annotation is None or annotation is _NONE:
        return value is None
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, member) for member in args)
    if origin is typing.Literal:
        return value in args
    if origin in (list, tuple, set, frozenset, typing.Sequence) or annotation in (list, tuple):
        return isinstance(value, list) and _items_fit(value, annotation, origin, args)
    if origin is dict or annotation is dict:
        return isinstance(value, dict) and (not args or all(_fits(v, args[1]) for v in value.values()))
    if isinstance(annotation, type):
        return _fits_type(value, annotation)
    return True  # a TypeVar, a Protocol, a string we could not resolve: nothing to check


def _is_path_class(annotation: type) -> bool:
    """``pathlib.Path`` and friends, told without importing pathlib (10 ms of every start)."""
    return any(base.__module__ == "pathlib" and base.__name__ == "PurePath" for base in annotation.__mro__)


def _items_fit(value: list, annotation: Any, origin: Any, args: tuple) -> bool:
    if not args:
        return True
    if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
        return len(value) == len(args) and all(_fits(v, a) for v, a in zip(value, args))
    return all(_fits(v, args[0]) for v in value)


def _fits_type(value: Any, annotation: type) -> bool:
    if annotation is bool:
        return type(value) is bool
    if annotation is int:
        return type(value) is int
    if annotation is float:
        return type(value) in (int, float)
    if annotation is str:
        return isinstance(value, str)
    if _is_path_class(annotation):
        return isinstance(value, str)
    if issubclass(annotation, enum.Enum):
        return any(value in (member.name, member.value) for member in annotation)
    if annotation in (list, tuple):
        return isinstance(value, list)
    if annotation is dict:
        return isinstance(value, dict)
    return True  # a class of the user's: its config is not ours to check here

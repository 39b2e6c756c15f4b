"""Signature capture: a function's parameters as config entries.

Capturing a signature, filling a factory dict and reading a dataclass are one act:
the parameters with defaults become entries at the lowest priority, their
annotations the entries' types and their docstring descriptions the entries' docs.
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Callable
from typing import Any, NamedTuple

SPECIAL_ARGUMENTS = frozenset({"_config", "_log", "_run", "_seed", "_rnd"})
"""Arguments a captured function receives from the run rather than from the config."""


class Parameter(NamedTuple):
    """One configurable parameter of a captured callable."""

    name: str
    default: Any
    annotation: Any
    doc: str | None

    @property
    def required(self) -> bool:
        return self.default is inspect.Parameter.empty


class Signature(NamedTuple):
    """The configurable parameters of a callable, in order."""

    parameters: tuple[Parameter, ...] = ()

    def defaults(self) -> dict[str, Any]:
        """``{name: default}`` for the parameters that have one."""
        return {p.name: p.default for p in self.parameters if not p.required}



def capture_signature(function: Callable) -> Signature:
    """The parameters that a config can fill: not ``*args``/``**kwargs``, not positional-only,
    not the run-injected ``_config``, ``_run``, ... .

    Example:
        >>> def f(a, b=2, *args, _run=None): '''Args:\\n  b: the b.'''
        >>> capture_signature(f).defaults()
        {'b': 2}
    """
    is_class = inspect.isclass(function)
    target = function.__init__ if is_class else function
    # a class documents its arguments in its own docstring or in __init__'s (not object's)
    docs = docstring_arguments(inspect.cleandoc(function.__doc__ or ""))
    if is_class and "__init__" in vars(function):
        docs.update(docstring_arguments(inspect.cleandoc(target.__doc__ or "")))
    hints = _type_hints(target)
    parameters = []
    # a class's signature covers __new__ and __init__, without the instance
    for index, param in enumerate(inspect.signature(function).parameters.values()):
        if index == 0 and not is_class and param.name in ("self", "cls"):
            continue  # the instance or class a method is bound to
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD, param.POSITIONAL_ONLY):
            continue
        if param.name.startswith("_"):
            continue  # the run's injected values, and private parameters, as in a config scope
        annotation = hints.get(param.name, param.annotation)
        parameters.append(Parameter(param.name, param.default, annotation, docs.get(param.name)))
    return Signature(tuple(parameters))


def _type_hints(target: Callable) -> dict[str, Any]:
    """Annotations with strings (``from __future__ import annotations``) resolved where possible."""
    try:
        return typing.get_type_hints(target)
    except Exception:  # an annotation naming something not importable here: leave them as written
        return {}


# plain strings: the re module compiles (and caches) them on first use, not at import
_SECTION = r"^(Args|Arguments|Parameters|Keyword Args):\s*$"
_ITEM = r"^(\w+)\s*(\([^)]*\))?\s*:\s*(.*)$"


def docstring_arguments(doc: str) -> dict[str, str]:
    """Descriptions of arguments from a Google-style ``Args:`` section."""
    out: dict[str, str] = {}
    lines = doc.splitlines()
    inside, indent, current = False, None, None
    for line in lines:
        stripped = line.strip()
        if re.match(_SECTION, stripped):
            inside, indent, current = True, None, None
            continue
        if not inside:
            continue
        if not stripped:
            continue
        width = len(line) - len(line.lstrip())
        if indent is None:
            indent = width
        if width < indent:
            inside = False
            continue
        match = re.match(_ITEM, stripped)
        if width == indent and match:
            current = match.group(1)
            out[current] = match.group(3).strip()
        elif current and width > indent:
            out[current] = (out[current] + " " + stripped).strip()
    return out

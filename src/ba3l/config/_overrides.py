"""The grammar of command-line config updates: ``with a.b=VALUE`` and ``+a.b=VALUE``.

A value is read as a Python literal (``3``, ``1e-3``, ``'x'``, ``[1, 2]``, ``None``)
with :func:`ast.literal_eval`, which only reads literals and never runs code; any
other text (``adam``, ``relu6``) is the plain string it looks like, so users need not
quote simple words. Keeping this grammar in one module means the command line, run
records and error messages all agree on what an update means.
"""

from __future__ import annotations

import ast
from typing import Any, NamedTuple

from ._errors import ConfigError, UsageError
from ._tree import Path, is_segment
from ._values import normalize

_LITERAL_FAILURES = (ValueError, TypeError, SyntaxError, MemoryError, RecursionError)


class Assignment(NamedTuple):
    """One ``key=value`` update from the command line.

    Attributes:
        path: The dotted key, split into segments: ``a.b`` is ``("a", "b")``.
        value: The value read by :func:`parse_value`.
        add: True for a leading ``+`` (``+a.b=1``): the key is new on purpose.
        text: The token as the user wrote it.
    """

    path: Path
    value: Any
    add: bool
    text: str


def is_assignment(token: str) -> bool:
    """Whether a command-line token is an update (it contains ``=``).

    Args:
        token: One command-line word.

    Returns:
        True when ``token`` contains ``=``.
    """
    return "=" in token


def parse_assignment(token: str) -> Assignment:
    """Read one ``KEY=VALUE`` or ``+KEY=VALUE`` update.

    The token is split at its first ``=``, so values may contain ``=``.

    Args:
        token: The update as written, e.g. ``"optim.lr=1e-3"``.

    Returns:
        The parsed :class:`Assignment`.

    Raises:
        UsageError: The token has no ``=``, no key, no value, an empty key segment,
            a segment that is not an identifier, or a value that is not JSON data.

    Example:
        >>> parse_assignment("+optim.betas=(0.9, 0.99)")
        Assignment(path=('optim', 'betas'), value=[0.9, 0.99], add=True, text='+optim.betas=(0.9, 0.99)')
    """
    written_key, equals, value_text = token.partition("=")
    if not equals:
        raise UsageError(f"update '{token}' has no '='; write KEY=VALUE")
    add = written_key.startswith("+")
    key = written_key[1:] if add else written_key
    if not key:
        raise UsageError(f"update '{token}' has no key; write KEY=VALUE")
    path = _parse_key(token, key)
    if not value_text:
        raise UsageError(
            f"update '{token}' has no value; write {written_key}=VALUE "
            f"""(for an empty string write '{written_key}=""' with the quotes)"""
        )
    return Assignment(path=path, value=parse_value(value_text, path), add=add, text=token)


def parse_value(text: str, path: Path = ()) -> Any:
    """Read an update's value: a Python literal, or else the text itself.

    Numbers (``-1``, ``1_000``, ``1e-3``), quoted strings, lists, tuples, dicts,
    ``None``, ``True`` and ``False`` are read as literals; tuples become lists. Any
    text that is not a literal (``adam``, ``a b``, ``1.2.3``, ``f(1)``) is returned
    unchanged as a string, as is text too long or too deeply nested to read. Note
    that ``true`` and ``null`` are plain strings; write ``True`` and ``None``.

    Args:
        text: The value as written, after the first ``=``.
        path: The key it is for, named in errors.

    Returns:
        JSON data: None, bool, int, float, str, list or dict with string keys.

    Raises:
        UsageError: The literal is valid Python but not JSON data (a set, a complex
            number, bytes, or a dict with a non-string key).
    """
    try:
        value = ast.literal_eval(text)
    except _LITERAL_FAILURES:
        return text
    if value is Ellipsis:
        return text
    try:
        return normalize(value, path)
    except ConfigError as error:
        raise UsageError(f"{error}; quote it to pass a string") from None


def _parse_key(token: str, key: str) -> Path:
    path = tuple(key.split("."))
    for segment in path:
        if not segment:
            raise UsageError(f"update '{token}': empty segment in key '{key}'")
        if not is_segment(segment):
            raise UsageError(
                f"update '{token}': '{segment}' is not a valid key segment "
                "(letters, digits and _ , not starting with a digit)"
            )
    return path

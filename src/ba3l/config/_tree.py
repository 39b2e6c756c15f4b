"""The config tree: nested dicts of JSON values, addressed by dotted paths.

Every other pass (merging layers, resolving, diffing, printing, flattening) walks a
tree through the few functions here, so the rules for what a path is and how two
trees combine live in one place.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

Path = tuple[str, ...]
"""A location in a config tree: ``("data", "cache", "size")`` prints as ``data.cache.size``."""



class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
"""Marks an absent value (``None`` is a legal config value)."""

EMPTY: Mapping = MappingProxyType({})
"""A read-only empty mapping: the default of records' mapping fields."""


def format_path(path: Path) -> str:
    """``("data", "size")`` -> ``"data.size"``; a list position ``"[1]"`` prints as an
    index (``a.b[1]``); the root prints as ``"<root>"``."""
    return ".".join(path).replace(".[", "[") if path else "<root>"


def is_segment(name: str) -> bool:
    """Whether ``name`` can be one segment of a dotted path (an identifier)."""
    return name.isidentifier()


def split_path(text: str) -> Path:
    """Split a dotted key without validating it (``""`` is the root)."""
    return tuple(text.split(".")) if text else ()


def get(tree: Mapping, path: Path, default: Any = MISSING) -> Any:
    """The value at ``path``, or ``default`` when any part of it is absent."""
    node: Any = tree
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return default
        node = node[key]
    return node


def set_value(tree: dict, path: Path, value: Any) -> None:
    """Set ``path`` in ``tree``, creating intermediate dicts (replacing non-dicts)."""
    node = tree
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = node[key] = {}
        node = child
    node[path[-1]] = value


def subtree(tree: Mapping, path: Path) -> dict:
    """The dict at ``path``, or an empty dict when there is none."""
    node = get(tree, path, None)
    return node if isinstance(node, dict) else {}


def leaves(tree: Mapping, prefix: Path = ()) -> Iterator[tuple[Path, Any]]:
    """Every non-dict value and every empty dict, with its path, depth first in order."""
    for key, value in tree.items():
        path = prefix + (key,)
        if isinstance(value, Mapping) and value:
            yield from leaves(value, path)
        else:
            yield path, value


def leaves_of(value: Any, path: Path = ()) -> list[tuple[Path, Any]]:
    """Like :func:`leaves`, for any value: a non-dict (or empty dict) is its own leaf.

    Example:
        >>> leaves_of(3, ("lr",)), leaves_of({"a": 1}, ("opt",))
        ([(('lr',), 3)], [(('opt', 'a'), 1)])
    """
    if isinstance(value, Mapping) and value:
        return list(leaves(value, path))
    return [(path, value)]


def merge(base: Mapping, override: Mapping) -> dict:
    """A new tree: ``base`` with ``override`` laid over it; dicts merge, all else replaces.

    Example:
        >>> merge({"a": {"x": 1, "y": 2}}, {"a": {"y": 3}})
        {'a': {'x': 1, 'y': 3}}
    """
    out = dict(base)
    for key, value in override.items():
        old = out.get(key)
        if isinstance(value, Mapping) and isinstance(old, Mapping):
            out[key] = merge(old, value)
        else:
            out[key] = copy_tree(value)
    return out


def copy_tree(value: Any) -> Any:
    """A deep copy of plain config data (dicts and lists; scalars are shared)."""
    if isinstance(value, Mapping):
        return {k: copy_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [copy_tree(v) for v in value]
    return value


def from_leaves(items: Iterator[tuple[Path, Any]] | list[tuple[Path, Any]]) -> dict:
    """Build a nested tree from ``(path, value)`` pairs (later pairs win)."""
    tree: dict = {}
    for path, value in items:
        set_value(tree, path, value)
    return tree

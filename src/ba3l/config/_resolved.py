"""The resolved config: final values with their provenance and docs.

This is what the assembler produces and what everything downstream reads: runs
receive ``values``, ``print_config`` reads ``marks`` and ``sources``, run records store
``values``. Marks compare a value with what the lower layers alone would have given.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from ._provenance import Layer, Source
from ._tree import EMPTY, MISSING, Path, get
from ._values import type_name

Mark = str
"""One of ``"added"``, ``"modified"``, ``"typechanged"``, ``"parent"``."""


class ResolvedConfig(NamedTuple):
    """A resolved config tree and, per leaf path, where its value came from.

    Attributes:
        values: the nested config, JSON data.
        sources: the source of every leaf.
        docs: docs of entries (leaves and dicts) from comments and docstrings.
        shadowed: for leaves set by a named config or an update, the value the
            lower layers gave (absent when the key is new).
        scope_docs: docstrings of the config scopes, by ingredient path.
        warnings: problems downgraded by ``--force``.
    """

    values: dict
    sources: Mapping[Path, Source] = EMPTY
    docs: Mapping[Path, str] = EMPTY
    shadowed: Mapping[Path, Any] = EMPTY
    scope_docs: tuple[tuple[Path, str], ...] = ()
    warnings: tuple[str, ...] = ()

    def get(self, path: Path, default: Any = MISSING) -> Any:
        """The value at ``path``."""
        return get(self.values, path, default)

    def marks(self, path: Path) -> tuple[Mark, ...]:
        """How the entry at ``path`` differs from the defaults."""
        source = self.sources.get(path)
        if source is None:
            return ()
        if source.layer == Layer.PARENT:
            return ("parent",)
        if source.layer < Layer.NAMED:
            return ()
        if path not in self.shadowed:
            return ("added",)
        old, new = self.shadowed[path], self.get(path)
        if old is not None and new is not None and type_name(old) != type_name(new):
            return ("typechanged",)
        return ("modified",) if old != new else ()

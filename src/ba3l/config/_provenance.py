"""Provenance: for every config value, which layer set it and where.

Provenance is data, not printing logic. The assembler attaches a :class:`Source` to
every leaf it writes; ``print_config``, error messages and run records read it back.
"""

from __future__ import annotations

import enum
from typing import NamedTuple


class Layer(enum.IntEnum):
    """Config layers, lowest priority first; a higher layer's value wins."""

    DEFAULT = 0
    """Captured signature defaults and built-in entries such as ``seed``."""
    CONFIG = 1
    """The ingredient's own config scopes, dicts and files."""
    PARENT = 2
    """Values a parent ingredient's config writes into a child's path."""
    HOOK = 3
    """Values returned by a ``@config_hook``."""
    NAMED = 4
    """Named configs selected on the command line (later wins)."""
    UPDATE = 5
    """Config files and ``key=value`` updates on the command line (later wins)."""

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Layer.DEFAULT: "default",
    Layer.CONFIG: "config",
    Layer.PARENT: "parent config",
    Layer.HOOK: "config hook",
    Layer.NAMED: "named config",
    Layer.UPDATE: "update",
}


class Source(NamedTuple):
    """Where a value came from: its layer and a human-readable origin.

    The origin says where, in the user's words: ``digits.py:12``, ``'big' at
    digits.py:20``, ``command line``, ``file conf.yaml``.

    Example:
        >>> str(Source(Layer.NAMED, "'big' at digits.py:20"))
        "named config 'big' at digits.py:20"
    """

    layer: Layer
    origin: str

    def __str__(self) -> str:
        if self.layer == Layer.UPDATE:
            return self.origin
        return f"{self.layer.label} {self.origin}"


COMMAND_LINE = "command line"

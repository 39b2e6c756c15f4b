"""The text of ``print_config``: the tree with docs, marks and, optionally, provenance.

Marks say how an entry differs from what the lower layers alone give: *added*,
*modified*, *typechanged*, or set by a *parent* ingredient. On a terminal they are
coloured; the words are always written too, so piped output loses nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._resolved import ResolvedConfig
from ._secrets import MASK, is_secret_key, mask_url
from ._tree import Path

_COLORS = {"modified": "34", "added": "32", "typechanged": "31", "parent": "35"}  # sacred's order
_DOC_COLUMN = 34


def format_config(config: ResolvedConfig, *, color: bool = False, provenance: bool = False) -> str:
    """The config as ``print_config`` shows it.

    Example:
        >>> print(format_config(ResolvedConfig({"lr": 0.1}, docs={("lr",): "learning rate"})))
        Configuration (modified, added, typechanged, parent, doc):
          lr = 0.1                          # learning rate
    """
    lines = ["Configuration (" + ", ".join(_paint(m, m, color) for m in _COLORS) + ", doc):"]
    for path, doc in config.scope_docs:
        if not path:
            lines.extend("  " + line for line in _docstring(doc))
    ingredient_docs = {path: doc.strip().splitlines()[0] for path, doc in reversed(config.scope_docs) if path}
    docs = {**ingredient_docs, **config.docs}  # a comment on the entry wins over the scope's docstring
    lines.extend(_format_tree(config, docs, config.values, (), color, provenance))
    return "\n".join(lines)


def _format_tree(
    config: ResolvedConfig, docs: Mapping[Path, str], tree: dict, prefix: Path, color: bool, provenance: bool
) -> list[str]:
    lines = []
    indent = "  " * (len(prefix) + 1)
    for key, value in tree.items():
        path = prefix + (key,)
        if isinstance(value, dict) and value:
            lines.append(_entry(indent + f"{key}:", docs.get(path), (), None, color))
            lines.extend(_format_tree(config, docs, value, path, color, provenance))
            continue
        source = config.sources.get(path) if provenance else None
        text = indent + f"{key} = {_shown(key, value)}"
        lines.append(_entry(text, docs.get(path), config.marks(path), source, color))
    return lines


def _shown(key: str, value: Any) -> str:
    """How a value is printed: secrets and URL credentials masked."""
    if is_secret_key(key) and value not in (None, ""):
        return repr(MASK)
    return repr(mask_url(value) if isinstance(value, str) else value)


def _entry(text: str, doc: str | None, marks: tuple[str, ...], source: Any, color: bool) -> str:
    notes = []
    if doc:
        notes.append(doc)
    if marks:
        notes.append("[" + ", ".join(marks) + "]")
    if source is not None:
        notes.append(f"<- {source}")
    if not notes:
        return text
    text = text.ljust(_DOC_COLUMN)
    if marks:
        text = _paint(text, marks[0], color)
    return text + "  # " + "  ".join(notes)


def _paint(text: str, mark: str, color: bool) -> str:
    return f"\x1b[{_COLORS[mark]}m{text}\x1b[0m" if color else text


def _docstring(doc: str) -> list[str]:
    return ['"""', *doc.splitlines(), '"""']

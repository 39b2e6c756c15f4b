"""Dynamic ingredients: a config value that chooses which ingredient is mounted at its path.

``DynamicIngredient("models.resnet.net", depth=50)`` is the dict
``{"ingredient": "models.resnet.net", "depth": 50}``: plain config data, printed, changed
and stored like any other. When the config is assembled, the ingredient that the import
string names is mounted where the dict sits (``models.net``): its config fills the dict,
the other keys override it, and its commands are reachable as ``models.net.<command>``.
The ``ingredient`` key is reserved for this: a dict whose ``ingredient`` is a string is
a dynamic ingredient (an import string that names no ingredient is an error).

Swapping: a config source writes the keys of a dynamic ingredient for the one it names.
When a higher layer names another one (``with models.net.ingredient=models.vgg.net``, or a
named config), that source's other keys there are dropped, so nothing written for the old
ingredient reaches the new one. See :func:`swapped_nodes`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ._errors import ConfigError
from ._tree import Path, format_path, get

INGREDIENT_KEY = "ingredient"


class DynamicIngredient(dict):
    """The ingredient at ``path`` (``"pkg.module.attr"``), mounted where this value sits in a config.

    Example:
        >>> DynamicIngredient("models.resnet.net", depth=50)
        {'ingredient': 'models.resnet.net', 'depth': 50}

    Raises:
        ConfigError: ``path`` is not a dotted import string, or ``ingredient`` is given as an override.
    """

    def __init__(self, path: str, **overrides: Any):
        if not isinstance(path, str) or "." not in path.strip("."):
            raise ConfigError(f"DynamicIngredient needs an import string 'module.attribute', got {path!r}")
        if INGREDIENT_KEY in overrides:
            raise ConfigError(f"DynamicIngredient({path!r}, ...): '{INGREDIENT_KEY}' is the import string itself")
        super().__init__({INGREDIENT_KEY: path, **overrides})


def ingredient_of(value: Any) -> str | None:
    """The import string when ``value`` is a dynamic ingredient's dict, else ``None``."""
    if isinstance(value, dict):
        name = value.get(INGREDIENT_KEY)
        if isinstance(name, str):
            return name
    return None


def dynamic_nodes(tree: Mapping, path: Path, skip: frozenset[Path] = frozenset()) -> Iterator[tuple[Path, str]]:
    """The outermost dynamic ingredients in ``tree`` (found at ``path``): their paths and import
    strings. Subtrees at the paths in ``skip``, and lists, are not searched."""
    for key, value in tree.items():
        here = path + (key,)
        if here in skip or not isinstance(value, dict):
            continue
        name = ingredient_of(value)
        if name is None:
            yield from dynamic_nodes(value, here, skip)
        elif "factory" in value or "partial" in value:
            raise ConfigError(f"config entry '{format_path(here)}' has both a factory and an ingredient; keep one")
        else:
            yield here, name


def swapped_nodes(own: Mapping[Path, Any], values: dict) -> list[Path]:
    """The dynamic ingredients a config source named (``own``: its values that higher layers
    replaced, by path) and a higher layer swapped for another (``values``: the result)."""
    found = []
    for path, value in own.items():
        if path[-1:] == (INGREDIENT_KEY,) and isinstance(value, str):
            if get(values, path) != value:
                found.append(path[:-1])
    return found

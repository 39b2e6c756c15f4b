"""Where each ingredient sits in an experiment's config tree, and what it offers there.

An ingredient's path is its parent's path plus its own name. These tables are
built from the tree on demand; ingredients themselves stay unaware of where they
are mounted, so one ingredient can serve several experiments.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from ba3l.config import ConfigError, Path, format_path

if TYPE_CHECKING:
    from ._ingredient import Command, ConfigSource, Ingredient


class Mount(NamedTuple):
    """An ingredient at its path in the config tree (the root's path is ``()``)."""

    path: Path
    ingredient: Ingredient

    def qualify(self, name: str) -> str:
        """``"small"`` of the ingredient at ``data`` -> ``"data.small"``."""
        return ".".join(self.path + (name,))


def list_mounts(root: Ingredient) -> tuple[Mount, ...]:
    """All ingredients under ``root``, parents before children, with their paths."""
    mounts: list[Mount] = []
    seen: dict[int, Path] = {}
    paths: set[Path] = set()

    def visit(ingredient: Ingredient, path: Path) -> None:
        if id(ingredient) in seen:
            raise ConfigError(
                f"ingredient '{ingredient.path}' is used twice: at '{format_path(seen[id(ingredient)])}' "
                f"and at '{format_path(path)}'"
            )
        if path in paths:
            raise ConfigError(f"two ingredients are mounted at '{format_path(path)}'; give them different names")
        seen[id(ingredient)] = path
        paths.add(path)
        mounts.append(Mount(path, ingredient))
        for child in ingredient.ingredients:
            visit(child, path + child.relative_path)

    visit(root, ())
    return tuple(mounts)


def owner_of(by_path: dict[Path, Mount], path: Path) -> Mount:
    """The deepest mount whose path is a prefix of ``path`` (``by_path``: mounts by path)."""
    for length in range(len(path), -1, -1):
        if path[:length] in by_path:
            return by_path[path[:length]]
    raise KeyError(path)  # unreachable: the root's path () is a prefix of every path


def named_config_table(mounts: tuple[Mount, ...]) -> dict[str, tuple[Mount, ConfigSource]]:
    """Every named config by its qualified name: ``big``, ``data.small``."""
    return {
        mount.qualify(name): (mount, source)
        for mount in mounts
        for name, source in mount.ingredient.named_configs.items()
    }


def command_table(mounts: tuple[Mount, ...]) -> dict[str, tuple[Mount, Command]]:
    """Every user command by its qualified name: ``train``, ``data.stats``."""
    return {
        mount.qualify(name): (mount, command)
        for mount in mounts
        for name, command in mount.ingredient.commands.items()
    }

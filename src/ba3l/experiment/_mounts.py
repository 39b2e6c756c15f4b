"""Where each ingredient sits in an experiment's config tree, and what it offers there.

An ingredient's path is its parent's path plus its own name; a dynamic ingredient's
path is where its ``DynamicIngredient`` value sits in the config. These tables are
built from the tree (and, for dynamic ingredients, from a config) on demand;
ingredients themselves stay unaware of where they are mounted, so one ingredient can
serve several experiments, and a dynamic one several paths of one config.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from ba3l.config import (
    INGREDIENT_KEY,
    ConfigError,
    Path,
    dynamic_nodes,
    format_path,
    import_factory,
    ingredient_of,
    subtree,
)

if TYPE_CHECKING:
    from ._ingredient import Command, ConfigSource, Ingredient


class Mount(NamedTuple):
    """An ingredient at its path in the config tree (the root's path is ``()``).

    ``source`` is the import string of a dynamic ingredient, ``None`` for one given in code.
    """

    path: Path
    ingredient: Ingredient
    source: str | None = None

    def qualify(self, name: str) -> str:
        """``"small"`` of the ingredient at ``data`` -> ``"data.small"``."""
        return ".".join(self.path + (name,))


def list_mounts(root: Ingredient, values: dict | None = None) -> tuple[Mount, ...]:
    """All ingredients under ``root``, parents before children, with their paths.

    With the config ``values``, also the dynamic ingredients they name (imported now),
    and theirs, each after the ingredient whose config holds it.

    Raises:
        ConfigError: an ingredient used twice in code, two at one path, an import string
            that names no ingredient, or a dynamic ingredient inside itself.
    """
    finder = _MountFinder(values)
    finder.add_tree(root, (), None, ())
    return tuple(finder.mounts)


class _MountFinder:
    """Mounts ingredients one tree at a time: a tree given in code, then the dynamic
    ingredients its config names, each a tree of its own."""

    def __init__(self, values: dict | None):
        self.values = values
        self.mounts: list[Mount] = []
        self.taken: dict[Path, Mount] = {}

    def add_tree(self, top: Ingredient, path: Path, source: str | None, inside: tuple[int, ...]) -> None:
        """Mount ``top`` and its children; ``inside``: the dynamic ingredients it lies in, by id."""
        self._visit(top, path, source, {}, inside + (id(top),))

    def _visit(self, ingredient: Ingredient, path: Path, source: str | None, seen: dict, inside: tuple) -> None:
        if id(ingredient) in seen:  # within one tree given in code, an ingredient is used once
            raise ConfigError(
                f"ingredient '{ingredient.path}' is used twice: at '{format_path(seen[id(ingredient)])}' "
                f"and at '{format_path(path)}'"
            )
        if path in self.taken:
            raise ConfigError(f"two ingredients are mounted at '{format_path(path)}'; give them different names")
        seen[id(ingredient)] = path
        self.taken[path] = mount = Mount(path, ingredient, source)
        self.mounts.append(mount)
        children = [(child, path + child.relative_path) for child in ingredient.ingredients]
        for child, child_path in children:
            self._visit(child, child_path, None, seen, inside)
        if self.values is not None:
            self._add_dynamic(mount, frozenset(child_path for _, child_path in children), inside)

    def _add_dynamic(self, mount: Mount, children: frozenset[Path], inside: tuple) -> None:
        """Mount the dynamic ingredients in ``mount``'s config (not in its children's)."""
        here = subtree(self.values, mount.path)
        if mount.source is None and mount.path and ingredient_of(here):
            raise ConfigError(
                f"config entry '{format_path(mount.path + (INGREDIENT_KEY,))}' names a dynamic ingredient "
                f"where the ingredient '{mount.ingredient.path}' is given in code"
            )
        for path, name in dynamic_nodes(here, mount.path, children):
            dynamic = _import_ingredient(name, path)
            if id(dynamic) in inside:
                raise ConfigError(f"the dynamic ingredient '{name}' at '{format_path(path)}' contains itself")
            self.add_tree(dynamic, path, name, inside)


def _import_ingredient(name: str, path: Path) -> Ingredient:
    from ._ingredient import Ingredient

    where = format_path(path + (INGREDIENT_KEY,))
    try:
        found = import_factory(name)
    except ConfigError as error:
        raise ConfigError(f"config entry '{where}': {error}") from None
    if not isinstance(found, Ingredient):
        raise ConfigError(f"config entry '{where}': '{name}' is {type(found).__name__}, not an Ingredient")
    return found


def same_mounts(one: tuple[Mount, ...], other: tuple[Mount, ...]) -> bool:
    """Whether two mount lists put the same ingredients at the same paths."""
    return [(m.path, id(m.ingredient)) for m in one] == [(m.path, id(m.ingredient)) for m in other]


def mount_paths(mounts: tuple[Mount, ...]) -> dict[int, list[Path]]:
    """The paths of each ingredient, by ``id``: one, or several for a dynamic ingredient."""
    paths: dict[int, list[Path]] = {}
    for mount in mounts:
        paths.setdefault(id(mount.ingredient), []).append(mount.path)
    return paths


def choose_mount(ingredient: Ingredient, paths: list[Path], calls: tuple[Path, ...]) -> Path:
    """Where a captured function of ``ingredient`` reads its config: its one mount, or else
    the one inside the innermost mount a call is running at (``calls``, outermost first).

    Raises:
        ConfigError: the ingredient is not mounted, or mounted at several paths and no call decides.
    """
    if len(paths) == 1:
        return paths[0]
    for outer in reversed(calls):
        inside = [path for path in paths if path[: len(outer)] == outer]
        if len(inside) == 1:
            return inside[0]
    if not paths:
        raise ConfigError(
            f"ingredient '{ingredient.path}' is not part of this experiment; give it in ingredients=[...] "
            "of the experiment or of one of its ingredients"
        )
    where = ", ".join(f"'{format_path(path)}'" for path in paths)
    raise ConfigError(
        f"ingredient '{ingredient.path}' is mounted at {where}; call its functions through one of them, "
        "e.g. run.get_command_function('<path>.<command>')"
    )


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
    """Every user command by its qualified name (``train``, ``data.stats``), bound to its mount."""
    return {
        mount.qualify(name): (mount, command._replace(captured=command.captured.at(mount.path)))
        for mount in mounts
        for name, command in mount.ingredient.commands.items()
    }

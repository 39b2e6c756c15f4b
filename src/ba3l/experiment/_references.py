"""Finding the command a reference names, and checking all references before a run.

References are checked when the config is resolved, so a reference to a command that
does not exist, or references that form a cycle, are bad input: one line, exit 2,
before anything runs. See ``ba3l.config._references`` for the syntax.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ba3l.config import (
    ConfigError,
    Path,
    did_you_mean,
    format_path,
    get,
    is_reference,
    leaves,
)

from ._mounts import Mount, command_table, owner_of

if TYPE_CHECKING:
    from ._ingredient import Command


def find_command(mounts: tuple[Mount, ...], reference: str, path: Path) -> tuple[str, Command]:
    """The qualified name and the command that ``reference``, found at config ``path``, names.

    Raises:
        ConfigError: no such command (with the nearest names).
    """
    table = command_table(mounts)
    owner = owner_of({m.path: m for m in mounts}, path).path
    for name in _candidates(reference[1:], owner):
        if name in table:
            return name, table[name][1]
    wanted = next(iter(_candidates(reference[1:], owner)))
    raise ConfigError(
        f"config entry '{format_path(path)}' refers to the unknown command '{reference[1:]}'"
        f"{did_you_mean(wanted, table)}; commands: {', '.join(sorted(table)) or 'none'}"
    )


def _candidates(target: str, owner: Path) -> list[str]:
    """Qualified names ``target`` may mean, nearest first."""
    if target.startswith("/"):
        return [target[1:]]
    if target.startswith("."):
        return [".".join(owner + (target[1:],))]
    return [".".join(owner[:length] + (target,)) for length in range(len(owner), -1, -1)]


def check_references(mounts: tuple[Mount, ...], values: dict) -> None:
    """Every reference in ``values`` names a command, and no command reaches itself.

    Raises:
        ConfigError: an unknown command, or a cycle (named in order).
    """
    edges: dict[str, list[str]] = {}
    for path, value in leaves(values):
        if is_reference(value):
            find_command(mounts, value, path)
    for name, (mount, command) in command_table(mounts).items():
        base = mount.path + command.captured.prefix
        edges[name] = [
            find_command(mounts, value, base + (p.name,))[0]
            for p in command.captured.signature.parameters
            if is_reference(value := get(values, base + (p.name,)))
        ]
    _refuse_cycles(edges)


def _refuse_cycles(edges: dict[str, list[str]]) -> None:
    done: set[str] = set()

    def visit(name: str, trail: list[str]) -> None:
        if name in trail:
            cycle = trail[trail.index(name):] + [name]
            raise ConfigError("command references form a cycle: " + " -> ".join(cycle))
        if name in done:
            return
        for target in edges.get(name, ()):
            visit(target, trail + [name])
        done.add(name)

    for name in edges:
        visit(name, [])

"""The ``--help`` text: commands, named configs, options, and every config key."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ba3l.config import ResolvedConfig, format_path, mask_secrets, leaves, short_repr, type_name

from ._builtins import BUILTINS
from ._resume import RESUME
from ._commandline import OPTIONS
from ._mounts import command_table, list_mounts, named_config_table

if TYPE_CHECKING:
    from ._experiment import Experiment


def help_text(ex: Experiment) -> str:
    """Everything a user can type, with docs; the config keys with type, default and doc.

    The commands and named configs of dynamic ingredients are those the default config mounts.
    """
    config = ex.resolve_config()
    mounts = list_mounts(ex, config.values)
    program = os.path.basename(ex.mainfile) if ex.mainfile else ex.name
    sections = [f"Usage: {program} [COMMAND [ARG]] [with UPDATE ...] [OPTIONS]"]
    if ex.name:
        sections.append(f"Experiment '{ex.name}'.")
    commands = [
        (name + (" (default)" if name == ex.default_command else ""), command.doc)
        for name, (_, command) in command_table(mounts).items()
    ]
    commands += [(name, function.__doc__ or "") for name, function in BUILTINS.items()]
    if RESUME in config.values and RESUME not in ex.commands:  # ex.trainer declared it
        commands.append((f"{RESUME} STORAGE_DIR", "Go on training where the runs of STORAGE_DIR stopped, with its config."))
    sections.append(_table("Commands:", commands))
    named = [(name, source.doc or "") for name, (_, source) in named_config_table(mounts).items()]
    if named:
        sections.append(_table("Named configs (with NAME):", named))
    options = [(", ".join(f for f in (o.short, o.long) if f) + (f" {o.value}" if o.value else ""), o.help)
               for o in OPTIONS]
    sections.append(_table("Options:", options))
    sections.append(_config_table(config))
    sections.append("An UPDATE is KEY=VALUE (a Python literal, else a string), +KEY=VALUE to add a key,\n"
                    "a named config, or a config file (.json, .yaml, .toml).")
    return "\n\n".join(sections)


def _config_table(config: ResolvedConfig) -> str:
    rows = []
    for path, value in leaves(mask_secrets(config.values)):
        doc = config.docs.get(path, "")
        rows.append((format_path(path), type_name(value), short_repr(value, 30), doc))
    width = [max((len(r[i]) for r in rows), default=0) for i in range(3)]
    lines = ["Config (KEY  TYPE  DEFAULT  DOC):"]
    for row in rows:
        text = "  " + "  ".join(cell.ljust(width[i]) for i, cell in enumerate(row[:3]))
        lines.append((text + "  " + row[3]).rstrip())
    return "\n".join(lines)


def _table(title: str, rows: list[tuple[str, str]]) -> str:
    width = max((len(name) for name, _ in rows), default=0)
    lines = [title]
    for name, doc in rows:
        first = doc.strip().splitlines()[0] if doc and doc.strip() else ""
        lines.append(f"  {name.ljust(width)}  {first}".rstrip())
    return "\n".join(lines)

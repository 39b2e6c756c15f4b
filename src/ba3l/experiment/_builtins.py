"""Built-in commands: they look at the config and the code; they start no run."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from ba3l.config import ResolvedConfig, UsageError, format_config, save_config_file

from ._commandline import Options
from ._mounts import list_mounts, named_config_table

if TYPE_CHECKING:
    from ._experiment import Experiment

Builtin = Callable[["Experiment", ResolvedConfig, tuple[str, ...], Options], None]


def print_config(ex: Experiment, config: ResolvedConfig, arguments: tuple[str, ...], options: Options) -> None:
    """Print the config with docs, and mark what differs from the defaults."""
    _no_arguments("print_config", arguments)
    print(format_config(config, color=sys.stdout.isatty(), provenance=options.provenance))


def print_named_configs(ex: Experiment, config: ResolvedConfig, arguments: tuple[str, ...], options: Options) -> None:
    """Print the named configs, ingredients' ones by dotted name, with their docs."""
    _no_arguments("print_named_configs", arguments)
    print("Named configs:")
    for name, (_, source) in named_config_table(list_mounts(ex, config.values)).items():
        doc = (source.doc or "").strip().splitlines()
        print(f"  {name}" + (f"  # {doc[0]}" if doc else ""))


def save_config(ex: Experiment, config: ResolvedConfig, arguments: tuple[str, ...], options: Options) -> None:
    """Save the resolved config to PATH (default config.json; .json or .yaml)."""
    if len(arguments) > 1:
        raise UsageError("save_config takes one PATH at most: save_config [PATH] [with UPDATE ...]")
    path = arguments[0] if arguments else "config.json"
    save_config_file(config.values, path)
    print(f"saved the config to {path}")


def print_dependencies(ex: Experiment, config: ResolvedConfig, arguments: tuple[str, ...], options: Options) -> None:
    """Print the experiment's source files and the packages it has imported."""
    from ._dependencies import (  # costly imports
        experiment_dependencies,
        experiment_sources,
    )

    _no_arguments("print_dependencies", arguments)
    print("Sources:")
    for source in experiment_sources(ex.mainfile, ex.base_dir):
        print(f"  {source.path:<40} {source.md5}")
    print("Dependencies:")
    for dependency in experiment_dependencies():
        print(f"  {dependency}")


def _no_arguments(name: str, arguments: tuple[str, ...]) -> None:
    if arguments:
        raise UsageError(f"{name} takes no arguments, got '{arguments[0]}'; updates go after 'with'")


BUILTINS: dict[str, Builtin] = {
    "print_config": print_config,
    "print_named_configs": print_named_configs,
    "save_config": save_config,
    "print_dependencies": print_dependencies,
}

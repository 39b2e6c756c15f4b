"""Ingredients: a named part of an experiment with its own config and commands.

An ingredient holds config sources (scopes, dicts, files), named configs, config
hooks, captured functions and commands. It does not know where it is mounted:
``Ingredient("cache")`` given to ``Ingredient("data")`` lives at ``data.cache`` in the
experiment that uses it. The decorators only create and register plain objects.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from ba3l.config import (
    ConfigDict,
    ConfigError,
    ConfigScope,
    Path,
    display_path,
    is_segment,
    load_config_file,
    split_path,
)

from ._capture import Captured

ConfigSource = ConfigScope | ConfigDict
ConfigHook = Callable[[dict, str, Any], Mapping]


class Command(NamedTuple):
    """A command that can be run: a captured callable, whether runs of it are observed, and
    its name in its ingredient (the callable's own name, or ``iter`` for a loader)."""

    captured: Captured
    unobserved: bool = False
    name: str = ""

    @property
    def doc(self) -> str:
        return (self.captured.function.__doc__ or "").strip()


class Ingredient:
    """A reusable piece of config and functions, mounted in an experiment.

    Example:
        >>> data = Ingredient("data")
        >>> @data.config
        ... def data_config():
        ...     batch_size = 64   # examples per step
    """

    def __init__(
        self,
        path: str,
        ingredients: Sequence[Ingredient] = (),
        *,
        base_dir: str | None = None,
        save_git_info: bool = True,
        interactive: bool = False,
    ):
        """Args:
            path: the name under which the ingredient's config sits in its parent's.
            ingredients: child ingredients, mounted at ``<path>.<child path>``.
            base_dir: where the ingredient's own source files live (default: the main file's folder).
            save_git_info: whether runs record the git state (sacred's argument).
            interactive: accepted for sacred scripts; ba3l runs from notebooks without it.
        """
        if not all(is_segment(part) for part in split_path(path)):
            raise ConfigError(f"ingredient name '{path}' must be a dotted name of identifiers")
        self.path = path
        self.base_dir = base_dir
        self.save_git_info = save_git_info
        del interactive  # sacred needed it to allow notebooks; nothing here depends on it
        self.ingredients: list[Ingredient] = list(ingredients)
        self.config_sources: list[ConfigSource] = []
        self.named_configs: dict[str, ConfigSource] = {}
        self.config_hooks: list[ConfigHook] = []
        self.captured_functions: list[Captured] = []
        self.commands: dict[str, Command] = {}

    @property
    def relative_path(self) -> Path:
        return split_path(self.path)

    # config -----------------------------------------------------------------

    def config(self, function: Callable) -> ConfigScope:
        """Decorator: the function's body is a config scope of this ingredient."""
        scope = ConfigScope(function)
        self.config_sources.append(scope)
        return scope

    def add_config(self, config: Mapping | str | os.PathLike | None = None, **entries: Any) -> None:
        """Add config entries from a dict, a config file, or keyword arguments."""
        self.config_sources.append(_as_source(config, entries, "add_config"))

    def named_config(self, function: Callable) -> ConfigScope:
        """Decorator: a named config, selected with ``with <name>`` on the command line."""
        scope = ConfigScope(function)
        self.named_configs[function.__name__] = scope
        return scope

    def add_named_config(self, name: str, config: Mapping | str | os.PathLike | None = None, **entries: Any) -> None:
        """Add a named config given as a dict, a config file or keyword arguments."""
        if not is_segment(name):
            raise ConfigError(f"named config name '{name}' must be an identifier")
        self.named_configs[name] = _as_source(config, entries, "add_named_config")

    def config_hook(self, function: ConfigHook) -> ConfigHook:
        """Decorator: ``hook(config, command_name, logger) -> updates``, run after the scopes.

        ``config`` is the whole config; the updates are relative to this ingredient's
        path. They replace config-scope values but never values from named configs or
        the command line; entries derived in scopes are not recomputed from them.
        """
        self.config_hooks.append(function)
        return function

    # functions ----------------------------------------------------------------

    def capture(self, function: Callable | None = None, *, prefix: str | None = None) -> Any:
        """Decorator: fill the function's missing arguments from this ingredient's config.

        With ``prefix``, arguments are read from ``<ingredient>.<prefix>.*`` and the
        parameters' defaults become config entries there (the lowest layer).
        """
        origin = _caller(1)

        def wrap(fn: Callable) -> Captured:
            return self._register(fn if isinstance(fn, Captured) else Captured(fn, self, prefix, origin=origin))

        return wrap(function) if function is not None else wrap

    def command(
        self,
        function: Callable | str | None = None,
        *,
        prefix: str | None = None,
        static_args: Mapping[str, Any] | None = None,
        unobserved: bool = False,
        add_default_args_config: bool = True,
        **extra: Any,
    ) -> Any:
        """A function or class, or the import string of one, runnable by name and built from config.

        Every parameter with a default becomes a config entry under ``prefix`` (unless
        ``add_default_args_config=False``); ``extra`` entries are added there too, also ones
        the callable does not take (markers such as ``train=True``), and beat the defaults;
        ``static_args`` are passed at every call and stay out of the config. Calling the
        result builds the object; explicit arguments win. Also a decorator, with or
        without arguments.

        Example:
            >>> make_loader = data.command(  # doctest: +SKIP
            ...     "torch.utils.data.DataLoader", prefix="loader", static_args={"pin_memory": False},
            ...     batch_size=64, train=True)
        """
        origin = _caller(1)

        def wrap(target: Callable | str) -> Captured:
            captured = Captured(
                target, self, prefix, static_args=static_args, extra=extra,
                add_defaults=add_default_args_config, origin=origin,
            )
            self.commands[captured.name] = Command(self._register(captured), unobserved, captured.name)
            return captured

        return wrap(function) if function is not None else wrap

    def iter(self, target: Callable | str, *, static_args: Mapping[str, Any] | None = None, **extra: Any) -> Captured:
        """Ba3l's data loader command: ``target``'s arguments become this ingredient's config,
        and the command is called ``iter``. Marker entries (``train=True``, ``validate=True``)
        let ``ex.get_dataloaders`` find it.
        """
        origin = _caller(1)
        captured = Captured(target, self, static_args=static_args, extra=extra, add_defaults=True, origin=origin)
        self.commands["iter"] = Command(self._register(captured), name="iter")
        return captured

    def child(self, name: str, make: Callable[[], Ingredient] | None = None) -> Ingredient | None:
        """The child ingredient called ``name``; when there is none, ``make()`` is added as it
        (``None`` without ``make``). How ``ex.datasets``, ``ex.models`` and ``ex.trainer`` appear."""
        found = next((child for child in self.ingredients if child.path == name), None)
        if found is None and make is not None:
            found = make()
            self.ingredients.append(found)
        return found

    def _register(self, captured: Captured) -> Captured:
        self.captured_functions.append(captured)
        return captured

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.path!r}>"


def _as_source(config: Mapping | str | os.PathLike | None, entries: Mapping, method: str) -> ConfigSource:
    """A dict's origin is the ``file:line`` of the user's call to ``method``."""
    if config is not None and entries:
        raise ConfigError(f"{method}: give a dict, a file or keyword entries, not several")
    if isinstance(config, (str, os.PathLike)):
        return ConfigDict(load_config_file(config), display_path(os.fspath(config)))
    return ConfigDict(dict(config if config is not None else entries), _caller(2))


def _caller(depth: int) -> str:
    """``file:line`` of the user's code ``depth`` calls above the caller of this function."""
    frame = sys._getframe(depth + 1)
    return f"{display_path(frame.f_code.co_filename)}:{frame.f_lineno}"

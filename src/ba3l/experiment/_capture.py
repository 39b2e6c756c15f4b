"""Captured functions: arguments not passed are filled from the config.

``@ingredient.capture`` wraps a function in :class:`Captured`. When called inside a
run (or any active call context), each parameter the caller did not pass is taken
from the ingredient's config at ``<ingredient path>.<prefix>.<name>``; parameters
named ``_config``, ``_log``, ``_run``, ``_seed`` and ``_rnd`` are injected. Explicit
arguments always win. Outside any context the function is called as it is.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

from ba3l.config import MISSING, ConfigError, Path, copy_tree, format_path, get, split_path
from ba3l.config import SPECIAL_ARGUMENTS, capture_signature

from ._context import active_context

if TYPE_CHECKING:
    from ._ingredient import Ingredient


class MissingConfigError(ConfigError, TypeError):
    """A captured function was called without an argument that the config lacks too."""


class Captured:
    """A function whose missing arguments come from its ingredient's config.

    Attributes:
        function: the user's function.
        ingredient: the ingredient whose config it reads.
        prefix: the path inside the ingredient's config where its arguments live.
    """

    def __init__(self, function: Callable, ingredient: Ingredient, prefix: str | None = None):
        self.function = function
        self.ingredient = ingredient
        self.prefix: Path = split_path(prefix or "")
        self.signature = capture_signature(function)
        self._binder = inspect.signature(function)
        self._wants = SPECIAL_ARGUMENTS.intersection(self._binder.parameters)
        functools.update_wrapper(self, function)

    @property
    def name(self) -> str:
        return self.function.__name__

    @property
    def display_name(self) -> str:
        """The name as the user wrote it: ``Model.build``, never ``f.<locals>.build``."""
        return self.function.__qualname__.rpartition("<locals>.")[2]

    @property
    def qualified_name(self) -> str:
        return f"{self.function.__module__}.{self.function.__qualname__}"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        context = active_context()
        if context is None:
            return self.function(*args, **kwargs)
        given = self._binder.bind_partial(*args, **kwargs).arguments
        for name in self._wants.difference(given):
            kwargs[name] = context.special(name, self)
        kwargs.update(self.arguments_from(context.values, context.mount_path(self.ingredient), given))
        return self.function(*args, **kwargs)

    def arguments_from(self, values: dict, mount_path: Path, given: Collection[str] = ()) -> dict[str, Any]:
        """The arguments not in ``given`` that the config at ``mount_path`` holds, as copies.

        Raises:
            MissingConfigError: a required argument is neither given nor in the config.
        """
        base = mount_path + self.prefix
        found = {}
        for parameter in self.signature.parameters:
            if parameter.name in given:
                continue
            value = get(values, base + (parameter.name,))
            if value is not MISSING:
                found[parameter.name] = copy_tree(value)
            elif parameter.required:
                owner = f"ingredient '{format_path(mount_path)}'" if mount_path else "the experiment"
                raise MissingConfigError(
                    f"{self.display_name}() needs the argument '{parameter.name}': pass it, "
                    f"or set the config entry '{format_path(base + (parameter.name,))}' ({owner})"
                )
        return found

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        """As a method: bound to ``instance``, like a plain function would be."""
        return self if instance is None else functools.partial(self, instance)

    def __repr__(self) -> str:
        return f"<captured {self.qualified_name}>"

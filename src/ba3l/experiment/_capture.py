"""Captured callables: arguments not passed are filled from the config.

``@ingredient.capture`` and ``ingredient.command(...)`` wrap a function or a class in
:class:`Captured`. When called inside a run (or any active call context), each
parameter the caller did not pass is taken from the ingredient's config at
``<ingredient path>.<prefix>.<name>``; parameters named ``_config``, ``_log``, ``_run``,
``_seed`` and ``_rnd`` are injected; ``static_args`` are passed as given and never
become config. Explicit arguments always win. Outside any context the callable is
called as it is. A callable named by an import string is imported when first needed.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING, Any

from ba3l.config import (
    MISSING,
    SPECIAL_ARGUMENTS,
    ConfigError,
    Path,
    Signature,
    capture_signature,
    copy_tree,
    format_path,
    get,
    import_factory,
    is_reference,
    literal,
    split_path,
)

from ._context import active_context, calling

if TYPE_CHECKING:
    from ._ingredient import Ingredient


class MissingConfigError(ConfigError, TypeError):
    """A captured function was called without an argument that the config lacks too."""


class Captured:
    """A callable whose missing arguments come from its ingredient's config.

    Attributes:
        ingredient: the ingredient whose config it reads.
        prefix: the path inside the ingredient's config where its arguments live.
        static_args: arguments always passed, kept out of the config.
        extra: entries it adds to the config, at its prefix (``train=True``).
        add_defaults: whether its parameters' defaults become config entries.
        origin: ``file:line`` where it was captured.
        mount: where its ingredient's config is read from when it is bound to a mount
            (see :meth:`at`); ``None``: wherever the ingredient is mounted.
    """

    def __init__(
        self,
        target: Callable | str,
        ingredient: Ingredient,
        prefix: str | None = None,
        *,
        static_args: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
        add_defaults: bool | None = None,
        origin: str = "",
    ):
        self._target = target
        self.ingredient = ingredient
        self.prefix: Path = split_path(prefix or "")
        self.static_args = dict(static_args or {})
        self.extra = dict(extra or {})
        self.add_defaults = bool(prefix) if add_defaults is None else add_defaults
        self.origin = origin
        self.mount: Path | None = None
        if not isinstance(target, str):
            functools.update_wrapper(self, target, updated=())  # a class's __dict__ is not ours to copy

    @functools.cached_property
    def function(self) -> Callable:
        """The function or class itself (imported now if it was given as an import string)."""
        return import_factory(self._target) if isinstance(self._target, str) else self._target

    @functools.cached_property
    def signature(self) -> Signature:
        """The parameters the config can fill (not static arguments)."""
        whole = capture_signature(self.function)
        return Signature(tuple(p for p in whole.parameters if p.name not in self.static_args))

    @functools.cached_property
    def _binder(self) -> inspect.Signature:
        return inspect.signature(self.function)

    @functools.cached_property
    def _wants(self) -> frozenset[str]:
        return SPECIAL_ARGUMENTS.intersection(self._binder.parameters)

    @property
    def name(self) -> str:
        if isinstance(self._target, str):
            return self._target.rpartition(".")[2]
        return self.function.__name__

    @property
    def display_name(self) -> str:
        """The name as the user wrote it: ``Model.build``, never ``f.<locals>.build``."""
        return self.function.__qualname__.rpartition("<locals>.")[2]

    @property
    def qualified_name(self) -> str:
        return f"{self.function.__module__}.{self.function.__qualname__}"

    def at(self, mount: Path) -> Captured:
        """This callable bound to the config of its ingredient mounted at ``mount``."""
        bound = object.__new__(Captured)  # a shallow copy, without importing copy (start-up time)
        bound.__dict__.update(self.__dict__, mount=mount)
        return bound

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        context = active_context()
        if context is None:
            return self.function(*args, **{**self.static_args, **kwargs})
        mount = context.mount_path(self.ingredient) if self.mount is None else self.mount
        given = self._binder.bind_partial(*args, **kwargs).arguments
        with calling(mount):
            for name in self._wants.difference(given):
                kwargs[name] = context.special(name, self, mount)
            for name, value in self.static_args.items():
                if name not in given:
                    kwargs[name] = value
            for name, (path, value) in self.arguments_from(context.values, mount, given).items():
                kwargs[name] = context.call_reference(value, path) if is_reference(value) else literal(value)
            return self.function(*args, **kwargs)

    def arguments_from(
        self, values: dict, mount_path: Path, given: Collection[str] = ()
    ) -> dict[str, tuple[Path, Any]]:
        """The arguments not in ``given`` that the config at ``mount_path`` holds: their
        config paths and copies of their values (references not yet run).

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
                found[parameter.name] = (base + (parameter.name,), copy_tree(value))
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

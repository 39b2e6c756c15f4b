"""Factory dicts (padertorch's Configurable): ``{"factory": "pkg.Model", "width": 8}`` describes
an object; its signature's defaults fill the dict and ``instantiate`` builds it.

In a config a factory is its import string (see ``_imports`` for how a class of the
running script is named), so configs stay JSON and replay.
``"partial"`` instead of ``"factory"`` builds a ``functools.partial``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, NamedTuple

from ._errors import ConfigError, did_you_mean
from ._imports import import_factory
from ._signature import capture_signature
from ._tree import Path, copy_tree, format_path
from ._values import normalize

KEYS = ("factory", "partial")


def factory_key(value: Any) -> str | None:
    """``"factory"`` or ``"partial"`` when ``value`` is a factory dict, else ``None``."""
    if isinstance(value, dict):
        return next((key for key in KEYS if key in value), None)
    return None


def instantiate(config: Any, path: Path = ()) -> Any:
    """Build the objects a config describes: every factory dict, innermost first.

    Example:
        >>> instantiate({"factory": "fractions.Fraction", "numerator": 1, "denominator": 4})
        Fraction(1, 4)

    Raises:
        ConfigError: an unimportable factory, an argument it does not take, a missing one.
    """
    if isinstance(config, list):
        return [instantiate(item, path + (f"[{i}]",)) for i, item in enumerate(config)]
    if not isinstance(config, dict):
        return config
    key = factory_key(config)
    built = {k: instantiate(v, path + (k,)) for k, v in config.items() if k != key}
    if key is None:
        return built
    factory = _factory_at(config[key], path + (key,))
    _check_arguments(factory, built, path, partial=key == "partial")
    return functools.partial(factory, **built) if key == "partial" else factory(**built)


def _factory_at(value: Any, path: Path) -> Callable:
    if callable(value):
        return value
    if not isinstance(value, str):
        raise ConfigError(f"config entry '{format_path(path)}' must name a class or function, not {value!r}")
    try:
        return import_factory(value)
    except ConfigError as error:
        raise ConfigError(f"config entry '{format_path(path)}': {error}") from None


def _check_arguments(factory: Callable, arguments: dict, path: Path, partial: bool = False) -> None:
    """Every argument is one the factory takes; unless building a partial, none it needs is missing."""
    try:
        parameters = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return  # a builtin without a signature: let the call say
    if any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        return
    for name in arguments:
        if name not in parameters:
            raise ConfigError(
                f"config entry '{format_path(path + (name,))}': {factory.__qualname__} takes no argument "
                f"'{name}'{did_you_mean(name, parameters)}; it takes: {', '.join(parameters) or 'nothing'}"
            )
    for name, parameter in parameters.items():
        if not partial and parameter.default is parameter.empty and parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY):
            if name not in arguments and name != "self":
                raise ConfigError(
                    f"config entry '{format_path(path + (name,))}' is missing: {factory.__qualname__} needs it"
                )


class Filled(NamedTuple):
    """A default a factory dict received: where, and from which factory."""

    path: Path
    value: Any
    factory: Callable


def fill_defaults(
    tree: dict, path: Path = (), drop: Callable[[Path], bool] = lambda path: False
) -> tuple[list[Filled], list[tuple[Path, Callable]]]:
    """Fill every factory dict in ``tree`` (in place) with its factory's signature defaults,
    nested factory dicts included, and let each class adjust them (``finalize_dogmatic_config``).

    A key the factory does not take is removed when ``drop(its path)`` says so (a value
    written for a factory that a higher layer swapped away), and refused otherwise.

    Returns:
        The defaults filled in, and every factory dict's path with its factory.

    Raises:
        ConfigError: an unimportable factory, or a key it does not take.
    """
    filled: list[Filled] = []
    found: list[tuple[Path, Callable, dict]] = []
    _fill_signatures(_factory_dicts(tree, path), drop, filled, found)
    finalized: set[Path] = set()
    while len(finalized) < len(found):
        # innermost first, so that a class sees its nested factory dicts' defaults
        for at, factory, node in reversed([entry for entry in found if entry[0] not in finalized]):
            finalized.add(at)
            derived = _finalize(factory, node, at, {f.path for f in filled})
            filled.extend(derived)
            for entry in derived:
                _fill_signatures(_factory_dicts(entry.value, entry.path), drop, filled, found)
    return filled, [(at, factory) for at, factory, _ in found]


def _fill_signatures(
    pending: list[tuple[Path, dict]], drop: Callable, filled: list[Filled], found: list[tuple[Path, Callable, dict]]
) -> None:
    """Fill ``pending`` factory dicts and those their defaults bring, outermost first."""
    while pending:
        at, node = pending.pop(0)
        key = factory_key(node)
        factory = _factory_at(node[key], at + (key,))
        found.append((at, factory, node))
        parameters = {p.name: p for p in capture_signature(factory).parameters}
        _drop_or_refuse(node, at, key, factory, parameters, drop)
        for name, parameter in parameters.items():
            if name not in node and not parameter.required:
                node[name] = normalize(parameter.default, at + (name,))
                filled.append(Filled(at + (name,), node[name], factory))
                pending.extend(_factory_dicts(node[name], at + (name,)))


def _factory_dicts(value: Any, path: Path) -> list[tuple[Path, dict]]:
    """The factory dicts in ``value``, outermost first (inside dicts and lists)."""
    found = []
    if isinstance(value, dict):
        if factory_key(value):
            found.append((path, value))
        for key, item in value.items():
            found.extend(_factory_dicts(item, path + (key,)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_factory_dicts(item, path + (f"[{index}]",)))
    return found


def _drop_or_refuse(node: dict, at: Path, key: str, factory: Callable, parameters: dict, drop: Callable) -> None:
    try:
        takes_anything = any(p.kind is p.VAR_KEYWORD for p in inspect.signature(factory).parameters.values())
    except (TypeError, ValueError):
        takes_anything = True
    for name in [n for n in node if n != key and n not in parameters and not takes_anything]:
        if drop(at + (name,)):
            del node[name]
            continue
        raise ConfigError(
            f"config entry '{format_path(at + (name,))}': {factory.__qualname__} takes no argument '{name}'"
            f"{did_you_mean(name, parameters)}; it takes: {', '.join(parameters) or 'nothing'}"
        )


def _finalize(factory: Callable, node: dict, at: Path, defaults: set[Path]) -> list[Filled]:
    """``factory.finalize_dogmatic_config(config)`` may change defaults; values set by the user stand."""
    finalize = getattr(factory, "finalize_dogmatic_config", None)
    if finalize is None:
        return []
    proposed = copy_tree(node)
    finalize(proposed)
    changed = []
    for name, value in proposed.items():
        path = at + (name,)
        if value != node.get(name) and (name not in node or path in defaults):
            node[name] = normalize(value, path)
            changed.append(Filled(path, node[name], factory))
    return changed


class Configurable:
    """A class built from a factory dict: ``{"factory": MyModel, ...}`` (padertorch's pattern).

    Example:
        >>> class Net(Configurable):
        ...     def __init__(self, width=8, depth=2): ...
        >>> Net.get_config({"depth": 3})   # doctest: +SKIP
        {'factory': 'ba3l.Net', 'depth': 3, 'width': 8}
    """

    @classmethod
    def get_config(cls, updates: dict | None = None) -> dict:
        """The class's factory dict: ``updates`` filled with every default, nested ones too."""
        config = normalize({"factory": cls, **(updates or {})})
        fill_defaults(config)
        return config

    @classmethod
    def from_config(cls, config: dict) -> Any:
        """Build the object (and any nested ones) a factory dict describes."""
        return instantiate(config)

    @classmethod
    def finalize_dogmatic_config(cls, config: dict) -> None:
        """Override to derive defaults from other values (``config["out"] = 2 * config["in"]``);
        values the user set are kept whatever this writes."""

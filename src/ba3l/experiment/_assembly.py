"""Assembly of the final config from an ingredient tree, in priority layers.

Lowest priority first: captured signature defaults (and ``seed``) < an ingredient's
own config < values a parent writes into a child's path < named configs (later
wins) < config files and updates (later wins). Config hooks come after the scopes
but never replace named configs or updates.

The high layers are known first, so they are computed first and handed to the
config scopes as *fixed* values: a scope then computes its derived entries from
them. Scopes run top-down, so a child's scopes also see what its parent wrote.
Each phase is a function from its inputs to a result; :func:`resolve` chains them.

Dynamic ingredients are found in rounds: the config is assembled with the
ingredients known so far, the dynamic ingredients it names are mounted, and it is
assembled again, until no new one appears. A round that meets bad input is
assembled again leniently, since a key may belong to an ingredient not mounted yet;
the error stands if the round finds no new ingredient.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from typing import Any, NamedTuple

from ba3l.config import (
    INGREDIENT_KEY,
    MISSING,
    ConfigError,
    ConfigTypeError,
    Layer,
    Parameter,
    Path,
    ResolvedConfig,
    ScopeResult,
    Source,
    UnknownKeyError,
    UsageError,
    annotation_problem,
    capture_signature,
    coerce_like,
    coerce_to,
    copy_tree,
    did_you_mean,
    factory_key,
    fill_defaults,
    format_path,
    get,
    ingredient_of,
    is_reference,
    leaves,
    leaves_of,
    merge,
    normalize,
    replacement_problem,
    set_value,
    subtree,
    swapped_nodes,
)

from ._capture import Captured
from ._ingredient import ConfigSource, Ingredient
from ._layers import FixedValues, LowerLayers, ParentWrites, prefixes
from ._mounts import Mount, list_mounts, named_config_table, owner_of, same_mounts
from ._references import check_references

SEED_DOC = "the random seed for this experiment"
INGREDIENT_DOC = "the ingredient mounted here (an import string)"


class Update(NamedTuple):
    """One value set from outside the code: ``path=value`` from the command line, a file or a call.

    ``add`` marks a key added on purpose (``+a.b=1``), which nothing needs to declare;
    ``warn_new`` also reports such a key as a warning (a config file's new keys may be
    typos, or keys a saved config was given with ``+``).
    """

    path: Path
    value: Any
    origin: str
    add: bool = False
    warn_new: bool = False


class ConfigRequest(NamedTuple):
    """What the user asked for: named configs and updates, in the order given."""

    named_configs: tuple[str, ...] = ()
    updates: tuple[Update, ...] = ()
    command: str = ""
    force: bool = False


MAX_ROUNDS = 32
"""How many times dynamic ingredients may add others before the config counts as endless."""


def resolve(root: Ingredient, request: ConfigRequest = ConfigRequest(), logger: Any = None) -> ResolvedConfig:
    """The final config of ``root``'s tree for ``request``, with provenance.

    Raises:
        UsageError: an unknown named config.
        UnknownKeyError: an update to a key nothing declares (a warning with ``force``).
        ConfigTypeError: an update whose type does not fit (a warning with ``force``).
        ConfigError: a dynamic ingredient that cannot be imported or mounted.
    """
    mounts = list_mounts(root)
    for _ in range(MAX_ROUNDS):
        config, error = _assemble_round(mounts, request, logger)
        found = list_mounts(root, config.values)
        if same_mounts(found, mounts):
            if error is not None:
                raise error
            return config
        mounts = found
    names = ", ".join(format_path(m.path) for m in mounts if m.source)
    raise ConfigError(f"dynamic ingredients keep adding others after {MAX_ROUNDS} rounds: {names}")


def _assemble_round(
    mounts: tuple[Mount, ...], request: ConfigRequest, logger: Any
) -> tuple[ResolvedConfig, ConfigError | None]:
    """The config with these ingredients, or, on bad input, a lenient one and the error."""
    try:
        return _assemble(mounts, request, logger, strict=True), None
    except ConfigError as error:
        try:
            return _assemble(mounts, request, logger, strict=False), error
        except Exception:  # a scope may fail on the bad value let pass: the first error is the one to show
            raise error from None


def _assemble(mounts: tuple[Mount, ...], request: ConfigRequest, logger: Any, strict: bool) -> ResolvedConfig:
    """One round; not ``strict``: unknown keys, type errors and unknown named configs are let
    pass, and references are not checked (they may belong to ingredients not mounted yet)."""
    dynamic = {mount.path for mount in mounts if mount.source is not None}
    fixed = _named_layer(mounts, request.named_configs, _updates_layer(request.updates, dynamic), strict)
    lower = _scope_layers(mounts, fixed, _default_layer(mounts, request.force or not strict))
    lower = _check_declared(fixed, _factory_layer(_lay_fixed(fixed, lower)))
    lower = _hook_layer(mounts, fixed, lower, request.command, logger)
    lower = _check_types(mounts, lower)
    if strict:
        check_references(mounts, lower.values)
    return lower.result()


# the update and named-config layers -----------------------------------------------


def _updates_layer(updates: tuple[Update, ...], dynamic: set[Path]) -> FixedValues:
    """The updates; a string given for a dynamic ingredient's path names the one to mount there."""
    fixed = FixedValues()
    for update in updates:
        value = normalize(update.value, update.path)
        if update.path in dynamic and isinstance(value, str):
            value = {INGREDIENT_KEY: value}  # with models.net=pkg.vgg.net: swap the ingredient
        fixed.set(update.path, value, Source(Layer.UPDATE, update.origin), update.add, update.warn_new)
    return fixed


def _named_layer(
    mounts: tuple[Mount, ...], names: tuple[str, ...], fixed: FixedValues, strict: bool
) -> FixedValues:
    """Evaluate named configs last to first, so a later one's values are fixed for earlier ones."""
    table = named_config_table(mounts)
    for name in names:
        if name not in table and strict:
            raise UsageError(f"unknown named config '{name}'{did_you_mean(name, table)}")
    for name in reversed(names):
        if name not in table:
            continue  # a lenient round: perhaps of a dynamic ingredient not mounted yet
        mount, source = table[name]
        node_fixed = subtree(fixed.tree, mount.path)
        try:
            result = _without_swapped(source.evaluate(fixed=node_fixed), node_fixed)[0]
        except NameError as error:
            error.add_note(
                f"named config '{name}' runs before the config scopes: it sees only values from the "
                "command line and later named configs; derive values from defaults in a config scope"
            )
            raise
        for relative, where in result.lines.items():
            path, value = mount.path + relative, get(result.values, relative)
            if not fixed.covers(path) and value is not MISSING:
                fixed.set(path, value, Source(Layer.NAMED, f"'{name}' at {where}"))
    return fixed


# the lower layers ------------------------------------------------------------------


def _default_layer(mounts: tuple[Mount, ...], force: bool) -> LowerLayers:
    """``seed`` and the defaults of functions captured with a prefix."""
    lower = LowerLayers(force)
    # 31 random bits from the OS, as random.SystemRandom().randrange(2**31) gives, without
    # importing random (a few ms of every start, print_config included)
    lower.store(("seed",), int.from_bytes(os.urandom(4), "big") >> 1, Source(Layer.DEFAULT, "built-in"))
    lower.docs[("seed",)] = SEED_DOC
    lower.declared.add(("seed",))
    owners: dict[Path, Captured] = {}
    for mount in mounts:
        if mount.source is not None:  # before the ingredient's own entries, so that it is printed first
            path = mount.path + (INGREDIENT_KEY,)
            lower.store(path, mount.source, Source(Layer.DEFAULT, "dynamic ingredient"))
            lower.declared.add(path)
            lower.docs[path] = INGREDIENT_DOC
        for captured in mount.ingredient.captured_functions:
            _captured_defaults(mount.path + captured.prefix, captured, lower, owners)
    lower.defaults = copy_tree(lower.values)
    return lower


def _captured_defaults(base: Path, captured: Captured, lower: LowerLayers, owners: dict[Path, Captured]) -> None:
    """A captured callable's parameters (declared), their defaults, then its extra entries."""
    defaults = Source(Layer.DEFAULT, f"signature of {captured.name}")
    extras = Source(Layer.DEFAULT, f"{captured.name} captured at {captured.origin}")
    entries = [(p.name, p.default, defaults) for p in captured.signature.parameters if captured.add_defaults]
    entries += [(name, value, extras) for name, value in captured.extra.items()]
    for parameter in captured.signature.parameters:
        lower.declared.add(base + (parameter.name,))
        if parameter.annotation is not inspect.Parameter.empty:
            lower.annotated.add(base + (parameter.name,))
        if parameter.doc:
            lower.docs.setdefault(base + (parameter.name,), parameter.doc)
    for name, value, source in entries:
        if value is inspect.Parameter.empty:
            continue  # a required parameter: declared, without a default
        path = base + (name,)
        value = normalize(value, path)
        _refuse_two_defaults(path, value, captured, owners, lower)
        lower.store(path, value, source)
        for leaf, item in leaves_of(value, path):
            lower.declared.add(leaf)
            if item is None or item == {}:
                lower.placeholders.add(leaf)


def _refuse_two_defaults(
    path: Path, value: Any, captured: Captured, owners: dict[Path, Captured], lower: LowerLayers
) -> None:
    """Two callables may share a config entry, but not with different defaults."""
    other = owners.setdefault(path, captured)
    if other is not captured and get(lower.values, path) != value:
        raise ConfigError(
            f"config entry '{format_path(path)}' gets the default {get(lower.values, path)!r} from "
            f"{other.display_name} and {value!r} from {captured.display_name}; give one of them a prefix"
        )


def _scope_layers(mounts: tuple[Mount, ...], fixed: FixedValues, lower: LowerLayers) -> LowerLayers:
    """Run every ingredient's config sources, parents first."""
    by_path = {mount.path: mount for mount in mounts}
    parents = ParentWrites()
    order = 0
    for mount in mounts:
        node_fixed = parents.fixed_for(mount.path, fixed)
        values = subtree(lower.values, mount.path)
        for source in mount.ingredient.config_sources:
            order += 1
            check = _override_check(by_path, mount, fixed, lower, order)
            result, swapped = _without_swapped(source.evaluate(node_fixed, values, check, mount.path), node_fixed)
            for node in swapped:
                lower.forget_shadows(mount.path + node, keep=(INGREDIENT_KEY,))
            values = merge(values, result.values)
            _record_source(by_path, mount, source, result, fixed, parents, lower)
        lower.store(mount.path, values)
    return lower


def _without_swapped(result: ScopeResult, fixed: dict) -> tuple[ScopeResult, list[Path]]:
    """Drop what a source wrote for a dynamic ingredient that a higher layer swapped for another
    (``fixed``: the higher layers' values); also the paths of those ingredients."""
    nodes = swapped_nodes(result.shadowed, result.values)
    if not nodes:
        return result, nodes

    def dropped(path: Path) -> bool:
        return any(path[: len(node)] == node and path != node + (INGREDIENT_KEY,) for node in nodes)

    values = result.values
    for node in nodes:
        set_value(values, node, copy_tree(subtree(fixed, node)))  # only the higher layers' values stay
    lines = {path: where for path, where in result.lines.items() if not dropped(path)}
    placeholders = frozenset(path for path in result.placeholders if not dropped(path))
    return result._replace(values=values, lines=lines, placeholders=placeholders), nodes


def _record_source(
    by_path: dict[Path, Mount],
    mount: Mount,
    source: ConfigSource,
    result: ScopeResult,
    fixed: FixedValues,
    parents: ParentWrites,
    lower: LowerLayers,
) -> None:
    """What a source declared, where each value it set came from, and its docs."""
    for relative, where in result.lines.items():
        path = mount.path + relative
        lower.declared.add(path)
        if path in fixed.sources or parents.stands_over(path, mount.path):
            continue  # a higher layer's value stands here
        by_parent = owner_of(by_path, path) is not mount
        lower.sources[path] = Source(Layer.PARENT if by_parent else Layer.CONFIG, where)
        if by_parent:
            parents.record(path, get(result.values, relative), mount.path)
    lower.placeholders.update(mount.path + relative for relative in result.placeholders)
    for relative, doc in source.docs.items():
        lower.docs.setdefault(mount.path + relative, doc)
    if source.doc:
        lower.scope_docs.append((mount.path, source.doc))


def _override_check(
    by_path: dict[Path, Mount], mount: Mount, fixed: FixedValues, lower: LowerLayers, order: int
) -> Callable:
    """The check a scope runs when a fixed value replaces one it computed."""

    def check(relative: Path, own: Any, new: Any) -> Any:
        path = mount.path + relative
        source = fixed.source_of(path, new)
        if source is None:
            return new  # written by a parent: the user's own code, not checked
        layer = Layer.PARENT if owner_of(by_path, path) is not mount else Layer.CONFIG
        own = _as_json(own, path)  # a scope's raw value: a class in a factory dict is its import string
        lower.shadow(path, (layer, order), own)
        return _checked(path, own, new, source, lower)

    return check


def _as_json(value: Any, path: Path) -> Any:
    try:
        return normalize(value, path)
    except ConfigError:
        return value  # refused with its own message when the scope's result is stored


def _checked(path: Path, old: Any, new: Any, source: Source, lower: LowerLayers) -> Any:
    """``new`` may replace ``old`` if its type fits: the annotation's, checked last, or else the old value's."""
    if path in lower.annotated:
        return new
    if ingredient_of(old) and isinstance(new, str):
        # ``models.net=pkg.vgg.net`` before this round knew models.net was dynamic; the next
        # round rewrites the update itself (see _updates_layer)
        return {INGREDIENT_KEY: new}
    problem = replacement_problem(old, new)
    if problem:
        lower.refuse(ConfigTypeError, f"config entry '{format_path(path)}' ({source}): {problem}")
    return coerce_like(old, new)


# fixed values over the lower layers, and validation --------------------------------


def _lay_fixed(fixed: FixedValues, lower: LowerLayers) -> LowerLayers:
    """Set the fixed values no scope took in, checking them against the defaults they replace."""
    for path, new in leaves(fixed.tree):
        if path not in lower.shadowed:
            # not lower.values: a scope that assigns the enclosing dict has already
            # merged the fixed value into it (``loader = {...}`` over ``loader.batch_size``)
            old = get(lower.defaults, path)
            # a dict of signature defaults is not itself declared, but only a dict replaces it
            if old is not MISSING and (path in lower.declared or isinstance(old, dict)):
                lower.shadow(path, (Layer.DEFAULT, 0), old)
                new = _checked(path, old, new, fixed.sources[path], lower)
            lower.store(path, new)
        lower.sources[path] = fixed.sources[path]
    return lower


def _factory_layer(lower: LowerLayers) -> LowerLayers:
    """Factory dicts get their factory's defaults, now that the factory is final: a factory
    swapped by a higher layer gets the new one's defaults, and loses keys written for the old one."""

    def swapped_away(path: Path) -> bool:
        key = factory_key(get(lower.values, path[:-1]))
        factory_source, value_source = lower.sources.get(path[:-1] + (key,)), lower.source_at_or_under(path)
        return bool(factory_source and value_source and value_source.layer < factory_source.layer)

    filled, factories = fill_defaults(lower.values, drop=swapped_away)
    for entry in filled:
        for leaf, value in leaves_of(entry.value, entry.path):
            lower.sources[leaf] = Source(Layer.DEFAULT, f"signature of {entry.factory.__qualname__}")
            if value is None or value == {}:
                lower.placeholders.add(leaf)
    for path, factory in factories:
        if any(part.startswith("[") for part in path):
            continue  # inside a list: built as it is, not addressable by a key
        for parameter in capture_signature(factory).parameters:
            lower.declared.add(path + (parameter.name,))
            if parameter.doc:
                lower.docs.setdefault(path + (parameter.name,), parameter.doc)
            source = lower.sources.get(path + (parameter.name,))
            if source and source.layer >= Layer.NAMED and not parameter.required:
                # what marks compare with: the default this named config or update replaced
                lower.shadow(path + (parameter.name,), (Layer.DEFAULT, 0), _as_json(parameter.default, path))
            value = get(lower.values, path + (parameter.name,))
            if parameter.annotation is not inspect.Parameter.empty and value is not MISSING:
                _check_annotation(path + (parameter.name,), value, parameter, factory.__qualname__, lower)
    return lower


def _check_declared(fixed: FixedValues, lower: LowerLayers) -> LowerLayers:
    """Every named-config or update key must be declared by a lower layer or added on purpose."""
    unsure = [p for p in fixed.sources if (p not in fixed.added or p in fixed.warn_new) and p not in lower.declared]
    known = _declared_nodes(lower.declared) if unsure else set()
    for path in unsure:
        if path in known or any(p in lower.placeholders for p in prefixes(path)):
            continue
        name = format_path(path)
        suggestion = did_you_mean(name, (format_path(p) for p in lower.declared))
        if path in fixed.warn_new:
            lower.warnings.append(f"{fixed.sources[path]} adds the key '{name}', which nothing declares{suggestion}")
            continue
        lower.refuse(
            UnknownKeyError,
            f"unknown config key '{name}' ({fixed.sources[path]}){suggestion}; to add it on purpose write '+{name}=...'",
        )
    return lower


def _declared_nodes(declared: set[Path]) -> set[Path]:
    nodes = set(declared)
    for path in declared:
        nodes.update(prefixes(path))
    return nodes


def _hook_layer(
    mounts: tuple[Mount, ...], fixed: FixedValues, lower: LowerLayers, command: str, logger: Any
) -> LowerLayers:
    """Config hooks' updates, each relative to its ingredient's path, under the fixed values."""
    for mount in mounts:
        for hook in mount.ingredient.config_hooks:
            # the root's logger is looked up only now: making it imports logging
            updates = hook(copy_tree(lower.values), command, logger or getattr(mounts[0].ingredient, "logger", None))
            if updates is None:
                continue
            if not isinstance(updates, dict):
                raise TypeError(f"config hook {hook.__qualname__} must return a dict, not {type(updates).__name__}")
            source = Source(Layer.HOOK, hook.__qualname__)
            for relative, value in leaves(normalize(updates, ())):
                path = mount.path + relative  # as in sacred: a hook updates its own ingredient's config
                if not fixed.covers(path):
                    lower.store(path, value, source)
    return lower


def _check_types(mounts: tuple[Mount, ...], lower: LowerLayers) -> LowerLayers:
    """Every value a captured callable receives must fit its parameter's annotation."""
    for mount in mounts:
        for captured in mount.ingredient.captured_functions:
            base = mount.path + captured.prefix
            for parameter in captured.signature.parameters:
                path = base + (parameter.name,)
                value = get(lower.values, path)
                if value is not MISSING and parameter.annotation is not inspect.Parameter.empty:
                    _check_annotation(path, value, parameter, captured.display_name, lower)
    return lower


def _check_annotation(path: Path, value: Any, parameter: Parameter, owner: str, lower: LowerLayers) -> None:
    if is_reference(value):
        return
    if not parameter.required and value == normalize(parameter.default, path):
        return  # the signature's own default fits by definition (``x: dict = None``)
    problem = annotation_problem(value, parameter.annotation)
    if problem:
        message = f"config entry '{format_path(path)}' ({lower.source_at_or_under(path)}): {problem} ({owner})"
        lower.refuse(ConfigTypeError, message)
    else:
        lower.store(path, coerce_to(value, parameter.annotation))

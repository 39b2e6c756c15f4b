"""Config scopes: a function whose body, when run, defines config entries.

``@ex.config`` wraps a function in a :class:`ConfigScope`. Evaluating the scope runs
the function's body (not a call: its locals are the entries) with two inputs:

* ``preset`` — values of lower layers, readable by the body and kept unless it
  assigns them;
* ``fixed`` — values of higher layers (named configs, command line, a parent). An
  assignment to a fixed name keeps the fixed value, so entries derived from it
  later in the body follow it: ``width = 2 * hidden`` sees ``hidden=64``.

A comment on an assignment's line, or the comment lines right above it, becomes
the entry's doc. Modules, functions, classes and names starting with ``_`` are not
entries. A scope can be built and evaluated on its own, without an experiment.
"""

from __future__ import annotations

import ast
import inspect
import os
import sys
import types
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from ._errors import ConfigError
from ._source import Comments, comments, function_source
from ._tree import EMPTY, Path, copy_tree, leaves, leaves_of, merge, set_value
from ._values import normalize

OverrideCheck = Callable[[Path, Any, Any], Any]
"""``check(path, scope_value, fixed_value) -> value to use``; may raise ConfigError."""


class ScopeResult(NamedTuple):
    """What one evaluation of a config source produced.

    Attributes:
        values: the entries the source assigned, fixed values laid over them.
        lines: for each leaf the source itself assigned (before fixed values were
            laid over), the ``file:line`` that set it: the keys it declares.
        shadowed: for each fixed leaf that replaced an assigned one, the value the
            source computed (what the config would hold without the fixed value).
    """

    values: dict
    lines: Mapping[Path, str] = EMPTY
    shadowed: Mapping[Path, Any] = EMPTY
    placeholders: frozenset[Path] = frozenset()


def _keep_fixed(path: Path, own: Any, fixed: Any, check: OverrideCheck, shadowed: dict, kept: dict) -> Any:
    """Lay a fixed value over what a source computed; dicts merge entry by entry.

    Each fixed leaf that stands is also recorded in ``kept``, so that it can be laid
    over again once the body has run, should the body change the value in place.
    """
    if isinstance(fixed, dict) and isinstance(own, dict):
        merged = dict(own)
        for key, value in fixed.items():
            if key in own:
                merged[key] = _keep_fixed(path + (key,), own[key], value, check, shadowed, kept)
            else:
                merged[key] = _keep(kept, path + (key,), value)
        return merged
    shadowed[path] = own
    return _keep(kept, path, check(path, own, fixed))


def _keep(kept: dict, path: Path, value: Any) -> Any:
    kept[path] = copy_tree(value)
    return copy_tree(value)  # the body gets its own copy: changing it changes nothing fixed


def _no_check(path: Path, own: Any, fixed: Any) -> Any:
    return fixed


class _Namespace(dict):
    """The body's namespace: records assignments and keeps fixed values."""

    def __init__(self, initial: dict, fixed: Mapping, check: OverrideCheck):
        super().__init__(initial)
        self.fixed = fixed
        self.check = check
        self.assigned: dict[str, tuple[Any, int]] = {}
        self.shadowed: dict[Path, Any] = {}
        self.kept: dict[Path, Any] = {}

    def __setitem__(self, name: str, value: Any) -> None:
        self.assigned[name] = (value, sys._getframe(1).f_lineno)
        if name in self.fixed and _is_entry(name, value):
            value = _keep_fixed((name,), value, self.fixed[name], self.check, self.shadowed, self.kept)
        super().__setitem__(name, value)


def _is_entry(name: str, value: Any) -> bool:
    if name.startswith("_"):
        return False
    return not isinstance(value, (types.ModuleType, types.FunctionType, type, types.BuiltinFunctionType))


class ConfigScope:
    """A config defined by a function body; see the module docstring.

    Example:
        >>> def cfg():
        ...     hidden = 128  # hidden units
        ...     width = 2 * hidden
        >>> ConfigScope(cfg).evaluate(fixed={"hidden": 64}).values   # doctest: +SKIP
        {'hidden': 64, 'width': 128}
    """

    def __init__(self, function: Callable):
        if inspect.signature(function).parameters:
            raise ConfigError(f"config scope '{function.__qualname__}' must take no arguments")
        self.function = function
        self.name = function.__name__
        self.doc = inspect.getdoc(function)
        self._code, self._filename, self.docs = _compile_body(function)
        self.first_line = function.__code__.co_firstlineno

    @property
    def origin(self) -> str:
        """``file:line`` of the scope's definition."""
        return f"{self._filename}:{self.first_line}"

    def evaluate(
        self,
        fixed: Mapping | None = None,
        preset: Mapping | None = None,
        check: OverrideCheck = _no_check,
        at: Path = (),
    ) -> ScopeResult:
        """Run the body with ``preset`` and ``fixed`` values; see the module docstring.

        ``at`` is where the scope's entries go in the whole config, for messages.
        """
        fixed, preset = fixed or {}, preset or {}
        initial = dict(self.function.__globals__)
        initial.update(_closure_values(self.function))
        initial.update(merge(copy_tree(preset), fixed))  # copies: the body may change what it reads
        namespace = _Namespace(initial, fixed, check)
        try:
            exec(self._code, namespace, namespace)  # runs the user's own scope body, not config input
        except ConfigError:
            raise
        except Exception as error:
            error.add_note(f"while evaluating the config scope '{self.name}' ({self.origin})")
            raise
        return self._result(namespace, preset, at)

    def _result(self, namespace: _Namespace, preset: Mapping, at: Path) -> ScopeResult:
        values, declared = {}, {}
        assigned = {**_changed_in_place(namespace, preset, self.first_line), **namespace.assigned}
        for name, (own, line) in assigned.items():
            value = dict.get(namespace, name)
            if name not in namespace or not _is_entry(name, value):
                continue
            where = f"{self._filename}:{line}"
            try:
                values[name] = normalize(value, at + (name,))
            except ConfigError as error:
                raise ConfigError(f"{error} ({where})") from None
            declared.update((path, (leaf, where)) for path, leaf in leaves_of(own, (name,)))
        for path, value in namespace.kept.items():  # fixed values stand, whatever the body did after
            if path[0] in values:
                set_value(values, path, copy_tree(value))
        return ScopeResult(values, _lines(declared), namespace.shadowed, _placeholders(declared))


def _changed_in_place(namespace: _Namespace, preset: Mapping, line: int) -> dict[str, tuple[Any, int]]:
    """Preset entries the body changed without assigning them (``loader["shuffle"] = True``):
    they count as assigned, at the scope's first line."""
    return {
        name: (dict.get(namespace, name), line)
        for name, old in preset.items()
        if name not in namespace.assigned and name not in namespace.fixed and dict.get(namespace, name) != old
    }


def _closure_values(function: Callable) -> dict:
    cells = function.__closure__ or ()
    names = function.__code__.co_freevars
    out = {}
    for name, cell in zip(names, cells):
        try:
            out[name] = cell.cell_contents
        except ValueError:  # an empty cell: the name is not bound yet
            pass
    return out


def _compile_body(function: Callable) -> tuple[types.CodeType, str, dict[Path, str]]:
    """Compile the function's body as module code that keeps the file's line numbers."""
    try:
        source = function_source(function)
    except (OSError, TypeError) as err:
        raise ConfigError(
            f"config scope '{function.__qualname__}' has no source code to read; define it in a file"
        ) from err
    body = source.tree.body[0].body
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        body = body[1:]  # the docstring is the scope's doc, not an entry
    docs = _entry_docs(comments(source), body)
    empty = [ast.Pass(lineno=source.first_line, col_offset=0)]  # a scope that is only a docstring
    module = ast.Module(body=body or empty, type_ignores=[])
    filename = display_path(source.filename)
    return compile(module, filename, "exec"), filename, docs


def _entry_docs(comments: Comments, body: list[ast.stmt]) -> dict[Path, str]:
    """Docs from comments: on the assignment's line, or the comment block right above."""
    docs: dict[Path, str] = {}
    for statement in (node for top in body for node in ast.walk(top)):
        for name in _assigned_names(statement):
            doc = _doc_for(statement, comments)
            if doc and (name,) not in docs:
                docs[(name,)] = doc
    return docs


def _assigned_names(statement: ast.AST) -> list[str]:
    if isinstance(statement, ast.Assign):
        return [t.id for t in statement.targets if isinstance(t, ast.Name)]
    if isinstance(statement, (ast.AnnAssign, ast.AugAssign)) and isinstance(statement.target, ast.Name):
        return [statement.target.id]
    return []


def _doc_for(statement: ast.stmt, comments: dict[int, tuple[str, bool]]) -> str | None:
    inline = comments.get(statement.lineno)
    if inline and not inline[1]:
        return inline[0]
    above: list[str] = []
    line = statement.lineno - 1
    while line in comments and comments[line][1]:
        above.insert(0, comments[line][0])
        line -= 1
    return " ".join(above) or None


class ConfigDict:
    """A config given as a dict (or loaded from a file); evaluates like a scope.

    Example:
        >>> ConfigDict({"lr": 0.1}, "add_config").evaluate(fixed={"lr": 1.0}).values
        {'lr': 1.0}
    """

    def __init__(self, values: Mapping, origin: str):
        self.values = normalize(dict(values), ())
        self.origin = origin
        self.doc = None
        self.docs: dict[Path, str] = {}

    def evaluate(
        self,
        fixed: Mapping | None = None,
        preset: Mapping | None = None,
        check: OverrideCheck = _no_check,
        at: Path = (),
    ) -> ScopeResult:
        """The dict's values with ``fixed`` laid over them (``preset`` and ``at`` are not needed:
        the dict was checked when it was added)."""
        fixed = fixed or {}
        shadowed: dict[Path, Any] = {}
        values = {
            key: _keep_fixed((key,), value, fixed[key], check, shadowed, {}) if key in fixed else value
            for key, value in self.values.items()
        }
        declared = {path: (leaf, self.origin) for path, leaf in leaves(self.values)}
        return ScopeResult(values, _lines(declared), shadowed, _placeholders(declared))


def display_path(filename: str) -> str:
    """A file name as messages show it: relative to the working directory when inside it."""
    try:
        relative = os.path.relpath(filename)
    except ValueError:
        return filename
    return filename if relative.startswith("..") else relative


def _lines(declared: dict[Path, tuple[Any, str]]) -> dict[Path, str]:
    return {path: where for path, (_, where) in declared.items()}


def _placeholders(declared: dict[Path, tuple[Any, str]]) -> frozenset[Path]:
    return frozenset(path for path, (leaf, _) in declared.items() if leaf is None or leaf == {})

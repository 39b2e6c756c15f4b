"""Reading and writing config files (JSON, YAML, TOML) as plain config trees.

Config files are user input, so every way one can be wrong (missing, unknown format,
broken syntax, a list at the top level, a non-string key, a value that is not JSON
data) becomes a one-line :class:`ConfigFileError` naming the file and, for broken
syntax, the line. Loaded trees are fresh nested dicts and lists with no shared parts,
so later passes can change them in place. Writing is atomic: a crash never leaves a
half-written file where a good one was.
"""

from __future__ import annotations

import os
import re
from typing import Any

from ._errors import ConfigError, ConfigFileError
from ._values import normalize

CONFIG_SUFFIXES = (".json", ".yaml", ".yml", ".toml")
"""File name endings that mark a config file (compared case-insensitively)."""

_SAVE_SUFFIXES = (".json", ".yaml", ".yml")
_TOML_WHERE = r"\s*\(at (?:line (\d+), column \d+|end of document)\)\s*\Z"


def looks_like_config_file(text: str) -> bool:
    """Whether ``text`` names a config file by its ending (``.json``, ``.yaml``, ...).

    Args:
        text: A command-line token or path.

    Returns:
        True when ``text`` ends with one of :data:`CONFIG_SUFFIXES`, in any case.
    """
    return text.lower().endswith(CONFIG_SUFFIXES)


def load_config_file(path: str | os.PathLike) -> dict:
    """Load a JSON, YAML or TOML file as a config tree.

    YAML is read with the safe loader only; an empty YAML file is ``{}``.

    Args:
        path: The file, as the user wrote it (the name appears in errors unchanged).

    Returns:
        A fresh tree of dicts with string keys, lists and JSON scalars.

    Raises:
        ConfigFileError: The file is missing or unreadable, has an unknown suffix,
            is broken (the message gives the line), does not hold a mapping, or
            holds a non-string key or a value that is not JSON data.
    """
    name = os.fspath(path)
    fmt = _suffix(name)
    if fmt not in CONFIG_SUFFIXES:
        raise ConfigFileError(f"config file '{name}' has an unknown format; use .json, .yaml, .yml or .toml")
    text = _read_text(name)
    try:
        data = _PARSERS[fmt](text, name)
    except RecursionError:
        raise ConfigFileError(f"config file '{name}' is nested too deeply") from None
    if not isinstance(data, dict):
        raise ConfigFileError(
            f"config file '{name}' must hold a mapping at the top level, not {_top_level_kind(data)}"
        )
    try:
        return normalize(data)
    except ConfigError as err:
        raise ConfigFileError(f"config file '{name}': {err}") from None


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Replace the file at ``path`` with ``text`` (UTF-8) in one atomic step.

    The text goes to a temporary file in the same directory, is flushed to disk and
    then renamed over ``path``; on any failure the temporary file is removed and an
    existing file at ``path`` is left as it was. Missing parent directories are
    created. A new file gets the usual permissions (``0o666`` less the umask); a
    replaced file keeps its permissions.

    Args:
        path: The file to write.
        text: Its whole new content.

    Raises:
        OSError: The directory or file cannot be written.
    """
    target = os.fspath(path)
    tmp = os.path.join(os.path.dirname(target), f".{os.path.basename(target)}.{os.urandom(6).hex()}.tmp")
    data = text.encode("utf-8")
    try:
        write_new_file(tmp, data, sync=True)
        _keep_mode_of(target, tmp)
        os.replace(tmp, target)
    except BaseException:
        _remove_quietly(tmp)
        raise


def write_new_file(path: str, data: bytes | memoryview, *, sync: bool = False) -> None:
    """Write ``data`` to a file at ``path`` that must not exist yet, missing parent directories
    made; with ``sync``, flushed to disk before it is closed. A file left half-written by a
    failure is the caller's to remove (it is usually a temporary one).

    Example: ``write_new_file(tmp, buffer.getbuffer())`` writes a ``BytesIO`` without a copy.
    """
    # os-level calls, as few as the job needs: the checkpoints' background writer calls this at
    # every save, and each system call there costs the training thread a GIL hand-over
    remaining = memoryview(data)
    descriptor = _create(path)
    try:
        while remaining:
            remaining = remaining[os.write(descriptor, remaining):]
        if sync:
            os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _create(path: str) -> int:
    """A new file at ``path`` opened for writing, its missing parent directories made.
    Created as 0o666: the OS takes the umask off, as for any new file."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    try:
        return os.open(path, flags, 0o666)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        return os.open(path, flags, 0o666)


def save_config_file(tree: dict, path: str | os.PathLike) -> None:
    """Write a config tree as JSON or YAML, chosen by the file's suffix.

    JSON is indented by 2 with keys in tree order, non-ASCII text kept as is, and a
    trailing newline; YAML is block style with keys in tree order. Tuples are
    written as lists.

    Args:
        tree: Nested dicts with string keys, lists and JSON scalars.
        path: The file to write (``.json``, ``.yaml`` or ``.yml``).

    Raises:
        ConfigFileError: The suffix is not one that can be written, the tree holds
            something that is not JSON data, or the file cannot be written.
    """
    name = os.fspath(path)
    fmt = _suffix(name)
    if fmt not in _SAVE_SUFFIXES:
        raise ConfigFileError(f"cannot save config as '{name}'; use .json or .yaml")
    try:
        data = normalize(tree)
    except ConfigError as err:
        raise ConfigFileError(f"cannot save config as '{name}': {err}") from None
    text = _dump_json(data) if fmt == ".json" else _dump_yaml(data)
    try:
        write_text_atomic(name, text)
    except OSError as err:
        raise ConfigFileError(f"cannot write config file '{name}': {err.strerror or err}") from None


# -- reading -------------------------------------------------------------------------


def _suffix(name: str) -> str:
    return os.path.splitext(name)[1].lower()


def _read_text(name: str) -> str:
    try:
        with open(name, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        raise ConfigFileError(f"config file '{name}' not found") from None
    except IsADirectoryError:
        raise ConfigFileError(f"config file '{name}' is a directory, not a file") from None
    except OSError as err:
        raise ConfigFileError(f"config file '{name}' cannot be read: {err.strerror or err}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise ConfigFileError(f"config file '{name}' line {line}: not UTF-8 text") from None


def _broken(name: str, line: int, reason: str) -> ConfigFileError:
    return ConfigFileError(f"config file '{name}' line {line}: {reason}")


def _parse_json(text: str, name: str) -> Any:
    import json  # here, not at the top: print_config and --help never need it

    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise _broken(name, err.lineno, err.msg) from None


def _parse_yaml(text: str, name: str) -> Any:
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else 1
        reason = err.problem or err.context or "invalid YAML"
        raise _broken(name, line, _one_line(reason)) from None
    except yaml.reader.ReaderError as err:
        line = text[: err.position].count("\n") + 1
        raise _broken(name, line, _one_line(err.reason)) from None
    except yaml.YAMLError as err:
        raise _broken(name, 1, _one_line(str(err))) from None
    return {} if data is None else data


def _parse_toml(text: str, name: str) -> Any:
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        message = str(err)
        where = re.search(_TOML_WHERE, message)
        line = getattr(err, "lineno", None)
        if line is None and where is not None:
            line = int(where.group(1)) if where.group(1) else text.count("\n") + 1
        reason = message[: where.start()] if where is not None else message
        raise _broken(name, line or 1, _one_line(reason)) from None


_PARSERS = {".json": _parse_json, ".yaml": _parse_yaml, ".yml": _parse_yaml, ".toml": _parse_toml}


def _top_level_kind(data: Any) -> str:
    kinds = {list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    return "None" if data is None else kinds.get(type(data), type(data).__name__)


def _one_line(text: str) -> str:
    return " ".join(text.split())


# -- writing -------------------------------------------------------------------------


def _dump_json(tree: dict) -> str:
    import json

    return json.dumps(tree, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def _dump_yaml(tree: dict) -> str:
    import yaml

    class Dumper(yaml.SafeDumper):
        """Double-quotes (escapes) strings holding characters YAML reads back as line breaks."""

    def represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
        style = '"' if any(c in value for c in "\x85\u2028\u2029") else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, represent_str)
    return yaml.dump(tree, Dumper=Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True)


def _keep_mode_of(target: str, tmp: str) -> None:
    """A replaced file keeps its permissions."""
    try:
        mode = os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        return
    os.chmod(tmp, mode)


def _remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass

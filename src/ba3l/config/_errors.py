"""Errors about what the user wrote: a config key, a value, a file, a command line.

Each error formats itself as one line and carries the exit status the command line
uses for it (2, as for any usage error), so the front end never prints a traceback
for bad input. Messages use the names the user wrote and suggest the nearest valid one.
"""

from __future__ import annotations

from collections.abc import Iterable


class ConfigError(Exception):
    """Bad user input about the config; printed as one line, exit status 2.

    Example:
        >>> raise ConfigError("unknown key 'lr_rate' (did you mean 'lr'?)")
    """

    exit_code = 2

    def format_message(self) -> str:
        return str(self)


class ConfigTypeError(ConfigError):
    """A value whose type does not fit the entry it replaces."""


class UnknownKeyError(ConfigError):
    """An update to a key that no config and no captured function declares."""


class ConfigFileError(ConfigError):
    """A config file that is missing, of an unknown format, or broken."""


class UsageError(ConfigError):
    """A malformed command line: unknown command, option or update."""


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the nearest candidates, or ``""``.

    Example:
        >>> did_you_mean("hiden", ["hidden", "lr"])
        " (did you mean 'hidden'?)"
    """
    import difflib  # only on the error path: it costs start-up time

    candidates = sorted(set(candidates))
    matches = difflib.get_close_matches(name, candidates, n=3, cutoff=0.6)
    if not matches:  # the same last segment elsewhere in the tree: 'batch' for 'data.batch'
        last = name.rpartition(".")[2]
        matches = [c for c in candidates if c.rpartition(".")[2] == last][:3]
    if not matches:  # a longer or shorter spelling of a key: 'lr' for 'lr_rate'
        matches = [c for c in candidates if len(c) > 1 and (name.startswith(c) or c.startswith(name))][:3]
    if not matches:
        return ""
    return " (did you mean " + " or ".join(repr(m) for m in matches) + "?)"

"""The command-line grammar: ``ex.py [COMMAND [ARG]] [with UPDATE ...] [OPTIONS]``.

An UPDATE is ``a.b=value`` (a Python literal, else a plain string; ``+a.b=value`` adds
a key on purpose), the name of a named config, or the path of a config file (whose new
keys count as added, so saved configs replay, and are reported as warnings). Options
may appear anywhere. Parsing only classifies the words; nothing runs here.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import NamedTuple

from ba3l.config import (
    COMMAND_LINE,
    UsageError,
    did_you_mean,
    is_assignment,
    load_config_file,
    looks_like_config_file,
    parse_assignment,
)

from ._assembly import Update


class Option(NamedTuple):
    """One command-line option; ``value`` names its argument when it takes one."""

    short: str | None
    long: str
    field: str
    help: str
    value: str | None = None


OPTIONS: tuple[Option, ...] = (
    Option("-h", "--help", "help", "show this help: commands, named configs, options and every config key"),
    Option("-p", "--print-config", "print_config", "print the config before running the command"),
    Option("-P", "--provenance", "provenance", "with print_config: show where every value came from"),
    Option("-l", "--loglevel", "loglevel", "log level (DEBUG, INFO, WARNING, ERROR or a number)", "LEVEL"),
    Option("-c", "--comment", "comment", "a comment stored with the run", "COMMENT"),
    Option("-u", "--unobserved", "unobserved", "run without observers: nothing is recorded"),
    Option("-d", "--debug", "debug", "show full tracebacks, also for bad input"),
    Option("-F", "--file_storage", "file_storage", "record the run in this directory (default: ./runs or $BA3L_RUNS)", "DIR"),
    Option("-s", "--sql", "sql", "also record the run in this SQL database (SQLAlchemy URL)", "URL"),
    Option(None, "--mlflow", "mlflow", "also record the run on this MLflow tracking server", "URI"),
    Option("-n", "--name", "name", "the experiment name to record the run under", "NAME"),
    Option("-i", "--id", "id", "the id to give the run", "ID"),
    Option("-q", "--queue", "queue", "only record the run as QUEUED; do not run it"),
    Option(None, "--heartbeat", "heartbeat", "seconds between the run's heartbeats (default 10)", "SECONDS"),
    Option(None, "--signal-grace", "signal_grace",
           "seconds a blocked run gets to answer SIGTERM/SIGUSR1 before it is ended as interrupted (default 10)",
           "SECONDS"),
    Option(None, "--force", "force", "unknown keys and type changes are warnings, not errors"),
)


class Options(NamedTuple):
    """The options of one invocation."""

    help: bool = False
    print_config: bool = False
    provenance: bool = False
    loglevel: str | None = None
    comment: str | None = None
    unobserved: bool = False
    debug: bool = False
    file_storage: str | None = None
    sql: str | None = None
    mlflow: str | None = None
    name: str | None = None
    id: str | None = None
    force: bool = False
    queue: bool = False
    heartbeat: str | None = None
    signal_grace: str | None = None


class CommandLine(NamedTuple):
    """A parsed command line."""

    command: str | None = None
    arguments: tuple[str, ...] = ()
    named_configs: tuple[str, ...] = ()
    updates: tuple[Update, ...] = ()
    options: Options = Options()


def parse_command_line(
    argv: Sequence[str], named_configs: Collection[str], static_paths: Collection[str] = ("",)
) -> CommandLine:
    """Classify ``argv`` (without the program name) into command, updates and options.

    ``named_configs`` are the qualified names of the named configs of the ingredients given
    in code, which sit at ``static_paths`` (``""`` for the root, ``"data"``). Any other
    dotted name (``models.net.small``) may be a dynamic ingredient's named config: it is
    checked when the config is resolved.

    Raises:
        UsageError: an unknown option, a malformed update, an unknown named config,
            or a missing, unreadable or broken config file.
    """
    words, options = _split_options(list(argv))
    _check_values(options)
    if "with" in words:
        at = words.index("with")
        head, tail = words[:at], words[at + 1 :]
    else:
        head, tail = words, []
    named, updates = _classify_updates(tail, named_configs, static_paths)
    return CommandLine(
        command=head[0] if head else None,
        arguments=tuple(head[1:]),
        named_configs=tuple(named),
        updates=tuple(updates),
        options=options,
    )


def _split_options(argv: list[str]) -> tuple[list[str], Options]:
    by_flag = {flag: option for option in OPTIONS for flag in (option.short, option.long) if flag}
    values: dict[str, object] = {}
    words: list[str] = []
    index = 0
    while index < len(argv):
        word = argv[index]
        index += 1
        if not word.startswith("-") or word == "-" or _is_number(word):
            words.append(word)
            continue
        flag, _, inline = word.partition("=")
        option = by_flag.get(flag)
        if option is None:
            raise UsageError(f"unknown option '{flag}'{did_you_mean(flag, by_flag)}; see --help")
        if option.value is None:
            values[option.field] = True
        elif inline:
            values[option.field] = inline
        elif index < len(argv) and argv[index].partition("=")[0] not in by_flag:
            values[option.field] = argv[index]
            index += 1
        else:
            raise UsageError(f"option '{flag}' needs a value: {flag} {option.value}")
    return words, Options(**values)


_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _check_values(options: Options) -> None:
    level, run_id = options.loglevel, options.id
    if level is not None and not level.isdigit() and level.upper() not in _LEVELS:
        raise UsageError(f"unknown log level '{level}'; use DEBUG, INFO, WARNING, ERROR, CRITICAL or a number")
    if run_id is not None and (run_id in (".", "..") or not all(c.isalnum() or c in "_-." for c in run_id)):
        raise UsageError(f"run id '{run_id}' must be a plain name: letters, digits, '_', '-' and '.'")
    if options.heartbeat is not None and not (_is_number(options.heartbeat) and float(options.heartbeat) > 0):
        raise UsageError(f"--heartbeat takes a number of seconds above 0, got '{options.heartbeat}'")
    if options.signal_grace is not None and not (_is_number(options.signal_grace) and float(options.signal_grace) > 0):
        raise UsageError(f"--signal-grace takes a number of seconds above 0, got '{options.signal_grace}'")


def _is_number(word: str) -> bool:
    try:
        float(word)
    except ValueError:
        return False
    return True


def _classify_updates(
    words: list[str], named_configs: Collection[str], static_paths: Collection[str]
) -> tuple[list[str], list[Update]]:
    named: list[str] = []
    updates: list[Update] = []
    for word in words:
        if is_assignment(word):
            assignment = parse_assignment(word)
            updates.append(Update(assignment.path, assignment.value, COMMAND_LINE, assignment.add))
        elif word in named_configs:
            named.append(word)
        elif looks_like_config_file(word):
            # A config file is often a saved config: keys it adds are taken as if written
            # with '+', so every saved config replays; each is reported, in case of a typo.
            updates.append(Update((), load_config_file(word), f"file {word}", add=True, warn_new=True))
        elif _maybe_dynamic(word, static_paths):
            named.append(word)
        else:
            raise UsageError(
                f"unknown named config '{word}'{did_you_mean(word, named_configs)}; "
                "an update is KEY=VALUE, a named config or a config file"
            )
    return named, updates


def _maybe_dynamic(word: str, static_paths: Collection[str]) -> bool:
    """Whether ``word`` may name a dynamic ingredient's named config: a dotted name of
    identifiers whose owner is not an ingredient given in code."""
    owner = word.rpartition(".")[0]
    return owner not in static_paths and all(part.isidentifier() for part in word.split("."))

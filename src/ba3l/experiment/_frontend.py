"""The command-line front end: parse, resolve, dispatch, and turn errors into exit codes.

Bad input (a ``ConfigError``) prints ``error: <one line>`` to stderr and exits with 2,
before any run is created. A command that fails exits with 1 after its run is
recorded as failed. ``-d/--debug`` shows tracebacks instead.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from ba3l.config import ConfigError, UsageError, format_config

from ._assembly import ConfigRequest
from ._builtins import BUILTINS
from ._commandline import CommandLine, Options, parse_command_line
from ._help import help_text
from ._mounts import list_mounts, named_config_table
from ._resume import RESUME, resume_command_request

if TYPE_CHECKING:
    from ba3l.run import Run

    from ._experiment import Experiment


def run_command_line(ex: Experiment, argv: list[str]) -> Run | None:
    """Run ``argv`` for ``ex``; see the module docstring for what happens on errors."""
    debug = "-d" in argv or "--debug" in argv
    try:
        mounts = list_mounts(ex)
        line = parse_command_line(argv, named_config_table(mounts), {".".join(m.path) for m in mounts})
        if line.options.help:
            print(help_text(ex))
            return None
        return _dispatch(ex, line)
    except ConfigError as error:
        if debug:
            raise
        print(f"error: {error.format_message()}", file=sys.stderr)
        raise SystemExit(error.exit_code) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except Exception:
        if debug:
            raise
        import traceback

        traceback.print_exc()
        raise SystemExit(1) from None


def _dispatch(ex: Experiment, line: CommandLine) -> Run | None:
    name = line.command or ex.default_command
    request = ConfigRequest(line.named_configs, line.updates, name or "", line.options.force)
    if name in BUILTINS:
        config = ex.resolve_config(request)
        _warn(ex, config.warnings)
        BUILTINS[name](ex, config, line.arguments, line.options)
        return None
    arguments = line.arguments
    if name == RESUME and RESUME not in ex.commands:
        request, arguments = resume_command_request(ex, arguments, request), ()
    if arguments:
        raise UsageError(f"command '{name}' takes no arguments, got '{arguments[0]}'; updates go after 'with'")
    request, config = ex.resolve_resuming(request)
    command = ex.find_command(request.command or None, config)  # after resolving: the config decides which dynamic ingredients exist
    _warn(ex, config.warnings)
    if line.options.print_config:
        print(format_config(config, color=sys.stdout.isatty(), provenance=line.options.provenance))
    _configure_logging(ex, line.options)
    return ex.start(command, config, line.options, request)


def _warn(ex: Experiment, warnings: tuple[str, ...]) -> None:
    for warning in warnings:
        ex.logger.warning(warning)


def _configure_logging(ex: Experiment, options: Options) -> None:
    if options.loglevel:
        level = options.loglevel
        ex.logger.setLevel(int(level) if level.isdigit() else level.upper())

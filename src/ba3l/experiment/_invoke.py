"""Running a command line in-process and capturing what it did, for tests and notebooks.

``invoke(ex, "print_config with lr=0.1")`` runs exactly what ``python ex.py print_config
with lr=0.1`` would, in this process, and returns the exit status, the captured output
and the run, instead of exiting. ba3l's own tests use it; so can a researcher's.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from contextlib import redirect_stderr, redirect_stdout
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from ._experiment import Experiment


class Invocation(NamedTuple):
    """What one in-process command line did.

    Attributes:
        exit_code: 0 on success, 2 for bad input, 1 for a failed run.
        stdout: what was printed.
        stderr: errors, warnings and log lines.
        run: the run, for commands that start one and get that far.
    """

    exit_code: int
    stdout: str
    stderr: str
    run: Any = None


def invoke(ex: Experiment, argv: str | Sequence[str] = ()) -> Invocation:
    """Run ``argv`` (a string is split like a shell would) as ``ex``'s command line.

    Example:
        >>> result = invoke(ex, "print_config with lr=0.1")   # doctest: +SKIP
        >>> result.exit_code, "lr = 0.1" in result.stdout     # doctest: +SKIP
        (0, True)
    """
    import shlex  # tests and notebooks only: not a cost of every start

    words = shlex.split(argv) if isinstance(argv, str) else list(argv)
    out, err = io.StringIO(), io.StringIO()
    run, code = None, 0
    with redirect_stdout(out), redirect_stderr(err):
        try:
            run = ex.run_commandline(words)
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else 1
    return Invocation(code, out.getvalue(), err.getvalue(), run)

"""SIGTERM and SIGUSR1 during a run: the run is recorded as INTERRUPTED, not left RUNNING.

Python dies on these signals without running any cleanup (sacred's runs stay RUNNING
forever). SIGTERM is what ``kill`` and schedulers send; SIGUSR1 is what SLURM sends
ahead of a job's time limit (``--signal=USR1@90``). While a run executes in the main
thread, either raises :class:`Terminated` there instead, so the run stops like on
Ctrl-C: metrics flushed, status INTERRUPTED, observers told (a training run saves a
checkpoint first, to resume from); the process then exits with 128 + the signal.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

STOPPING = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGUSR1") if hasattr(signal, name))  # no USR1 on Windows


class Terminated(SystemExit):
    """The process was asked to stop by a signal; exits with ``128 + signal``."""

    def __init__(self, signum: int):
        super().__init__(128 + signum)
        self.signum = signum


class SignalGuard:
    """What :func:`terminate_gracefully` yields: ``hold()`` defers a SIGTERM until the block ends."""

    def __init__(self) -> None:
        self.holding = False
        self.held: int | None = None

    def hold(self) -> None:
        """From now on a SIGTERM waits for the end of the block (the run's record is being finished)."""
        self.holding = True

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """Within the block a SIGTERM waits, and stops the run when the block ends: for work that
        must not be cut in half (an optimizer step, so that the checkpoint taken on the way out is exact)."""
        holding, self.holding = self.holding, True
        try:
            yield
        except BaseException:
            self.holding = holding
            raise  # a signal held back stays held: the run ends with it
        self.holding = holding
        if not holding and self.held is not None:
            signum, self.held = self.held, None
            raise Terminated(signum)

    def handle(self, signum: int, frame: object) -> None:
        if self.holding:
            self.held = signum
            return
        raise Terminated(signum)


@contextmanager
def terminate_gracefully() -> Iterator[SignalGuard]:
    """Within the block, SIGTERM and SIGUSR1 raise :class:`Terminated` (main thread only; elsewhere
    nothing changes)."""
    guard = SignalGuard()
    if threading.current_thread() is not threading.main_thread():
        yield guard
        return
    previous = {signum: signal.signal(signum, guard.handle) for signum in STOPPING}
    try:
        yield guard
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if guard.held is not None:
        raise Terminated(guard.held)

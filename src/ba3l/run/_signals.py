"""SIGTERM during a run: the run is recorded as INTERRUPTED, not left RUNNING.

Python dies on SIGTERM without running any cleanup (sacred's runs stay RUNNING
forever). While a run executes in the main thread, SIGTERM raises :class:`Terminated`
there instead, so the run stops like on Ctrl-C: metrics flushed, status
INTERRUPTED, observers told; the process then exits with 128 + 15.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


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

    def handle(self, signum: int, frame: object) -> None:
        if self.holding:
            self.held = signum
            return
        raise Terminated(signum)


@contextmanager
def terminate_gracefully() -> Iterator[SignalGuard]:
    """Within the block, SIGTERM raises :class:`Terminated` (main thread only; elsewhere nothing changes)."""
    guard = SignalGuard()
    if threading.current_thread() is not threading.main_thread():
        yield guard
        return
    previous = signal.signal(signal.SIGTERM, guard.handle)
    try:
        yield guard
    finally:
        signal.signal(signal.SIGTERM, previous)
    if guard.held is not None:
        raise Terminated(guard.held)

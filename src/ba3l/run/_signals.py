"""SIGTERM and SIGUSR1 during a run: the run is recorded as INTERRUPTED, not left RUNNING.

Python dies on these signals without running any cleanup (sacred's runs stay RUNNING
forever). SIGTERM is what ``kill`` and schedulers send; SIGUSR1 is what SLURM sends
ahead of a job's time limit (``--signal=USR1@90``). While a run executes in the main
thread, either raises :class:`Terminated` there instead, so the run stops like on
Ctrl-C: metrics flushed, status INTERRUPTED, observers told (a training run saves a
checkpoint first, to resume from); the process then exits with 128 + the signal.

Python runs a signal's handler only when the main thread gets back to Python code. A main
thread blocked in C (a DDP collective whose peer hangs: gloo gives up after 30 minutes)
never gets there, and the run would stay RUNNING until the scheduler's SIGKILL. So a
watching thread learns of each stopping signal as it arrives (``signal.set_wakeup_fd``:
the C-level handler writes to it even then); when the main thread has not run the
handler within a grace period (``--signal-grace``, 10 s by default; SLURM sends SIGKILL
30 s after SIGTERM), the watcher records the run as INTERRUPTED itself and ends the
process with 128 + the signal. The checkpoint a training run saves on the way out is then
lost; the one before it is whole. A main thread that ran the handler is alive (a long
training step holds the signal until it ends) and is left to stop by itself; one that
holds the GIL in C code stops every thread, the watcher too.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress

STOPPING = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGUSR1") if hasattr(signal, name))  # no USR1 on Windows
DEFAULT_SIGNAL_GRACE = 10.0
"""Seconds the main thread has to run a SIGTERM's or SIGUSR1's handler before the run is ended from another
thread (``--signal-grace``)."""


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
        self.answered = threading.Event()  # the main thread ran a signal's handler, or the run's end is under way
        self.deciding = threading.RLock()  # the watcher ends a stuck run only while nothing is answered

    def hold(self) -> None:
        """From now on a SIGTERM waits for the end of the block (the run's record is being finished)."""
        self._answer()
        self.holding = True

    def _answer(self) -> None:
        with self.deciding:
            self.answered.set()

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
        self._answer()
        if self.holding:
            self.held = signum
            return
        raise Terminated(signum)


@contextmanager
def terminate_gracefully(on_stuck: Callable[[int], None] | None = None,
                         grace: float = DEFAULT_SIGNAL_GRACE) -> Iterator[SignalGuard]:
    """Within the block, SIGTERM and SIGUSR1 raise :class:`Terminated` (main thread only; elsewhere
    nothing changes). With ``on_stuck``, a signal whose handler the main thread has not run within
    ``grace`` seconds calls ``on_stuck(signum)`` from a watching thread, and the process exits with
    128 + the signal (see the module's docstring)."""
    guard = SignalGuard()
    if threading.current_thread() is not threading.main_thread():
        yield guard
        return
    previous = {signum: signal.signal(signum, guard.handle) for signum in STOPPING}
    watching: AbstractContextManager = (_StuckRunWatcher(guard, on_stuck, grace) if on_stuck and os.name == "posix"
                                        else nullcontext())
    try:
        with watching:
            yield guard
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if guard.held is not None:
        raise Terminated(guard.held)


def _forget_the_parents_wakeup_fd() -> None:
    """In a forked child (a DataLoader worker, a ``multiprocessing`` process): the wakeup fd it
    inherits is its parent's pipe, where the child's own signals would be read as the parent's
    (a worker sent SIGTERM would end its parent's run). Any wakeup fd inherited that way is the
    parent's, so it is cleared whoever set it."""
    with suppress(ValueError):  # forked from a thread that Python does not take for the main one
        signal.set_wakeup_fd(-1)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_the_parents_wakeup_fd)


class _StuckRunWatcher:
    """The thread that ends a run whose main thread cannot answer a stopping signal."""

    def __init__(self, guard: SignalGuard, on_stuck: Callable[[int], None], grace: float) -> None:
        self.guard, self.on_stuck, self.grace = guard, on_stuck, grace
        self.closing = False

    def __enter__(self) -> _StuckRunWatcher:
        self.read, self.write = os.pipe()
        os.set_blocking(self.write, False)  # the C-level handler must never wait
        self.previous = signal.set_wakeup_fd(self.write, warn_on_full_buffer=False)
        self.thread = threading.Thread(target=self._watch, name="ba3l-signal-watcher", daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        signal.set_wakeup_fd(self.previous)
        self.closing = True
        with suppress(BlockingIOError):  # a full pipe wakes the thread as well
            os.write(self.write, b"\0")  # 0 is no signal
        self.thread.join()
        os.close(self.read)
        os.close(self.write)

    def _watch(self) -> None:
        while not self.closing:
            arrived = [signum for signum in os.read(self.read, 64) if signum in STOPPING]
            if not arrived or self.closing:
                continue
            if self.guard.answered.wait(self.grace):
                return  # the main thread is alive: the run stops by itself
            with self.guard.deciding:  # the main thread, waking now, waits here and never runs again
                if self.guard.answered.is_set() or self.closing:
                    return
                try:
                    self.on_stuck(arrived[0])
                finally:
                    os._exit(128 + arrived[0])

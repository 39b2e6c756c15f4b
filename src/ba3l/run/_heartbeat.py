"""A background thread that calls a function at intervals, and sooner when woken."""

from __future__ import annotations

import threading
from collections.abc import Callable


class Heartbeat:
    """Calls ``beat()`` every ``interval`` seconds until stopped; ``wake()`` calls it soon.

    The main thread never waits for a beat, except in ``stop()``, which waits for the
    beat in progress to end.
    """

    def __init__(self, beat: Callable[[], None], interval: float):
        self.beat = beat
        self.interval = interval
        self._wake = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name="ba3l-heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """Beat now rather than at the next interval (e.g. when many metrics are waiting)."""
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join()

    def _loop(self) -> None:
        while not self._stopping:
            self._wake.wait(self.interval)
            self._wake.clear()
            if not self._stopping:
                self.beat()

"""The seam between a run and the places that record it.

A run tells its observers about each step of its life through :class:`RunObserver`,
a base class whose methods do nothing; an observer overrides what it records. Each
call receives a :class:`RunRecord`, a snapshot of the run at that moment, so an
observer never holds on to the live run. Observers live in ``ba3l.observers``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

from ba3l.config import EMPTY


class RunRecord(NamedTuple):
    """A snapshot of a run: what observers store."""

    experiment: dict
    command: str
    status: str
    config: dict
    meta: dict
    id: Any = None
    start_time: datetime | None = None
    stop_time: datetime | None = None
    heartbeat: datetime | None = None
    result: Any = None
    fail_trace: tuple[str, ...] = ()
    info: Mapping = EMPTY


class RunObserver:
    """Receives the events of a run. Override what you record; the rest do nothing."""

    def started(self, record: RunRecord) -> Any:
        """The run has started; return an id for it, or ``None`` to leave that to others."""
        return None

    def heartbeat(self, record: RunRecord) -> None:
        """The run is alive (called at intervals)."""

    def completed(self, record: RunRecord) -> None:
        """The run finished; ``record.result`` holds the command's result."""

    def interrupted(self, record: RunRecord) -> None:
        """The run was stopped by the user or a signal."""

    def failed(self, record: RunRecord) -> None:
        """The command raised; ``record.fail_trace`` holds the traceback."""

"""The seam between a run and the places that record it.

A run tells its observers about each step of its life through :class:`RunObserver`,
a base class whose methods do nothing; an observer overrides what it records. The
life-cycle calls receive a :class:`RunRecord`, a snapshot of the run at that moment,
so an observer never holds on to the live run; the others name the run by its id.
Observers live in ``ba3l.observers``.

Order of calls for one run: ``started`` first; then, in any mix, ``heartbeat``,
``log_metrics``, ``log_output``, ``artifact_added`` and ``resource_added``; and
``completed``, ``interrupted`` or ``failed`` last. The run makes one call at a time.
Every argument is JSON data, datetimes and :class:`MetricPoint` s aside, so that a
call can be written down and replayed later (see ``ba3l.observers`` on spooling).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from ba3l.config import EMPTY


class MetricPoint(NamedTuple):
    """One value of a metric: ``name`` at ``step``, logged at ``time`` (naive UTC)."""

    name: str
    step: int
    value: float
    time: datetime


class RunRecord(NamedTuple):
    """A snapshot of a run: what observers store.

    Attributes:
        experiment: ``name``, ``base_dir``, ``mainfile``, ``sources`` (``[path, md5]`` pairs),
            ``dependencies`` (``name==version``), ``repositories`` (git state).
        command: the command's name.
        status: ``QUEUED``, ``RUNNING``, ``COMPLETED``, ``FAILED`` or ``INTERRUPTED``.
        config: the resolved config, secrets masked.
        meta: ``command``, ``options``, ``named_configs``, ``config_updates``, ``comment``.
        id: the run's id, once an observer has given one.
        host: where it runs (hostname, OS, Python, CPU, GPUs, chosen environment variables).
        local_dir: the folder of the run's local record (file storage), where observers
            that talk to a server keep what they could not send.
        heartbeat_interval: seconds between heartbeats.
        result: what the command returned (JSON data, or its ``repr``).
        fail_trace: the traceback of a failed run, line by line.
        info: the run's ``info`` dict.
        resources: ``[path, md5]`` of each file the run opened as a resource.
        artifacts: the names of the files added as artifacts.
    """

    experiment: dict
    command: str
    status: str
    config: dict
    meta: dict
    id: Any = None
    host: Mapping = EMPTY
    local_dir: str | None = None
    heartbeat_interval: float = 10.0
    start_time: datetime | None = None
    stop_time: datetime | None = None
    heartbeat: datetime | None = None
    result: Any = None
    fail_trace: tuple[str, ...] = ()
    info: Mapping = EMPTY
    resources: tuple[tuple[str, str], ...] = ()
    artifacts: tuple[str, ...] = ()


class RunObserver:
    """Receives the events of a run. Override what you record; the rest do nothing.

    An observer may raise when its backend fails: the run logs it and goes on, and an
    observer wrapped for spooling keeps the event to send it later.
    """

    def started(self, record: RunRecord) -> Any:
        """The run has started; return an id for it, or ``None`` to leave that to others."""
        return None

    def heartbeat(self, record: RunRecord) -> None:
        """The run is alive (called every ``record.heartbeat_interval`` seconds)."""

    def log_metrics(self, run_id: Any, points: Sequence[MetricPoint]) -> None:
        """New metric values, in the order they were logged."""

    def log_output(self, run_id: Any, text: str) -> None:
        """More of what the run printed (progress bars already reduced to their last state)."""

    def artifact_added(self, run_id: Any, name: str, path: str) -> None:
        """The file at ``path`` is stored with the run as ``name``."""

    def resource_added(self, run_id: Any, path: str, md5: str) -> None:
        """The run read the file at ``path`` (its content's md5 given)."""

    def completed(self, record: RunRecord) -> None:
        """The run finished; ``record.result`` holds the command's result."""

    def interrupted(self, record: RunRecord) -> None:
        """The run was stopped by the user or a signal."""

    def failed(self, record: RunRecord) -> None:
        """The command raised; ``record.fail_trace`` holds the traceback."""

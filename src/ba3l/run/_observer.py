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

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from ba3l.config import EMPTY


class MetricPoint(NamedTuple):
    """One value of a metric: ``name`` at ``step``, logged at ``time``.

    ``time`` is in seconds since the epoch (``time.time()``): making a datetime for every
    value would cost more than logging it. ``metric_time(point.time)`` gives naive UTC.
    """

    name: str
    step: int
    value: float
    time: float


Columns = dict[str, tuple[list[int], list[float], list[float]]]
"""``{name: (steps, values, times)}``: metric values by name, as parallel lists."""


class MetricBatch(Sequence[MetricPoint]):
    """The metric values of one flush: a sequence of :class:`MetricPoint` (each metric's
    values in the order they were logged), made only when asked for. ``by_name()`` gives
    the columns themselves, the cheap form for an observer that writes them in bulk."""

    def __init__(self, columns: Columns):
        self._columns = columns
        self._points: list[MetricPoint] | None = None

    @classmethod
    def of(cls, points: Iterable[MetricPoint]) -> MetricBatch:
        """A batch of ``points`` (already one, it is given back as it is)."""
        if isinstance(points, MetricBatch):
            return points
        columns: Columns = {}
        for name, step, value, seconds in points:
            series = columns.get(name) or columns.setdefault(name, ([], [], []))
            series[0].append(step)
            series[1].append(value)
            series[2].append(seconds)
        return cls(columns)

    def by_name(self) -> Columns:
        """``{name: (steps, values, times)}``."""
        return self._columns

    def __len__(self) -> int:
        return sum(len(steps) for steps, _, _ in self._columns.values())

    def __getitem__(self, index: Any) -> Any:
        if self._points is None:
            self._points = list(self)
        return self._points[index]

    def __iter__(self) -> Iterator[MetricPoint]:
        for name, (steps, values, times) in self._columns.items():
            for step, value, seconds in zip(steps, values, times):
                yield MetricPoint(name, step, value, seconds)


_EPOCH = datetime(1970, 1, 1)


def metric_time(seconds: float) -> datetime:
    """A metric point's time as a naive UTC datetime, as run records hold times."""
    return _EPOCH + timedelta(seconds=seconds)


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
        """The run finished; ``record.result`` holds the command's result. Calls :meth:`finished`."""
        self.finished(record)

    def interrupted(self, record: RunRecord) -> None:
        """The run was stopped by the user or a signal. Calls :meth:`finished`."""
        self.finished(record)

    def failed(self, record: RunRecord) -> None:
        """The command raised; ``record.fail_trace`` holds the traceback. Calls :meth:`finished`."""
        self.finished(record)

    def finished(self, record: RunRecord) -> None:
        """The run ended, whichever way (``record.status`` says which): where an observer that
        records all three alike does it."""

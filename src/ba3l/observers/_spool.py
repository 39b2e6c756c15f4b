"""Spooling: an observer whose backend fails keeps its events on disk and sends them later.

:class:`Spooled` wraps an observer that talks to a server (SQL, MLflow). When a call
fails (server down, refused, timed out), the event goes to a spool file in the run's
local folder (``<run dir>/spool-<name>.jsonl``, one JSON line per event), and every
later event queues behind it, so the order is kept. At each later event, once the
back-off delay has passed, the spool is replayed in order; when it is empty the file
is removed. Whatever is still unsent when the run ends is reported with the file's
path, and ``ba3l push <spool file>`` sends it later.

The spool's first line says which observer it is for (its class and arguments, with
secrets masked), so ``push`` can make it again.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ba3l.config import import_object, write_text_atomic
from ba3l.run import MetricBatch, MetricPoint, RunObserver, RunRecord

log = logging.getLogger("ba3l.observers")

LAST_EVENTS = ("completed", "interrupted", "failed")


class Spooled(RunObserver):
    """``observer``, with its failed events kept in a spool file and sent again later.

    Args:
        observer: the observer to wrap; it should raise when its backend fails and
            offer ``spool_header()``: its import path and arguments, secrets masked.
        name: the spool file is ``spool-<name>.jsonl``.
        first_delay, max_delay: the back-off between tries, doubled after each failure.
        clock: seconds, monotonic (tests give their own).
    """

    needs_local_dir = True  # starts after the local record, whose folder holds the spool

    def __init__(self, observer: RunObserver, name: str, first_delay: float = 1.0, max_delay: float = 60.0,
                 clock: Callable[[], float] = time.monotonic):
        self.observer = observer
        self.name = name
        self.first_delay, self.max_delay = first_delay, max_delay
        self.clock = clock
        self._spools: dict[Any, _Spool] = {}  # by run id

    def spool_path(self, run_id: Any) -> str | None:
        """The spool file of the run ``run_id``, while it has one."""
        spool = self._spools.get(run_id)
        return spool.path if spool and spool.pending else None

    # events ------------------------------------------------------------------------

    def started(self, record: RunRecord) -> Any:
        folder = record.local_dir or os.path.join(os.environ.get("BA3L_RUNS", "runs"), "_spool")
        path = os.path.join(folder, f"spool-{self.name}.jsonl" if record.local_dir else f"{record.id}-{self.name}.jsonl")
        self._spools[record.id] = _Spool(path, _header(self.observer, record.id), self.first_delay)
        self._deliver(record.id, "started", (record,))
        return None  # the local record gives the id

    def heartbeat(self, record: RunRecord) -> None:
        self._deliver(record.id, "heartbeat", (record,))

    def log_metrics(self, run_id: Any, points: Any) -> None:
        self._deliver(run_id, "log_metrics", (run_id, list(points)))

    def log_output(self, run_id: Any, text: str) -> None:
        self._deliver(run_id, "log_output", (run_id, text))

    def artifact_added(self, run_id: Any, name: str, path: str) -> None:
        self._deliver(run_id, "artifact_added", (run_id, name, path))

    def resource_added(self, run_id: Any, path: str, md5: str) -> None:
        self._deliver(run_id, "resource_added", (run_id, path, md5))

    def completed(self, record: RunRecord) -> None:
        self._finish(record, "completed")

    def interrupted(self, record: RunRecord) -> None:
        self._finish(record, "interrupted")

    def failed(self, record: RunRecord) -> None:
        self._finish(record, "failed")

    # delivery ------------------------------------------------------------------------

    def _deliver(self, run_id: Any, event: str, args: tuple, force: bool = False) -> None:
        spool = self._spools.get(run_id)
        if spool is None:  # an event for a run this observer did not see start
            getattr(self.observer, event)(*args)
            return
        if spool.pending:
            spool.append(event, args)
            self._replay(spool, force)
            return
        try:
            getattr(self.observer, event)(*args)
        except Exception as error:
            spool.append(event, args)
            spool.failed(self.clock(), self.max_delay)
            log.warning("%s is not reachable (%s); its events go to %s and are sent when it is back",
                        self.name, _one_line(error), spool.path)

    def _replay(self, spool: _Spool, force: bool = False) -> None:
        if not force and self.clock() < spool.next_try:
            return
        sent = 0
        try:
            for event, args in spool.pending:
                getattr(self.observer, event)(*args)
                sent += 1
        except Exception:
            spool.failed(self.clock(), self.max_delay)
        finally:
            spool.sent(sent)
        if not spool.pending:
            log.info("%s is back: the spooled events were sent", self.name)

    def _finish(self, record: RunRecord, event: str) -> None:
        self._deliver(record.id, event, (record,), force=True)
        spool = self._spools.pop(record.id, None)
        if spool and spool.pending:
            log.warning("%d events for %s were not sent; they are kept in %s; send them with: ba3l push %s",
                        len(spool.pending), self.name, spool.path, spool.path)


class _Spool:
    """The unsent events of one run, in memory and, while there are any, in a file."""

    def __init__(self, path: str, header: dict, first_delay: float):
        self.path = path
        self.header = header
        self.pending: list[tuple[str, tuple]] = []
        self.first_delay = self.delay = first_delay
        self.next_try = 0.0

    def append(self, event: str, args: tuple) -> None:
        self.pending.append((event, args))
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        if len(self.pending) == 1:
            write_text_atomic(self.path, _line(self.header))
        with open(self.path, "a", encoding="utf-8") as file:  # appended: a kill loses at most this line
            file.write(_line(encode_event(event, args)))

    def failed(self, now: float, max_delay: float) -> None:
        self.next_try = now + self.delay
        self.delay = min(self.delay * 2, max_delay)

    def sent(self, count: int) -> None:
        if not count:
            return
        self.pending = self.pending[count:]
        self.delay = self.first_delay
        if self.pending:
            lines = [_line(self.header)] + [_line(encode_event(e, a)) for e, a in self.pending]
            write_text_atomic(self.path, "".join(lines))
        else:
            os.unlink(self.path)


# the file format -------------------------------------------------------------------------


def encode_event(event: str, args: tuple) -> dict:
    """An observer call as JSON data."""
    return {"event": event, "args": [_encode(arg) for arg in args]}


def decode_event(data: dict) -> tuple[str, tuple]:
    """The observer call that :func:`encode_event` wrote down."""
    return data["event"], tuple(_decode(arg) for arg in data["args"])


def _encode(value: Any) -> Any:
    if isinstance(value, RunRecord):
        fields = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in value._asdict().items()}
        return {"__record__": {**fields, "host": dict(value.host), "info": dict(value.info)}}
    if isinstance(value, MetricBatch) or (isinstance(value, list) and value and isinstance(value[0], MetricPoint)):
        return {"__points__": [list(point) for point in value]}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and "__record__" in value:
        fields = dict(value["__record__"])
        for key in ("start_time", "stop_time", "heartbeat"):
            fields[key] = datetime.fromisoformat(fields[key]) if fields.get(key) else None
        fields["fail_trace"] = tuple(fields.get("fail_trace") or ())
        fields["resources"] = tuple(tuple(r) for r in fields.get("resources") or ())
        fields["artifacts"] = tuple(fields.get("artifacts") or ())
        return RunRecord(**fields)
    if isinstance(value, dict) and "__points__" in value:
        return [MetricPoint(*point) for point in value["__points__"]]
    return value


def _header(observer: RunObserver, run_id: Any) -> dict:
    describe = getattr(observer, "spool_header", None)
    about = describe() if describe else {"factory": f"{type(observer).__module__}.{type(observer).__qualname__}"}
    return {"spool": 1, "run_id": run_id, "observer": about}


def _line(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, default=repr) + "\n"


def _one_line(error: BaseException) -> str:
    return " ".join(f"{type(error).__name__}: {error}".split())[:200]


# pushing a spool later -------------------------------------------------------------------------


def push(path: str, **arguments: Any) -> int:
    """Send the events kept in the spool file ``path`` with the observer it names; return how
    many were sent. ``arguments`` replace the observer's stored ones (a URL with its password).

    The file is removed when everything was sent; on a failure it keeps what is left.
    """
    with open(path, encoding="utf-8") as file:
        lines = [json.loads(line) for line in file if line.strip()]
    header, events = lines[0], [decode_event(line) for line in lines[1:]]
    about = dict(header["observer"])
    factory = import_object(about.pop("factory"))
    if "url" in arguments and "url" not in about:  # the server's address, whatever the observer calls it
        key = next((k for k, v in about.items() if isinstance(v, str) and "://" in v), "url")
        arguments[key] = arguments.pop("url")
    observer = factory(**{**about, **arguments})
    spool = _Spool(path, header, 0.0)
    spool.pending = list(events)
    sent = 0
    try:
        for event, args in events:
            getattr(observer, event)(*args)
            sent += 1
    finally:
        spool.sent(sent)
    return sent

"""SQL storage: runs recorded in a SQL database through SQLAlchemy (SQLite, PostgreSQL).

``SqlObserver("sqlite:///runs.db")`` or ``SqlObserver("postgresql://user:pw@host/db")``
(PostgreSQL goes through psycopg 3; ``postgresql://`` URLs are read as
``postgresql+psycopg://``). On the command line, ``-s URL`` wraps it in
:class:`~ba3l.observers.Spooled`, so that a database that is down loses nothing.

The tables, made when missing:

``runs``
    One row per run start. Its key ``id`` belongs to the database: run ids come from
    each machine's local file storage (``1``, ``2`` ... in every storage folder), so
    neither the run id nor the pair (experiment, run id) is unique in a database that
    many experiments and machines share. ``run_id`` keeps the run's own id as text.
    Then ``experiment`` (its name), ``command``, ``status``, ``config``, ``meta``,
    ``experiment_info`` (run.json's ``experiment``), ``host``, ``local_dir``,
    ``start_time``, ``stop_time``, ``heartbeat`` (naive UTC), ``result``, ``fail_trace``,
    ``info`` and ``captured_out``.
``metrics``
    ``run``, ``name``, ``step``, ``value``, ``time``; ``id`` keeps the order of logging.
``output``
    What the run printed, one row per ``log_output`` call while it runs; its last event
    gathers them into ``runs.captured_out``. Appending to one text value instead would
    rewrite all of it at every call, quadratic over a long run.
``artifacts``
    ``run``, ``name``, ``path`` (where the file was), ``size`` and ``content``: the
    file's bytes, so the database alone holds the run. Files over ``max_artifact_bytes``
    (and files gone before they could be read) are recorded without content.
``resources``, ``sources``
    ``run``, ``path``, ``md5``.
``host``
    ``run``, ``hostname``, ``os``, ``python``, ``cpu``, ``gpus``: the host's main facts,
    one row per run, for queries; ``runs.host`` keeps all of it.

Every event is one transaction. The observer raises when the database fails, so that
:class:`~ba3l.observers.Spooled` keeps the event and sends it again; events sent again
do not duplicate a run (``started`` updates the run's row when it already exists).
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from ba3l.run import MetricPoint, RunObserver, RunRecord, metric_time

log = logging.getLogger("ba3l.observers")

MAX_ARTIFACT_BYTES = 256 * 2**20
ENDED = ("COMPLETED", "FAILED", "INTERRUPTED")

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")
_ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite numbers only INTEGER keys itself

metadata = sa.MetaData()


def _run_column() -> sa.Column:
    return sa.Column("run", sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False, index=True)


runs = sa.Table(
    "runs", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.Text, index=True),
    sa.Column("experiment", sa.Text, nullable=False, index=True),
    sa.Column("command", sa.Text),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("config", _JSON),
    sa.Column("meta", _JSON),
    sa.Column("experiment_info", _JSON),
    sa.Column("host", _JSON),
    sa.Column("local_dir", sa.Text),
    sa.Column("start_time", sa.DateTime),
    sa.Column("stop_time", sa.DateTime),
    sa.Column("heartbeat", sa.DateTime),
    sa.Column("result", _JSON),
    sa.Column("fail_trace", sa.Text),
    sa.Column("info", _JSON),
    sa.Column("captured_out", sa.Text),
)

metrics = sa.Table(
    "metrics", metadata,
    sa.Column("id", _ROW_ID, primary_key=True),
    _run_column(),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("step", sa.BigInteger, nullable=False),
    sa.Column("value", sa.Double),  # SQLite stores NaN as NULL
    sa.Column("time", sa.DateTime, nullable=False),
)

output = sa.Table(
    "output", metadata,
    sa.Column("id", _ROW_ID, primary_key=True),
    _run_column(),
    sa.Column("text", sa.Text, nullable=False),
)

artifacts = sa.Table(
    "artifacts", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _run_column(),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("path", sa.Text),
    sa.Column("size", sa.BigInteger),
    sa.Column("content", sa.LargeBinary),
    sa.UniqueConstraint("run", "name"),
)

resources = sa.Table(
    "resources", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _run_column(),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("md5", sa.String(32)),
)

sources = sa.Table(
    "sources", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _run_column(),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("md5", sa.String(32)),
)

host = sa.Table(
    "host", metadata,
    sa.Column("run", sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("hostname", sa.Text),
    sa.Column("os", sa.Text),
    sa.Column("python", sa.Text),
    sa.Column("cpu", sa.Text),
    sa.Column("gpus", _JSON),
)


class SqlObserver(RunObserver):
    """Record runs in the SQL database at ``url`` (a SQLAlchemy URL).

    Nothing connects until the first event, so making one never fails; the tables are
    created then if missing. Every event raises when the database fails (wrap the
    observer in :class:`~ba3l.observers.Spooled` to keep such events for later).

    Args:
        url: ``sqlite:///path.db``, ``postgresql://user:password@host:port/database`` ...
        connect_timeout: seconds to wait for a connection before giving up (PostgreSQL
            counts whole seconds, at least two), or for a lock (SQLite).
        max_artifact_bytes: artifacts larger than this are recorded without content.

    Example:
        >>> ex.observers.append(SqlObserver("sqlite:///runs.db"))   # doctest: +SKIP
    """

    def __init__(self, url: str, *, connect_timeout: float = 5.0, max_artifact_bytes: int = MAX_ARTIFACT_BYTES):
        self.url = url
        self.connect_timeout = connect_timeout
        self.max_artifact_bytes = max_artifact_bytes
        self._engine: sa.Engine | None = None
        self._keys: dict[Any, int] = {}  # run id -> runs.id, for the runs seen starting

    def __repr__(self) -> str:
        return f"SqlObserver({masked_url(self.url)!r})"

    def spool_header(self) -> dict:
        """How :func:`ba3l.observers.push` makes this observer again; the password is masked."""
        return {"factory": "ba3l.observers.SqlObserver", "url": masked_url(self.url)}

    def close(self) -> None:
        """Close the database connections (a later event opens new ones)."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    # events ------------------------------------------------------------------------

    def started(self, record: RunRecord) -> Any:
        """Insert the run's row (or update it, when this start is sent again); return the
        database's key as the run's id when the run has none yet."""
        values = _run_values(record)
        with self._connected().begin() as connection:
            key = _find_start(connection, record)
            if key is None:
                key = connection.execute(runs.insert().values(values)).inserted_primary_key[0]
            else:
                connection.execute(runs.update().where(runs.c.id == key).values(values))
            if record.id is None:
                connection.execute(runs.update().where(runs.c.id == key).values(run_id=str(key)))
            _replace_sources(connection, key, record.experiment.get("sources") or ())
            _replace_host(connection, key, record.host)
        self._keys[record.id] = key
        return key if record.id is None else None

    def heartbeat(self, record: RunRecord) -> None:
        values = {"heartbeat": record.heartbeat or _now(), "info": dict(record.info), "result": record.result}
        self._update_run(record.id, values)

    def log_metrics(self, run_id: Any, points: Sequence[MetricPoint]) -> None:
        if not points:
            return
        with self._connected().begin() as connection:
            key = self._key(connection, run_id)
            rows = [{"run": key, "name": p.name, "step": int(p.step), "value": float(p.value), "time": metric_time(p.time)}
                    for p in points]
            connection.execute(metrics.insert(), rows)

    def log_output(self, run_id: Any, text: str) -> None:
        if not text:
            return
        with self._connected().begin() as connection:
            key = self._key(connection, run_id)
            text = text.replace("\0", "\ufffd")  # PostgreSQL's text cannot hold NUL
            connection.execute(output.insert().values(run=key, text=text))

    def artifact_added(self, run_id: Any, name: str, path: str) -> None:
        size, content = _read_artifact(path, self.max_artifact_bytes)
        with self._connected().begin() as connection:
            key = self._key(connection, run_id)
            connection.execute(artifacts.delete().where(artifacts.c.run == key, artifacts.c.name == name))
            connection.execute(artifacts.insert().values(run=key, name=name, path=path, size=size, content=content))

    def resource_added(self, run_id: Any, path: str, md5: str) -> None:
        with self._connected().begin() as connection:
            key = self._key(connection, run_id)
            known = sa.select(resources.c.id).where(resources.c.run == key, resources.c.path == path,
                                                    resources.c.md5 == md5)
            if connection.execute(known).first() is None:
                connection.execute(resources.insert().values(run=key, path=path, md5=md5))

    # the database --------------------------------------------------------------------

    def _connected(self) -> sa.Engine:
        if self._engine is None:
            engine = make_engine(self.url, self.connect_timeout)
            try:
                _create_tables(engine)
            except BaseException:
                engine.dispose()
                raise
            self._engine = engine
        return self._engine

    def _key(self, connection: sa.Connection, run_id: Any) -> int:
        """The ``runs.id`` of the run ``run_id``, also for a run this observer did not see
        start (events pushed from a spool file after the run's start reached the database)."""
        if run_id in self._keys:
            return self._keys[run_id]
        unfinished_first = sa.case((runs.c.status.in_(ENDED), 1), else_=0)
        newest = (sa.select(runs.c.id).where(runs.c.run_id == str(run_id))
                  .order_by(unfinished_first, runs.c.id.desc()).limit(1))
        key = connection.execute(newest).scalar()
        if key is None:
            raise LookupError(f"the database holds no run {run_id!r}: its start was never recorded")
        self._keys[run_id] = key
        return key

    def _update_run(self, run_id: Any, values: dict) -> None:
        with self._connected().begin() as connection:
            key = self._key(connection, run_id)
            connection.execute(runs.update().where(runs.c.id == key).values(values))

    def finished(self, record: RunRecord) -> None:
        values = {
            "status": record.status,
            "stop_time": record.stop_time,
            "heartbeat": record.heartbeat or record.stop_time,
            "result": record.result,
            "fail_trace": "".join(record.fail_trace) or None,
            "info": dict(record.info),
        }
        with self._connected().begin() as connection:
            key = self._key(connection, record.id)
            connection.execute(runs.update().where(runs.c.id == key).values(values))
            _gather_output(connection, key)
        self._keys.pop(record.id, None)


def make_engine(url: str, connect_timeout: float = 5.0) -> sa.Engine:
    """A SQLAlchemy engine for ``url`` that fails fast when the database is unreachable."""
    parsed = database_url(url)
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "postgresql":
        connect_args["connect_timeout"] = max(1, math.ceil(connect_timeout))  # libpq takes whole seconds
    elif parsed.get_backend_name() == "sqlite":
        connect_args["timeout"] = connect_timeout
    return sa.create_engine(parsed, pool_pre_ping=True, connect_args=connect_args, json_serializer=_json_dumps)


def database_url(url: str) -> sa.URL:
    """``url`` parsed, with PostgreSQL's driver set to psycopg 3 when the URL names none."""
    parsed = sa.make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def masked_url(url: str) -> str:
    """``url`` with its password shown as ``***``."""
    return sa.make_url(url).render_as_string(hide_password=True)


def _create_tables(engine: sa.Engine) -> None:
    try:
        metadata.create_all(engine)
    except (sa.exc.ProgrammingError, sa.exc.IntegrityError):
        metadata.create_all(engine)  # another process created them at the same moment: the tables are there now


def _find_start(connection: sa.Connection, record: RunRecord) -> int | None:
    """The row of this very start, when it was recorded before (a start sent again)."""
    query = sa.select(runs.c.id).where(runs.c.experiment == _name(record), runs.c.start_time == record.start_time)
    if record.id is not None:
        query = query.where(runs.c.run_id == str(record.id))
    return connection.execute(query.order_by(runs.c.id.desc()).limit(1)).scalar()


def _run_values(record: RunRecord) -> dict:
    values = {
        "experiment": _name(record),
        "command": record.command,
        "status": record.status,
        "config": record.config,
        "meta": record.meta,
        "experiment_info": record.experiment,
        "host": dict(record.host),
        "local_dir": record.local_dir,
        "start_time": record.start_time,
        "heartbeat": record.heartbeat or record.start_time,
        "info": dict(record.info),
    }
    if record.id is not None:
        values["run_id"] = str(record.id)
    return values


def _name(record: RunRecord) -> str:
    return str(record.experiment.get("name") or "")


def _replace_sources(connection: sa.Connection, key: int, pairs: Sequence[Sequence[str]]) -> None:
    connection.execute(sources.delete().where(sources.c.run == key))
    if pairs:
        connection.execute(sources.insert(), [{"run": key, "path": path, "md5": md5} for path, md5 in pairs])


def _replace_host(connection: sa.Connection, key: int, facts: Mapping) -> None:
    connection.execute(host.delete().where(host.c.run == key))
    if facts:
        connection.execute(host.insert().values(run=key, **_host_row(facts)))


def _host_row(facts: Mapping) -> dict:
    """The main facts of a host, under sacred's names or the short ones."""
    system = facts.get("os")
    return {
        "hostname": facts.get("hostname"),
        "os": " ".join(map(str, system)) if isinstance(system, (list, tuple)) else system,
        "python": facts.get("python_version") or facts.get("python"),
        "cpu": facts.get("cpu"),
        "gpus": facts.get("gpus"),
    }


def _gather_output(connection: sa.Connection, key: int) -> None:
    chunks = connection.execute(sa.select(output.c.text).where(output.c.run == key).order_by(output.c.id)).scalars()
    text = "".join(chunks)
    if text:
        captured = sa.func.coalesce(runs.c.captured_out, "") + text
        connection.execute(runs.update().where(runs.c.id == key).values(captured_out=captured))
        connection.execute(output.delete().where(output.c.run == key))


def _read_artifact(path: str, limit: int) -> tuple[int | None, bytes | None]:
    """The file's size and content; no content when it is over ``limit`` or unreadable."""
    try:
        size = os.path.getsize(path)
        if size > limit:
            return size, None
        with open(path, "rb") as file:
            return size, file.read()
    except OSError as error:
        # recorded without content: raising would hold every later event in the spool for good
        log.warning("artifact %s could not be read (%s); it is recorded without its content", path, error)
        return None, None


def _json_dumps(value: Any) -> str:
    try:
        return json.dumps(value, default=repr, allow_nan=False)
    except ValueError:  # NaN or infinity: PostgreSQL's JSON refuses them, so they become strings
        return json.dumps(_finite(value), default=repr)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, Mapping):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)

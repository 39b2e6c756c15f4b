"""SqlObserver: runs recorded in SQLite and in a real PostgreSQL server, read back with
SQLAlchemy; a server that goes down and comes back loses nothing (spooling and push)."""

from __future__ import annotations

import itertools
import json
import math
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from postgres import PostgresServer, free_port

import ba3l
from ba3l import Experiment
from ba3l.observers import Spooled, SqlObserver, push
from ba3l.run import MetricPoint, RunRecord

T0 = datetime(2024, 5, 1, 12, 0, 0, 123456)
RUN_ID = 7
SOURCES = [["digits.py", "0" * 32], ["model.py", "f" * 32]]
HOST = {"hostname": "box", "os": ["Linux", "Linux-6.1-x86_64"], "python_version": "3.11.2", "cpu": "Xeon",
        "gpus": {"driver_version": None, "gpus": []}}
_databases = itertools.count()


def epoch(moment: datetime) -> float:
    """A naive UTC datetime as a metric point's time."""
    return (moment - datetime(1970, 1, 1)).total_seconds()


@pytest.fixture(scope="module")
def postgres():
    """One private PostgreSQL server for the module; each test takes a database of its own."""
    with PostgresServer() as server:
        yield server


def new_database(server: PostgresServer) -> str:
    return server.create_database(f"db{next(_databases)}")


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'runs.db'}"
    return new_database(request.getfixturevalue("postgres"))


def record(**changes) -> RunRecord:
    """A running run's snapshot, as the run layer makes it."""
    running = RunRecord(
        experiment={"name": "digits", "mainfile": "digits.py", "sources": SOURCES},
        command="main",
        status="RUNNING",
        config={"lr": 0.01, "hidden": 128, "optimizer": {"betas": [0.9, 0.999]}},
        meta={"command": "main", "comment": "first try"},
        id=RUN_ID,
        host=HOST,
        start_time=T0,
        heartbeat=T0,
    )
    return running._replace(**changes)


def ended(status: str = "COMPLETED", **changes) -> RunRecord:
    return record(status=status, stop_time=T0 + timedelta(minutes=5), heartbeat=T0 + timedelta(minutes=5), **changes)


def points(name: str, steps: range | list[int]) -> list[MetricPoint]:
    return [MetricPoint(name, step, step / 10, epoch(T0 + timedelta(seconds=step))) for step in steps]


def read(url: str) -> dict[str, list[dict]]:
    """Every table's rows, in the order of their first column, through tables reflected
    from the database (not the observer's own definitions)."""
    engine = sa.create_engine(url)
    try:
        tables = sa.MetaData()
        tables.reflect(engine)
        with engine.connect() as connection:
            return {name: [dict(row._mapping) for row in connection.execute(
                        sa.select(table).order_by(*table.primary_key.columns))]
                    for name, table in tables.tables.items()}
    finally:
        engine.dispose()


def the_run(url: str) -> dict:
    (row,) = read(url)["runs"]
    return row


def logged(rows: list[dict]) -> list[tuple[str, int, float]]:
    return [(row["name"], row["step"], row["value"]) for row in rows]


# a whole run, on both databases ------------------------------------------------------------


def test_a_whole_run_is_recorded(url, tmp_path):
    weights = tmp_path / "weights.bin"
    weights.write_bytes(bytes(range(256)) * 40)
    observer = SqlObserver(url)

    assert observer.started(record()) is None  # the local record gives the id
    assert the_run(url)["status"] == "RUNNING"
    observer.log_metrics(RUN_ID, points("loss", range(3)))
    observer.log_metrics(RUN_ID, points("acc", [0]) + points("loss", [3]))
    observer.log_output(RUN_ID, "epoch 1\n")
    observer.log_output(RUN_ID, "epoch 2\n")
    observer.heartbeat(record(heartbeat=T0 + timedelta(seconds=10), info={"best": 0.5}))
    observer.artifact_added(RUN_ID, "weights.bin", str(weights))
    observer.resource_added(RUN_ID, "/data/train.csv", "a" * 32)
    observer.resource_added(RUN_ID, "/data/train.csv", "a" * 32)  # opened twice, recorded once
    running = read(url)
    assert running["runs"][0]["heartbeat"] == T0 + timedelta(seconds=10)
    assert running["runs"][0]["info"] == {"best": 0.5}
    assert [row["text"] for row in running["output"]] == ["epoch 1\n", "epoch 2\n"]

    observer.completed(ended(result={"accuracy": 0.9}, info={"best": 0.9}))
    observer.close()

    tables = read(url)
    run = tables["runs"][0]
    assert (run["run_id"], run["experiment"], run["command"], run["status"]) == ("7", "digits", "main", "COMPLETED")
    assert run["config"] == {"lr": 0.01, "hidden": 128, "optimizer": {"betas": [0.9, 0.999]}}
    assert run["meta"] == {"command": "main", "comment": "first try"}
    assert run["experiment_info"]["mainfile"] == "digits.py"
    assert (run["start_time"], run["stop_time"]) == (T0, T0 + timedelta(minutes=5))
    assert (run["result"], run["info"], run["fail_trace"]) == ({"accuracy": 0.9}, {"best": 0.9}, None)
    assert run["captured_out"] == "epoch 1\nepoch 2\n"
    assert tables["output"] == []  # gathered into captured_out at the end
    assert run["host"] == HOST

    assert logged(tables["metrics"]) == [("loss", 0, 0.0), ("loss", 1, 0.1), ("loss", 2, 0.2),
                                         ("acc", 0, 0.0), ("loss", 3, 0.3)]
    assert [row["time"] for row in tables["metrics"]] == [T0 + timedelta(seconds=s) for s in (0, 1, 2, 0, 3)]
    assert {row["run"] for row in tables["metrics"]} == {run["id"]}

    (artifact,) = tables["artifacts"]
    assert (artifact["name"], artifact["path"], artifact["size"]) == ("weights.bin", str(weights), 10240)
    assert artifact["content"] == weights.read_bytes()
    assert [(r["path"], r["md5"]) for r in tables["resources"]] == [("/data/train.csv", "a" * 32)]
    assert [[r["path"], r["md5"]] for r in tables["sources"]] == SOURCES
    (machine,) = tables["host"]
    assert machine == {"run": run["id"], "hostname": "box", "os": "Linux Linux-6.1-x86_64", "python": "3.11.2",
                       "cpu": "Xeon", "gpus": {"driver_version": None, "gpus": []}}


@pytest.mark.parametrize(("event", "status"), [("failed", "FAILED"), ("interrupted", "INTERRUPTED")])
def test_a_run_that_does_not_complete_says_why(url, event, status):
    observer = SqlObserver(url)
    observer.started(record())
    trace = ("Traceback (most recent call last):\n", "RuntimeError: diverged\n") if status == "FAILED" else ()
    getattr(observer, event)(ended(status, fail_trace=trace))
    run = the_run(url)
    assert run["status"] == status
    assert run["fail_trace"] == ("".join(trace) or None)


def test_values_json_cannot_hold_are_kept(url):
    observer = SqlObserver(url)
    observer.started(record(config={"lr": 0.1, "note": "tab\tand ünïcode"}))
    observer.log_metrics(RUN_ID, [MetricPoint("loss", 0, math.nan, epoch(T0)), MetricPoint("loss", 1, math.inf, epoch(T0))])
    observer.completed(ended(result=math.nan))
    tables = read(url)
    assert tables["runs"][0]["result"] == "nan"
    assert tables["runs"][0]["config"]["note"] == "tab\tand ünïcode"
    nan, inf = (row["value"] for row in tables["metrics"])
    assert inf == math.inf
    assert nan is None if url.startswith("sqlite") else math.isnan(nan)  # SQLite stores NaN as NULL


def test_a_start_sent_again_updates_its_row(url):
    observer = SqlObserver(url)
    observer.started(record(config={"lr": 1}))
    again = SqlObserver(url)  # a replay after a failure comes from another observer
    again.started(record(config={"lr": 2}))
    again.log_metrics(RUN_ID, points("loss", [0]))
    tables = read(url)
    assert [row["config"] for row in tables["runs"]] == [{"lr": 2}]
    assert len(tables["sources"]) == len(SOURCES)
    assert len(tables["host"]) == 1


# run ids and keys ------------------------------------------------------------------------


def test_runs_with_the_same_id_keep_their_own_rows(tmp_path):
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    first, second = SqlObserver(url), SqlObserver(url)
    first.started(record(id=1))
    second.started(record(id=1, experiment={"name": "other"}))
    first.log_metrics(1, points("loss", [0]))
    second.log_metrics(1, points("loss", [1]))
    runs = {row["id"]: row["experiment"] for row in read(url)["runs"]}
    assert {runs[row["run"]]: row["step"] for row in read(url)["metrics"]} == {"digits": 0, "other": 1}


def test_a_run_without_an_id_takes_the_database_key(tmp_path):
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    observer = SqlObserver(url)
    key = observer.started(record(id=None))
    observer.log_metrics(key, points("loss", [0]))
    observer.completed(ended(id=key))
    run = the_run(url)
    assert (run["id"], run["run_id"], run["status"]) == (key, str(key), "COMPLETED")
    assert [row["run"] for row in read(url)["metrics"]] == [key]


def test_events_of_a_run_never_started_raise(tmp_path):
    observer = SqlObserver(f"sqlite:///{tmp_path / 'runs.db'}")
    with pytest.raises(LookupError, match="no run 99"):
        observer.log_metrics(99, points("loss", [0]))


# connections and secrets ---------------------------------------------------------------


def test_the_spool_header_masks_the_password():
    observer = SqlObserver("postgresql://ba3l:s3cret@db.example:5432/runs")
    assert observer.spool_header() == {"factory": "ba3l.observers.SqlObserver",
                                       "url": "postgresql://ba3l:***@db.example:5432/runs"}
    assert "s3cret" not in repr(observer)


def test_a_server_that_is_not_there_fails_fast_and_loudly():
    observer = SqlObserver(f"postgresql://postgres:s3cret@127.0.0.1:{free_port()}/runs", connect_timeout=2)
    begun = time.monotonic()
    with pytest.raises(sa.exc.OperationalError) as error:
        observer.started(record())
    assert time.monotonic() - begun < 2
    assert "s3cret" not in str(error.value)


# through ba3l's command line ---------------------------------------------------------------


def test_a_command_line_run_is_recorded(url, tmp_path, monkeypatch):
    monkeypatch.setenv("BA3L_RUNS", str(tmp_path / "runs"))
    ex = Experiment("cli_sql")

    @ex.config
    def config():
        hidden = 8
        label = "mlp"

    @ex.main
    def main(hidden):
        print("training")
        return 2 * hidden

    plain = url.replace("postgresql+psycopg://", "postgresql://")  # a plain URL chooses psycopg too
    done = ba3l.invoke(ex, ["with", "hidden=16", "-F", str(tmp_path / "runs"), "-s", plain])
    assert done.exit_code == 0, done.stderr
    run = the_run(url)
    assert (run["run_id"], run["experiment"], run["status"], run["result"]) == ("1", "cli_sql", "COMPLETED", 32)
    assert run["config"]["hidden"] == 16 and run["config"]["label"] == "mlp"
    assert run["meta"]["config_updates"] == {"hidden": 16}
    assert run["start_time"] <= run["stop_time"]
    assert not list(tmp_path.rglob("spool-*"))


# a server that goes down ---------------------------------------------------------------------


def test_events_while_the_server_is_down_wait_in_the_spool(postgres, tmp_path):
    url = new_database(postgres)
    secret = url.replace("postgres@", "postgres:s3cret@")  # trust authentication ignores it
    spooled = Spooled(SqlObserver(secret, connect_timeout=2), "sql", first_delay=0.0)
    spooled.started(record(local_dir=str(tmp_path)))
    spooled.log_metrics(RUN_ID, points("loss", range(0, 3)))

    postgres.stop()
    try:
        spooled.log_metrics(RUN_ID, points("loss", range(3, 6)))
        spooled.log_output(RUN_ID, "while down\n")
        spooled.log_metrics(RUN_ID, points("loss", range(6, 9)))
        spool = Path(spooled.spool_path(RUN_ID))
        header, *events = [json.loads(line) for line in spool.read_text().splitlines()]
    finally:
        postgres.start()
    assert header["observer"]["url"] == url.replace("postgres@", "postgres:***@")
    assert [event["event"] for event in events] == ["log_metrics", "log_output", "log_metrics"]
    assert "s3cret" not in spool.read_text()

    spooled.log_metrics(RUN_ID, points("loss", range(9, 12)))  # the server is back: the spool goes first
    assert spooled.spool_path(RUN_ID) is None and not spool.exists()
    spooled.completed(ended())

    tables = read(url)
    assert logged(tables["metrics"]) == [(p.name, p.step, p.value) for p in points("loss", range(12))]
    assert tables["runs"][0]["status"] == "COMPLETED"
    assert tables["runs"][0]["captured_out"] == "while down\n"


@pytest.mark.parametrize("down_from", ["start", "middle"])
def test_a_spool_left_at_the_end_is_pushed_later(postgres, tmp_path, down_from):
    url = new_database(postgres)
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"\x00\x01 weights")
    spooled = Spooled(SqlObserver(url, connect_timeout=2), "sql", first_delay=0.0)
    if down_from == "start":
        postgres.stop()
    try:
        spooled.started(record(local_dir=str(tmp_path)))
        spooled.log_metrics(RUN_ID, points("loss", range(0, 3)))
        if down_from == "middle":
            postgres.stop()
        spooled.log_metrics(RUN_ID, points("loss", range(3, 6)))
        spooled.artifact_added(RUN_ID, "weights.bin", str(weights))
        spooled.completed(ended())  # the run ends with the server still down
    finally:
        postgres.start()
    spool = tmp_path / "spool-sql.jsonl"
    assert spool.exists()

    sent = push(str(spool), url=url)

    assert sent == (5 if down_from == "start" else 3)
    assert not spool.exists()
    tables = read(url)
    assert logged(tables["metrics"]) == [(p.name, p.step, p.value) for p in points("loss", range(6))]
    assert tables["runs"][0]["status"] == "COMPLETED"
    assert tables["artifacts"][0]["content"] == weights.read_bytes()

"""A real run against a real PostgreSQL server that goes down in the middle and comes back:
nothing is lost, the final status is right, and the run itself never notices."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from postgres import PostgresServer

SCRIPT = '''\
import time
from ba3l import Experiment

ex = Experiment("steady")


@ex.config
def config():
    steps = 60
    pause = 0.05


@ex.automain
def main(_run, steps, pause):
    for step in range(steps):
        _run.log_scalar("loss", 1.0 / (step + 1))
        time.sleep(pause)
    return steps
'''


def wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_postgresql_stopped_mid_run_and_started_again_loses_no_metric(tmp_path):
    (tmp_path / "steady.py").write_text(SCRIPT, encoding="utf-8")
    with PostgresServer() as server:
        url = server.create_database("runs")
        process = subprocess.Popen(
            [sys.executable, "steady.py", "-F", "runs", "-s", url, "--heartbeat", "0.1"],
            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        engine = sa.create_engine(url)
        wait_for(lambda: sa.inspect(engine).has_table("metrics") and _count(engine, "metrics") > 0)
        engine.dispose()
        server.stop()
        spool = tmp_path / "runs" / "1" / "spool-sql.jsonl"
        wait_for(spool.exists)  # the run kept going and spooled what it could not send
        time.sleep(0.5)
        server.start()
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 0, stderr
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            status = connection.execute(sa.text("select status from runs")).scalar_one()
            values = [row.value for row in connection.execute(
                sa.text("select value from metrics where name = 'loss' order by id"))]
        engine.dispose()
    assert status == "COMPLETED"
    assert values == [1.0 / (step + 1) for step in range(60)]
    assert not spool.exists()
    assert "not reachable" in stderr and "spool-sql.jsonl" in stderr


def _count(engine: sa.Engine, table: str) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.text(f"select count(*) from {table}")).scalar_one()


def test_ba3l_push_sends_a_spool_left_by_a_run_whose_server_stayed_down(tmp_path):
    (tmp_path / "steady.py").write_text(SCRIPT, encoding="utf-8")
    with PostgresServer() as server:
        url = server.create_database("runs")
        server.stop()
        done = subprocess.run([sys.executable, "steady.py", "with", "steps=5", "pause=0", "-F", "runs", "-s",
                               server.url("runs", password="s3cret")], cwd=tmp_path, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stderr
        spool = tmp_path / "runs" / "1" / "spool-sql.jsonl"
        assert f"ba3l push {spool}" in done.stderr
        assert "s3cret" not in spool.read_text(encoding="utf-8")
        server.start()
        pushed = subprocess.run([sys.executable, "-m", "ba3l.cli", "push", str(spool), "--url", url],
                                capture_output=True, text=True, timeout=60)
        assert pushed.returncode == 0, pushed.stderr
        assert pushed.stdout.startswith("sent ") and not spool.exists()
        engine = sa.create_engine(url)
        assert _count(engine, "metrics") == 5
        with engine.connect() as connection:
            assert connection.execute(sa.text("select status from runs")).scalar_one() == "COMPLETED"
        engine.dispose()

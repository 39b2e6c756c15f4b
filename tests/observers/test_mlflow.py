"""MlflowObserver: runs recorded on a real MLflow tracking server (started from
``.venv-mlflow`` by :mod:`mlflow_server`) and read back with MLflow's own client; a
server that is down costs the run no time, and its spool is pushed later."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import traceback
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient
from mlflow.utils.validation import MAX_PARAM_VAL_LENGTH
from mlflow_server import MlflowServer, free_port, server_missing

import ba3l
from ba3l import Experiment
from ba3l.observers import MlflowObserver, Spooled, push
from ba3l.observers._spool import encode_event
from ba3l.run import MetricPoint, RunRecord

T0 = datetime(2024, 5, 1, 12, 0, 0, 123456)
PASSWORD = "hunter2"


def epoch(moment: datetime) -> float:
    """A naive UTC datetime as a metric point's time."""
    return (moment - datetime(1970, 1, 1)).total_seconds()
FAST = 3.0  # seconds: the most one call may cost a run when the server is down


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One MLflow server for the module (it takes about 15 s to start); tests use their own experiments."""
    if problem := server_missing():
        pytest.fail(problem, pytrace=False)  # a missing server fails the tests; it never skips them
    with pytest.MonkeyPatch.context() as patch, MlflowServer(tmp_path_factory.mktemp("mlflow")) as mlflow:
        patch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
        yield mlflow


@pytest.fixture(scope="module")
def client(server):
    return MlflowClient(server.uri)


def record(experiment: str, **changes) -> RunRecord:
    """A running run's snapshot, as the run layer makes it."""
    running = RunRecord(
        experiment={"name": experiment, "mainfile": "digits.py",
                    "repositories": [{"url": "https://github.com/me/digits.git", "commit": "abc123", "dirty": True}]},
        command="main",
        status="RUNNING",
        config={"lr": 0.01, "model": {"hidden": 64, "layers": [1, 2]}, "name": "mlp"},
        meta={"command": "main", "comment": "first try"},
        id=1,
        host={"hostname": "box"},
        start_time=T0,
        heartbeat=T0,
    )
    return running._replace(**changes)


def ended(running: RunRecord, status: str, **changes) -> RunRecord:
    return running._replace(status=status, stop_time=T0 + timedelta(seconds=30), **changes)


def points(name: str, values: list[float], first_step: int = 0) -> list[MetricPoint]:
    return [MetricPoint(name, first_step + i, v, epoch(T0 + timedelta(seconds=first_step + i)))
            for i, v in enumerate(values)]


def millis(moment: datetime) -> int:
    return int((moment - datetime(1970, 1, 1)).total_seconds() * 1000)


def only_run(client: MlflowClient, experiment: str):
    found = client.search_runs([client.get_experiment_by_name(experiment).experiment_id])
    assert len(found) == 1, [r.info.run_name for r in found]
    return found[0]


def history(client: MlflowClient, run_id: str, key: str) -> list[tuple[int, float]]:
    return [(m.step, m.value) for m in sorted(client.get_metric_history(run_id, key), key=lambda m: m.step)]


def download_text(client: MlflowClient, run_id: str, path: str, folder: Path) -> str:
    folder.mkdir(exist_ok=True)
    return Path(client.download_artifacts(run_id, path, str(folder))).read_text(encoding="utf-8")


# a run through the observer's events ---------------------------------------------------------


def test_a_run_is_recorded_with_params_metrics_artifacts_tags_and_status(server, client, tmp_path):
    observer = MlflowObserver(server.uri)
    running = record("mlflow_events")
    curve = tmp_path / "tmp-upload-1234.txt"
    curve.write_text("epoch,loss\n0,1.5\n", encoding="utf-8")

    observer.started(running)
    observer.log_metrics(1, points("loss", [1.5, 1.2, 0.9]) + points("acc", [0.5, 0.6, 0.7]))
    observer.log_metrics(1, points("loss", [0.7, 0.6], first_step=3))
    observer.heartbeat(running._replace(heartbeat=T0 + timedelta(seconds=10)))
    observer.artifact_added(1, "plots/curve.txt", str(curve))
    observer.completed(ended(running, "COMPLETED", result={"best": 0.6}))

    run = only_run(client, "mlflow_events")
    assert run.info.run_name == "mlflow_events 1"
    assert run.data.params == {"lr": "0.01", "model.hidden": "64", "model.layers": "[1, 2]", "name": "mlp"}
    assert history(client, run.info.run_id, "loss") == [(0, 1.5), (1, 1.2), (2, 0.9), (3, 0.7), (4, 0.6)]
    assert history(client, run.info.run_id, "acc") == [(0, 0.5), (1, 0.6), (2, 0.7)]
    assert {m.timestamp for m in client.get_metric_history(run.info.run_id, "acc")} == {
        millis(T0 + timedelta(seconds=s)) for s in range(3)}
    tags = run.data.tags
    assert tags["ba3l.status"] == "COMPLETED"
    assert tags["ba3l.comment"] == tags["mlflow.note.content"] == "first try"
    assert tags["ba3l.run_id"] == "1" and tags["ba3l.command"] == "main" and tags["ba3l.host"] == "box"
    assert tags["mlflow.source.git.commit"] == "abc123" and tags["ba3l.git.dirty"] == "True"
    assert tags["ba3l.heartbeat"] == (T0 + timedelta(seconds=10)).isoformat()
    assert json.loads(tags["ba3l.result"]) == {"best": 0.6}
    assert run.info.status == "FINISHED"
    assert (run.info.start_time, run.info.end_time) == (millis(T0), millis(T0 + timedelta(seconds=30)))
    names = {a.path for a in client.list_artifacts(run.info.run_id)} | {
        a.path for a in client.list_artifacts(run.info.run_id, "plots")}
    assert names == {"config.json", "plots", "plots/curve.txt"}
    assert download_text(client, run.info.run_id, "plots/curve.txt", tmp_path / "down") == "epoch,loss\n0,1.5\n"
    assert json.loads(download_text(client, run.info.run_id, "config.json", tmp_path / "down")) == running.config


@pytest.mark.parametrize(("status", "mlflow_status"), [("FAILED", "FAILED"), ("INTERRUPTED", "KILLED")])
def test_a_run_that_does_not_complete_ends_with_mlflow_status(server, client, tmp_path, status, mlflow_status):
    experiment = f"mlflow_{status.lower()}"
    observer = MlflowObserver(server.uri)
    running = record(experiment)
    trace = ("Traceback (most recent call last):\n", "RuntimeError: diverged\n") if status == "FAILED" else ()

    observer.started(running)
    getattr(observer, status.lower())(ended(running, status, fail_trace=trace))

    run = only_run(client, experiment)
    assert (run.info.status, run.data.tags["ba3l.status"]) == (mlflow_status, status)
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    if trace:
        assert download_text(client, run.info.run_id, "fail_trace.txt", tmp_path) == "".join(trace)
    else:
        assert "fail_trace.txt" not in artifacts


def test_a_config_beyond_mlflows_limits_is_kept_whole_in_config_json(server, client, tmp_path):
    config = {f"p{i:03}": i for i in range(150)}
    config["long"] = "x" * (MAX_PARAM_VAL_LENGTH + 1)
    config["k" * 300] = 1  # over MLflow's key length
    config["odd"] = {"a@b": 2, "a b": 3}  # MLflow refuses '@' in a name
    config["nested"] = {"layers": list(range(2000))}  # its JSON is over the value length
    observer = MlflowObserver(server.uri)
    running = record("mlflow_limits", config=config)

    observer.started(running)
    observer.log_metrics(1, points("acc@top1", [0.5]) + points("/abs", [1.0]))
    observer.log_metrics(1, points("many", [float(i) for i in range(2500)]))  # over MLflow's 1000 a batch
    observer.completed(ended(running, "COMPLETED", result="y" * 9000))

    run = only_run(client, "mlflow_limits")
    params = run.data.params
    assert {k: params[k] for k in params if k.startswith("p")} == {f"p{i:03}": str(i) for i in range(150)}
    assert params["odd.a b"] == "3"
    assert not {"long", "k" * 300, "odd.a@b", "nested.layers"} & set(params)
    assert json.loads(download_text(client, run.info.run_id, "config.json", tmp_path / "c")) == config
    assert json.loads(download_text(client, run.info.run_id, "result.json", tmp_path / "r")) == "y" * 9000
    assert history(client, run.info.run_id, "acc_top1") == [(0, 0.5)]
    assert history(client, run.info.run_id, "_abs") == [(0, 1.0)]
    assert history(client, run.info.run_id, "many") == [(i, float(i)) for i in range(2500)]
    assert run.info.status == "FINISHED"


def test_a_replayed_start_reuses_its_run(server, client):
    running = record("mlflow_replayed")
    first = MlflowObserver(server.uri)
    first.started(running)
    first.started(running)  # Spooled replays a start whose first try failed half-way
    fresh = MlflowObserver(server.uri)  # `ba3l push` replays it with a new observer
    fresh.started(running)
    assert fresh.mlflow_run_id(1) == first.mlflow_run_id(1)
    fresh.log_metrics(1, points("loss", [1.0]))
    fresh.completed(ended(running, "COMPLETED"))

    run = only_run(client, "mlflow_replayed")
    assert history(client, run.info.run_id, "loss") == [(0, 1.0)]
    assert run.info.status == "FINISHED"


# a run through ba3l ------------------------------------------------------------------------


def test_a_run_from_the_command_line_is_recorded(server, client, tmp_path):
    ex = Experiment("mlflow_cli")

    @ex.config
    def config():
        lr = 0.1
        model = {"hidden": 32}

    @ex.main
    def main(lr):
        return lr * 2

    uri = server.uri.replace("//", f"//ba3l:{PASSWORD}@")  # the test server ignores credentials
    done = ba3l.invoke(ex, ["with", "lr=0.5", "-F", str(tmp_path / "runs"), "--mlflow", uri, "-c", "through ba3l"])

    assert done.exit_code == 0, done.stderr
    run = only_run(client, "mlflow_cli")
    assert run.info.status == "FINISHED"
    assert run.data.params["lr"] == "0.5" and run.data.params["model.hidden"] == "32"
    tags = run.data.tags
    assert (tags["ba3l.status"], tags["ba3l.run_id"], tags["ba3l.comment"]) == ("COMPLETED", "1", "through ba3l")
    assert tags["ba3l.result"] == "1.0"
    assert PASSWORD not in json.dumps([tags, run.data.params]) + done.stdout + done.stderr
    assert not list((tmp_path / "runs").glob("**/spool-*")), "everything reached the server"


# a server that is down ---------------------------------------------------------------------


def test_a_down_server_costs_the_run_no_time_and_push_sends_its_events_later(server, client, tmp_path, caplog):
    down = f"http://ba3l:{PASSWORD}@127.0.0.1:{free_port()}"
    spooled = Spooled(MlflowObserver(down, "mlflow_down"), "mlflow", first_delay=0.0)
    running = record("digits", local_dir=str(tmp_path / "run"))
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"\x00\x01weights")
    events = [
        lambda: spooled.started(running),
        lambda: spooled.log_metrics(1, points("loss", [1.0, 0.5])),
        lambda: spooled.heartbeat(running),
        lambda: spooled.artifact_added(1, "weights.bin", str(weights)),
        lambda: spooled.log_metrics(1, points("loss", [0.25], first_step=2)),
        lambda: spooled.completed(ended(running, "COMPLETED", result=3)),
    ]
    for event in events:
        start = time.monotonic()
        event()  # the run goes on: nothing raises
        assert time.monotonic() - start < FAST

    spool = tmp_path / "run" / "spool-mlflow.jsonl"
    text = spool.read_text(encoding="utf-8")
    assert PASSWORD not in text and PASSWORD not in caplog.text
    header = json.loads(text.splitlines()[0])["observer"]
    assert header["tracking_uri"] == down.replace(PASSWORD, "***")
    assert len(text.splitlines()) == 1 + len(events)

    assert push(str(spool), tracking_uri=server.uri) == len(events)

    assert not spool.exists()
    run = only_run(client, "mlflow_down")
    assert history(client, run.info.run_id, "loss") == [(0, 1.0), (1, 0.5), (2, 0.25)]
    assert (run.info.status, run.data.tags["ba3l.result"]) == ("FINISHED", "3")
    assert download_text(client, run.info.run_id, "weights.bin", tmp_path / "down") == "\x00\x01weights"


def test_a_down_server_fails_fast_and_its_error_hides_the_password():
    observer = MlflowObserver(f"http://ba3l:{PASSWORD}@127.0.0.1:{free_port()}", timeout=2)
    start = time.monotonic()
    with pytest.raises(Exception) as raised:
        observer.started(record("mlflow_unreachable"))
    assert time.monotonic() - start < FAST
    shown = "".join(traceback.format_exception(raised.value))
    assert "127.0.0.1" in shown and PASSWORD not in shown
    assert PASSWORD not in repr(observer) and PASSWORD not in json.dumps(observer.spool_header())


def test_push_finds_the_run_when_the_spool_begins_after_its_start(server, client, tmp_path):
    observer = MlflowObserver(server.uri)
    running = record("mlflow_late", id=8)
    observer.started(running)  # the server went down after this
    spool = tmp_path / "spool-mlflow.jsonl"
    lines = [{"spool": 1, "run_id": 8, "observer": observer.spool_header()},
             encode_event("log_metrics", (8, points("loss", [2.0, 1.0]))),
             encode_event("completed", (ended(running, "COMPLETED"),))]
    spool.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")

    assert push(str(spool)) == 2

    run = only_run(client, "mlflow_late")
    assert history(client, run.info.run_id, "loss") == [(0, 2.0), (1, 1.0)]
    assert run.info.status == "FINISHED"


def test_importing_the_observers_does_not_import_mlflow():
    script = "import sys, ba3l.observers; print('mlflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

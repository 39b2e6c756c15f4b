"""What a run records and how: metrics, artifacts, resources, info, output, code, host, seeds.

Runs go to a file storage folder given with -F (or the default folder the conftest
points $BA3L_RUNS at), and the tests read the files back as any reader would.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from ba3l import Experiment, Options
from ba3l.observers import FileStorageObserver
from ba3l.observers._file_storage import is_stale, read_metrics_log
from ba3l.run import MetricPoint, RunRecord


def read(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def recorded(tmp_path: Path, body, **config) -> Experiment:
    ex = Experiment("recorded")
    ex.observers.append(FileStorageObserver(tmp_path / "runs"))
    ex.add_config(config or {"steps": 3})
    ex.main(body)
    return ex


def test_metrics_are_appended_and_summarised_in_sacred_format(tmp_path):
    def main(_run, steps):
        for step in range(steps):
            _run.log_scalar("loss", 1.0 / (step + 1))
        _run.log_scalar("accuracy", 0.5, step=10)
        _run.log_scalar("accuracy", 0.75)  # the last step + 1
        _run.log_scalar("odd", float("nan"))

    recorded(tmp_path, main).run()
    run_dir = tmp_path / "runs" / "1"
    metrics = read(run_dir / "metrics.json")
    assert metrics["loss"]["steps"] == [0, 1, 2]
    assert metrics["loss"]["values"] == [1.0, 0.5, 1 / 3]
    assert metrics["accuracy"]["steps"] == [10, 11]
    assert len(metrics["loss"]["timestamps"]) == 3
    datetime.fromisoformat(metrics["loss"]["timestamps"][0])
    assert str(metrics["odd"]["values"][0]) == "nan"
    assert read_metrics_log(run_dir / "metrics.jsonl") == metrics


def test_metrics_json_is_not_rewritten_at_every_heartbeat(tmp_path):
    observer = FileStorageObserver(tmp_path)
    record = RunRecord(experiment={"name": "beats"}, command="main", status="RUNNING", config={}, meta={})
    run_id = observer.started(record)
    record = record._replace(id=run_id)
    for beat in range(5):
        observer.log_metrics(run_id, [MetricPoint("loss", beat, 1.0 / (beat + 1), time.time())])
        observer.heartbeat(record)
        assert read(tmp_path / "1" / "metrics.json") == {}  # the log grows; the summary waits
    assert len((tmp_path / "1" / "metrics.jsonl").read_text().splitlines()) == 5
    observer.completed(record._replace(status="COMPLETED"))
    assert read(tmp_path / "1" / "metrics.json")["loss"]["steps"] == [0, 1, 2, 3, 4]


def test_a_line_cut_short_in_the_metrics_log_is_left_out(tmp_path):
    log = tmp_path / "metrics.jsonl"
    log.write_text('{"name": "loss", "steps": [0], "values": [0.5], "times": [1763892000250000]}\n'
                   '{"name": "loss", "steps": [1], "val', encoding="utf-8")
    assert read_metrics_log(log) == {"loss": {"steps": [0], "values": [0.5], "timestamps": ["2025-11-23T10:00:00.250000"]}}


def test_artifacts_resources_and_info_are_stored_with_the_run(tmp_path):
    data = tmp_path / "data.csv"
    data.write_text("x,y\n1,2\n", encoding="utf-8")
    plot = tmp_path / "plot.txt"
    plot.write_text("a plot", encoding="utf-8")

    def main(_run, steps):
        with _run.open_resource(data) as file:
            assert file.readline() == "x,y\n"
        _run.add_artifact(plot)
        _run.add_artifact(plot, "figures/loss.txt")
        _run.info["best"] = {"epoch": steps}
        return "done"

    run = recorded(tmp_path, main).run()
    run_dir = tmp_path / "runs" / str(run.id)
    record = read(run_dir / "run.json")
    assert record["artifacts"] == ["plot.txt", "figures/loss.txt"]
    assert (run_dir / "figures" / "loss.txt").read_text(encoding="utf-8") == "a plot"
    [[path, stored]] = record["resources"]
    assert path == str(data) and (tmp_path / "runs" / stored).read_text(encoding="utf-8") == "x,y\n1,2\n"
    assert read(run_dir / "info.json") == {"best": {"epoch": 3}}
    assert record["result"] == "done"


@pytest.mark.parametrize("name", ["../escape.txt", "/tmp/abs.txt", "run.json", "config.json", "metrics.json",
                                  "cout.txt", "_sources/x.py", "a/../../b"])
def test_an_artifact_name_that_would_replace_a_record_or_leave_the_folder_is_refused(tmp_path, name):
    plot = tmp_path / "plot.txt"
    plot.write_text("a plot", encoding="utf-8")

    def main(_run, steps):
        _run.add_artifact(plot, name)

    with pytest.raises(ValueError, match="artifact name"):
        recorded(tmp_path, main).run()
    record = read(tmp_path / "runs" / "1" / "run.json")
    assert record["status"] == "FAILED" and record["artifacts"] == []
    assert sorted(p.name for p in (tmp_path / "runs" / "1").iterdir()) == ["config.json", "cout.txt", "info.json", "metrics.json", "run.json"]


def test_the_record_holds_code_host_and_meta(tmp_path):
    def main(steps):
        return steps

    run = recorded(tmp_path, main).run(options=Options(comment="first"))
    record = read(tmp_path / "runs" / str(run.id) / "run.json")
    assert record["host"]["hostname"] and record["host"]["python_version"] and "cpu" in record["host"]
    assert record["meta"]["comment"] == "first" and record["meta"]["argv"] == sys.argv
    assert record["experiment"]["name"] == "recorded"
    assert any("pytest==" in dependency for dependency in record["experiment"]["dependencies"])
    assert record["heartbeat_interval"] == 10.0
    assert record["status"] == "COMPLETED" and record["stop_time"] >= record["start_time"]


def test_secrets_are_masked_in_the_stored_records(tmp_path):
    received = []
    ex = recorded(tmp_path, lambda api_key, db: received.append(api_key), api_key="sk-1", db="postgresql://u:pw@h/d")
    ex.run(config_updates={"api_key": "sk-2"})
    assert received == ["sk-2"]
    stored = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "runs" / "1").iterdir() if p.is_file())
    assert "sk-2" not in stored and "sk-1" not in stored and ":pw@" not in stored
    assert read(tmp_path / "runs" / "1" / "config.json")["api_key"] == "***"


def test_runs_without_an_observer_go_to_the_default_folder_unless_unobserved(runs_folder):
    ex = Experiment("default")
    ex.main(lambda: 1)
    assert ex.run().id == 1
    assert read(runs_folder / "1" / "run.json")["status"] == "COMPLETED"
    assert ex.run(options=Options(unobserved=True)).id is None
    assert sorted(p.name for p in runs_folder.iterdir() if p.name.isdigit()) == ["1"]


@pytest.mark.parametrize("variable", ["RANK", "LOCAL_RANK"])
def test_worker_processes_of_a_distributed_job_are_not_observed(runs_folder, monkeypatch, variable):
    monkeypatch.setenv(variable, "1")
    ex = Experiment("ddp")
    ex.main(lambda: 1)
    assert ex.run().id is None
    assert list(runs_folder.iterdir()) == []  # not even the shared _sources


def test_a_queued_run_is_recorded_and_not_run(runs_folder):
    ran = []
    ex = Experiment("queued")
    ex.main(lambda: ran.append(1))
    run = ex.run(options=Options(queue=True))
    assert ran == [] and read(runs_folder / str(run.id) / "run.json")["status"] == "QUEUED"


def test_the_generators_are_seeded_from_the_seed_also_numpy_imported_during_the_run(tmp_path):
    def main(_seed):
        import numpy  # seeded when imported, if it was not before

        return random.random(), float(numpy.random.random())

    ex = recorded(tmp_path, main)
    first, second = ex.run(config_updates={"seed": 7}).result, ex.run(config_updates={"seed": 7}).result
    assert first == second
    random.seed(7)
    assert first[0] == random.random()


# -- real processes: output capture, heartbeats, signals, kill -9, many at once --------

SCRIPT = '''\
import sys, time
from ba3l import Experiment

ex = Experiment("proc")


@ex.config
def config():
    steps = 5
    pause = 0.0


@ex.automain
def main(_run, steps, pause):
    print("starting")
    for step in range(steps):
        print(f"\\r{step + 1}/{steps}", end="", flush=True)
        _run.log_scalar("loss", step)
        time.sleep(pause)
    print()
    print("finished", file=sys.stderr)
    return steps
'''


def start(tmp_path: Path, *args: str) -> subprocess.Popen:
    (tmp_path / "proc.py").write_text(SCRIPT, encoding="utf-8")
    return subprocess.Popen([sys.executable, "proc.py", *args], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_for(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_output_is_captured_with_progress_bars_reduced_and_sources_saved(tmp_path):
    process = start(tmp_path, "-F", "runs")
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert "5/5" in stdout  # the terminal still sees everything
    assert (tmp_path / "runs" / "1" / "cout.txt").read_text(encoding="utf-8") == "starting\n5/5\nfinished\n"
    record = read(tmp_path / "runs" / "1" / "run.json")
    [[name, stored]] = record["experiment"]["sources"]
    assert name == "proc.py" and (tmp_path / "runs" / stored).read_text(encoding="utf-8") == SCRIPT
    assert record["experiment"]["mainfile"] == "proc.py"


def test_heartbeats_update_the_record_while_it_runs(tmp_path):
    process = start(tmp_path, "with", "steps=40", "pause=0.05", "-F", "runs", "--heartbeat", "0.2")
    run_json = tmp_path / "runs" / "1" / "run.json"
    wait_for(lambda: run_json.exists() and (tmp_path / "runs" / "1" / "metrics.jsonl").exists())
    first = read(run_json)["heartbeat"]
    wait_for(lambda: read(run_json)["heartbeat"] != first)
    assert read(run_json)["status"] == "RUNNING"
    process.communicate(timeout=60)
    assert read(run_json)["status"] == "COMPLETED"


def test_sigterm_interrupts_the_run_with_its_metrics_flushed(tmp_path):
    process = start(tmp_path, "with", "steps=1000", "pause=0.01", "-F", "runs")
    log = tmp_path / "runs" / "1" / "cout.txt"
    run_json = tmp_path / "runs" / "1" / "run.json"
    wait_for(lambda: run_json.exists())
    time.sleep(0.5)
    process.send_signal(signal.SIGTERM)
    stdout, _ = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM
    record = read(run_json)
    assert record["status"] == "INTERRUPTED" and record["stop_time"]
    reached = int(stdout.splitlines()[-1].split("/")[0])  # the last step the terminal saw (text mode: \r is \n)
    steps = read(tmp_path / "runs" / "1" / "metrics.json")["loss"]["steps"]
    # every value logged before the signal was flushed (it may have come between print and log)
    assert steps == list(range(len(steps))) and len(steps) in (reached - 1, reached) and reached > 5
    assert log.read_text(encoding="utf-8") == f"starting\n{reached}/1000"


def test_kill_9_leaves_a_record_whose_heartbeat_goes_stale(tmp_path):
    process = start(tmp_path, "with", "steps=1000", "pause=0.01", "-F", "runs", "--heartbeat", "0.2")
    run_json = tmp_path / "runs" / "1" / "run.json"
    wait_for(lambda: run_json.exists())
    time.sleep(0.5)
    process.kill()
    process.communicate(timeout=60)
    record = read(run_json)
    assert record["status"] == "RUNNING"
    beat = datetime.fromisoformat(record["heartbeat"])
    assert not is_stale(record, beat)
    wait_for(lambda: is_stale(record, datetime.utcnow()), timeout=5)
    assert (tmp_path / "runs" / "1" / "metrics.jsonl").stat().st_size > 0


def test_64_processes_started_at_once_get_64_ids_and_complete_records(tmp_path):
    (tmp_path / "proc.py").write_text(SCRIPT, encoding="utf-8")
    processes = [subprocess.Popen([sys.executable, "proc.py", "with", "steps=2", "-F", "runs"], cwd=tmp_path,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for _ in range(64)]
    for process in processes:
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr
    ids = sorted(int(p.name) for p in (tmp_path / "runs").iterdir() if p.name.isdigit())
    assert ids == list(range(1, 65))
    for run_id in ids:
        record = read(tmp_path / "runs" / str(run_id) / "run.json")
        assert record["status"] == "COMPLETED" and record["result"] == 2
        assert read(tmp_path / "runs" / str(run_id) / "metrics.json")["loss"]["values"] == [0, 1]
    assert not list((tmp_path / "runs").glob("**/*.tmp"))

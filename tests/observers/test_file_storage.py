"""The minimal file storage observer: sacred's layout, one record per run."""

import json
import threading
import time

from ba3l import Experiment
from ba3l.observers import FileStorageObserver


def build(observer: FileStorageObserver) -> Experiment:
    ex = Experiment("stored")
    ex.observers.append(observer)

    @ex.config
    def config():
        pause = 0.0
        label = "a"

    @ex.main
    def main(pause, label):
        time.sleep(pause)
        return label

    return ex


def read(path):
    return json.loads(path.read_text())


def test_two_runs_at_once_keep_their_own_records(tmp_path):
    ex = build(FileStorageObserver(tmp_path))
    slow = threading.Thread(target=ex.run, kwargs={"config_updates": {"pause": 0.5, "label": "slow"}})
    slow.start()
    time.sleep(0.1)
    ex.run(config_updates={"label": "fast"})
    slow.join()
    records = {read(tmp_path / i / "run.json")["result"]: read(tmp_path / i / "run.json") for i in ("1", "2")}
    assert set(records) == {"slow", "fast"}
    for label, record in records.items():
        assert record["status"] == "COMPLETED"
        assert record["meta"]["config_updates"]["label"] == label


def test_records_are_sacred_file_layout(tmp_path):
    run = build(FileStorageObserver(tmp_path)).run(config_updates={"label": "x"})
    assert run.id == 1
    names = ["config.json", "cout.txt", "info.json", "metrics.json", "run.json"]
    assert sorted(p.name for p in (tmp_path / "1").iterdir()) == names
    assert read(tmp_path / "1" / "config.json")["label"] == "x"
    assert read(tmp_path / "1" / "run.json")["status"] == "COMPLETED"
    assert not list(tmp_path.glob("**/*.tmp"))


def test_incense_reads_a_ba3l_run(tmp_path):
    from incense import FileSystemExperimentLoader

    plot = tmp_path / "curve.txt"
    plot.write_text("0.5 0.25", encoding="utf-8")
    ex = build(FileStorageObserver(tmp_path / "runs"))

    @ex.command
    def train(_run, label):
        print("training", label)
        for step in range(3):
            _run.log_scalar("loss", 1.0 / (step + 1))
        _run.add_artifact(plot)
        _run.info["note"] = "read by incense"
        return 3

    ex.run("train", config_updates={"label": "b"})
    run = FileSystemExperimentLoader(tmp_path / "runs").find_by_id(1)
    assert run.config["label"] == "b" and run.status == "COMPLETED" and run.result == 3
    assert list(run.metrics["loss"].index) == [0, 1, 2] and list(run.metrics["loss"].values) == [1.0, 0.5, 1 / 3]
    assert run.artifacts["curve.txt"].content == b"0.5 0.25"
    assert run.info["note"] == "read by incense"
    assert run.experiment.name == "stored"

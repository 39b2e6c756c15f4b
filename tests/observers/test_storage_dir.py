"""Storage dirs: numbered, race-free, made when a run starts, the config at the top and each
invocation's record below it."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ba3l import Experiment, invoke
from ba3l.observers import StorageDirObserver, get_new_storage_dir


def test_storage_dirs_are_numbered_and_never_shared(tmp_path):
    with ThreadPoolExecutor(8) as pool:
        made = list(pool.map(lambda _: get_new_storage_dir("digits", tmp_path), range(32)))
    assert sorted(int(Path(path).name) for path in made) == list(range(1, 33))
    assert all(Path(path).parent == tmp_path / "digits" for path in made)


def test_the_root_comes_from_the_environment_or_storage(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert get_new_storage_dir("a") == str(Path("storage") / "a" / "1")
    monkeypatch.setenv("BA3L_STORAGE_ROOT", str(tmp_path / "elsewhere"))
    assert get_new_storage_dir("a") == str(tmp_path / "elsewhere" / "a" / "1")


def build(observer: StorageDirObserver) -> Experiment:
    ex = Experiment("trainer")
    ex.observers.append(observer)

    @ex.config
    def config():
        epochs = 2

    @ex.main
    def main(_run, epochs):
        return _run.storage_dir

    return ex


def test_a_run_gets_a_storage_dir_with_its_config_and_record(tmp_path):
    ex = build(StorageDirObserver(root=tmp_path))
    storage = Path(ex.run(config_updates={"epochs": 5}).result)
    assert storage == tmp_path / "trainer" / "1"
    assert json.loads((storage / "config.json").read_text())["epochs"] == 5
    assert json.loads((storage / "runs" / "1" / "run.json").read_text())["status"] == "COMPLETED"
    resumed = build(StorageDirObserver(storage)).run(config_updates={"epochs": 9})
    assert Path(resumed.result) == storage and resumed.id == 2
    assert json.loads((storage / "config.json").read_text())["epochs"] == 5  # the first run's config stays


def test_print_config_and_help_make_no_storage_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("BA3L_STORAGE_ROOT", str(tmp_path / "storage"))
    ex = build(StorageDirObserver())
    assert invoke(ex, "print_config").exit_code == 0
    assert invoke(ex, "--help").exit_code == 0
    assert not (tmp_path / "storage").exists()

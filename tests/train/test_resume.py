"""Resume: a run killed at a random step in the middle of an epoch, resumed from its latest
checkpoint, ends with the same weights, bit for bit, as a run never interrupted; its logs go
on without repeating steps. ``resume STORAGE_DIR`` and ``with resume=auto``."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from ba3l import Experiment, invoke
from ba3l.config import UsageError

SCRIPT = Path(__file__).with_name("resumable.py")
STEPS_PER_EPOCH, EPOCHS = 13, 3


def ba3l(tmp_path: Path, *arguments: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "resumable.py", *arguments], cwd=tmp_path, env=environment(tmp_path),
                            capture_output=True, text=True, timeout=240)
    if check:
        assert result.returncode == 0, result.stderr[-3000:]
    return result


def environment(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "BA3L_STORAGE_ROOT": str(tmp_path / "storage")}


def storage_dirs(tmp_path: Path) -> list[Path]:
    parent = tmp_path / "storage" / "resumable"
    return sorted(parent.iterdir(), key=lambda path: int(path.name)) if parent.is_dir() else []


def latest_step(storage_dir: Path) -> int:
    try:
        pointer = json.loads((storage_dir / "checkpoints" / "checkpoints.json").read_text())
    except (OSError, ValueError):
        return -1
    return int(pointer["latest"].removeprefix("ckpt_").removesuffix(".ckpt"))


def start_and_kill(tmp_path: Path, step: int, *updates: str, signum: int = signal.SIGKILL) -> Path:
    """Start a slowed-down run, and send ``signum`` once its latest checkpoint is at ``step`` or later."""
    known = set(storage_dirs(tmp_path))
    process = subprocess.Popen([sys.executable, "resumable.py", "with", "sleep=0.05", *updates], cwd=tmp_path,
                               env=environment(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        new = [path for path in storage_dirs(tmp_path) if path not in known]
        if new and latest_step(new[0]) >= step:
            process.send_signal(signum)
            process.wait(timeout=60)
            return new[0]
        time.sleep(0.01)
    process.kill()
    pytest.fail(f"the run ended or stalled before step {step}")


def weights(storage_dir: Path) -> dict[str, torch.Tensor]:
    return torch.load(storage_dir / "final.pt", weights_only=True)


def logged_steps(tensorboard: Path, tag: str) -> list[int]:
    events = EventAccumulator(str(tensorboard), purge_orphaned_data=True)
    events.Reload()
    return [event.step for event in events.Scalars(tag)]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("uninterrupted")
    shutil.copy(SCRIPT, folder)
    ba3l(folder, "with", "seed=3")
    return storage_dirs(folder)[0]


@pytest.mark.parametrize(("workers", "signum"), [(0, signal.SIGKILL), (2, signal.SIGKILL), (0, signal.SIGTERM)])
def test_killed_mid_epoch_and_resumed_gives_the_same_weights_bit_for_bit(tmp_path, uninterrupted, workers, signum):
    """kill -9 resumes from the last periodic checkpoint; SIGTERM saves one at the end of the step under way."""
    shutil.copy(SCRIPT, tmp_path)
    step = random.choice([s for s in range(STEPS_PER_EPOCH * EPOCHS) if 2 <= s % STEPS_PER_EPOCH <= 9])
    storage_dir = start_and_kill(tmp_path, step, "seed=3", f"workers={workers}", signum=signum)
    killed_at = latest_step(storage_dir)
    assert killed_at % STEPS_PER_EPOCH, "the kill was meant to land in the middle of an epoch"

    ba3l(tmp_path, "resume", str(storage_dir), "with", "sleep=0.0")

    expected, got = weights(uninterrupted), weights(storage_dir)
    assert all(torch.equal(expected[name], got[name]) for name in expected), f"killed at step {killed_at}"
    runs = sorted(int(name) for name in os.listdir(storage_dir / "runs") if name.isdigit())
    assert len(runs) == 2  # the first run and the resume, side by side
    resumed = json.loads((storage_dir / "runs" / str(runs[1]) / "info.json").read_text())["resumed_from"]
    assert resumed == {"checkpoint": f"checkpoints/ckpt_{killed_at}.ckpt", "global_step": killed_at}
    metrics = json.loads((storage_dir / "runs" / str(runs[1]) / "metrics.json").read_text())
    assert metrics["loss"]["steps"][0] == killed_at  # the resumed run logs from where the checkpoint was


def test_a_latest_checkpoint_left_empty_by_a_crash_resumes_from_the_one_before_it(tmp_path, uninterrupted):
    """Checkpoints are renamed into place without waiting for the disk: after a crash of the machine
    the newest may be empty though its name is there. Resume passes over it, and says so."""
    shutil.copy(SCRIPT, tmp_path)
    storage_dir = start_and_kill(tmp_path, 8, "seed=3")
    folder = storage_dir / "checkpoints"
    damaged = latest_step(storage_dir)
    (folder / f"ckpt_{damaged}.ckpt").write_bytes(b"")
    whole = max(int(path.stem.removeprefix("ckpt_")) for path in folder.glob("ckpt_[0-9]*.ckpt")
                if path.stat().st_size and int(path.stem.removeprefix("ckpt_")) != damaged)

    result = ba3l(tmp_path, "resume", str(storage_dir), "with", "sleep=0.0")

    assert f"the latest checkpoint, checkpoints/ckpt_{damaged}.ckpt, is damaged" in result.stderr
    resumed = json.loads((storage_dir / "runs" / "2" / "info.json").read_text())["resumed_from"]
    assert resumed == {"checkpoint": f"checkpoints/ckpt_{whole}.ckpt", "global_step": whole}
    expected, got = weights(uninterrupted), weights(storage_dir)
    assert all(torch.equal(expected[name], got[name]) for name in expected)


def test_tensorboard_shows_each_step_once_after_a_resume(tmp_path):
    shutil.copy(SCRIPT, tmp_path)
    storage_dir = start_and_kill(tmp_path, 20, "seed=5")
    ba3l(tmp_path, "resume", str(storage_dir))
    steps = logged_steps(storage_dir / "tensorboard", "loss")
    assert steps == list(range(STEPS_PER_EPOCH * EPOCHS))


def test_resume_auto_goes_on_with_the_unfinished_storage_dir_of_the_same_config(tmp_path):
    shutil.copy(SCRIPT, tmp_path)
    ba3l(tmp_path, "with", "trainer.max_epochs=1")  # finished: not resumed
    interrupted = start_and_kill(tmp_path, 8, signum=signal.SIGTERM)
    run = json.loads((interrupted / "runs" / "1" / "run.json").read_text())
    assert run["status"] == "INTERRUPTED"

    ba3l(tmp_path, "with", "sleep=0.05", "resume=auto")  # the same command line again, as SLURM's requeue would
    assert len(storage_dirs(tmp_path)) == 2  # no new storage dir: the interrupted one went on
    resumed = json.loads((interrupted / "runs" / "2" / "run.json").read_text())
    assert resumed["status"] == "COMPLETED"
    config = json.loads((interrupted / "runs" / "2" / "config.json").read_text())
    assert config["seed"] == json.loads((interrupted / "config.json").read_text())["seed"]  # the stored config's
    assert config["resume"] == str(interrupted)

    ba3l(tmp_path, "with", "resume=auto", "trainer.max_epochs=2")  # another config: nothing to resume, a new start
    assert len(storage_dirs(tmp_path)) == 3
    assert json.loads((storage_dirs(tmp_path)[2] / "runs" / "1" / "info.json").read_text()) == {"resumed_from": None}


def test_resume_of_a_folder_that_is_no_storage_dir_is_bad_input(tmp_path):
    shutil.copy(SCRIPT, tmp_path)
    result = ba3l(tmp_path, "resume", str(tmp_path), check=False)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"error: '{tmp_path}' is not a storage dir: it has no config.json"]
    assert storage_dirs(tmp_path) == []  # nothing half-written
    assert ba3l(tmp_path, "resume", check=False).stderr.startswith("error: resume takes one STORAGE_DIR")


def test_resuming_needs_a_storage_dir_observer(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    ex = Experiment("plain")
    ex.trainer  # noqa: B018 - declares resume

    @ex.main
    def main():
        pass

    with pytest.raises(UsageError, match="resume records into a storage dir: add a StorageDirObserver"):
        ex.run(config_updates={"resume": str(tmp_path)})


def test_a_resume_key_of_an_experiment_without_trainer_is_its_own():
    ex = Experiment("own")
    ex.add_config(resume=True)

    @ex.main
    def main(resume):
        return resume

    assert ex.run().result is True


def test_help_lists_resume_for_an_experiment_with_a_trainer():
    ex = Experiment("helped")
    ex.trainer  # noqa: B018 - declares resume

    @ex.main
    def main():
        pass

    shown = invoke(ex, "--help").stdout
    assert "resume STORAGE_DIR   Go on training where the runs of STORAGE_DIR stopped" in shown
    assert "a storage dir to go on with, 'auto'" in shown  # the config entry, with its doc
    assert "resume STORAGE_DIR" not in invoke(Experiment("plain"), "--help").stdout


def test_resuming_a_finished_training_says_how_to_train_on_and_a_larger_limit_does(tmp_path):
    shutil.copy(SCRIPT, tmp_path)
    ba3l(tmp_path, "with", "seed=3", "trainer.max_epochs=1")
    storage_dir = storage_dirs(tmp_path)[0]

    done = ba3l(tmp_path, "resume", str(storage_dir))
    assert (f"resumed at step {STEPS_PER_EPOCH}, where the training ended (trainer.max_epochs=1): nothing left "
            "to train; to train on, resume with a larger trainer.max_epochs") in done.stderr
    assert latest_step(storage_dir) == STEPS_PER_EPOCH
    assert "ckpt_path after fit None" in done.stdout  # a trainer.test(model) would not load the checkpoint again

    ba3l(tmp_path, "resume", str(storage_dir), "with", "trainer.max_epochs=2")
    assert latest_step(storage_dir) == 2 * STEPS_PER_EPOCH
    assert logged_steps(storage_dir / "tensorboard", "loss") == list(range(2 * STEPS_PER_EPOCH))


def test_resuming_a_training_ended_by_max_steps_names_that_limit(tmp_path):
    shutil.copy(SCRIPT, tmp_path)
    ba3l(tmp_path, "with", "trainer.max_steps=5")
    done = ba3l(tmp_path, "resume", str(storage_dirs(tmp_path)[0]))
    assert ("resumed at step 5, where the training ended (trainer.max_steps=5): nothing left to train; "
            "to train on, resume with a larger trainer.max_steps") in done.stderr

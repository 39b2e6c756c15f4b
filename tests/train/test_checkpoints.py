"""Checkpoint files: numbered, links to the latest and the best moved in one step, old ones
pruned, and a kill during a save never leaves a broken latest."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ba3l.train._checkpoints import CheckpointFolder


def writer(text: str):
    return lambda path: Path(path).write_text(text, encoding="utf-8")


def test_latest_and_best_follow_the_saves(tmp_path):
    folder = CheckpointFolder(tmp_path / "checkpoints", keep_last=2)
    for step, loss, accuracy in ((10, 0.9, 0.5), (20, 0.4, 0.7), (30, 0.6, 0.8), (40, 0.5, 0.6)):
        folder.save(step, writer(f"weights {step}"), {"val_loss": loss, "acc": accuracy},
                    {"val_loss": "min", "acc": "max"})
    assert Path(folder.latest()).read_text() == "weights 40"
    assert Path(folder.best("val_loss")).read_text() == "weights 20"
    assert Path(folder.best("acc")).read_text() == "weights 30"
    assert folder.best("nothing") is None
    names = sorted(os.listdir(tmp_path / "checkpoints"))
    assert names == ["checkpoints.json", "ckpt_20.ckpt", "ckpt_30.ckpt", "ckpt_40.ckpt", "ckpt_best_acc.ckpt",
                     "ckpt_best_val_loss.ckpt", "ckpt_latest.ckpt"]  # 10 pruned; 20 kept as the best
    assert os.readlink(tmp_path / "checkpoints" / "ckpt_latest.ckpt") == "ckpt_40.ckpt"  # relative
    pointer = json.loads((tmp_path / "checkpoints" / "checkpoints.json").read_text())
    assert pointer["latest"] == "ckpt_40.ckpt" and pointer["best"]["val_loss"]["value"] == 0.4


def test_without_symlinks_the_pointer_file_says_where(tmp_path, monkeypatch):
    def no_symlinks(*args, **kwargs):
        raise OSError("operation not permitted")

    monkeypatch.setattr(os, "symlink", no_symlinks)
    folder = CheckpointFolder(tmp_path, keep_last=None)
    folder.save(1, writer("one"), {"loss": 1.0}, {"loss": "min"})
    folder.save(2, writer("two"), {"loss": 2.0}, {"loss": "min"})
    assert Path(folder.latest()).read_text() == "two" and Path(folder.best("loss")).read_text() == "one"
    assert not any(name.endswith(".tmp") for name in os.listdir(tmp_path))


def test_an_empty_folder_has_no_checkpoint(tmp_path):
    assert CheckpointFolder(tmp_path / "none").latest() is None


def test_bad_settings_are_refused(tmp_path):
    with pytest.raises(ValueError, match="keep_last"):
        CheckpointFolder(tmp_path, keep_last=0)
    with pytest.raises(ValueError, match="'min' or 'max'"):
        CheckpointFolder(tmp_path).save(1, writer("x"), {"loss": 1.0}, {"loss": "lowest"})


SAVER = '''\
import sys, time
from ba3l.train._checkpoints import CheckpointFolder

def slow_write(path):
    with open(path, "w") as file:
        for _ in range(10_000):
            file.write("x" * 1000)
            file.flush()
            time.sleep(0.001)

folder = CheckpointFolder(sys.argv[1])
folder.save(1, lambda path: open(path, "w").write("complete"))
print("saved", flush=True)
folder.save(2, slow_write)
'''


def test_a_kill_during_a_save_leaves_latest_at_the_last_complete_checkpoint(tmp_path):
    process = subprocess.Popen([sys.executable, "-c", SAVER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline() == "saved\n"
    time.sleep(0.3)  # well inside the slow save
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    folder = CheckpointFolder(tmp_path)
    assert Path(folder.latest()).read_text() == "complete"
    assert not (tmp_path / "ckpt_2.ckpt").exists()
    folder.save(3, writer("three"))  # the next save clears what the kill left
    assert not any(name.endswith(".tmp") for name in os.listdir(tmp_path))
    assert Path(folder.latest()).read_text() == "three"


def test_a_kill_between_the_pointer_and_the_link_leaves_latest_at_the_newer_complete_checkpoint(tmp_path):
    folder = CheckpointFolder(tmp_path / "checkpoints")
    folder.save(10, writer("weights 10"))
    folder.save(20, writer("weights 20"))
    link = tmp_path / "checkpoints" / "ckpt_latest.ckpt"
    link.unlink()
    link.symlink_to("ckpt_10.ckpt")  # the pointer file moved to 20, the link not yet
    assert Path(folder.latest()).read_text() == "weights 20"


def test_a_checkpoint_taken_in_memory_holds_the_tensors_as_they_were_when_it_was_taken():
    import torch

    from ba3l.train._checkpointing import memory_checkpoint_io

    memory_io = memory_checkpoint_io()
    weights = torch.zeros(3)
    serialized = memory_io.take(lambda: memory_io.save_checkpoint({"state_dict": {"w": weights}, "epoch": 2}, "unused"))
    weights += 1  # the next training step
    serialized.seek(0)
    loaded = torch.load(serialized, weights_only=True)
    assert torch.equal(loaded["state_dict"]["w"], torch.zeros(3)) and loaded["epoch"] == 2
    assert memory_io.take(lambda: None) is None  # a process that saved nothing (not rank 0) gets nothing


def test_a_checkpoint_is_whole_unless_empty_zeroed_or_an_archive_cut_short(tmp_path):
    import torch

    from ba3l.train._checkpointing import is_whole

    saved = tmp_path / "saved.ckpt"
    torch.save({"w": torch.ones(1000)}, saved)
    data = saved.read_bytes()
    files = {"saved": data, "cut short": data[: len(data) // 2], "empty": b"", "zeros": bytes(len(data)),
             "a format of its own": b"safetensors-ish header and data"}
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    assert {name: is_whole(str(tmp_path / name)) for name in files} == {
        "saved": True, "cut short": False, "empty": False, "zeros": False, "a format of its own": True}
    assert not is_whole(str(tmp_path / "missing"))


def test_the_latest_complete_checkpoint_passes_over_damaged_ones_newest_first(tmp_path):
    folder = CheckpointFolder(tmp_path, keep_last=None)
    for step in (10, 20, 30):
        folder.save(step, writer(f"weights {step}"))
    complete = lambda path: Path(path).read_text() != ""  # noqa: E731
    assert folder.latest_complete(complete) == str(tmp_path / "ckpt_30.ckpt")
    (tmp_path / "ckpt_30.ckpt").write_text("")
    assert folder.latest_complete(complete) == str(tmp_path / "ckpt_20.ckpt")
    (tmp_path / "ckpt_40.ckpt").write_text("weights 40")  # renamed into place, the pointer not yet moved
    assert folder.latest_complete(complete) == str(tmp_path / "ckpt_40.ckpt")
    for step in (10, 20, 40):
        (tmp_path / f"ckpt_{step}.ckpt").write_text("")
    assert folder.latest_complete(complete) is None
    assert CheckpointFolder(tmp_path / "never-made").latest_complete(complete) is None


def test_a_resumed_run_takes_over_the_folder_and_prunes_what_the_earlier_one_saved(tmp_path):
    earlier = CheckpointFolder(tmp_path, keep_last=2)
    for step in (10, 20, 30):
        earlier.save(step, writer(f"weights {step}"), {"loss": 1.0 / step}, {"loss": "min"})
    resumed = CheckpointFolder(tmp_path, keep_last=2)  # a new process: it knows the folder only from disk
    resumed.save(40, writer("weights 40"), {"loss": 1.0}, {"loss": "min"})
    assert sorted(name for name in os.listdir(tmp_path) if name.startswith("ckpt_")) == [
        "ckpt_30.ckpt", "ckpt_40.ckpt", "ckpt_best_loss.ckpt", "ckpt_latest.ckpt"]
    assert Path(resumed.best("loss")).read_text() == "weights 30"  # the earlier run's best still counts
    assert Path(resumed.latest()).read_text() == "weights 40"

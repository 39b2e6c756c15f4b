"""Two processes from one command (DDP with gloo on CPU): one run record, one storage dir,
each checkpoint written once, the same seed and storage dir in both processes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import torch

SCRIPT = Path(__file__).with_name("resumable.py")


def test_ddp_on_two_cpu_processes_keeps_one_record_and_one_storage_dir(tmp_path):
    shutil.copy(SCRIPT, tmp_path)
    env = {**os.environ, "BA3L_STORAGE_ROOT": str(tmp_path / "storage")}
    result = subprocess.run(
        [sys.executable, "resumable.py", "with", "trainer.strategy=ddp", "trainer.devices=2", "trainer.max_epochs=2",
         "trainer.keep_last=None"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]

    assert sorted(os.listdir(tmp_path)) == ["resumable.py", "storage"]  # the second process wrote nothing of its own
    assert os.listdir(tmp_path / "storage" / "resumable") == ["1"]
    storage_dir = tmp_path / "storage" / "resumable" / "1"
    runs = [name for name in os.listdir(storage_dir / "runs") if name.isdigit()]
    assert runs == ["1"]
    record = json.loads((storage_dir / "runs" / "1" / "run.json").read_text())
    assert record["status"] == "COMPLETED"

    reports = sorted(line for line in result.stdout.splitlines() if line.startswith("rank "))
    seed = json.loads((storage_dir / "config.json").read_text())["seed"]
    assert reports == [f"rank {rank}: run 1, seed {seed}, storage dir {storage_dir}" for rank in (0, 1)]

    steps = 2 * 7  # each process takes 100 of the 200 examples: 7 batches of 16 an epoch
    expected = [f"ckpt_{step}.ckpt" for step in range(1, steps + 1)] + ["ckpt_latest.ckpt", "checkpoints.json"]
    assert sorted(os.listdir(storage_dir / "checkpoints")) == sorted(expected)  # nothing from the other process
    latest = torch.load(storage_dir / "checkpoints" / "ckpt_latest.ckpt", weights_only=True)
    assert latest["global_step"] == steps
    metrics = json.loads((storage_dir / "runs" / "1" / "metrics.json").read_text())
    assert metrics["loss"]["steps"] == list(range(steps))  # logged once, by the first process

"""Two processes from one command (DDP with gloo on CPU): one run record, one storage dir,
each checkpoint written once, the same seed and storage dir in both processes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
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


DDP_JOB = '''\
import time
import lightning.pytorch as pl
import torch
from ba3l import Experiment

ex = Experiment("ddp_job")
ex.trainer


@ex.config
def config():
    epochs = 2
    peer_hangs_in_epoch = -1  # the epoch whose second step the second process hangs in (-1: none)


class Net(pl.LightningModule):
    def __init__(self, peer_hangs_in_epoch):
        super().__init__()
        self.net = torch.nn.Linear(8, 2)
        self.peer_hangs_in_epoch = peer_hangs_in_epoch

    def training_step(self, batch, batch_index):
        if self.current_epoch == self.peer_hangs_in_epoch and batch_index == 1:
            if self.global_rank == 1:
                time.sleep(300)  # a peer that hangs: the other process waits in the gradients' all-reduce
            print("rank 0 goes into the all-reduce", flush=True)
        return torch.nn.functional.cross_entropy(self.net(batch[0]), batch[1])

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


@ex.automain
def main(_run, epochs, peer_hangs_in_epoch):
    torch.set_num_threads(1)
    data = torch.utils.data.TensorDataset(torch.randn(64, 8), torch.randint(0, 2, (64,)))
    trainer = ex.get_trainer(max_epochs=epochs, accelerator="cpu", strategy="ddp", devices=2,
                             enable_model_summary=False, enable_progress_bar=False)
    trainer.fit(Net(peer_hangs_in_epoch), torch.utils.data.DataLoader(data, batch_size=16))
    print(f"rank {trainer.global_rank}: {trainer.global_step} steps in {trainer.default_root_dir}")
'''


def test_ddp_without_a_storage_dir_saves_into_the_runs_record_from_both_processes(tmp_path):
    """Every process of the job takes part in a save, so the second one must find the same folder
    (it has no record of its own): before it did, the first process waited for it at the first save."""
    (tmp_path / "ddp_job.py").write_text(DDP_JOB)
    job = subprocess.Popen([sys.executable, "ddp_job.py", "-F", "runs"], cwd=tmp_path, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = job.communicate(timeout=120)
    finally:
        if job.poll() is None:
            os.killpg(job.pid, signal.SIGKILL)  # both processes: a hung job must not outlive the test
            job.communicate()
    assert job.returncode == 0, err[-3000:]
    record = tmp_path / "runs" / "1"
    assert sorted(line for line in out.splitlines() if line.startswith("rank ")) == [
        f"rank {rank}: 4 steps in {record}" for rank in (0, 1)]
    assert sorted(os.listdir(record / "checkpoints")) == ["checkpoints.json", "ckpt_2.ckpt", "ckpt_4.ckpt",
                                                          "ckpt_latest.ckpt"]
    assert sorted(os.listdir(tmp_path)) == ["ddp_job.py", "runs"]
    assert json.loads((record / "run.json").read_text())["status"] == "COMPLETED"


def test_a_sigterm_to_a_process_waiting_on_a_hung_peer_ends_the_run_as_interrupted(tmp_path):
    """The first process sits in gloo's all-reduce (C++, for up to 30 minutes) where no signal
    handler runs; after --signal-grace the run is recorded INTERRUPTED and the process ends, and
    the checkpoint of the last finished epoch stays the latest."""
    (tmp_path / "ddp_job.py").write_text(DDP_JOB)
    job = subprocess.Popen([sys.executable, "ddp_job.py", "-F", "runs", "--signal-grace", "2", "with", "epochs=3",
                            "peer_hangs_in_epoch=1"], cwd=tmp_path,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert "rank 0 goes into the all-reduce" in job.stdout.readline()
        time.sleep(1)
        signalled = time.monotonic()
        job.send_signal(signal.SIGTERM)  # the first process only, as a scheduler's kill of it would
        job.wait(timeout=60)  # not communicate(): the hanging second process keeps the pipes open
        took = time.monotonic() - signalled
    finally:
        os.killpg(job.pid, signal.SIGKILL)  # the hanging second process
        _, err = job.communicate()
    assert job.returncode == 128 + signal.SIGTERM, err[-3000:]
    assert took < 30
    record = tmp_path / "runs" / "1"
    assert json.loads((record / "run.json").read_text())["status"] == "INTERRUPTED"
    assert "did not stop within 2s of signal 15" in err
    latest = torch.load(record / "checkpoints" / "ckpt_latest.ckpt", weights_only=True)
    assert latest["global_step"] == 2  # the end of the first epoch: 2 steps of 2 batches in each process

"""A training script for the resume tests: dropout and an LR schedule, so that every piece of
state (weights, optimizer, scheduler, random generators, data position) has to come back.

    python resumable.py with seed=3 workers=2 sleep=0.05
    python resumable.py resume storage/resumable/2
    python resumable.py with trainer.strategy=ddp trainer.devices=2
"""

import os
import time

import lightning.pytorch as pl
import torch

from ba3l import Experiment
from ba3l.observers import StorageDirObserver
from ba3l.train import ResumableLoader

ex = Experiment("resumable")
ex.trainer  # noqa: B018 - declares trainer.* and resume
ex.observers.append(StorageDirObserver())

STEPS_PER_EPOCH = 13  # 200 examples in batches of 16


@ex.config
def config():
    workers = 0  # loader processes
    sleep = 0.0  # seconds per step, to give a test time to kill the run
    trainer = {"max_epochs": 3, "accelerator": "cpu", "deterministic": True, "checkpoint_every_steps": 1,
               "enable_model_summary": False, "log_every_n_steps": 1, "enable_progress_bar": False}


class Net(pl.LightningModule):
    def __init__(self, sleep: float):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.ReLU(), torch.nn.Dropout(0.3),
                                       torch.nn.Linear(32, 2))
        self.sleep = sleep

    def training_step(self, batch, batch_index):
        time.sleep(self.sleep)
        x, y = batch
        loss = torch.nn.functional.cross_entropy(self.net(x), y)
        self.log("loss", loss)
        return loss

    def configure_optimizers(self):
        optimizer = torch.optim.Adam(self.parameters(), lr=1e-2)
        return [optimizer], [torch.optim.lr_scheduler.StepLR(optimizer, 5, 0.5)]


@ex.automain
def main(_run, workers, sleep):
    torch.set_num_threads(1)
    generator = torch.Generator().manual_seed(0)
    data = torch.utils.data.TensorDataset(torch.randn(200, 8, generator=generator),
                                          torch.randint(0, 2, (200,), generator=generator))
    model = Net(sleep)
    trainer = ex.get_trainer()
    trainer.fit(model, ResumableLoader(data, batch_size=16, shuffle=True, num_workers=workers))
    tester = ex.get_trainer(logger=False, enable_checkpointing=False)  # a second trainer does not resume again
    assert tester.ckpt_path is None
    print(f"rank {trainer.global_rank}: run {_run.id}, seed {_run.seed}, storage dir {_run.storage_dir}")
    print(f"ckpt_path after fit {trainer.ckpt_path}")
    if trainer.is_global_zero:
        torch.save(model.state_dict(), os.path.join(_run.storage_dir, "final.pt"))

"""The Lightning Trainer as config: every argument under trainer.*, built in a run with ba3l's
defaults (storage dir, TensorBoard, metrics forwarded to the run, a progress bar by time)."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import warnings
from pathlib import Path

import lightning.pytorch as pl
import pytest
import torch
from lightning.pytorch.callbacks import EarlyStopping, TQDMProgressBar
from torch.utils.data import DataLoader, TensorDataset

from ba3l import Experiment, invoke
from ba3l.config import ConfigError
from ba3l.observers import StorageDirObserver


class Tiny(pl.LightningModule):
    def __init__(self, log_loss: bool = True):
        super().__init__()
        self.layer = torch.nn.Linear(4, 1)
        self.log_loss = log_loss  # barebones refuses self.log

    def training_step(self, batch, batch_index):
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.layer(x), y)
        if self.log_loss:
            self.log("train_loss", loss)
        return loss

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


def data() -> DataLoader:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(64, 4, generator=generator)
    return DataLoader(TensorDataset(x, x.sum(dim=1, keepdim=True)), batch_size=8)


def build(tmp_path: Path) -> Experiment:
    ex = Experiment("fit")
    ex.trainer  # noqa: B018 - declares trainer.* in the config
    ex.observers.append(StorageDirObserver(root=tmp_path / "storage"))

    @ex.main
    def main(_run):
        trainer = ex.get_trainer(enable_model_summary=False)
        trainer.fit(Tiny(), data())
        return {"root": trainer.default_root_dir, "steps": trainer.global_step,
                "bar": type(trainer.progress_bar_callback).__name__}

    return ex


@pytest.mark.parametrize("make, bar", [(lambda: EarlyStopping(monitor="train_loss"), "TimedProgressBar"),
                                       (TQDMProgressBar, "TQDMProgressBar")])
def test_callbacks_of_the_config_keep_ba3l_s_progress_bar_unless_they_bring_one(make, bar):
    ex = Experiment("with_callbacks")
    ex.trainer  # noqa: B018 - declares trainer.* in the config
    given = make()

    @ex.main
    def main():
        trainer = ex.get_trainer(callbacks=[given], logger=False, enable_checkpointing=False)
        return type(trainer.progress_bar_callback).__name__, given in trainer.callbacks

    result = invoke(ex, "-u")
    assert result.exit_code == 0, result.stderr
    assert result.run.result == (bar, True)


@pytest.mark.parametrize("settings, profiler", [("", "NoProfiler"), ("trainer.profiler=simple", "SimpleProfiler")])
def test_the_profiler_costs_nothing_unless_the_config_asks_for_one(settings, profiler, tmp_path):
    ex = Experiment("profiled")
    ex.trainer  # noqa: B018 - declares trainer.* in the config

    @ex.main
    def main():
        trainer = ex.get_trainer(max_epochs=1, accelerator="cpu", enable_model_summary=False, logger=False,
                                 enable_progress_bar=False, enable_checkpointing=False)
        trainer.fit(Tiny(), data())
        return type(trainer.profiler).__name__, trainer.global_step

    result = invoke(ex, f"-u with {settings}")
    assert result.exit_code == 0, result.stderr
    assert result.run.result == (profiler, 8)


def test_a_barebones_trainer_gets_none_of_ba3ls_additions(tmp_path):
    ex = Experiment("barebones")
    ex.trainer  # noqa: B018 - declares trainer.* in the config
    ex.observers.append(StorageDirObserver(root=tmp_path / "storage"))

    @ex.main
    def main():
        trainer = ex.get_trainer(max_epochs=1, accelerator="cpu")
        trainer.fit(Tiny(log_loss=False), data())
        return trainer.loggers, trainer.checkpoint_callbacks, trainer.global_step, trainer.default_root_dir

    result = invoke(ex, "with trainer.barebones=True")
    assert result.exit_code == 0, result.stderr
    assert result.run.result == ([], [], 8, str(tmp_path / "storage" / "barebones" / "1"))


def test_an_unobserved_run_keeps_nothing_unless_the_config_gives_a_root_dir(tmp_path, monkeypatch, caplog):
    monkeypatch.chdir(tmp_path)
    ex = Experiment("unobserved")
    ex.trainer  # noqa: B018 - declares trainer.* in the config

    @ex.main
    def main():
        trainer = ex.get_trainer(enable_model_summary=False)
        trainer.fit(Tiny(), data())
        saving = [type(callback).__name__ for callback in trainer.callbacks if "Checkpoint" in type(callback).__name__]
        return [type(logger).__name__ for logger in trainer.loggers], saving

    result = invoke(ex, "-u with trainer.max_epochs=1 trainer.accelerator=cpu")
    assert result.exit_code == 0, result.stderr
    assert result.run.result == (["RunLogger"], []) and os.listdir(tmp_path) == []  # nothing in the cwd
    assert "set trainer.default_root_dir to keep them" in caplog.text

    kept = tmp_path / "kept"
    result = invoke(ex, f"-u with trainer.max_epochs=1 trainer.accelerator=cpu trainer.default_root_dir={kept}")
    assert result.exit_code == 0, result.stderr
    assert result.run.result == (["ConfigFreeTensorBoardLogger", "RunLogger"], ["SaveCheckpoints"])
    assert (kept / "checkpoints" / "ckpt_latest.ckpt").resolve().name == "ckpt_8.ckpt"
    assert os.listdir(tmp_path) == ["kept"]


class Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def test_building_the_trainer_leaves_out_lightnings_advertisement_and_the_missing_tpu(tmp_path):
    lightning_says = logging.getLogger("lightning.pytorch.utilities.rank_zero")
    heard = Lines()
    lightning_says.addHandler(heard)
    ex = Experiment("chatter")
    ex.trainer  # noqa: B018 - declares trainer.* in the config

    @ex.main
    def main():
        return type(ex.get_trainer(accelerator="cpu")).__name__

    try:
        assert invoke(ex, "-u").run.result == "Trainer"
        by_ba3l, heard.lines = heard.lines, []
        pl.Trainer(accelerator="cpu", default_root_dir=tmp_path)
        by_lightning = heard.lines
    finally:
        lightning_says.removeHandler(heard)
    assert any(line.startswith("💡 Tip:") for line in by_lightning)  # Lightning's own, after ba3l's filter is gone
    assert any(line.startswith("TPU available: False") for line in by_lightning)
    assert not any(line.startswith(("💡 Tip:", "TPU available")) for line in by_ba3l)
    assert any(line.startswith("GPU available:") for line in by_ba3l)


def test_a_fit_hides_the_deprecation_lightning_triggers_in_torch_and_only_that(tmp_path):
    """Lightning 2.6 uses torch 2.13's deprecated LeafSpec at every fit; ba3l's trainer ignores
    that warning where Lightning raises it, and nowhere else."""
    from torch.utils._pytree import LeafSpec

    def leaf_spec_warnings(caught):
        return [warning for warning in caught if "LeafSpec" in str(warning.message)]

    with warnings.catch_warnings(record=True) as by_lightning:
        warnings.simplefilter("always")
        pl.Trainer(max_epochs=1, accelerator="cpu", default_root_dir=tmp_path, enable_progress_bar=False,
                   enable_model_summary=False, logger=False, enable_checkpointing=False).fit(Tiny(), data())
    assert leaf_spec_warnings(by_lightning), "Lightning no longer triggers it: the filter can go"

    with warnings.catch_warnings(record=True) as by_ba3l:
        warnings.simplefilter("always")
        assert invoke(build(tmp_path), "with trainer.max_epochs=1").run.result["steps"] == 8
        isinstance(LeafSpec(), LeafSpec)  # the user's own code: still warned
    assert [warning.filename for warning in leaf_spec_warnings(by_ba3l)] == [__file__]


def test_every_trainer_argument_is_config_and_changes_from_the_command_line(tmp_path):
    ex = build(tmp_path)
    printed = invoke(ex, "print_config with trainer.max_epochs=2")
    assert "max_epochs = 2" in printed.stdout and "accelerator = 'auto'" in printed.stdout
    result = invoke(ex, "with trainer.max_epochs=2 trainer.log_every_n_steps=1 trainer.accelerator=cpu")
    assert result.exit_code == 0, result.stderr
    run = result.run
    storage = tmp_path / "storage" / "fit" / "1"
    assert run.result == {"root": str(storage), "steps": 16, "bar": "TimedProgressBar"}
    assert (storage / "tensorboard").is_dir() and any((storage / "tensorboard").rglob("events.out.tfevents*"))
    metrics = json.loads((storage / "runs" / "1" / "metrics.json").read_text())
    assert metrics["train_loss"]["steps"] == list(range(16))  # every logged value reached the run
    assert json.loads((storage / "config.json").read_text())["trainer"]["max_epochs"] == 2


def test_a_wrong_trainer_value_is_bad_input(tmp_path):
    result = invoke(build(tmp_path), "with trainer.max_epochs=many")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: config entry 'trainer.max_epochs' (command line): expected ")


def test_get_trainer_needs_a_declared_trainer_and_a_run(tmp_path):
    ex = Experiment("undeclared")

    @ex.main
    def main():
        return ex.get_trainer()

    with pytest.raises(ConfigError, match="write `ex.trainer` once"):
        ex.run()
    with pytest.raises(ConfigError, match="inside a run"):
        build(tmp_path).get_trainer()


def test_checkpoints_go_to_the_storage_dir_with_latest_and_best_links(tmp_path):
    ex = build(tmp_path)
    result = invoke(ex, "with trainer.max_epochs=3 trainer.accelerator=cpu trainer.monitor=train_loss "
                        "trainer.keep_last=1")
    assert result.exit_code == 0, result.stderr
    folder = tmp_path / "storage" / "fit" / "1" / "checkpoints"
    assert (folder / "ckpt_latest.ckpt").resolve().name == "ckpt_24.ckpt"
    assert (folder / "ckpt_best_train_loss.ckpt").exists()
    import numpy  # noqa: F401 - its generator's state is saved too

    saved = torch.load(folder / "ckpt_latest.ckpt", weights_only=True)
    assert saved["global_step"] == 24 and "python" in saved["ba3l_rng_states"]
    assert len(list(folder.glob("ckpt_[0-9]*.ckpt"))) <= 2  # the newest, and the best if it is older
    assert not (tmp_path / "storage" / "fit" / "1" / "tensorboard" / "checkpoints").exists()  # no second copy


def test_a_checkpoint_that_cannot_be_written_fails_the_run_and_latest_stays_complete(tmp_path, monkeypatch):
    from ba3l.train import _checkpointing

    real_writer_of = _checkpointing._writer_of
    written = []

    def second_write_fails(serialized):
        write = real_writer_of(serialized)

        def failing(path):
            written.append(path)
            if len(written) == 2:
                raise OSError(28, "No space left on device")
            write(path)

        return failing

    monkeypatch.setattr(_checkpointing, "_writer_of", second_write_fails)
    result = invoke(build(tmp_path), "with trainer.max_epochs=4 trainer.accelerator=cpu")
    assert result.exit_code != 0 and "No space left on device" in result.stderr
    storage = tmp_path / "storage" / "fit" / "1"
    assert json.loads((storage / "runs" / "1" / "run.json").read_text())["status"] == "FAILED"
    folder = storage / "checkpoints"
    assert (folder / "ckpt_latest.ckpt").resolve().name == "ckpt_8.ckpt"  # the first save, complete
    assert torch.load(folder / "ckpt_latest.ckpt", weights_only=True)["global_step"] == 8
    assert not [name for name in os.listdir(folder) if name.endswith(".tmp")]


PREEMPTED = '''\
import time
import lightning.pytorch as pl
import torch
from torch.utils.data import DataLoader, TensorDataset
from ba3l import Experiment
from ba3l.observers import StorageDirObserver

ex = Experiment("preempted")
ex.trainer
ex.observers.append(StorageDirObserver())


class Slow(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.layer = torch.nn.Linear(4, 1)

    def training_step(self, batch, batch_index):
        if self.global_step == 5:
            print("step 5", flush=True)
        time.sleep(0.05)
        x, y = batch
        return torch.nn.functional.mse_loss(self.layer(x), y)

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


@ex.automain
def main():
    x = torch.randn(4000, 4)
    ex.get_trainer(max_epochs=1, accelerator="cpu", enable_progress_bar=False, enable_model_summary=False).fit(
        Slow(), DataLoader(TensorDataset(x, x.sum(dim=1, keepdim=True)), batch_size=4))
'''


@pytest.mark.parametrize("signum", [signal.SIGUSR1, signal.SIGTERM])
def test_a_preempted_run_saves_a_checkpoint_and_ends_interrupted(tmp_path, signum):
    (tmp_path / "preempted.py").write_text(PREEMPTED, encoding="utf-8")
    env = {**os.environ, "BA3L_STORAGE_ROOT": str(tmp_path / "storage")}
    process = subprocess.Popen([sys.executable, "preempted.py"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    assert process.stdout.readline() == "step 5\n"
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 128 + signum, stderr[-2000:]
    storage = tmp_path / "storage" / "preempted" / "1"
    assert json.loads((storage / "runs" / "1" / "run.json").read_text())["status"] == "INTERRUPTED"
    saved = torch.load(storage / "checkpoints" / "ckpt_latest.ckpt", weights_only=True)
    assert saved["global_step"] >= 5


def test_load_refuses_a_folder_that_is_no_storage_dir_or_has_no_checkpoint(tmp_path):
    from ba3l.train import load

    with pytest.raises(ConfigError, match="is not a ba3l storage dir: it has no config.json"):
        load(tmp_path)
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ConfigError, match="has no checkpoint yet"):
        load(tmp_path)
    with pytest.raises(ConfigError, match="no checkpoint file"):
        load(tmp_path, checkpoint=str(tmp_path / "nothing.ckpt"))


def test_load_of_a_damaged_checkpoint_names_the_newest_whole_one(tmp_path):
    from ba3l.train import CheckpointFolder, load

    (tmp_path / "config.json").write_text("{}", encoding="utf-8")
    folder = CheckpointFolder(tmp_path / "checkpoints")
    for step in (10, 20):
        folder.save(step, lambda path: torch.save({"global_step": step}, path))
    (tmp_path / "checkpoints" / "ckpt_20.ckpt").write_bytes(b"")  # what a crash of the machine can leave
    whole = str(tmp_path / "checkpoints" / "ckpt_10.ckpt")
    expected = f"ckpt_20.ckpt' is damaged: empty or cut short; the newest whole one is {whole}"
    with pytest.raises(ConfigError, match=re.escape(expected)):
        load(tmp_path, checkpoint="latest")


def test_a_resume_whose_checkpoints_are_all_damaged_starts_afresh_and_says_so(tmp_path, caplog):
    import logging

    from ba3l.train import CheckpointFolder
    from ba3l.train._trainer import _latest_whole

    folder = CheckpointFolder(tmp_path / "checkpoints")
    folder.save(10, lambda path: Path(path).write_bytes(b""))  # all a crash of the machine left of it

    class Run:
        logger = logging.getLogger("resumed")

    with caplog.at_level(logging.WARNING, logger="resumed"):
        assert _latest_whole(folder, Run(), str(tmp_path)) is None
    assert "checkpoints/ckpt_10.ckpt, is damaged" in caplog.text and "starting afresh" in caplog.text

"""ba3l.train.LightningModule: the run's config as self.config, sub-models, optimizer and
scheduler from the config, the config as hyperparameters; loading it back from config.json."""

from __future__ import annotations

import copy
import inspect
import json
import pickle
from pathlib import Path

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from torch.utils.data import DataLoader, TensorDataset

import ba3l
import ba3l.train
from ba3l import CMD, Experiment, Ingredient
from ba3l.config import ConfigError
from ba3l.observers import StorageDirObserver
from ba3l.train import LightningModule


class Regressor(LightningModule):
    def __init__(self, config=None):
        super().__init__(config)
        self.encoder = self.build_model("encoder")
        self.head = torch.nn.Linear(8, 1)

    def forward(self, x):
        return self.head(self.encoder(x))

    def training_step(self, batch, batch_index):
        x, y = batch
        loss = torch.nn.functional.mse_loss(self(x), y)
        self.log("loss", loss)
        self.log_scalar("fast_loss", loss)
        return loss


def experiment(tmp_path: Path, **config) -> Experiment:
    ex = Experiment("module")
    ex.trainer  # noqa: B018 - declares trainer.*
    ex.observers.append(StorageDirObserver(root=tmp_path / "storage"))
    ex.add_config(
        models={"encoder": {"factory": "torch.nn.Linear", "in_features": 4, "out_features": 8}},
        optimizer={"factory": "torch.optim.SGD", "lr": 0.1, "momentum": 0.0},
        trainer={"max_epochs": 2, "accelerator": "cpu", "enable_model_summary": False, "enable_progress_bar": False},
        **config,
    )
    return ex


def data() -> DataLoader:
    x = torch.randn(32, 4, generator=torch.Generator().manual_seed(0))
    return DataLoader(TensorDataset(x, x.sum(dim=1, keepdim=True)), batch_size=8)


def test_in_a_run_the_module_has_the_config_the_run_and_the_experiment(tmp_path):
    ex = experiment(tmp_path)

    @ex.main
    def main(_run):
        model = Regressor()
        return model.config["optimizer"]["lr"], model.run is _run, model.experiment is ex, dict(model.hparams)

    lr, same_run, same_experiment, hparams = ex.run(config_updates={"optimizer.lr": 0.5}).result
    assert (lr, same_run, same_experiment) == (0.5, True, True)
    assert hparams["config"]["optimizer"]["lr"] == 0.5 and hparams["config"]["models"]["encoder"]["in_features"] == 4


def test_sub_models_come_from_factory_dicts_or_an_ingredient_build_command(tmp_path):
    with experiment(tmp_path).configured():
        assert Regressor().encoder.out_features == 8  # models.encoder is a factory dict

    ex = Experiment("module")
    encoders = ex.models.child("encoder", lambda: Ingredient("encoder"))
    ex.add_config(models={"encoder": {"width": 16}}, optimizer={"factory": "torch.optim.SGD", "lr": 0.1})

    @encoders.command
    def build(width):
        return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Dropout(width / 100))

    @ex.main
    def main():
        return Regressor().encoder[1].p

    assert ex.run(config_updates={"models.encoder.width": 20}).result == 0.2


def test_the_optimizer_and_scheduler_are_config_with_parameter_groups_by_name(tmp_path):
    with experiment(tmp_path).configured({
        "optimizer": {"factory": "torch.optim.AdamW", "lr": 1e-3,
                      "params": [{"params": "encoder.*", "lr": 1e-4}]},
        "+lr_scheduler": {"scheduler": {"factory": "torch.optim.lr_scheduler.StepLR", "step_size": 3},
                          "interval": "step"},
    }):
        model = Regressor()
        configured = model.configure_optimizers()
    optimizer, scheduler = configured["optimizer"], configured["lr_scheduler"]
    assert isinstance(optimizer, torch.optim.AdamW)
    assert [group["lr"] for group in optimizer.param_groups] == [1e-4, 1e-3]
    assert [len(group["params"]) for group in optimizer.param_groups] == [2, 2]  # encoder's; the head's
    assert optimizer.param_groups[1]["params"][0] is model.head.weight
    assert scheduler["interval"] == "step" and isinstance(scheduler["scheduler"], torch.optim.lr_scheduler.StepLR)
    assert scheduler["scheduler"].optimizer is optimizer


@pytest.mark.parametrize(("updates", "message"), [
    ({"optimizer.params": [{"params": "encodr.*"}]},
     "config entry 'optimizer.params[0].params': 'encodr.*' matches no parameter"),
    ({"optimizer": None}, "configure_optimizers builds the config's 'optimizer'"),
])
def test_bad_module_config_is_a_one_line_error_naming_the_key(tmp_path, updates, message):
    with experiment(tmp_path).configured(updates), pytest.raises(ConfigError) as raised:
        Regressor().configure_optimizers()
    assert message in str(raised.value) and "\n" not in str(raised.value)


def test_an_unknown_sub_model_is_an_error_suggesting_the_nearest(tmp_path):
    with experiment(tmp_path).configured(), pytest.raises(ConfigError) as raised:
        LightningModule().build_model("encodr")
    assert str(raised.value) == "no config entry 'models.encodr' (did you mean 'encoder'?)"


def test_a_copy_or_pickle_of_the_module_leaves_the_run_behind(tmp_path):
    ex = experiment(tmp_path)

    @ex.main
    def main():
        model = Regressor()
        copied, unpickled = copy.deepcopy(model), pickle.loads(pickle.dumps(model))
        return model.run is not None, copied.run, unpickled.experiment, copied.config == model.config

    assert ex.run().result == (True, None, None, True)


def test_outside_a_run_the_module_needs_a_config():
    with pytest.raises(ConfigError, match="takes its config from a run"):
        Regressor()


def test_load_rebuilds_the_module_from_config_json_with_the_trained_weights(tmp_path):
    ex = experiment(tmp_path)

    @ex.main
    def main(_run):
        model = Regressor()
        ex.get_trainer().fit(model, data())
        return _run.storage_dir, {name: value.clone() for name, value in model.state_dict().items()}

    storage_dir, trained = ex.run(config_updates={"models.encoder.out_features": 8}).result
    stored = json.loads(Path(storage_dir, "config.json").read_text())
    model = Regressor.from_storage_dir(storage_dir, checkpoint="latest")
    assert isinstance(model, Regressor) and not model.training
    assert model.config == stored
    assert all(torch.equal(model.state_dict()[name], value) for name, value in trained.items())
    assert ba3l.train.load(storage_dir).config == ba3l.load(storage_dir).config == stored


def test_log_scalar_reaches_the_run_at_each_step_and_tensorboard_every_n_steps(tmp_path):
    ex = experiment(tmp_path)

    @ex.main
    def main(_run):
        ex.get_trainer().fit(Regressor(), data())
        return _run.storage_dir

    storage_dir = Path(ex.run(config_updates={"trainer.log_every_n_steps": 3}).result)
    metrics = json.loads((storage_dir / "runs" / "1" / "metrics.json").read_text())
    assert metrics["fast_loss"]["steps"] == list(range(8))  # 2 epochs of 4 batches: every step to the run
    events = EventAccumulator(str(storage_dir / "tensorboard"))
    events.Reload()
    assert [event.step for event in events.Scalars("fast_loss")] == [0, 3, 6]  # every log_every_n_steps
    assert [event.value for event in events.Scalars("fast_loss")] == pytest.approx(metrics["fast_loss"]["values"][::3])
    hparams = storage_dir / "tensorboard" / "hparams.yaml"  # the module's hparams are its config: config.json has it
    assert not hparams.exists() or "log_every_n_steps" not in hparams.read_text()


def test_from_storage_dir_refuses_a_model_of_another_class(tmp_path):
    ex = experiment(tmp_path)

    @ex.main
    def main(_run):
        ex.get_trainer().fit(Regressor(), data())
        return _run.storage_dir

    class Other(LightningModule):
        pass

    with pytest.raises(ConfigError, match="holds a Regressor, not a Other"):
        Other.from_storage_dir(ex.run().result)


def test_training_data_from_dataset_ingredients_found_by_their_markers(tmp_path):
    ex = experiment(tmp_path)

    @ex.datasets.command
    def blobs():
        generator = torch.Generator().manual_seed(1)
        return TensorDataset(torch.randn(40, 4, generator=generator), torch.randn(40, 1, generator=generator))

    ex.datasets.train.iter("ba3l.train.ResumableLoader", batch_size=8, shuffle=True, train=True,
                           dataset=CMD("/datasets.blobs"))
    ex.datasets.val.iter("torch.utils.data.DataLoader", batch_size=20, validate=True, dataset=CMD("/datasets.blobs"))

    @ex.main
    def main():
        train, val = ex.get_train_dataloaders(), ex.get_val_dataloaders()
        trainer = ex.get_trainer(limit_val_batches=0)
        trainer.fit(Regressor(), train, val)
        return type(train).__name__, train.batch_size, val.batch_size, trainer.global_step

    assert ex.run(config_updates={"datasets.train.batch_size": 10}).result == ("ResumableLoader", 10, 20, 8)


def test_step_methods_keep_their_signatures_and_lightning_still_reads_them(tmp_path):
    class BatchOnly(Regressor):
        def training_step(self, batch):  # no batch_idx: Lightning must not pass one
            self.seen.append("batch")
            return super().training_step(batch, None)

        def validation_step(self, batch, batch_idx, dataloader_idx=0):
            self.seen.append(("val", batch_idx))

    written = "(self, batch, batch_idx, dataloader_idx=0)"
    assert str(inspect.signature(BatchOnly.validation_step)) == written
    assert "__signature__" in vars(BatchOnly.training_step)  # stored, not worked out at every step
    ex = experiment(tmp_path)

    @ex.main
    def main():
        model = BatchOnly()
        model.seen = []
        ex.get_trainer(max_epochs=1, num_sanity_val_steps=0).fit(model, data(), data())
        return model.seen

    seen = ex.run().result
    assert seen.count("batch") == 4 and [entry for entry in seen if entry != "batch"] == [("val", i) for i in range(4)]


def test_lightning_s_hook_bookkeeping_skips_torch_s_attribute_checks_and_modules_still_register(tmp_path, monkeypatch):
    checked = []
    torch_setattr = torch.nn.Module.__setattr__

    def counting_setattr(module, name, value):
        checked.append(name)
        torch_setattr(module, name, value)

    monkeypatch.setattr(torch.nn.Module, "__setattr__", counting_setattr)
    ex = experiment(tmp_path)

    @ex.main
    def main():
        model = Regressor()
        ex.get_trainer(max_epochs=1).fit(model, data())
        model.extra = torch.nn.Linear(1, 1)
        model.scale = torch.nn.Parameter(torch.ones(1))
        return model

    model = ex.run().result
    assert "_current_fx_name" not in checked and model._current_fx_name is None
    assert {"extra", "scale"} <= set(checked)
    assert "extra" in dict(model.named_children()) and "scale" in dict(model.named_parameters())


def test_gradients_are_clipped_when_the_trainer_says_so_and_the_check_is_skipped_otherwise(tmp_path, monkeypatch):
    clipped = []
    monkeypatch.setattr(LightningModule, "clip_gradients",
                        lambda self, optimizer, gradient_clip_val=None, gradient_clip_algorithm=None:
                        clipped.append(gradient_clip_val))

    def fit(**trainer):
        ex = experiment(tmp_path)

        @ex.main
        def main():
            ex.get_trainer(max_epochs=1, **trainer).fit(Regressor(), data())

        clipped.clear()
        ex.run()
        return list(clipped)

    assert fit() == []
    assert fit(gradient_clip_val=0.5) == [0.5] * 4


def test_clipping_still_bounds_each_step(tmp_path):
    def distance_travelled(**trainer):
        ex = experiment(tmp_path)

        @ex.main
        def main():
            model = Regressor()
            before = torch.cat([p.detach().clone().flatten() for p in model.parameters()])
            ex.get_trainer(max_epochs=1, **trainer).fit(model, data())
            return float((torch.cat([p.detach().flatten() for p in model.parameters()]) - before).norm())

        return ex.run().result

    # SGD, lr 0.1, 4 steps: with gradients clipped to norm 1e-3 the weights move at most 4e-4
    assert distance_travelled(gradient_clip_val=1e-3) <= 4e-4 + 1e-7 < 0.01 < distance_travelled()


def test_a_batch_of_tensors_already_on_the_device_comes_back_as_it_is_others_go_through_lightning(tmp_path):
    ex = experiment(tmp_path)
    cpu = torch.device("cpu")
    with ex.configured():
        model = Regressor()
    batch = (torch.ones(2), torch.zeros(2))
    assert model.transfer_batch_to_device(batch, cpu, 0) is batch
    mixed = [torch.ones(2), ["a", "b"]]
    moved = model.transfer_batch_to_device(mixed, cpu, 0)
    assert moved is not mixed and moved[1] == ["a", "b"] and torch.equal(moved[0], mixed[0])
    named = model.transfer_batch_to_device({"x": torch.ones(2)}, cpu, 0)
    assert torch.equal(named["x"], torch.ones(2))

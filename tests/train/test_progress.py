"""ba3l's progress bar draws by the clock: how many drawings a fit makes, and what they show."""

import math
import warnings

import lightning.pytorch as pl
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from ba3l.train import TimedProgressBar

STEPS_PER_EPOCH = 6


class Tiny(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.layer = torch.nn.Linear(2, 1)

    def training_step(self, batch, batch_index):
        loss = torch.nn.functional.mse_loss(self.layer(batch[0]), batch[1])
        self.log("loss", loss, prog_bar=True)
        if self.current_epoch == 1 and batch_index == 2:
            self.print("a line from the model")
        return loss

    def validation_step(self, batch, batch_index):
        pass

    def test_step(self, batch, batch_index):
        pass

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


def loader() -> DataLoader:
    data = TensorDataset(torch.randn(STEPS_PER_EPOCH * 4, 2), torch.randn(STEPS_PER_EPOCH * 4, 1))
    return DataLoader(data, batch_size=4)


def drawings(redraw_seconds: float, tmp_path, capsys, test: bool = False, validate: bool = False,
             logger=False) -> list[str]:
    """The states of the line that a 2-epoch fit (and a test) wrote to stdout, in order."""
    trainer = pl.Trainer(max_epochs=2, accelerator="cpu", logger=logger, enable_checkpointing=False,
                         enable_model_summary=False, default_root_dir=tmp_path,
                         callbacks=[TimedProgressBar(redraw_seconds=redraw_seconds)])
    capsys.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer.fit(Tiny(), loader(), loader() if validate else None)
        if test:
            trainer.test(trainer.lightning_module, loader(), verbose=False)
    written = capsys.readouterr().out
    return [state.strip() for line in written.split("\n") for state in line.split("\r") if state.strip()]


def test_a_fit_shorter_than_the_redraw_interval_draws_its_line_once_at_the_end(tmp_path, capsys):
    shown = [state for state in drawings(math.inf, tmp_path, capsys) if state.startswith("Epoch")]
    assert len(shown) == 1
    assert shown[0].startswith("Epoch 2/2: 100%") and f"{2 * STEPS_PER_EPOCH}/{2 * STEPS_PER_EPOCH}" in shown[0]
    assert "loss=" in shown[0]  # what the module logs with prog_bar=True


def test_the_line_leaves_out_the_loggers_version(tmp_path, capsys):
    from lightning.pytorch.loggers import CSVLogger

    shown = [state for state in drawings(math.inf, tmp_path, capsys, logger=CSVLogger(tmp_path, version=7))
             if state.startswith("Epoch")]
    assert "loss=" in shown[-1] and "v_num" not in shown[-1]  # Lightning's own bar shows v_num=7


def test_with_no_interval_the_line_is_drawn_at_every_step(tmp_path, capsys):
    shown = [state for state in drawings(0, tmp_path, capsys) if state.startswith("Epoch")]
    steps = [int(state.split("|")[2].split("/")[0]) for state in shown]
    # each step once, in order; the same step again only around what the model prints, and at the end
    assert list(dict.fromkeys(steps)) == list(range(1, 2 * STEPS_PER_EPOCH + 1))
    assert len(steps) <= 2 * STEPS_PER_EPOCH + 2
    assert shown[0].startswith("Epoch 1/2") and shown[-1].startswith("Epoch 2/2")


def test_what_the_model_prints_goes_above_the_line(tmp_path, capsys):
    shown = drawings(0, tmp_path, capsys)
    printed = shown.index("a line from the model")
    assert shown[printed - 1].startswith("Epoch 2/2") and shown[printed + 1].startswith("Epoch 2/2")


def test_a_validation_within_fit_shows_in_the_fits_line_and_leaves_no_line_of_its_own(tmp_path, capsys):
    shown = drawings(0, tmp_path, capsys, validate=True)
    assert f"Epoch 1/2, validating 1/{STEPS_PER_EPOCH}" in [state.split(":")[0] for state in shown]
    assert all(state.startswith("Epoch") or state == "a line from the model" for state in shown)
    assert not shown[-1].split(":")[0].endswith(f"/{STEPS_PER_EPOCH}")  # the last drawing is the fit's own


def test_test_gets_a_line_of_its_own(tmp_path, capsys):
    shown = drawings(math.inf, tmp_path, capsys, test=True)
    assert shown[-1].startswith("Testing: 100%") and f"{STEPS_PER_EPOCH}/{STEPS_PER_EPOCH}" in shown[-1]


@pytest.mark.parametrize("redraw_seconds", [math.inf, 0])
def test_a_disabled_bar_draws_nothing(redraw_seconds, tmp_path, capsys):
    bar = TimedProgressBar(redraw_seconds=redraw_seconds)
    bar.disable()
    trainer = pl.Trainer(max_epochs=1, accelerator="cpu", logger=False, enable_checkpointing=False,
                         enable_model_summary=False, default_root_dir=tmp_path, callbacks=[bar])
    capsys.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer.fit(Tiny(), loader())
    assert "Epoch" not in capsys.readouterr().out

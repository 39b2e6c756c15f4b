"""The Lightning Trainer as config: ``ex.trainer`` declares it, ``ex.get_trainer()`` builds it.

Every argument of ``lightning.pytorch.Trainer`` is an entry under ``trainer.*``, with
Lightning's defaults, changed like any other (``with trainer.max_epochs=5``). What the
config leaves at Lightning's defaults, ba3l fills when the trainer is built in a run:

* ``default_root_dir``: the run's storage dir (``StorageDirObserver``), else its record's folder;
* ``logger``: TensorBoard into ``<root>/tensorboard``, and every logged metric forwarded to
  the run (``_run.log_scalar``), so the run's observers get it;
* the progress bar redraws at most a few times a second rather than at every step.

Lightning is imported when the trainer is built (or its signature first read), never
when the script is merely imported.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

from ba3l.config import ConfigError
from ba3l.experiment import Ingredient, active_context

if TYPE_CHECKING:
    from ba3l.experiment import Experiment

TRAINER = "lightning.pytorch.Trainer"
PATH = "trainer"
REDRAW_SECONDS = 0.5


def trainer_ingredient() -> Ingredient:
    """The ``trainer`` ingredient: Lightning's Trainer captured with all its arguments as config."""
    ingredient = Ingredient(PATH)
    ingredient.command(TRAINER, unobserved=True)
    return ingredient


def build_trainer(experiment: Experiment, overrides: dict[str, Any]) -> Any:
    """A Trainer from the ``trainer.*`` config of the running experiment, ``overrides`` winning.

    Raises:
        ConfigError: called outside a run (or ``ex.configured``), or the experiment declares no trainer.
    """
    context = active_context()
    if context is None:
        raise ConfigError("get_trainer() builds the trainer from a run's config: call it inside a run")
    declared = next((child for child in experiment.ingredients if child.path == PATH), None)
    if declared is None:
        raise ConfigError("the experiment has no trainer config: write `ex.trainer` once at the top of the script, "
                          "so that trainer.* is part of its config")
    config = context.values.get(PATH, {})
    root = getattr(context, "storage_dir", None) or getattr(context, "local_dir", None) or os.getcwd()
    filled: dict[str, Any] = {}
    if config.get("default_root_dir") is None:
        filled["default_root_dir"] = root
    if config.get("logger") in (None, True):
        filled["logger"] = _loggers(root, context)
    if config.get("enable_progress_bar") in (None, True) and config.get("callbacks") is None:
        filled["callbacks"] = [_timed_progress_bar()]
    return declared.commands["Trainer"].captured(**{**filled, **overrides})


def _loggers(root: str, context: Any) -> list[Any]:
    from lightning.pytorch.loggers import TensorBoardLogger

    loggers = [TensorBoardLogger(save_dir=root, name="tensorboard", version="")]
    if hasattr(context, "log_scalar"):  # a run, not ex.configured(...)
        loggers.append(_run_logger(context))
    return loggers


def _run_logger(run: Any) -> Any:
    """A Lightning logger that hands every logged metric to the run."""
    from lightning.pytorch.loggers import Logger

    class RunLogger(Logger):
        @property
        def name(self) -> str:
            return "ba3l"

        @property
        def version(self) -> Any:
            return run.id

        def log_hyperparams(self, params: Any, *args: Any, **kwargs: Any) -> None:
            pass  # the run has the whole config already

        def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
            for name, value in metrics.items():
                if name != "epoch":
                    run.log_scalar(name, float(value), step)

    return RunLogger()


def _timed_progress_bar() -> Any:
    """Lightning's progress bar, redrawn by time: a redraw at every step costs ~230 µs a step."""
    from lightning.pytorch.callbacks import TQDMProgressBar

    class TimedProgressBar(TQDMProgressBar):
        def __init__(self) -> None:
            super().__init__(refresh_rate=1)
            self._last_redraw = 0.0

        def _should_update(self, current: int, total: int) -> bool:  # Lightning's hook for "redraw now?"
            now = time.monotonic()
            if current == total or now - self._last_redraw >= REDRAW_SECONDS:
                self._last_redraw = now
                return self.is_enabled
            return False

    return TimedProgressBar()

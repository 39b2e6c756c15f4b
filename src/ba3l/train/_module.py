"""``ba3l.train.LightningModule``: a LightningModule whose every knob is the run's config.

Made in a run (or ``ex.configured``), it takes the resolved config from there; made
from a stored ``config.json`` (``ba3l.train.load``), it takes that. It offers:

* ``self.config``, ``self.experiment`` and ``self.run`` (``None`` outside a run);
* ``self.log_scalar(name, value)``: a per-step value to the run and TensorBoard, cheaply;
* ``self.build_model(name)``: the sub-model ``models.<name>`` describes, a factory dict
  (``{"factory": "pkg.Net", "width": 64}``) or an ingredient with a ``build`` command;
* ``configure_optimizers`` from the config's ``optimizer`` factory dict, the model's
  parameters given to it (or parameter groups chosen by name), and an optional
  ``lr_scheduler``, a factory dict or Lightning's scheduler dict around one;
* the resolved config as its hyperparameters, so each checkpoint carries it;
* shortcuts in what Lightning runs at every step (``__setattr__`` for its hook bookkeeping,
  ``configure_gradient_clipping`` with nothing to clip, ``transfer_batch_to_device`` of
  tensors already there): ~100 µs of a 1.7 ms step on the digits MLP (paired fits).
"""

from __future__ import annotations

import fnmatch
import inspect
from collections.abc import Mapping
from typing import Any

import lightning.pytorch as pl
import torch
from lightning.pytorch.loggers import TensorBoardLogger

from ba3l.config import ConfigError, copy_tree, did_you_mean, factory_key, instantiate
from ba3l.experiment import active_context
from ba3l.run import Run

LIGHTNING_SCHEDULER_KEYS = ("interval", "frequency", "monitor", "strict", "name")
STEP_METHODS = ("training_step", "validation_step", "test_step", "predict_step")


class LightningModule(pl.LightningModule):
    """Subclass it and read every knob from ``self.config``.

    Example:
        >>> class Classifier(ba3l.train.LightningModule):   # doctest: +SKIP
        ...     def __init__(self, config=None):
        ...         super().__init__(config)
        ...         self.net = self.build_model("net")    # config: models.net = {"factory": ..., ...}
        ...     # configure_optimizers comes from the config's `optimizer` (and `lr_scheduler`)

    Args:
        config: the resolved config; by default the running one's.

    Raises:
        ConfigError: no config given and none running.
    """

    def __init__(self, config: Mapping[str, Any] | None = None):
        super().__init__()
        context = active_context()
        if config is None:
            if context is None:
                raise ConfigError(f"{type(self).__name__}() takes its config from a run: make it inside one "
                                  "(or ex.configured), or pass config=")
            config = context.values
        self.config: dict[str, Any] = copy_tree(dict(config))
        self.experiment = context.experiment if context is not None else None
        self.run = context if isinstance(context, Run) else None
        self.save_hyperparameters({"config": self.config})  # load_from_checkpoint rebuilds from it too

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in STEP_METHODS:
            _keep_signature(cls.__dict__.get(name))

    def __setattr__(self, name: str, value: Any) -> None:
        # Lightning stores the hook it runs in `_current_fx_name` around every hook (~45 times a
        # training step); torch's Module.__setattr__ checks each value against Parameter, Buffer
        # and Module first (~1.3 µs, ~55 µs a step here). A hook's name is never one of those.
        if name == "_current_fx_name":
            self.__dict__[name] = value
        else:
            super().__setattr__(name, value)

    def __getstate__(self) -> dict[str, Any]:
        """A copy or pickle (``copy.deepcopy`` by SWA or EMA, a spawned process) leaves out the
        run and the experiment: they hold locks and threads, and belong to this process."""
        return {**super().__getstate__(), "run": None, "experiment": None}

    @classmethod
    def from_storage_dir(cls, storage_dir: str, checkpoint: str = "best") -> Any:
        """The trained model of ``storage_dir`` (as :func:`ba3l.train.load` gives it), checked to be a ``cls``.

        Example:
            >>> model = Classifier.from_storage_dir("storage/digits/1")   # doctest: +SKIP
        """
        from ._load import load

        model = load(storage_dir, checkpoint)
        if not isinstance(model, cls):
            raise ConfigError(f"storage dir '{storage_dir}' holds a {type(model).__name__}, not a {cls.__name__}")
        return model

    def build_model(self, name: str) -> Any:
        """The sub-model at ``models.<name>``: its factory dict built, or its ingredient's ``build`` command called.

        Raises:
            ConfigError: no such entry, or one that is neither (the nearest names suggested).
        """
        models = self.config.get("models") or {}
        if name not in models:
            raise ConfigError(f"no config entry 'models.{name}'{did_you_mean(name, list(models))}")
        if factory_key(models[name]):
            return instantiate(copy_tree(models[name]), ("models", name))
        context = active_context()
        if context is None:
            raise ConfigError(f"models.{name} is built by its ingredient's command: build the model inside a run "
                              "or ex.configured(...), or describe it with a factory dict")
        return context.get_command_function(f"models.{name}.build")()

    def log_scalar(self, name: str, value: Any) -> None:
        """Log ``value`` at the current global step to the run (its observers), and to
        TensorBoard every ``trainer.log_every_n_steps`` steps (as Lightning's loggers get it).

        The cheap path for a value logged at every step: a few µs, where Lightning's
        ``self.log`` costs hundreds; it does not reach the progress bar, callbacks or
        ``trainer.callback_metrics`` (use ``self.log`` for what a checkpoint monitors).

        Example:
            >>> self.log_scalar("train_loss", loss)   # doctest: +SKIP
        """
        trainer = self._trainer
        # .item(): a tensor's number without float()'s warning about a tensor that requires grad
        value = float(value.item() if hasattr(value, "item") else value)
        step = trainer.global_step if trainer is not None else 0
        if self.run is not None:
            self.run.log_scalar(name, value, step)
        if trainer is not None and step % max(1, trainer.log_every_n_steps) == 0 and trainer.is_global_zero:
            for logger in trainer.loggers:
                if isinstance(logger, TensorBoardLogger):
                    logger.experiment.add_scalar(name, value, step)

    def transfer_batch_to_device(self, batch: Any, device: torch.device, dataloader_idx: int) -> Any:
        """Lightning's hook, with a shortcut: a tuple or list of tensors already on ``device``
        (every batch of a CPU run) comes back as it is, without Lightning's walk through the
        collection (~6 µs a step). Override it as Lightning documents for batches of your own types."""
        if isinstance(batch, (tuple, list)) and all(
                isinstance(item, torch.Tensor) and item.device == device for item in batch):
            return batch
        return super().transfer_batch_to_device(batch, device, dataloader_idx)

    def configure_gradient_clipping(self, optimizer: Any, gradient_clip_val: float | None = None,
                                    gradient_clip_algorithm: str | None = None) -> None:
        """Lightning's hook, which it calls at every step: returns at once when there is nothing to
        clip (no ``gradient_clip_val`` here or in ``trainer.*``), where Lightning's default checks its
        arguments first (~5 µs a step)."""
        trainer = self._trainer
        if gradient_clip_val is None and self._fabric is None and trainer is not None and trainer.gradient_clip_val is None:
            return
        super().configure_gradient_clipping(optimizer, gradient_clip_val, gradient_clip_algorithm)

    def configure_optimizers(self) -> Any:
        """The optimizer the config's ``optimizer`` describes, over this module's parameters, and
        the scheduler of its ``lr_scheduler`` (when there is one) over that optimizer.

        ``optimizer.params`` may list parameter groups by name pattern
        (``[{"params": "encoder.*", "lr": 1e-4}]``); parameters no pattern takes form the last group.
        """
        if not self.config.get("optimizer"):
            raise ConfigError("configure_optimizers builds the config's 'optimizer' (a factory dict, "
                              "{'factory': 'torch.optim.AdamW', 'lr': 1e-3}); add one, or override configure_optimizers")
        described = copy_tree(self.config["optimizer"])
        described["params"] = self._parameter_groups(described.get("params"))
        optimizer = instantiate(described, ("optimizer",))
        scheduler = self.config.get("lr_scheduler")
        if not scheduler:
            return optimizer
        return {"optimizer": optimizer, "lr_scheduler": _scheduler(copy_tree(scheduler), optimizer)}

    def _parameter_groups(self, groups: list[dict] | None) -> Any:
        if not groups:
            return list(self.parameters())
        named = dict(self.named_parameters())
        taken: set[str] = set()
        built = []
        for index, group in enumerate(groups):
            pattern = group.get("params")
            names = [name for name in named if fnmatch.fnmatchcase(name, str(pattern)) and name not in taken]
            if not names:
                raise ConfigError(f"config entry 'optimizer.params[{index}].params': {pattern!r} matches no "
                                  f"parameter{did_you_mean(str(pattern), list(named))}")
            taken.update(names)
            built.append({**group, "params": [named[name] for name in names]})
        rest = [parameter for name, parameter in named.items() if name not in taken]
        return built + ([{"params": rest}] if rest else [])


def _scheduler(described: dict, optimizer: Any) -> dict:
    """Lightning's scheduler dict from a factory dict, or from ``{"scheduler": <factory dict>, "interval": ...}``."""
    options = {key: described.pop(key) for key in LIGHTNING_SCHEDULER_KEYS if key in described}
    inner = described.pop("scheduler") if "scheduler" in described and not factory_key(described) else described
    inner["optimizer"] = optimizer
    return {"scheduler": instantiate(inner, ("lr_scheduler",)), **options}


def _keep_signature(method: Any) -> None:
    """Store a step method's signature on it: Lightning asks for it at every step (does the
    step take ``batch_idx``?), and ``inspect.signature`` returns a stored ``__signature__``
    instead of working it out again (~10 µs a step)."""
    if not inspect.isfunction(method) or "__signature__" in vars(method):
        return
    try:
        method.__signature__ = inspect.signature(method)
    except (TypeError, ValueError):
        pass  # a signature inspect cannot work out stays that way

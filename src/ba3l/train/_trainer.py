"""The Lightning Trainer as config: ``ex.trainer`` declares it, ``ex.get_trainer()`` builds it.

Every argument of ``lightning.pytorch.Trainer`` is an entry under ``trainer.*``, with
Lightning's defaults, changed like any other (``with trainer.max_epochs=5``). What the
config leaves at Lightning's defaults, ba3l fills when the trainer is built in a run:

* ``default_root_dir``: the run's storage dir (``StorageDirObserver``), else its record's folder;
  a run with neither (``-u``, or ``ex.configured(...)``) keeps no checkpoints and no TensorBoard
  logs, unless ``trainer.default_root_dir`` says where they go;
* ``logger``: TensorBoard into ``<root>/tensorboard``, and every logged metric forwarded to
  the run (``_run.log_scalar``), so the run's observers get it;
* the progress bar (:class:`~ba3l.train.TimedProgressBar`) redraws twice a second, not at every step,
  unless ``trainer.callbacks`` brings a progress bar of its own;
* ``profiler``: none, as in Lightning, at no cost per hook;
* checkpoints go to ``<root>/checkpoints/ckpt_<global_step>.ckpt`` with ``ckpt_latest.ckpt``
  and ``ckpt_best_<monitor>.ckpt`` links (:class:`~ba3l.train.CheckpointFolder`), every
  ``trainer.checkpoint_every_epochs`` epochs (and ``checkpoint_every_steps`` steps), the
  ``trainer.keep_last`` newest kept, each with the random generators' states. These
  entries are ba3l's, not Lightning's (see ``CHECKPOINT_ENTRIES``).

With ``trainer.barebones=True`` ba3l fills only ``default_root_dir``: Lightning's
barebones mode has no loggers, callbacks or profiler.

When the config's ``resume`` is set (``python ex.py resume <storage_dir>``, or
``with resume=auto``) and the storage dir has a checkpoint, ``fit`` goes on from the
latest one, and TensorBoard drops what the interrupted run logged after it.

Lightning is imported when the trainer is built (or its signature first read), never
when the script is merely imported.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ba3l.config import ConfigDict, ConfigError
from ba3l.experiment import Ingredient, active_context

from ._checkpointing import checkpoint_callback, is_whole, memory_checkpoint_io
from ._checkpoints import CheckpointFolder, checkpoint_step

if TYPE_CHECKING:
    from ba3l.experiment import Experiment

TRAINER = "lightning.pytorch.Trainer"
PATH = "trainer"


CHECKPOINT_ENTRIES = {  # ba3l's entries beside the Trainer's: (default, doc)
    "checkpoint_every_epochs": (1, "epochs between checkpoints"),
    "checkpoint_every_steps": (None, "optimizer steps between checkpoints as well (None: only per epoch)"),
    "keep_last": (3, "newest checkpoints kept (the best ones are kept too); None keeps all"),
    "monitor": (None, "a logged metric: ckpt_best_<monitor>.ckpt follows its best value"),
    "monitor_mode": ("min", "'min' or 'max': which value of the monitored metric is best"),
}


def trainer_ingredient() -> Ingredient:
    """The ``trainer`` ingredient: Lightning's Trainer captured with all its arguments as config,
    and ba3l's checkpoint entries beside them, documented in ``--help`` and ``print_config``."""
    ingredient = Ingredient(PATH)
    ingredient.command(TRAINER, unobserved=True, **{name: default for name, (default, _) in CHECKPOINT_ENTRIES.items()})
    documented = ConfigDict({name: default for name, (default, _) in CHECKPOINT_ENTRIES.items()}, "ba3l.train")
    documented.docs.update({(name,): doc for name, (_, doc) in CHECKPOINT_ENTRIES.items()})
    ingredient.config_sources.append(documented)
    return ingredient


def build_trainer(experiment: Experiment, overrides: dict[str, Any]) -> Any:
    """A Trainer from the ``trainer.*`` config of the running experiment, ``overrides`` winning.

    Raises:
        ConfigError: called outside a run (or ``ex.configured``), or the experiment declares no trainer.
    """
    context = active_context()
    if context is None:
        raise ConfigError("get_trainer() builds the trainer from a run's config: call it inside a run")
    declared = experiment.child(PATH)
    if declared is None:
        raise ConfigError("the experiment has no trainer config: write `ex.trainer` once at the top of the script, "
                          "so that trainer.* is part of its config")
    config = {**context.values.get(PATH, {}), **overrides}  # what the trainer gets: the call's arguments win
    root = _root_dir(context, config)
    filled: dict[str, Any] = {}
    if config.get("default_root_dir") is None:
        filled["default_root_dir"] = root or os.getcwd()
    resume_from = _resume_checkpoint(context, root) if root else None
    if not config.get("barebones"):  # Lightning's speed floor refuses loggers, callbacks and profilers
        filled.update(_ba3l_defaults(config, context, root, resume_from))
    _hide_lightnings_pytree_deprecation()
    with _without_lightning_chatter():
        trainer = declared.commands["Trainer"].captured(**{**overrides, **filled})
    if resume_from:
        trainer.ckpt_path = resume_from  # fit() starts from it; the checkpoint callback clears it once restored
    return trainer


class _Chatter(logging.Filter):
    """Lines Lightning logs as every Trainer is built that tell nothing about the run: the
    advertisement for its cloud logger, and that there is no TPU. (The GPU line stays: on a
    cluster node, "GPU available: False" is news.)"""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (message.startswith("💡 Tip:") or message.startswith("TPU available: False"))


@contextmanager
def _without_lightning_chatter() -> Iterator[None]:
    """Within the block, Lightning's :class:`_Chatter` is not logged (only there: a filter added for good
    would change Lightning's logging for the whole process)."""
    logger = logging.getLogger("lightning.pytorch.utilities.rank_zero")
    chatter = _Chatter()
    logger.addFilter(chatter)
    try:
        yield
    finally:
        logger.removeFilter(chatter)


def _hide_lightnings_pytree_deprecation() -> None:
    """Lightning 2.6 flattens batches with torch's ``LeafSpec``, which torch 2.13 deprecates: a
    FutureWarning in the output of every fit that the researcher can do nothing about. Ignored
    when Lightning's code raises it, for the process (the warning is raised during ``fit``, out of
    the trainer's build); the user's own code using ``LeafSpec`` is still warned. Adding the same
    filter again replaces it, so each build may call this."""
    warnings.filterwarnings("ignore", message=r"`isinstance\(treespec, LeafSpec\)` is deprecated",
                            category=FutureWarning, module=r"lightning\.")


def _root_dir(context: Any, config: dict[str, Any]) -> str | None:
    """Where the trainer's checkpoints and TensorBoard logs go: the run's storage dir, else the folder
    of its record, else ``trainer.default_root_dir``; ``None`` when none of them is there."""
    for root in (getattr(context, "storage_dir", None), getattr(context, "local_dir", None),
                 config.get("default_root_dir")):
        if root:
            return os.fspath(root)
    return None


def _ba3l_defaults(config: dict[str, Any], context: Any, root: str | None,
                   resume_from: str | None) -> dict[str, Any]:
    """What ba3l gives the Trainer where ``config`` leaves Lightning's defaults (see the module's docstring);
    without a ``root``, nothing that writes files."""
    filled: dict[str, Any] = {}
    logging_, checkpointing = config.get("logger") in (None, True), config.get("enable_checkpointing") in (None, True)
    if root is None and (logging_ or checkpointing) and hasattr(context, "logger"):
        context.logger.info("a run without a folder of its own (-u) keeps no checkpoints and no TensorBoard logs; "
                            "set trainer.default_root_dir to keep them")
    if logging_:
        filled["logger"] = _loggers(root, context, checkpoint_step(resume_from) if resume_from else None)
    if config.get("profiler") is None:
        filled["profiler"] = _no_profiler()
    callbacks = list(config.get("callbacks") or [])
    if config.get("enable_progress_bar") in (None, True) and not _has_progress_bar(callbacks):
        from ._progress import TimedProgressBar

        callbacks.append(TimedProgressBar())
    if checkpointing:
        # ba3l's callback saves, or nothing does: Lightning's own ModelCheckpoint would save a second
        # time, or, without a root, into the cwd
        filled["enable_checkpointing"] = False
    if checkpointing and root is not None:
        memory_io = memory_checkpoint_io() if config.get("plugins") is None else None  # lets saves write in the background
        if memory_io is not None:
            filled["plugins"] = [memory_io]
        callbacks.append(checkpoint_callback(os.path.join(root, "checkpoints"), config, resume_from, context, memory_io))
    if callbacks:
        filled["callbacks"] = callbacks
    return filled


def _has_progress_bar(callbacks: list[Any]) -> bool:
    """Whether the config's own callbacks bring a progress bar (which then replaces ba3l's)."""
    from lightning.pytorch.callbacks import ProgressBar

    return any(isinstance(callback, ProgressBar) for callback in callbacks)


def _resume_checkpoint(context: Any, root: str) -> str | None:
    """The checkpoint to go on from: the latest whole one in ``root`` when the config asks to resume,
    for the run's first trainer only (a second one, say for ``test``, starts from the model it is given)."""
    if not context.values.get("resume") or "resumed_from" in getattr(context, "info", {}):
        return None
    latest = _latest_whole(CheckpointFolder(os.path.join(root, "checkpoints")), context, root)
    if hasattr(context, "info"):  # None: asked to resume, nothing to resume from (a fresh start)
        context.info["resumed_from"] = latest and {"checkpoint": os.path.relpath(latest, root),
                                                   "global_step": checkpoint_step(latest)}
    return latest


def _latest_whole(folder: CheckpointFolder, context: Any, root: str) -> str | None:
    """The latest checkpoint of ``folder`` that is whole; the run's log says when the latest is not."""
    latest, recorded = folder.latest_complete(is_whole), folder.latest()
    if recorded and latest != recorded and hasattr(context, "logger"):
        instead = (f"resuming from {os.path.relpath(latest, root)}" if latest
                   else "no checkpoint is whole: starting afresh")
        context.logger.warning("the latest checkpoint, %s, is damaged (empty or cut short, as a crash of the "
                               "machine leaves it); %s", os.path.relpath(recorded, root), instead)
    return latest


def _loggers(root: str | None, context: Any, resumed_step: int | None) -> list[Any]:
    loggers = [_tensorboard(root, resumed_step)] if root else []
    if hasattr(context, "log_scalar"):  # a run, not ex.configured(...)
        loggers.append(_run_logger(context))
    return loggers


def _tensorboard(root: str, resumed_step: int | None) -> Any:
    """TensorBoard into ``<root>/tensorboard``, without a copy of the config: the run's
    ``config.json`` has it, and Lightning's copy (``hparams.yaml`` and TensorBoard's hparams
    tab, the whole config flattened) cost ~5 ms of every ``fit``."""
    from lightning.pytorch.loggers import TensorBoardLogger

    class ConfigFreeTensorBoardLogger(TensorBoardLogger):
        def log_hyperparams(self, params: Any, *args: Any, **kwargs: Any) -> None:
            pass

    # purge_step: TensorBoard hides what an interrupted run logged from that step on, so a resume has no repeats
    return ConfigFreeTensorBoardLogger(save_dir=root, name="tensorboard", version="", purge_step=resumed_step,
                                       default_hp_metric=False)


def _no_profiler() -> Any:
    """Lightning's default profiler, which profiles nothing, without its cost: its ``profile``
    makes a generator-based context for each of the ~40 hooks a step calls (~1.5 µs each);
    this one hands out the same do-nothing context every time."""
    from contextlib import nullcontext

    from lightning.pytorch.profilers import PassThroughProfiler

    class NoProfiler(PassThroughProfiler):
        nothing = nullcontext()

        def profile(self, action_name: str) -> Any:
            return self.nothing

    return NoProfiler()


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

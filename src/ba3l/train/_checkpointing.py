"""The callback that writes ba3l's checkpoints during ``fit`` and puts them back on resume.

What a checkpoint holds beyond Lightning's own (model, optimizers, schedulers, loops):
the random generators' states (python, numpy, torch) and the LightningModule's class.
What goes on in ``fit``:

* saves at the end of every ``checkpoint_every_epochs`` epochs and, when set, after every
  ``checkpoint_every_steps`` optimizer steps, into a :class:`CheckpointFolder`;
* a :class:`~ba3l.run.Terminated` run (SIGTERM, SLURM's SIGUSR1) saves where it stopped;
* on resume, the generators are put back when training starts (after Lightning's sanity
  check, which keeps its own), so the resumed steps draw the same numbers.

Writing happens in the background: the checkpoint is taken at once, its tensors copied
(a consistent snapshot, well under a millisecond for a 1 MB one), and a worker thread
serializes it, writes the file and moves the links while training goes on; ``fit`` waits for the last write before it returns,
and a stop by signal before its final save. (That needs ba3l's in-memory
``CheckpointIO``, which the trainer gets unless the config sets ``trainer.plugins``;
without it, saves are written in place.)

Under DDP every process takes part in a save (Lightning's ``save_checkpoint`` waits for
all of them) and only the first writes the file and moves the links.
"""

from __future__ import annotations

import copy
import os
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from ba3l.config import factory_name

from ._checkpoints import CheckpointFolder
from ._rng import rng_states, set_rng_states

MODULE_KEY = "ba3l_module"
"""The key of a checkpoint that names its LightningModule class (an import string)."""
RNG_KEY = "ba3l_rng_states"


def memory_checkpoint_io() -> Any:
    """Lightning's ``TorchCheckpointIO``, which, within ``take()``, keeps a snapshot of the
    checkpoint (its tensors copied) instead of writing it: what the background writer writes."""
    from lightning.fabric.plugins import TorchCheckpointIO

    class MemoryCheckpointIO(TorchCheckpointIO):
        def __init__(self) -> None:
            super().__init__()
            self.capturing = False
            self.captured: dict | None = None

        def save_checkpoint(self, checkpoint: dict[str, Any], path: Any, storage_options: Any = None) -> None:
            if not self.capturing:
                return super().save_checkpoint(checkpoint, path, storage_options)
            # the tensors are the model's and the optimizer's own, which the next step changes: copy them now
            self.captured = _snapshot(checkpoint)
            return None

        def take(self, save: Any) -> dict | None:
            """The checkpoint ``save()`` (a ``trainer.save_checkpoint`` call) made; ``None`` on other ranks."""
            self.capturing, self.captured = True, None
            try:
                save()
            finally:
                self.capturing = False
            snapshot, self.captured = self.captured, None
            return snapshot

    return MemoryCheckpointIO()


def checkpoint_callback(folder: str, config: dict[str, Any], resume_from: str | None = None, run: Any = None,
                        memory_io: Any = None) -> Any:
    """A Lightning callback saving into ``folder`` as ``config`` (the ``trainer.*`` entries) says;
    ``resume_from`` is the checkpoint this ``fit`` resumes from, if any. In a ``run``, a
    SIGTERM that arrives during a training step waits for the step's end, so the
    checkpoint saved on the way out is exact. With ``memory_io`` (the trainer's
    :func:`memory_checkpoint_io`), files are written in the background."""
    from lightning.pytorch.callbacks import Callback

    from ba3l.run import Terminated

    checkpoints = CheckpointFolder(folder, config.get("keep_last", 3))
    every_epochs = max(1, int(config.get("checkpoint_every_epochs") or 1))
    every_steps = config.get("checkpoint_every_steps")
    monitor, mode = config.get("monitor"), config.get("monitor_mode", "min")

    class SaveCheckpoints(Callback):
        def __init__(self) -> None:
            self.saved_step = -1
            self.restored_rng: dict | None = None
            self.step_in_progress: Any = None  # the signal deferral of the step under way
            self.writer: ThreadPoolExecutor | None = None
            self.writing: list[Future] = []

        def wait_for_writes(self) -> None:
            """Until every checkpoint handed to the writer is on disk; a write's error is raised here."""
            writing, self.writing = self.writing, []
            for write in writing:
                write.result()

        def on_fit_end(self, trainer: Any, module: Any) -> None:
            self.wait_for_writes()

        def teardown(self, trainer: Any, module: Any, stage: str) -> None:
            self.wait_for_writes()
            if self.writer is not None:
                self.writer.shutdown()
                self.writer = None

        def on_train_batch_start(self, trainer: Any, module: Any, *args: Any) -> None:
            if run is not None and hasattr(run, "signals_deferred"):
                self.step_in_progress = run.signals_deferred()
                self.step_in_progress.__enter__()

        def end_of_step(self, exception: BaseException | None = None) -> None:
            """A SIGTERM held back during the step stops the run now (Terminated, then on_exception);
            when the step ended with ``exception``, it stays held for the run's end."""
            step, self.step_in_progress = self.step_in_progress, None
            if step is not None:
                step.__exit__(type(exception) if exception else None, exception, None)

        def on_train_start(self, trainer: Any, module: Any) -> None:
            if resume_from and trainer.ckpt_path == resume_from:
                trainer.ckpt_path = None  # restored: a later trainer.test(model) uses the trained weights
            if self.restored_rng is not None:
                set_rng_states(self.restored_rng)
                self.restored_rng = None

        def on_train_batch_end(self, trainer: Any, module: Any, *args: Any) -> None:
            step = trainer.global_step
            if every_steps and step > 0 and step % int(every_steps) == 0 and step != self.saved_step:
                self.save(trainer)
            self.end_of_step()

        def on_train_epoch_end(self, trainer: Any, module: Any) -> None:
            if (trainer.current_epoch + 1) % every_epochs == 0:
                self.save(trainer)  # also at a step just saved: now with the epoch's validation

        def on_exception(self, trainer: Any, module: Any, exception: BaseException) -> None:
            self.end_of_step(exception)
            self.wait_for_writes()
            # under DDP the other processes would not join a save; a step just saved needs none
            if isinstance(exception, Terminated) and trainer.world_size == 1 and trainer.global_step != self.saved_step:
                self.save(trainer)
                self.wait_for_writes()  # on disk before the run is recorded as interrupted

        def save(self, trainer: Any) -> None:
            self.saved_step = trainer.global_step

            def write(path: str) -> None:
                trainer.save_checkpoint(path, weights_only=False)  # the whole state: resume needs it

            if not trainer.is_global_zero:
                write(os.path.join(folder, "not-written-by-this-process"))  # takes part; only rank 0 writes
                return
            metrics = {name: float(value) for name, value in trainer.callback_metrics.items() if value.numel() == 1}
            modes = {monitor: mode} if monitor else {}
            if memory_io is None:
                checkpoints.save(trainer.global_step, write, metrics, modes)
                return
            snapshot = memory_io.take(lambda: write(os.path.join(folder, "in-memory")))
            self.writer = self.writer or ThreadPoolExecutor(max_workers=1, thread_name_prefix="ba3l-checkpoints")
            for finished in [pending for pending in self.writing if pending.done()]:
                finished.result()  # a write that failed is raised here, at the next save
                self.writing.remove(finished)
            self.writing.append(self.writer.submit(checkpoints.save, trainer.global_step, _writer_of(snapshot), metrics,
                                                   modes))

        def on_save_checkpoint(self, trainer: Any, module: Any, checkpoint: dict) -> None:
            checkpoint[RNG_KEY] = rng_states()
            checkpoint[MODULE_KEY] = factory_name(type(module))  # what ba3l.train.load rebuilds

        def on_load_checkpoint(self, trainer: Any, module: Any, checkpoint: dict) -> None:
            self.restored_rng = checkpoint.get(RNG_KEY)

    return SaveCheckpoints()


def _writer_of(checkpoint: dict) -> Any:
    def write(path: str) -> None:
        import torch

        torch.save(checkpoint, path)

    return write


def _snapshot(value: Any) -> Any:
    """``value`` with every tensor in its dicts, lists and tuples copied (a quarter of the time
    Lightning's ``apply_to_collection`` takes for a checkpoint: it runs at every save)."""
    import torch

    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if type(value) is dict:
        return {key: _snapshot(item) for key, item in value.items()}
    if isinstance(value, dict):  # OrderedDict, Lightning's AttributeDict, defaultdict: a copy of its own kind
        copied = copy.copy(value)
        for key, item in value.items():
            copied[key] = _snapshot(item)
        return copied
    if isinstance(value, list):
        return [_snapshot(item) for item in value]
    if type(value) is tuple:
        return tuple(_snapshot(item) for item in value)
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a namedtuple
        return type(value)(*(_snapshot(item) for item in value))
    return value  # numbers, strings, and other immutable values (torch.Size ...)

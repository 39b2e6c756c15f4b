"""The callback that writes ba3l's checkpoints during ``fit`` and puts them back on resume.

What a checkpoint holds beyond Lightning's own (model, optimizers, schedulers, loops):
the random generators' states (python, numpy, torch) and the LightningModule's class.
What goes on in ``fit``:

* saves at the end of every ``checkpoint_every_epochs`` epochs and, when set, after every
  ``checkpoint_every_steps`` optimizer steps, into a :class:`CheckpointFolder`;
* a :class:`~ba3l.run.Terminated` run (SIGTERM, SLURM's SIGUSR1) saves where it stopped;
* on resume, the generators are put back when training starts (after Lightning's sanity
  check, which keeps its own), so the resumed steps draw the same numbers.

Writing happens in the background: the checkpoint is serialized at once, into memory
(``torch.save``, the same bytes Lightning would write), and a worker thread writes the
file and moves the links while training goes on; ``fit`` waits for the last write before
it returns, and a stop by signal before its final save. Serializing stays on the training
thread on purpose: it is Python work that holds the GIL, so a worker doing it would stall
every step it overlaps (and a consistent copy of the tensors would cost a copy first);
the file I/O lets the GIL go. (That needs ba3l's in-memory ``CheckpointIO``, which the
trainer gets unless the config sets ``trainer.plugins``; without it, saves are written
in place.)

Under DDP every process takes part in a save (Lightning's ``save_checkpoint`` waits for
all of them) and only the first writes the file and moves the links.
"""

from __future__ import annotations

import io
import os
import zipfile
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from ba3l.config import factory_name, write_new_file

from ._checkpoints import CheckpointFolder
from ._rng import rng_states, set_rng_states

MODULE_KEY = "ba3l_module"
"""The key of a checkpoint that names its LightningModule class (an import string)."""
RNG_KEY = "ba3l_rng_states"


def memory_checkpoint_io() -> Any:
    """Lightning's ``TorchCheckpointIO``, which, within ``take()``, serializes the checkpoint into
    memory instead of writing it: the bytes the background writer writes."""
    from lightning.fabric.plugins import TorchCheckpointIO

    class MemoryCheckpointIO(TorchCheckpointIO):
        def __init__(self) -> None:
            super().__init__()
            self.capturing = False
            self.captured: io.BytesIO | None = None

        def save_checkpoint(self, checkpoint: dict[str, Any], path: Any, storage_options: Any = None) -> None:
            if not self.capturing:
                return super().save_checkpoint(checkpoint, path, storage_options)
            import torch

            # now, before the next step changes the model's and the optimizer's tensors
            self.captured = io.BytesIO()
            torch.save(checkpoint, self.captured)
            return None

        def take(self, save: Any) -> io.BytesIO | None:
            """The checkpoint ``save()`` (a ``trainer.save_checkpoint`` call) made, serialized;
            ``None`` on other ranks."""
            self.capturing, self.captured = True, None
            try:
                save()
            finally:
                self.capturing = False
            serialized, self.captured = self.captured, None
            return serialized

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
            if resume_from and trainer.ckpt_path == resume_from:  # training never started: it was done
                trainer.ckpt_path = None  # a later trainer.test(model) takes the model as it is, restored
                _say_nothing_left_to_train(trainer, run)

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
            serialized = memory_io.take(lambda: write(os.path.join(folder, "in-memory")))
            self.writer = self.writer or ThreadPoolExecutor(max_workers=1, thread_name_prefix="ba3l-checkpoints")
            for finished in [pending for pending in self.writing if pending.done()]:
                finished.result()  # a write that failed is raised here, at the next save
                self.writing.remove(finished)
            self.writing.append(self.writer.submit(checkpoints.save, trainer.global_step, _writer_of(serialized), metrics,
                                                   modes))

        def on_save_checkpoint(self, trainer: Any, module: Any, checkpoint: dict) -> None:
            checkpoint[RNG_KEY] = rng_states()
            checkpoint[MODULE_KEY] = factory_name(type(module))  # what ba3l.train.load rebuilds

        def on_load_checkpoint(self, trainer: Any, module: Any, checkpoint: dict) -> None:
            self.restored_rng = checkpoint.get(RNG_KEY)

    return SaveCheckpoints()


def _say_nothing_left_to_train(trainer: Any, run: Any) -> None:
    """Tell the user of a resume whose checkpoint was at the end of the training it was set for
    how to train on (Lightning's own line says only that the limit is reached)."""
    logger = getattr(run, "logger", None)
    if logger is None or not trainer.is_global_zero:
        return
    by_steps = trainer.max_steps not in (None, -1) and trainer.global_step >= trainer.max_steps
    name, value = ("max_steps", trainer.max_steps) if by_steps else ("max_epochs", trainer.max_epochs)
    logger.info("resumed at step %d, where the training ended (trainer.%s=%s): nothing left to train; "
                "to train on, resume with a larger trainer.%s", trainer.global_step, name, value, name)


def _writer_of(serialized: io.BytesIO) -> Any:
    def write(path: str) -> None:
        write_new_file(path, serialized.getbuffer())

    return write


def is_whole(path: str) -> bool:
    """Whether the checkpoint file at ``path`` is whole, as far as a glance can tell: not empty, not
    zeros where its start should be (what a crash of the machine leaves of a file whose data never
    reached the disk), and, when it is a zip archive (what ``torch.save`` writes), one whose
    directory at the end is there. A file in a format of its own (a ``CheckpointIO`` plugin's)
    counts as whole."""
    try:
        with open(path, "rb") as file:
            start = file.read(4)
            if not start.strip(b"\0"):
                return False
            if start != b"PK\x03\x04":
                return True
            with zipfile.ZipFile(file):
                return True
    except (OSError, zipfile.BadZipFile):
        return False

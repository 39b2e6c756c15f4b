"""ba3l's progress bar: one line per loop, redrawn by the clock, never by the step.

Lightning's ``TQDMProgressBar`` redraws at every batch (~230 µs a step on a small model)
and a few times more at every epoch's start and end, so short epochs pay for tens of
redraws a second. :class:`TimedProgressBar` draws a line when ``redraw_seconds`` have
passed since it last drew it, and once more when its loop ends: a step that draws nothing
costs a clock reading.

What it shows: ``fit`` as one line counted in optimizer steps, with the epoch and the
values ``self.log(..., prog_bar=True)`` shows (as Lightning's bar does), and, while a
validation runs within ``fit``, that validation's progress in the line's description::

    Epoch 4/10:  35%|███▌      | 70/200 [00:01<00:02, 61.20it/s, val_loss=0.31]
    Epoch 4/10, validating 12/40:  40%|████      | 80/200 [00:01<00:02, 61.20it/s, val_loss=0.31]

``validate``, ``test`` and ``predict`` have a line each. A loop shorter than
``redraw_seconds`` shows only its last state. The lines are formatted by tqdm's
``format_meter`` and written with carriage returns, so ba3l's output capture keeps the
last state of each.
"""

from __future__ import annotations

import math
import shutil
import sys
import time
from typing import Any

from lightning.pytorch.callbacks import ProgressBar
from tqdm import tqdm

REDRAW_SECONDS = 0.5


class _Line:
    """One progress line on stdout: counted by its loop, drawn only when asked."""

    def __init__(self, description: str, total: float | None, start: int = 0) -> None:
        self.description = description
        self.total = int(total) if total is not None and math.isfinite(total) else None
        self.start, self.count = start, start
        self.postfix: dict[str, Any] = {}
        self.started = time.monotonic()
        self.width = 0  # of what is on screen: 0 when nothing is

    def draw(self) -> None:
        columns = shutil.get_terminal_size().columns - 1
        text = tqdm.format_meter(self.count, self.total, time.monotonic() - self.started, ncols=columns,
                                 prefix=self.description, postfix=_postfix(self.postfix), initial=self.start)
        sys.stdout.write("\r" + text.ljust(self.width))
        sys.stdout.flush()
        self.width = len(text)

    def clear(self) -> None:
        if self.width:
            sys.stdout.write("\r" + " " * self.width + "\r")
            self.width = 0

    def finish(self, leave: bool) -> None:
        """Its last state, left on screen with a new line after it, or wiped."""
        if leave:
            self.draw()
            sys.stdout.write("\n")
            sys.stdout.flush()
        else:
            self.clear()


class TimedProgressBar(ProgressBar):
    """A progress bar redrawn at most every ``redraw_seconds``, and at the end of each loop.

    Example:
        >>> trainer = ex.get_trainer(callbacks=[TimedProgressBar(redraw_seconds=2)])   # doctest: +SKIP

    Args:
        redraw_seconds: the least time between two drawings of the line.
    """

    def __init__(self, redraw_seconds: float = REDRAW_SECONDS) -> None:
        super().__init__()
        self.redraw_seconds = redraw_seconds
        self._enabled = True
        self._line: _Line | None = None
        self._validating: _Line | None = None  # a validation within fit: shown in the fit's line
        self._next_draw = 0.0

    # what Lightning asks of every progress bar ------------------------------------------

    @property
    def is_enabled(self) -> bool:
        return self._enabled

    def disable(self) -> None:
        self._enabled = False

    def enable(self) -> None:
        self._enabled = True

    def print(self, *args: Any, **kwargs: Any) -> None:
        """Print above the line, which is drawn again below what was printed."""
        shown = self._line is not None and self._line.width > 0
        if shown:
            self._line.clear()
        print(*args, **kwargs)
        if shown:
            self._line.draw()

    # the loops ---------------------------------------------------------------------------

    def on_train_start(self, trainer: Any, module: Any) -> None:
        self._begin(_Line(self._epoch(trainer), trainer.estimated_stepping_batches, trainer.global_step))

    def on_train_batch_end(self, trainer: Any, module: Any, *args: Any) -> None:
        if self._line is not None:
            self._line.count = trainer.global_step
            if time.monotonic() >= self._next_draw:
                self._show_fit(trainer, module)

    def on_train_end(self, trainer: Any, module: Any) -> None:
        if self._line is not None:
            self._line.count = trainer.global_step
            self._describe_fit(trainer, module)
            self._end(leave=True)

    def on_validation_start(self, trainer: Any, module: Any) -> None:
        if trainer.sanity_checking:
            return
        validation = _Line("Validation", sum(trainer.num_val_batches))
        if self._line is not None and trainer.state.fn == "fit":
            self._validating = validation
        else:
            self._begin(validation)

    def on_validation_batch_end(self, trainer: Any, module: Any, *args: Any) -> None:
        if self._validating is not None:
            self._validating.count += 1
            if time.monotonic() >= self._next_draw:
                self._show_fit(trainer, module)
        else:
            self._count()

    def on_validation_end(self, trainer: Any, module: Any) -> None:
        if self._validating is not None:
            self._validating = None
        elif not trainer.sanity_checking:
            self._end(leave=True)

    def on_test_start(self, trainer: Any, module: Any) -> None:
        self._begin(_Line("Testing", sum(trainer.num_test_batches)))

    def on_test_batch_end(self, trainer: Any, module: Any, *args: Any) -> None:
        self._count()

    def on_test_end(self, trainer: Any, module: Any) -> None:
        self._end(leave=True)

    def on_predict_start(self, trainer: Any, module: Any) -> None:
        self._begin(_Line("Predicting", sum(trainer.num_predict_batches)))

    def on_predict_batch_end(self, trainer: Any, module: Any, *args: Any) -> None:
        self._count()

    def on_predict_end(self, trainer: Any, module: Any) -> None:
        self._end(leave=True)

    def on_exception(self, trainer: Any, module: Any, exception: BaseException) -> None:
        self._end(leave=True)  # where it stopped stays on screen, above the error

    # drawing -----------------------------------------------------------------------------

    def get_metrics(self, trainer: Any, module: Any) -> dict[str, Any]:
        """What the line shows after its counts: the values logged with ``prog_bar=True``, without
        Lightning's ``v_num``. Under ba3l that is the loggers' versions joined (``v_num=_1``:
        TensorBoard's empty one and the run's id), and the run's log line names the run already."""
        metrics = super().get_metrics(trainer, module)
        metrics.pop("v_num", None)
        return metrics

    def _begin(self, line: _Line) -> None:
        self._end(leave=False)
        if self._enabled:
            self._line = line
            self._next_draw = time.monotonic() + self.redraw_seconds

    def _count(self) -> None:
        if self._line is not None:
            self._line.count += 1
            if time.monotonic() >= self._next_draw:
                self._draw()

    def _draw(self) -> None:
        self._line.draw()
        self._next_draw = time.monotonic() + self.redraw_seconds

    def _end(self, leave: bool) -> None:
        line, self._line, self._validating = self._line, None, None
        if line is not None:
            line.finish(leave)

    def _show_fit(self, trainer: Any, module: Any) -> None:
        self._describe_fit(trainer, module)
        self._draw()

    def _describe_fit(self, trainer: Any, module: Any) -> None:
        line = self._line
        line.description = self._epoch(trainer)
        if self._validating is not None:
            total = self._validating.total if self._validating.total is not None else "?"
            line.description += f", validating {self._validating.count}/{total}"
        line.postfix = self.get_metrics(trainer, module)

    @staticmethod
    def _epoch(trainer: Any) -> str:
        """``Epoch 3/10``, counted from 1 (at the end of fit Lightning's counter is one past the last)."""
        if trainer.max_epochs in (None, -1):
            return f"Epoch {trainer.current_epoch + 1}"
        return f"Epoch {min(trainer.current_epoch + 1, trainer.max_epochs)}/{trainer.max_epochs}"


def _postfix(metrics: dict[str, Any]) -> str:
    """``name=value`` pairs as Lightning's bar shows them: numbers with 3 significant digits."""
    shown = []
    for name, value in metrics.items():
        if hasattr(value, "item"):
            value = value.item()
        shown.append(f"{name}={value:.3g}" if isinstance(value, float) else f"{name}={value}")
    return ", ".join(shown)

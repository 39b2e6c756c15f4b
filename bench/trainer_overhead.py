"""What a trainer costs per training step: steps/s of a small network, raw PyTorch against Lightning and ba3l.

The setup of ``examples/digits.py``: scikit-learn's bundled digits (no download), its
training split of 70 % (1,257 images, 20 batches an epoch), an MLP 64-256-256-10
(Linear+ReLU), batch 64, shuffled, Adam, one torch thread. Four variants, interleaved
in one process over several rounds (a shared machine is noisy; interleaving makes the
noise hit every variant alike; the order rotates from round to round):

  raw         a PyTorch loop over the DataLoader: zero_grad, forward, cross_entropy,
              backward, step
  barebones   Lightning's ``Trainer(barebones=True)``: Lightning's own floor, nothing logged
  lightning   Lightning's defaults (``Trainer(accelerator="cpu")``): its TensorBoard logger,
              progress bar redrawn at every step, a checkpoint every epoch, in a temporary
              ``default_root_dir``; ``self.log("train_loss", loss)`` at every step
  ba3l        ba3l's default trainer: an ``Experiment`` with ``ex.trainer``, run with
              ``ex.run(...)`` (a ``StorageDirObserver`` in a temporary folder), the trainer
              built by ``ex.get_trainer()`` inside the run, so with ba3l's defaults: the
              timed progress bar, TensorBoard plus every logged value forwarded to
              ``_run.log_scalar``, a checkpoint every epoch into the storage dir, the run
              capturing what is printed; the module a ``ba3l.train.LightningModule`` that
              logs the loss at every step with ``self.log_scalar`` (to the run and TensorBoard)
  ba3l+log    the same, the loss logged with Lightning's ``self.log`` instead: what
              Lightning's logging machinery costs a step (not part of the target)
  ba3l-ckpt   ba3l's defaults without its checkpoints (``trainer.enable_checkpointing=False``):
              what the checkpoint every epoch costs (not part of the target)

Every variant trains the same steps (``--epochs`` epochs) from the same initial weights.
Only ``fit`` is timed (for raw, its epochs): building the Trainer, starting and ending
the ba3l run and the imports are not (a first, untimed round of one epoch warms every
variant up); what ba3l's run costs around the fit is printed apart. The progress bars
draw as they would, into ``/dev/null`` (file descriptors 1 and 2 are redirected while a
variant trains), so their cost is measured and this script's output stays readable.

Prints the median steps/s of each variant over the rounds, its ratio to raw (each
round's ratio is to that round's raw loop; the median and the middle half of those),
the ratio of the fastest fits (noise on a shared machine only ever adds time, so the
fastest fit of each variant is the nearest to what it costs on a quiet one; shown, not
judged) and what a step costs beyond the raw loop. Target: ba3l's defaults >= 0.70 of
raw (the script says whether the median ratio meets it, as the other benchmarks do).
``--profile`` then times the parts of
three ba3l fits (every hook of its callbacks, its loggers, ``self.log``, the checkpoint's
``torch.save``, ba3l's output capture and ``log_scalar``), in µs per step.

``--calls`` counts the Python function calls of a training step instead, for barebones and
ba3l (``cProfile`` over a fit of 10 epochs minus one of 1, so fixed costs cancel): a
measure of ba3l's work that does not move with the machine's speed.

    .venv/bin/python bench/trainer_overhead.py [--rounds 11] [--epochs 10] [--quick] [--profile] [--calls]
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import lightning.pytorch as pl
import torch
from sklearn.datasets import load_digits
from torch.utils.data import DataLoader, TensorDataset

import ba3l.train
from ba3l import Experiment
from ba3l.observers import StorageDirObserver

TARGET = 0.70
BATCH = 64
SEED = 0


def network() -> torch.nn.Module:
    """The MLP, with the same initial weights every time."""
    torch.manual_seed(SEED)
    return torch.nn.Sequential(
        torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10)
    )


class Classifier(pl.LightningModule):
    def __init__(self, log_loss: bool):
        super().__init__()
        self.net = network()
        self.log_loss = log_loss  # barebones refuses self.log

    def training_step(self, batch: Any, batch_index: int) -> torch.Tensor:
        x, y = batch
        loss = torch.nn.functional.cross_entropy(self.net(x), y)
        if self.log_loss:
            self.log("train_loss", loss)
        return loss

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=1e-3)


class Ba3lClassifier(ba3l.train.LightningModule):
    """The same network as a ba3l module, logging the loss with ``self.log_scalar`` (or ``self.log``)."""

    def __init__(self, lightning_log: bool = False):
        super().__init__()
        self.net = network()
        self.lightning_log = lightning_log

    def training_step(self, batch: Any, batch_index: int) -> torch.Tensor:
        x, y = batch
        loss = torch.nn.functional.cross_entropy(self.net(x), y)
        if self.lightning_log:
            self.log("train_loss", loss)
        else:
            self.log_scalar("train_loss", loss)
        return loss

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=1e-3)


def training_set() -> TensorDataset:
    """The 70 % training split of the 1,797 digits, as in examples/digits.py."""
    digits = load_digits()
    x = torch.tensor(digits.data, dtype=torch.float32) / 16.0
    y = torch.tensor(digits.target)
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(SEED))[: int(len(x) * 0.7)]
    return TensorDataset(x[order], y[order])


def loader(data: TensorDataset) -> DataLoader:
    return DataLoader(data, batch_size=BATCH, shuffle=True, generator=torch.Generator().manual_seed(SEED))


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """File descriptors 1 and 2 go to /dev/null: progress bars and Lightning's messages still
    write (and cost what they cost), but not into this script's output."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, null):
            os.close(fd)


def timed_fit(trainer: pl.Trainer, model: pl.LightningModule, data: TensorDataset) -> tuple[float, int]:
    """Seconds of ``trainer.fit`` and the steps it took."""
    train = loader(data)
    start = time.perf_counter()
    trainer.fit(model, train)
    return time.perf_counter() - start, trainer.global_step


def run_raw(data: TensorDataset, epochs: int, folder: str) -> tuple[float, int]:
    model = network()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    train = loader(data)
    steps = 0
    start = time.perf_counter()
    for _ in range(epochs):
        for x, y in train:
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            steps += 1
    return time.perf_counter() - start, steps


def run_barebones(data: TensorDataset, epochs: int, folder: str) -> tuple[float, int]:
    trainer = pl.Trainer(barebones=True, max_epochs=epochs, accelerator="cpu", default_root_dir=folder)
    return timed_fit(trainer, Classifier(log_loss=False), data)


def run_lightning(data: TensorDataset, epochs: int, folder: str) -> tuple[float, int]:
    trainer = pl.Trainer(max_epochs=epochs, accelerator="cpu", default_root_dir=folder)
    return timed_fit(trainer, Classifier(log_loss=True), data)


class Ba3lVariant:
    """One experiment, run once per round, each run in a new storage dir in the round's folder."""

    def __init__(self, lightning_log: bool = False, config_updates: dict[str, Any] | None = None) -> None:
        self.ex = Experiment("trainer_overhead")
        self.config_updates = config_updates or {}
        self.ex.trainer  # noqa: B018 -- trainer.* is config; get_trainer fills ba3l's defaults
        self.data: TensorDataset | None = None
        self.timing: dict[str, Any] = {}
        self.before_fit: Callable[[pl.Trainer], None] | None = None  # --profile puts its timers in

        @self.ex.main
        def train() -> None:
            torch.set_num_threads(1)
            trainer = self.ex.get_trainer()
            if self.before_fit is not None:
                self.before_fit(trainer)
            self.timing["fit"], self.timing["steps"] = timed_fit(trainer, Ba3lClassifier(lightning_log), self.data)

    def __call__(self, data: TensorDataset, epochs: int, folder: str) -> tuple[float, int]:
        self.data = data
        self.ex.observers[:] = [StorageDirObserver(root=folder)]
        start = time.perf_counter()
        self.ex.run(config_updates={"trainer.max_epochs": epochs, "trainer.accelerator": "cpu", **self.config_updates})
        self.timing["outside_fit"] = time.perf_counter() - start - self.timing["fit"]
        return self.timing["fit"], self.timing["steps"]


def measure(cases: dict[str, Callable], data: TensorDataset, epochs: int, rounds: int,
            outside: list[float]) -> dict[str, list[float]]:
    """Seconds of each case per round; one untimed warm-up round (one epoch each) first.
    ``outside`` gets what each ba3l run took beyond its fit."""
    names = list(cases)
    expected = epochs * len(loader(data))
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(-1, rounds):
        shift = max(round_, 0) % len(names)
        for name in names[shift:] + names[:shift]:
            torch.set_num_threads(1)
            with tempfile.TemporaryDirectory(prefix="ba3l-bench-") as folder, quiet():
                elapsed, steps = cases[name](data, epochs if round_ >= 0 else 1, folder)
            if round_ < 0:
                continue
            if steps != expected:
                raise RuntimeError(f"{name} trained {steps} steps, not {expected}")
            seconds[name].append(elapsed)
            if cases[name] is cases.get("ba3l"):
                outside.append(cases[name].timing["outside_fit"])
        if round_ >= 0:
            print(f"  round {round_ + 1}: " + ", ".join(f"{n} {expected / seconds[n][-1]:.0f}" for n in names)
                  + " steps/s", flush=True)
    return seconds


class Timers:
    """Seconds and calls per label, gathered by wrapping functions (about a µs a call)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._undo: list[tuple[Any, str, Any]] = []

    def wrap(self, owner: Any, attribute: str, label: str) -> None:
        """Time ``owner.attribute`` (a class's function, or an instance's method) under ``label``."""
        function = getattr(owner, attribute, None)
        if function is None:
            return  # not in this version: nothing to time
        seconds, calls = self.seconds, self.calls

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                seconds[label] = seconds.get(label, 0.0) + time.perf_counter() - start
                calls[label] = calls.get(label, 0) + 1

        self._undo.append((owner, attribute, vars(owner).get(attribute)))
        setattr(owner, attribute, timed)

    def restore(self) -> None:
        for owner, attribute, original in reversed(self._undo):
            if original is None:
                delattr(owner, attribute)
            else:
                setattr(owner, attribute, original)
        self._undo.clear()


def profile_ba3l(variant: Ba3lVariant, data: TensorDataset, epochs: int, rounds: int) -> None:
    """Where ba3l's steps go: timers around every hook of the trainer's callbacks, its loggers,
    ``self.log`` and Lightning's per-step logging work, the checkpoint's ``torch.save`` and
    ba3l's run-level parts (output capture, ``log_scalar``), over ``rounds`` fits, each after
    a raw loop for reference. A timer counts the time inside what it wraps (nested ones
    are indented)."""
    from lightning.pytorch.callbacks import Callback
    from lightning.pytorch.trainer.connectors.logger_connector import result

    from ba3l.run import Run, _output

    timers = Timers()
    hooks = [name for name in dir(Callback) if name.startswith("on_")]

    def instrument(trainer: pl.Trainer) -> None:
        for callback in trainer.callbacks:
            for hook in hooks:
                if getattr(type(callback), hook) is not getattr(Callback, hook):
                    timers.wrap(callback, hook, f"callback {type(callback).__name__}.{hook}")
        for logger in trainer.loggers:
            for method in ("log_metrics", "save", "finalize"):
                timers.wrap(logger, method, f"logger {type(logger).__name__}.{method}")
        for method in ("on_batch_start", "on_batch_end", "update_train_step_metrics", "update_train_epoch_metrics"):
            timers.wrap(trainer._logger_connector, method, f"Lightning's logger connector: {method}")
        timers.wrap(trainer, "save_checkpoint", "  in the checkpoint callback: Trainer.save_checkpoint")

    timers.wrap(pl.LightningModule, "log", "self.log")
    timers.wrap(ba3l.train.LightningModule, "log_scalar", "self.log_scalar (ba3l)")
    timers.wrap(result._ResultMetric, "to", "  in self.log: _ResultMetric.to(value.device)")
    timers.wrap(_output._Tee, "write", "ba3l's output capture: _Tee.write")
    timers.wrap(Run, "log_scalar", "ba3l's Run.log_scalar")
    variant.before_fit = instrument
    raw = fit = 0.0
    try:
        for _ in range(rounds):
            raw += run_raw(data, epochs, "")[0]
            with tempfile.TemporaryDirectory(prefix="ba3l-bench-") as folder, quiet():
                fit += variant(data, epochs, folder)[0]
    finally:
        timers.restore()
        variant.before_fit = None
    steps = rounds * epochs * len(loader(data))
    print(f"\nwhere ba3l's steps go, {rounds} fits of {steps // rounds} steps with timers: ba3l "
          f"{fit / steps * 1e6:.0f} µs/step, the raw loops between them {raw / steps * 1e6:.0f} µs/step")
    print(f"  {'µs/step':>8} {'calls/step':>10} {'µs/call':>8}  part")
    for label, seconds in sorted(timers.seconds.items(), key=lambda item: -item[1]):
        if seconds / steps >= 1e-6:
            calls = timers.calls[label]
            print(f"  {seconds / steps * 1e6:>8.1f} {calls / steps:>10.2f} {seconds / calls * 1e6:>8.0f}  {label}")


def calls_per_step(case: Callable, data: TensorDataset) -> float:
    """Python function calls per training step of ``case``: a 10-epoch fit's minus a 1-epoch one's."""
    import cProfile
    import pstats

    counted = {}
    for epochs in (1, 10):
        profile = cProfile.Profile()
        with tempfile.TemporaryDirectory(prefix="ba3l-bench-") as folder, quiet():
            case(data, 1, folder)  # warm: imports and first-time work are not a step's
            profile.enable()
            case(data, epochs, folder)
            profile.disable()
        counted[epochs] = sum(calls for calls, *_ in pstats.Stats(profile).stats.values())
    return (counted[10] - counted[1]) / (9 * len(loader(data)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=11, help="timed rounds (default 11)")
    parser.add_argument("--epochs", type=int, default=10, help="epochs per variant and round, 20 steps each (default 10)")
    parser.add_argument("--quick", action="store_true", help="3 rounds of 5 epochs: a smoke test, not a measurement")
    parser.add_argument("--profile", action="store_true",
                        help="then time the parts of 3 ba3l fits (callbacks, loggers, self.log ...)")
    parser.add_argument("--calls", action="store_true",
                        help="count the Python calls of a step (barebones, ba3l) instead of timing")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.epochs = 3, 5
    if args.rounds < 1 or args.epochs < 1:
        parser.error("--rounds and --epochs must be at least 1")

    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")  # Lightning's advice (workers, log_every_n_steps): noise here
    logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)
    data = training_set()
    ba3l = Ba3lVariant()
    cases: dict[str, Callable] = {"raw": run_raw, "barebones": run_barebones, "lightning": run_lightning, "ba3l": ba3l,
                                  "ba3l+log": Ba3lVariant(lightning_log=True),
                                  "ba3l-ckpt": Ba3lVariant(config_updates={"trainer.enable_checkpointing": False})}
    if args.calls:
        for name in ("barebones", "ba3l"):
            print(f"{name}: {calls_per_step(cases[name], data):.0f} Python calls a training step")
        return
    steps = args.epochs * len(loader(data))
    print(f"{len(data)} training images, batch {BATCH}: {steps} steps ({args.epochs} epochs) per variant and round, "
          f"{args.rounds} rounds; torch {torch.__version__}, lightning {pl.__version__}, 1 thread")
    outside: list[float] = []
    seconds = measure(cases, data, args.epochs, args.rounds, outside)

    raw = seconds["raw"]
    print(f"\nmedian over {args.rounds} rounds (fit only):")
    print(f"{'variant':<10} {'steps/s':>8} {'µs/step':>8} {'vs raw':>7} {'middle half':>12} {'fastest':>8} {'+µs/step':>9}")
    for name in cases:
        ratios = [r / s for r, s in zip(raw, seconds[name])]
        low, _, high = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else ratios * 3
        median = statistics.median(seconds[name])
        extra = statistics.median((s - r) / steps * 1e6 for s, r in zip(seconds[name], raw))
        print(f"{name:<10} {steps / median:>8.0f} {median / steps * 1e6:>8.0f} {statistics.median(ratios):>7.2f}"
              f" {low:>6.2f}–{high:<5.2f} {min(raw) / min(seconds[name]):>8.2f} {extra:>9.0f}")
    print(f"(+µs/step: what a step costs beyond the raw loop of the same round. Outside the fit, a ba3l run "
          f"took {statistics.median(outside) * 1000:.0f} ms more: config, run start, get_trainer, end of the run)")
    ratio = statistics.median(r / s for r, s in zip(raw, seconds["ba3l"]))
    floor = statistics.median(b / s for b, s in zip(seconds["barebones"], seconds["ba3l"]))
    verdict = "ok" if ratio >= TARGET else "BELOW TARGET"
    print(f"ba3l's defaults: {ratio:.2f} of raw ({floor:.2f} of Lightning's barebones floor); "
          f"target >= {TARGET:.2f}: {verdict}")
    if args.profile:
        profile_ba3l(ba3l, data, args.epochs, 3)


if __name__ == "__main__":
    main()

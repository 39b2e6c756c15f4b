"""Shared fixtures: a realistic experiment script and a runner for its command line.

Command-line tests write :data:`EXPERIMENT` (or another script) into ``tmp_path`` and
run it with the interpreter running the tests, as a user would run it: a real process,
real argv, real exit status, and stdout/stderr piped (so not a terminal).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

EXPERIMENT = '''\
"""A small experiment for the command-line tests."""

import yaml

from ba3l import Experiment, Ingredient

data = Ingredient("data")


@data.config
def data_config():
    """Where the examples come from."""
    batch_size = 64  # examples per step
    shuffle = True  # reshuffle every epoch
    steps = 1024 // batch_size  # derived: follows batch_size


@data.named_config
def small():
    """A quick configuration for debugging."""
    batch_size = 8


@data.command
def stats(batch_size, steps):
    """Print how the data is cut into batches."""
    print(f"{steps} steps of {batch_size} examples")


ex = Experiment("cli_test", ingredients=[data])


@ex.config
def config():
    """A small network."""
    lr = 0.001  # learning rate
    hidden = 128  # hidden units per layer
    width = 2 * hidden  # derived: follows hidden
    label = "mlp"  # a name for the model
    optimizer = {"kind": "adam", "betas": (0.9, 0.999)}
    data = {"shuffle": False}  # the experiment sets a value of its ingredient


@ex.named_config
def big():
    """A wider network."""
    hidden = 512


@ex.command
def dump(_config):
    """Print the whole config as YAML."""
    print(yaml.safe_dump(_config, sort_keys=False), end="")


@ex.automain
def main(_log, lr, hidden, width):
    """Train (pretend) and report the width."""
    _log.debug("debugging details: width=%s", width)
    if lr > 1:
        raise RuntimeError(f"diverged with lr={lr}")
    print(f"hidden={hidden} width={width}")
    return width
'''
"""The test experiment: a root config with a derived entry (``width``) and a dict
entry (``optimizer``), a named config ``big``, a user command ``dump``, and an
ingredient ``data`` with its own config, named config ``small`` and command ``stats``."""

TIMEOUT = 60


class Completed(NamedTuple):
    """What a finished script left: its exit status and its output."""

    returncode: int
    stdout: str
    stderr: str


def run_script(directory: Path, args: tuple[str, ...] | list[str], script: str = EXPERIMENT,
               name: str = "experiment.py", timeout: float = TIMEOUT) -> Completed:
    """Write ``script`` to ``directory/name`` and run it there with ``args``."""
    path = directory / name
    if not path.exists() or path.read_text(encoding="utf-8") != script:
        path.write_text(script, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env["PYTHONIOENCODING"] = "utf-8"
    done = subprocess.run(
        [sys.executable, str(path), *args],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    return Completed(done.returncode, done.stdout, done.stderr)


@pytest.fixture(autouse=True)
def runs_folder(tmp_path_factory, monkeypatch):
    """Runs recorded by default (no -F, no observer) go to a temporary folder, not ./runs."""
    folder = tmp_path_factory.mktemp("default-runs")
    monkeypatch.setenv("BA3L_RUNS", str(folder))
    return folder


@pytest.fixture
def run_experiment(tmp_path):
    """``run_experiment(*args, script=EXPERIMENT)`` runs the script in ``tmp_path``.

    Returns ``(returncode, stdout, stderr)`` as a :class:`Completed`.
    """

    def run(*args: str, script: str = EXPERIMENT, timeout: float = TIMEOUT) -> Completed:
        return run_script(tmp_path, args, script=script, timeout=timeout)

    return run

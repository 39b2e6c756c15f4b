"""Going on with a stopped training: ``python ex.py resume <storage_dir>`` and ``with resume=auto``.

A storage dir keeps the experiment's ``config.json`` and, under ``runs/``, the record of
each invocation. Resuming one is running its first command again with that config (and
any updates given now, later winning), ``resume`` set to the storage dir: the storage dir
observer records the new run there and the trainer goes on from the latest checkpoint.

``resume=auto`` asks an observer that keeps storage dirs (``StorageDirObserver``) for the
newest one with this config (the seed aside) whose last run did not complete; with
none, the run starts afresh in a new storage dir. A job that SLURM requeues with the
same command line thereby picks up where it stopped.

The config key ``resume`` is declared by ``ex.trainer``; the command works for any
experiment with a storage dir observer.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from ba3l.config import ConfigDict, UsageError, load_config_file

from ._assembly import ConfigRequest, Update

if TYPE_CHECKING:
    from ._experiment import Experiment

RESUME = "resume"
AUTO = "auto"


def resume_entry() -> ConfigDict:
    """The ``resume`` config entry, with its doc (``ex.trainer`` adds it)."""
    entry = ConfigDict({RESUME: None}, "ex.trainer")
    entry.docs[(RESUME,)] = "a storage dir to go on with, 'auto' (the newest unfinished one with this config), or None"
    return entry


def resume_command_request(ex: Experiment, arguments: tuple[str, ...], request: ConfigRequest) -> ConfigRequest:
    """The request of ``resume STORAGE_DIR [with UPDATE ...]``: the storage dir's first command and config.

    Raises:
        UsageError: not one argument, not a storage dir, or no observer that records into storage dirs.
    """
    if len(arguments) != 1:
        raise UsageError("resume takes one STORAGE_DIR: resume STORAGE_DIR [with UPDATE ...]")
    return continuing(ex, arguments[0], request, command=_first_command(arguments[0]) or ex.default_command or "")


def resume_key_request(ex: Experiment, values: dict[str, Any], request: ConfigRequest) -> ConfigRequest | None:
    """The request that continues what the config's ``resume`` names (a storage dir, or
    ``auto`` and one is found); ``None`` when the config, as resolved, is to run as it is."""
    wanted = values.get(RESUME)
    if not wanted or _is_continuing(request) or ex.child("trainer") is None:  # without ex.trainer, 'resume' is the user's
        return None
    if wanted == AUTO:
        found = _find_resumable(ex, values)
        return continuing(ex, found, request, command=request.command) if found else None
    return continuing(ex, str(wanted), request, command=request.command)


def continuing(ex: Experiment, storage_dir: str, request: ConfigRequest, command: str) -> ConfigRequest:
    """``request`` on top of ``storage_dir``'s config, with ``resume`` set to it."""
    config_file = os.path.join(storage_dir, "config.json")
    if not os.path.isfile(config_file):
        raise UsageError(f"'{storage_dir}' is not a storage dir: it has no config.json")
    if not any(hasattr(observer, "storage_dir") for observer in ex.observers):
        raise UsageError("resume records into a storage dir: add a StorageDirObserver to ex.observers")
    stored = Update((), load_config_file(config_file), f"file {config_file}", add=True, warn_new=True)
    target = Update((RESUME,), os.path.abspath(storage_dir), "resume")
    return request._replace(updates=(stored, *request.updates, target), command=command)


def _is_continuing(request: ConfigRequest) -> bool:
    return any(update.origin == "resume" for update in request.updates)


def _first_command(storage_dir: str) -> str | None:
    """The command of the storage dir's first recorded run."""
    runs = os.path.join(storage_dir, "runs")
    numbers = [int(name) for name in os.listdir(runs) if name.isdigit()] if os.path.isdir(runs) else []
    for number in sorted(numbers):
        try:
            with open(os.path.join(runs, str(number), "run.json"), encoding="utf-8") as file:
                return json.load(file).get("command")
        except (OSError, ValueError):
            continue
    return None


def _find_resumable(ex: Experiment, values: dict[str, Any]) -> str | None:
    for observer in ex.observers:
        find = getattr(observer, "resumable", None)
        found = find(ex.name, values) if find else None
        if found:
            return found
    return None

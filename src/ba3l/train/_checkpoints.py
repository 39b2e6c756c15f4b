"""Checkpoint files in a storage dir: numbered checkpoints, and links to the latest and the best.

``<storage_dir>/checkpoints/ckpt_<global_step>.ckpt`` are the checkpoints;
``ckpt_latest.ckpt`` and ``ckpt_best_<metric>.ckpt`` are relative symlinks to them, each
replaced in one step (a new link beside it, then renamed over it); ``checkpoints.json``
beside them says the same, for filesystems without symlinks and for readers.

Nothing half-written is ever pointed at: a checkpoint is written under a temporary
name and renamed when complete, and only then do the pointer file and the links move
to it. A kill at any moment leaves ``latest`` at a complete checkpoint (the new one or
the one before). A crash of the machine is another matter: files are not flushed to the
disk before they are renamed, so the newest may come back empty or cut short;
:meth:`CheckpointFolder.latest_complete` finds the newest one that is whole. Old
checkpoints beyond ``keep_last`` are removed after the links have moved; the best ones
are always kept.

This module only manages files; it does not know what is in them (the trainer writes
them with Lightning's ``save_checkpoint``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ba3l.config import write_text_atomic

POINTER = "checkpoints.json"
LATEST = "ckpt_latest.ckpt"
_NUMBERED = re.compile(r"^ckpt_(\d+)\.ckpt$")


class CheckpointFolder:
    """The ``checkpoints`` folder of a storage dir.

    Args:
        folder: the folder (made when the first checkpoint is saved).
        keep_last: how many of the newest checkpoints to keep (the best ones are kept too);
            ``None`` keeps every one.

    A folder has one writer (the training process, rank 0): the first ``save`` reads what
    is there (a resumed run's checkpoints, what a kill left half-done) and later saves go
    on from what this object wrote, with as few file operations as a save needs (the
    background writer's every system call lets the training thread's GIL go and take
    it back, so each costs the training steps too).

    Example:
        >>> folder = CheckpointFolder("storage/digits/1/checkpoints")   # doctest: +SKIP
        >>> folder.save(120, trainer.save_checkpoint, {"val_loss": 0.2}, {"val_loss": "min"})  # doctest: +SKIP
    """

    def __init__(self, folder: str | os.PathLike, keep_last: int | None = 3):
        if keep_last is not None and keep_last < 1:
            raise ValueError(f"keep_last must be at least 1 (or None to keep all), not {keep_last}")
        self.folder = os.fspath(folder)
        self.keep_last = keep_last
        self._written: _WrittenState | None = None  # what this writer knows is there; read at the first save

    def save(self, step: int, write: Callable[[str], Any], metrics: Mapping[str, float] | None = None,
             modes: Mapping[str, str] | None = None) -> str:
        """Write the checkpoint of ``step`` with ``write(path)``, point ``latest`` at it, and
        ``best_<metric>`` for each metric in ``modes`` (``"min"`` or ``"max"``) it improves.
        Returns the checkpoint's path."""
        for mode in (modes or {}).values():
            _check_mode(mode)
        state = self._written if self._written is not None else self._take_over()
        name = f"ckpt_{step}.ckpt"
        path = os.path.join(self.folder, name)
        temporary = state.temporary(self.folder, name)
        try:
            write(temporary)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        state.numbered[step] = name
        pointer = state.pointer
        pointer["latest"] = name
        best = pointer.setdefault("best", {})
        for metric, mode in (modes or {}).items():
            value = (metrics or {}).get(metric)
            if value is not None and _improves(float(value), best.get(metric), mode):
                best[metric] = {"file": name, "value": float(value), "mode": mode}
        write_text_atomic(os.path.join(self.folder, POINTER), json.dumps(pointer, indent=2) + "\n")
        self._link(state, LATEST, name)
        for metric, entry in best.items():
            self._link(state, f"ckpt_best_{metric}.ckpt", entry["file"])
        self._prune(state)
        return path

    def latest(self) -> str | None:
        """The path of the latest complete checkpoint, or ``None`` when there is none."""
        return self._resolve(LATEST, self._pointer().get("latest"))

    def latest_complete(self, complete: Callable[[str], bool]) -> str | None:
        """The newest checkpoint that ``complete(path)`` accepts: ``latest``, else the numbered
        ones from the newest down. A checkpoint is renamed into place without waiting for the
        disk (waiting would cost every save), so a crash of the machine, not of the process,
        can leave the newest file empty or cut short while its name is in place."""
        latest = self.latest()
        if latest and complete(latest):
            return latest  # the usual case: the folder is not listed
        numbered = sorted((int(match.group(1)), entry) for entry in _entries(self.folder)
                          if (match := _NUMBERED.match(entry)))
        older = (os.path.join(self.folder, entry) for _, entry in reversed(numbered))
        return next((path for path in older if path != latest and complete(path)), None)

    def best(self, metric: str) -> str | None:
        """The path of the best checkpoint by ``metric``, or ``None`` when none was saved with it."""
        entry = self._pointer().get("best", {}).get(metric)
        return self._resolve(f"ckpt_best_{metric}.ckpt", entry["file"] if entry else None)

    def best_metrics(self) -> list[str]:
        """The metrics a best checkpoint is kept for."""
        return list(self._pointer().get("best", {}))

    # files -------------------------------------------------------------------------------

    def _take_over(self) -> _WrittenState:
        """Before the first save: the folder made, what an earlier writer left read, and the
        temporary files of saves and links that a kill cut short removed."""
        os.makedirs(self.folder, exist_ok=True)
        numbered = {}
        for entry in os.listdir(self.folder):
            if entry.startswith(".") and entry.endswith(".tmp"):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(self.folder, entry))
            elif match := _NUMBERED.match(entry):
                numbered[int(match.group(1))] = entry
        self._written = _WrittenState(self._pointer(), numbered)
        return self._written

    def _pointer(self) -> dict:
        try:
            with open(os.path.join(self.folder, POINTER), encoding="utf-8") as file:
                return json.load(file)
        except (FileNotFoundError, ValueError):
            return {}

    def _resolve(self, link: str, recorded: str | None) -> str | None:
        """The pointer file's entry if its file is there, else the link's target: both name
        complete files, and the pointer moves first (a kill between the two leaves it ahead)."""
        if recorded and os.path.exists(os.path.join(self.folder, recorded)):
            return os.path.join(self.folder, recorded)
        path = os.path.join(self.folder, link)
        if os.path.islink(path) and os.path.exists(path):
            return os.path.join(self.folder, os.readlink(path))
        return None

    def _link(self, state: _WrittenState, link: str, target: str) -> None:
        """Point ``link`` at ``target`` (relative) in one step, unless this writer already did;
        without symlinks, the pointer file does it."""
        if state.links.get(link) == target:
            return
        temporary = state.temporary(self.folder, link)
        try:
            os.symlink(target, temporary)
            os.replace(temporary, os.path.join(self.folder, link))
            state.links[link] = target
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temporary)

    def _prune(self, state: _WrittenState) -> None:
        """Remove numbered checkpoints beyond ``keep_last`` that no link points at."""
        if self.keep_last is None:
            return
        steps = sorted(state.numbered)
        kept = {state.numbered[step] for step in steps[-self.keep_last:]}
        kept.add(state.pointer.get("latest"))
        kept.update(entry["file"] for entry in state.pointer.get("best", {}).values())
        for step in steps:
            if state.numbered[step] not in kept:
                name = state.numbered.pop(step)
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(self.folder, name))


@dataclass
class _WrittenState:
    """What the writer of a folder knows is in it: the pointer file's content, the numbered
    checkpoints (by step) and the links it set."""

    pointer: dict
    numbered: dict[int, str]
    links: dict[str, str] = field(default_factory=dict)
    _count: int = 0

    def temporary(self, folder: str, name: str) -> str:
        """A fresh name beside ``name`` for writing it before it is renamed into place
        (dot-prefixed and ``.tmp``: the next writer's first save removes what a kill left)."""
        self._count += 1
        return os.path.join(folder, f".{name}.{os.getpid()}-{self._count}.tmp")


def _entries(folder: str) -> list[str]:
    try:
        return os.listdir(folder)
    except FileNotFoundError:
        return []


def checkpoint_step(path: str) -> int | None:
    """The global step in a checkpoint's file name (``ckpt_<step>.ckpt``), or ``None``."""
    match = _NUMBERED.match(os.path.basename(path))
    return int(match.group(1)) if match else None


def _check_mode(mode: str) -> None:
    if mode not in ("min", "max"):
        raise ValueError(f"a checkpoint metric's mode is 'min' or 'max', not {mode!r}")


def _improves(value: float, best: Mapping[str, Any] | None, mode: str) -> bool:
    if best is None:
        return True
    return value < best["value"] if mode == "min" else value > best["value"]

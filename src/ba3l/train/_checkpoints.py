"""Checkpoint files in a storage dir: numbered checkpoints, and links to the latest and the best.

``<storage_dir>/checkpoints/ckpt_<global_step>.ckpt`` are the checkpoints;
``ckpt_latest.ckpt`` and ``ckpt_best_<metric>.ckpt`` are relative symlinks to them, each
replaced in one step (a new link beside it, then renamed over it); ``checkpoints.json``
beside them says the same, for filesystems without symlinks and for readers.

Nothing half-written is ever pointed at: a checkpoint is written under a temporary
name and renamed when complete, and only then do the pointer file and the links move
to it. A kill at any moment leaves ``latest`` at a complete checkpoint (the new one or
the one before). Old checkpoints beyond ``keep_last`` are removed after the links have
moved; the best ones are always kept.

This module only manages files; it does not know what is in them (the trainer writes
them with Lightning's ``save_checkpoint``).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
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

    Example:
        >>> folder = CheckpointFolder("storage/digits/1/checkpoints")   # doctest: +SKIP
        >>> folder.save(120, trainer.save_checkpoint, {"val_loss": 0.2}, {"val_loss": "min"})  # doctest: +SKIP
    """

    def __init__(self, folder: str | os.PathLike, keep_last: int | None = 3):
        if keep_last is not None and keep_last < 1:
            raise ValueError(f"keep_last must be at least 1 (or None to keep all), not {keep_last}")
        self.folder = os.fspath(folder)
        self.keep_last = keep_last

    def save(self, step: int, write: Callable[[str], Any], metrics: Mapping[str, float] | None = None,
             modes: Mapping[str, str] | None = None) -> str:
        """Write the checkpoint of ``step`` with ``write(path)``, point ``latest`` at it, and
        ``best_<metric>`` for each metric in ``modes`` (``"min"`` or ``"max"``) it improves.
        Returns the checkpoint's path."""
        os.makedirs(self.folder, exist_ok=True)
        name = f"ckpt_{step}.ckpt"
        path = os.path.join(self.folder, name)
        temporary = os.path.join(self.folder, f".{name}.{os.urandom(6).hex()}.tmp")
        try:
            write(temporary)
            os.replace(temporary, path)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        pointer = self._pointer()
        pointer["latest"] = name
        best = pointer.setdefault("best", {})
        for metric, mode in (modes or {}).items():
            value = (metrics or {}).get(metric)
            if value is not None and _improves(float(value), best.get(metric), mode):
                best[metric] = {"file": name, "value": float(value), "mode": mode}
        write_text_atomic(os.path.join(self.folder, POINTER), json.dumps(pointer, indent=2) + "\n")
        self._link(LATEST, name)
        for metric, entry in best.items():
            self._link(f"ckpt_best_{metric}.ckpt", entry["file"])
        self._prune(pointer)
        return path

    def latest(self) -> str | None:
        """The path of the latest complete checkpoint, or ``None`` when there is none."""
        return self._resolve(LATEST, self._pointer().get("latest"))

    def best(self, metric: str) -> str | None:
        """The path of the best checkpoint by ``metric``, or ``None`` when none was saved with it."""
        entry = self._pointer().get("best", {}).get(metric)
        return self._resolve(f"ckpt_best_{metric}.ckpt", entry["file"] if entry else None)

    def best_metrics(self) -> list[str]:
        """The metrics a best checkpoint is kept for."""
        return list(self._pointer().get("best", {}))

    # files -------------------------------------------------------------------------------

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

    def _link(self, link: str, target: str) -> None:
        """Point ``link`` at ``target`` (relative) in one step; without symlinks, the pointer file does it."""
        temporary = os.path.join(self.folder, f".{link}.{os.urandom(6).hex()}.tmp")
        try:
            os.symlink(target, temporary)
            os.replace(temporary, os.path.join(self.folder, link))
        except OSError:
            if os.path.lexists(temporary):
                os.unlink(temporary)

    def _prune(self, pointer: dict) -> None:
        """Remove numbered checkpoints beyond ``keep_last`` that no link points at, and leftovers of kills."""
        for entry in os.listdir(self.folder):
            if entry.startswith(".") and entry.endswith(".tmp"):
                os.unlink(os.path.join(self.folder, entry))  # a save or a link that a kill cut short
        if self.keep_last is None:
            return
        numbered = sorted((int(m.group(1)), m.group(0)) for m in map(_NUMBERED.match, os.listdir(self.folder)) if m)
        kept = {name for _, name in numbered[-self.keep_last:]}
        kept.add(pointer.get("latest"))
        kept.update(entry["file"] for entry in pointer.get("best", {}).values())
        for _, name in numbered:
            if name not in kept:
                os.unlink(os.path.join(self.folder, name))


def checkpoint_step(path: str) -> int | None:
    """The global step in a checkpoint's file name (``ckpt_<step>.ckpt``), or ``None``."""
    match = _NUMBERED.match(os.path.basename(path))
    return int(match.group(1)) if match else None


def _improves(value: float, best: Mapping[str, Any] | None, mode: str) -> bool:
    if mode not in ("min", "max"):
        raise ValueError(f"a checkpoint metric's mode is 'min' or 'max', not {mode!r}")
    if best is None:
        return True
    return value < best["value"] if mode == "min" else value > best["value"]

"""Storage dirs, as in padertorch: a numbered folder per training experiment.

``get_new_storage_dir("digits")`` allocates ``<root>/digits/<n>`` (``root``: the argument,
``$BA3L_STORAGE_ROOT``, or ``./storage``) with an atomic ``mkdir`` of the next number,
retried when another process took it. It is called when a run starts, never by
``print_config`` or ``--help``: :class:`StorageDirObserver` does it for you.

A storage dir holds the experiment's ``config.json`` at the top (written by the first
run; a resume keeps it) and the record of each invocation (the first run, every
resume) in ``<storage_dir>/runs/<id>/``, in the file storage layout.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from typing import Any

from ba3l.config import mask_secrets, write_text_atomic
from ba3l.run import RunRecord

from ._file_storage import FileStorageObserver, is_stale


def storage_root(root: str | os.PathLike | None = None) -> str:
    """Where storage dirs go: ``root``, else ``$BA3L_STORAGE_ROOT``, else ``./storage``."""
    return os.fspath(root) if root is not None else os.environ.get("BA3L_STORAGE_ROOT") or "storage"


def get_new_storage_dir(name: str, root: str | os.PathLike | None = None) -> str:
    """A new, empty folder ``<root>/<name>/<n>``, ``n`` one more than the highest there.

    Example:
        >>> get_new_storage_dir("digits")   # doctest: +SKIP
        'storage/digits/3'
    """
    parent = os.path.join(storage_root(root), name)
    os.makedirs(parent, exist_ok=True)
    for _ in range(1000):
        number = 1 + max((int(entry) for entry in os.listdir(parent) if entry.isdigit()), default=0)
        path = os.path.join(parent, str(number))
        try:
            os.mkdir(path)
        except FileExistsError:
            continue  # another process took this number; take the next
        return path
    raise RuntimeError(f"could not allocate a storage dir in {parent}")


class StorageDirObserver(FileStorageObserver):
    """Records each run in ``<storage_dir>/runs/<id>/`` and keeps the experiment's
    ``config.json`` at the top of the storage dir.

    Without ``storage_dir``, a new one is allocated when the first run starts
    (``get_new_storage_dir(name or the experiment's name, root)``); give an existing one
    to record a resume beside the first run.

    Example:
        >>> ex.observers.append(StorageDirObserver(root="/data/experiments"))   # doctest: +SKIP
    """

    def __init__(self, storage_dir: str | os.PathLike | None = None, *, name: str | None = None,
                 root: str | os.PathLike | None = None):
        self.storage_dir = os.path.abspath(storage_dir) if storage_dir is not None else None
        self.name, self.root = name, root
        super().__init__(os.path.join(self.storage_dir, "runs") if self.storage_dir else "")

    def started(self, record: RunRecord) -> Any:
        resume = record.config.get("resume")
        if resume and resume != "auto":  # resuming: record beside the runs before
            self.storage_dir = os.path.abspath(resume)
            self.directory = os.path.join(self.storage_dir, "runs")
        if self.storage_dir is None:
            name = self.name or record.experiment.get("name") or "experiment"
            self.storage_dir = os.path.abspath(get_new_storage_dir(name, self.root))  # usable from anywhere
            self.directory = os.path.join(self.storage_dir, "runs")
        config = os.path.join(self.storage_dir, "config.json")
        if not os.path.exists(config):  # a resume keeps the config of the first run
            write_text_atomic(config, json.dumps(record.config, indent=2, ensure_ascii=False) + "\n")
        return super().started(record)

    def resumable(self, name: str, config: dict[str, Any]) -> str | None:
        """The newest storage dir of experiment ``name`` whose config is ``config`` (seed and
        ``resume`` aside) and whose last run did not complete (it failed, was interrupted,
        or died without a word); ``None`` when there is none. What ``resume=auto`` goes on with."""
        parent = os.path.join(storage_root(self.root), self.name or name)
        numbers = sorted((int(entry) for entry in os.listdir(parent) if entry.isdigit()), reverse=True) \
            if os.path.isdir(parent) else []
        wanted = _comparable(config)
        for number in numbers:
            folder = os.path.join(parent, str(number))
            if _stored_config(folder) == wanted and _unfinished(os.path.join(folder, "runs")):
                return os.path.abspath(folder)
        return None


def _comparable(config: dict[str, Any]) -> Any:
    """A config as its config.json holds it, without the entries a resume may change."""
    stored = json.loads(json.dumps(mask_secrets(config), default=str))
    return {key: value for key, value in stored.items() if key not in ("seed", "resume")}


def _stored_config(folder: str) -> Any:
    try:
        with open(os.path.join(folder, "config.json"), encoding="utf-8") as file:
            return _comparable(json.load(file))
    except (OSError, ValueError):
        return None


def _unfinished(runs: str) -> bool:
    """Whether the newest run recorded in ``runs`` ended otherwise than COMPLETED or is no longer alive."""
    numbers = [int(entry) for entry in os.listdir(runs) if entry.isdigit()] if os.path.isdir(runs) else []
    if not numbers:
        return False
    try:
        with open(os.path.join(runs, str(max(numbers)), "run.json"), encoding="utf-8") as file:
            run = json.load(file)
    except (OSError, ValueError):
        return True  # a run that died before its record was complete
    if run.get("status") == "RUNNING":
        return is_stale(run, datetime.now(timezone.utc).replace(tzinfo=None))
    return run.get("status") in ("FAILED", "INTERRUPTED")

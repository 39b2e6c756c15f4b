"""File storage: sacred's on-disk layout, the embedded default record of a run.

``<dir>/<id>/run.json`` and ``config.json``, run ids allocated as integers by an
atomic ``mkdir`` of max+1 (retried on a race). Every file is written atomically.
This is the minimal observer of the foundation; complete records come later.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from typing import Any

from ba3l.config import write_text_atomic
from ba3l.run import RunObserver, RunRecord


class FileStorageObserver(RunObserver):
    """Record runs under ``directory`` in sacred's file layout.

    Example:
        >>> ex.observers.append(FileStorageObserver("runs"))   # doctest: +SKIP
    """

    def __init__(self, directory: str | os.PathLike):
        self.directory = os.fspath(directory)
        self._run_dirs: dict[Any, str] = {}  # by run id: one observer may record several runs at once

    def run_dir(self, run_id: Any) -> str:
        """The folder of the run ``run_id`` that this observer is recording."""
        return self._run_dirs[run_id]

    def started(self, record: RunRecord) -> Any:
        os.makedirs(self.directory, exist_ok=True)
        run_id, run_dir = self._make_run_dir(record.id)
        self._run_dirs[run_id] = run_dir
        write_text_atomic(os.path.join(run_dir, "config.json"), _dumps(record.config))
        self._write_run(record._replace(id=run_id))
        return run_id

    def completed(self, record: RunRecord) -> None:
        self._write_run(record)
        del self._run_dirs[record.id]

    interrupted = failed = completed

    def _write_run(self, record: RunRecord) -> None:
        document = {
            "experiment": record.experiment,
            "command": record.command,
            "meta": record.meta,
            "status": record.status,
            "start_time": _time(record.start_time),
            "heartbeat": _time(record.heartbeat or record.stop_time or record.start_time),
            "stop_time": _time(record.stop_time),
            "result": _jsonable(record.result),
            "fail_trace": list(record.fail_trace) or None,
            "resources": [],
            "artifacts": [],
        }
        write_text_atomic(os.path.join(self._run_dirs[record.id], "run.json"), _dumps(document))

    def _make_run_dir(self, wanted: Any) -> tuple[Any, str]:
        if wanted is not None:
            path = os.path.join(self.directory, str(wanted))
            os.mkdir(path)  # an existing id is an error, not an overwrite
            return wanted, path
        for _ in range(1000):
            run_id = 1 + max((int(n) for n in os.listdir(self.directory) if n.isdigit()), default=0)
            path = os.path.join(self.directory, str(run_id))
            try:
                os.mkdir(path)
            except FileExistsError:
                continue  # another process took this id; take the next
            return run_id, path
        raise RuntimeError(f"could not allocate a run id in {self.directory}")


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
    return value


def _dumps(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

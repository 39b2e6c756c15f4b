"""Distributed jobs: one run record, kept by the process that started the job.

Lightning's DDP starts the other processes of a job by running the same command line
again, with ``RANK``/``LOCAL_RANK`` above 0 in their environment. Those worker processes
are not observed, and take from the run that launched them what must be the same in
every process: its id, its seed (which a fresh command line would draw anew), its
storage dir and the folder of its record (where the trainer writes when there is no
storage dir). The launching run hands these over in the environment variable
``BA3L_LAUNCHING_RUN`` while its command runs; processes it starts inherit it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

LAUNCHING_RUN = "BA3L_LAUNCHING_RUN"


def is_worker_process() -> bool:
    """Whether this process is a worker of a distributed job (rank above 0), not the one that records it."""
    return any(_int(os.environ.get(name)) > 0 for name in ("RANK", "LOCAL_RANK"))


def launching_run() -> dict[str, Any]:
    """In a worker process, what the launching run shared (``id``, ``seed``, ``storage_dir``,
    ``local_dir``); else ``{}``."""
    if not is_worker_process():
        return {}
    try:
        return dict(json.loads(os.environ.get(LAUNCHING_RUN) or "{}"))
    except ValueError:
        return {}


@contextmanager
def shared_with_workers(run_id: Any, seed: int, storage_dir: str | None, local_dir: str | None) -> Iterator[None]:
    """Within the block, processes started from this one learn the run's id, seed, storage dir and
    the folder of its record."""
    before = os.environ.get(LAUNCHING_RUN)
    os.environ[LAUNCHING_RUN] = json.dumps({"id": run_id, "seed": seed, "storage_dir": storage_dir,
                                            "local_dir": local_dir})
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(LAUNCHING_RUN, None)
        else:
            os.environ[LAUNCHING_RUN] = before


def _int(text: str | None) -> int:
    try:
        return int(text or 0)
    except ValueError:
        return 0

"""What a run records about its code and its machine, gathered once when it starts.

The experiment's main file and its own imported source files (with their md5), the
versions of the imported distributions, the git state of the folders those files
live in, and the host. Only modules already imported are looked at.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ba3l.experiment import experiment_dependencies, experiment_sources

from ._git_state import git_state
from ._host import host_info

if TYPE_CHECKING:
    from ._run import Run


def about_run(run: Run) -> dict[str, Any]:
    """``{"experiment": {...}, "host": {...}}`` as ``run.json`` holds them (sacred's keys)."""
    experiment = run.experiment
    mainfile = experiment.mainfile
    base_dir = os.path.abspath(experiment.base_dir or (os.path.dirname(mainfile) if mainfile else os.getcwd()))
    sources = experiment_sources(mainfile, base_dir)
    repository = git_state(base_dir) if experiment.save_git_info else None
    return {
        "experiment": {
            "name": run.name,
            "base_dir": base_dir,
            "mainfile": os.path.relpath(mainfile, base_dir) if mainfile else None,
            "sources": [[source.path, source.md5] for source in sources],
            "dependencies": list(experiment_dependencies()),
            "repositories": [repository] if repository else [],
        },
        "host": host_info(),
    }

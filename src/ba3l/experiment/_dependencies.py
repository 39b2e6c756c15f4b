"""What an experiment's code consists of: its main file, its own sources, its packages.

Used by ``print_dependencies`` and stored with every run (``experiment.sources`` and
``experiment.dependencies`` in ``run.json``). Only modules already imported are
looked at; nothing is imported to find out.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Mapping
from typing import NamedTuple


class SourceFile(NamedTuple):
    """A source file of the experiment and the MD5 of its content."""

    path: str
    md5: str


def experiment_sources(mainfile: str | None, base_dir: str | None = None) -> tuple[SourceFile, ...]:
    """The main file and every imported module file below ``base_dir`` (default: the main
    file's folder), leaving out installed packages. Paths are relative to that folder."""
    if not mainfile:
        return ()
    base = os.path.abspath(base_dir) if base_dir else os.path.dirname(os.path.abspath(mainfile))
    files = {os.path.abspath(mainfile)}
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        # some libraries give modules a made-up relative __file__ (torch's _classes): only real files count
        if path and path.endswith(".py") and os.path.isabs(path) and _is_local(path, base) and os.path.isfile(path):
            files.add(os.path.abspath(path))
    return tuple(SourceFile(os.path.relpath(p, base), _md5(p)) for p in sorted(files))


def experiment_dependencies() -> tuple[str, ...]:
    """``name==version`` of the distributions whose top-level modules are imported."""
    owners = _owners()
    found: set[str] = set()
    for top in {name.partition(".")[0] for name in list(sys.modules)}:
        if top in sys.stdlib_module_names or top.startswith("_"):
            continue
        for distribution in owners.get(top, ()):
            version = _version(distribution)
            if version is not None:
                found.add(f"{distribution}=={version}")
    return tuple(sorted(found, key=str.lower))


@functools.cache
def _owners() -> Mapping[str, list[str]]:
    """Top-level module -> distributions, read once per process (it scans every installed package)."""
    from importlib import metadata  # slow to import; only runs and print_dependencies need it

    return metadata.packages_distributions()


@functools.cache
def _version(distribution: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _is_local(path: str, base: str) -> bool:
    return path.startswith(base + os.sep) and "site-packages" not in path and f"{os.sep}.venv{os.sep}" not in path


def _md5(path: str) -> str:
    import hashlib

    with open(path, "rb") as file:
        return hashlib.md5(file.read()).hexdigest()

"""Seeding the global random generators from a run's seed.

``random`` always; numpy and torch when they are imported, whether before the run
or during it (a script that imports torch inside its main function gets it seeded
too). Nothing is imported to seed it: an experiment that never uses torch does not
pay torch's import time.
"""

from __future__ import annotations

import importlib.abc
import random
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

SEEDERS = {
    "numpy": lambda module, seed: module.random.seed(seed),
    "torch": lambda module, seed: module.manual_seed(seed),
}


def seed_module(name: str, module: Any, seed: int) -> None:
    """Seed the global generator of ``module`` (``random``, ``numpy`` or ``torch``)."""
    if name == "random":
        module.seed(seed)
    else:
        SEEDERS[name](module, seed)


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Seed ``random``, numpy and torch now, and numpy and torch when first imported within the block."""
    seed_module("random", random, seed)
    waiting = set()
    for name in SEEDERS:
        if name in sys.modules:
            seed_module(name, sys.modules[name], seed)
        else:
            waiting.add(name)
    finder = _SeedOnImport(waiting, seed)
    if waiting:
        sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        if finder in sys.meta_path:
            sys.meta_path.remove(finder)


class _SeedOnImport(importlib.abc.MetaPathFinder):
    """Finds nothing itself; when numpy or torch is imported, seeds it once it has loaded."""

    def __init__(self, names: set[str], seed: int):
        self.names = names
        self.seed = seed

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname not in self.names:
            return None
        self.names.discard(fullname)
        for finder in sys.meta_path:
            if finder is self:
                continue
            spec = getattr(finder, "find_spec", lambda *a: None)(fullname, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _SeedingLoader(spec.loader, fullname, self.seed)
                return spec
        return None


class _SeedingLoader(importlib.abc.Loader):
    def __init__(self, loader: Any, name: str, seed: int):
        self.loader, self.name, self.seed = loader, name, seed

    def create_module(self, spec: Any) -> Any:
        return self.loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        module.__spec__.loader = module.__loader__ = self.loader  # the module keeps its own loader
        self.loader.exec_module(module)
        seed_module(self.name, module, self.seed)

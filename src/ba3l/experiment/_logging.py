"""The experiment's logger: ``LEVEL - name - message`` lines on standard error.

Imported only when a run starts or a warning is due, since ``logging`` costs start-up
time that ``print_config`` and ``--help`` should not pay.
"""

from __future__ import annotations

import logging
import sys


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a record is logged, so output captured
    by ``invoke`` (or pytest) captures the log lines too."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass  # StreamHandler.__init__ sets it; the property decides


def experiment_logger(name: str) -> logging.Logger:
    """The logger called ``name``, given a stderr handler and level INFO the first time."""
    logger = logging.getLogger(name)
    if not logger.handlers:
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s - %(name)s - %(message)s"))
        logger.addHandler(handler)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
    return logger

"""Layer 5: training with PyTorch Lightning. Lightning and torch are imported only when used.

The Trainer as config (``ex.trainer``, ``ex.get_trainer()``), checkpoints in the storage
dir with the random generators' states, exact resume (``ResumableLoader`` keeps the
position inside an epoch), a progress bar drawn by the clock (``TimedProgressBar``), and
loading a trained model back (``load``).
"""

import importlib
from typing import Any

from ._checkpoints import CheckpointFolder as CheckpointFolder
from ._load import load as load
from ._rng import rng_states as rng_states
from ._rng import set_rng_states as set_rng_states
from ._trainer import build_trainer as build_trainer
from ._trainer import trainer_ingredient as trainer_ingredient

# importing these imports torch or Lightning
_LAZY = {"ResumableLoader": "._loader", "LightningModule": "._module", "TimedProgressBar": "._progress"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'ba3l.train' has no attribute '{name}'")

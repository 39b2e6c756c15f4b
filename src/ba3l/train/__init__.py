"""Layer 5: training with PyTorch Lightning. Lightning and torch are imported only when used.

The Trainer as config (``ex.trainer``, ``ex.get_trainer()``), checkpoints in the storage
dir with the random generators' states, exact resume (``ResumableLoader`` keeps the
position inside an epoch), and loading a trained model back (``load``).
"""

import importlib
from typing import Any

from ._checkpoints import CheckpointFolder as CheckpointFolder
from ._load import load as load
from ._rng import rng_states as rng_states
from ._rng import set_rng_states as set_rng_states
from ._trainer import build_trainer as build_trainer
from ._trainer import trainer_ingredient as trainer_ingredient

_LAZY = {"ResumableLoader": "._loader", "LightningModule": "._module"}  # importing these imports torch/Lightning


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'ba3l.train' has no attribute '{name}'")

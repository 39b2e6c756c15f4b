"""Layer 5: training with PyTorch Lightning. Lightning and torch are imported only when used.

So far: the Trainer as config (``ex.trainer``, ``ex.get_trainer()``), checkpoint files in
a storage dir, and the random generators' states for exact resume. The LightningModule
base class, resume and loading a model back are to come (issue 5).
"""

from ._checkpoints import CheckpointFolder as CheckpointFolder
from ._load import load as load
from ._rng import rng_states as rng_states
from ._rng import set_rng_states as set_rng_states
from ._trainer import build_trainer as build_trainer
from ._trainer import trainer_ingredient as trainer_ingredient

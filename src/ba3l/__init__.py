"""ba3l: PyTorch research experiments where every thing is a config.

The public API, in one list. ``import ba3l`` stays light: no torch, numpy,
Lightning or observer backend is imported here.
"""

from ba3l.config import CMD as CMD
from ba3l.config import ConfigError as ConfigError
from ba3l.config import ConfigScope as ConfigScope
from ba3l.config import DynamicIngredient as DynamicIngredient
from ba3l.experiment import ConfigRequest as ConfigRequest
from ba3l.experiment import Experiment as Experiment
from ba3l.experiment import Ingredient as Ingredient
from ba3l.experiment import Options as Options
from ba3l.experiment import invoke as invoke

__version__ = "0.1.0"


def load(storage_dir: str, checkpoint: str = "best") -> object:
    """The trained model of a storage dir, in eval mode: :func:`ba3l.train.load` (imports Lightning).

    Example:
        >>> model = ba3l.load("storage/digits/1")   # doctest: +SKIP
    """
    from ba3l.train import load as load_model

    return load_model(storage_dir, checkpoint)

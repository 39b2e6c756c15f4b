"""Loading a trained model back from its storage dir, without its data or its script's run.

``ba3l.train.load(storage_dir)`` finds the checkpoint (the best, else the latest, or a
path), imports the LightningModule class the checkpoint names (from the experiment's own
folder, as recorded in its run), and rebuilds it with Lightning's
``load_from_checkpoint`` from the arguments the module saved with
``save_hyperparameters()``; the weights load with ``weights_only=True`` and the model
comes back in eval mode.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from ba3l.config import ConfigError, import_factory

from ._checkpointing import MODULE_KEY, is_whole
from ._checkpoints import CheckpointFolder


def load(storage_dir: str | os.PathLike, checkpoint: str = "best") -> Any:
    """The trained model of ``storage_dir`` in eval mode, from its ``"best"`` checkpoint (the
    latest when none is best), its ``"latest"``, or the checkpoint file ``checkpoint``.

    Example:
        >>> model = ba3l.train.load("storage/digits/1")   # doctest: +SKIP

    Raises:
        ConfigError: ``storage_dir`` is not a ba3l storage dir, or has no checkpoint.
    """
    storage_dir = os.fspath(storage_dir)
    path = _checkpoint_path(storage_dir, checkpoint)
    import torch

    saved = torch.load(path, map_location="cpu", weights_only=True)
    if MODULE_KEY not in saved:
        raise ConfigError(f"checkpoint '{path}' does not name its model class; was it written by ba3l?")
    with _importable(_base_dir(storage_dir)):
        module_class = import_factory(saved[MODULE_KEY])
        from ._module import LightningModule

        if issubclass(module_class, LightningModule):  # rebuilt from the storage dir's config
            model = module_class(config=_stored_config(storage_dir))
            model.load_state_dict(saved["state_dict"])
        else:  # a plain LightningModule: from the arguments it saved with save_hyperparameters()
            model = module_class.load_from_checkpoint(path, map_location="cpu", weights_only=True)
    return model.eval()


def _stored_config(storage_dir: str) -> dict:
    path = os.path.join(storage_dir, "config.json")
    if not os.path.isfile(path):
        raise ConfigError(f"'{storage_dir}' is not a ba3l storage dir: it has no config.json")
    with open(path, encoding="utf-8") as file:
        return json.load(file)


def _checkpoint_path(storage_dir: str, checkpoint: str) -> str:
    folder = CheckpointFolder(os.path.join(storage_dir, "checkpoints"))
    if checkpoint not in ("best", "latest"):
        if not os.path.isfile(checkpoint):
            raise ConfigError(f"no checkpoint file '{checkpoint}'")
        return _whole(checkpoint, folder)
    if not os.path.isfile(os.path.join(storage_dir, "config.json")):
        raise ConfigError(f"'{storage_dir}' is not a ba3l storage dir: it has no config.json")
    best = [folder.best(metric) for metric in folder.best_metrics()] if checkpoint == "best" else []
    found = next((path for path in best if path), None) or folder.latest()
    if found is None:
        raise ConfigError(f"storage dir '{storage_dir}' has no checkpoint yet")
    return _whole(found, folder)


def _whole(path: str, folder: CheckpointFolder) -> str:
    """``path``, unless the file is damaged: then an error that names the newest whole checkpoint."""
    if is_whole(path):
        return path
    newest = folder.latest_complete(is_whole)
    hint = f"; the newest whole one is {newest} (load(..., checkpoint={newest!r}))" if newest else ""
    raise ConfigError(f"checkpoint '{path}' is damaged: empty or cut short{hint}")


def _base_dir(storage_dir: str) -> str | None:
    """The folder of the experiment's script, from the record of its first run."""
    runs = os.path.join(storage_dir, "runs")
    first = min((int(name) for name in os.listdir(runs) if name.isdigit()), default=None) if os.path.isdir(runs) else None
    if first is None:
        return None
    with open(os.path.join(runs, str(first), "run.json"), encoding="utf-8") as file:
        return json.load(file)["experiment"].get("base_dir")


class _importable:
    """Within the block, modules of ``folder`` (the experiment's script among them) import."""

    def __init__(self, folder: str | None):
        self.folder = folder

    def __enter__(self) -> None:
        if self.folder:
            sys.path.insert(0, self.folder)

    def __exit__(self, *exc_info: object) -> None:
        if self.folder and sys.path and sys.path[0] == self.folder:
            sys.path.pop(0)

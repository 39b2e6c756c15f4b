"""Layer 4: observers that record runs. Backends are imported only when used.

``FileStorageObserver`` is the embedded default. ``SqlObserver`` (SQLAlchemy) and
``MlflowObserver`` (mlflow-skinny) load their libraries when first named here.
"""

from typing import Any

from ._file_storage import FileStorageObserver as FileStorageObserver
from ._file_storage import is_stale as is_stale
from ._spool import Spooled as Spooled
from ._storage_dir import StorageDirObserver as StorageDirObserver
from ._storage_dir import get_new_storage_dir as get_new_storage_dir
from ._spool import push as push

_BACKENDS = {"SqlObserver": "._sql", "MlflowObserver": "._mlflow"}


def __getattr__(name: str) -> Any:
    if name in _BACKENDS:  # the backend's library is imported only now
        import importlib

        return getattr(importlib.import_module(_BACKENDS[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

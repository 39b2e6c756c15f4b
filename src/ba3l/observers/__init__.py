"""Layer 4: observers that record runs. Backends are imported only when used."""

from ._file_storage import FileStorageObserver as FileStorageObserver

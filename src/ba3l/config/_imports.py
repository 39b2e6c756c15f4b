"""Import strings: ``"torch.utils.data.DataLoader"`` names an object without importing it yet.

Config values name classes and functions by their dotted import path, so a config can
be printed without importing heavy libraries and stored as JSON; the object is
imported when it is first needed.
"""

from __future__ import annotations

import importlib
from typing import Any

from ._errors import ConfigError


def import_object(path: str) -> Any:
    """The object at the dotted ``path``: the longest importable module, then attributes.

    Example:
        >>> import_object("collections.OrderedDict").__name__
        'OrderedDict'

    Raises:
        ConfigError: nothing importable is at ``path``.
    """
    parts = path.split(".")
    for split in range(len(parts), 0, -1):
        module_name = ".".join(parts[:split])
        try:
            target: Any = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name and not module_name.startswith(error.name):
                raise  # the module exists but fails to import something of its own
            continue
        for attribute in parts[split:]:
            if not hasattr(target, attribute):
                raise ConfigError(f"cannot import '{path}': '{module_name}' has no attribute '{attribute}'")
            target = getattr(target, attribute)
        return target
    raise ConfigError(f"cannot import '{path}': no module named '{parts[0]}'")

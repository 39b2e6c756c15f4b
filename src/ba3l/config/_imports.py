"""Import strings: ``"torch.utils.data.DataLoader"`` names an object without importing it yet.

Config values name classes and functions by their dotted import path, so a config can
be printed without importing heavy libraries and stored as JSON; the object is
imported when it is first needed. A class defined in the script being run is named
``<script stem>.<qualname>`` (``digits.MyModel``); importing that name looks in the
running script first, so a replay from any working directory finds it without
importing the script a second time.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
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


def factory_name(obj: Callable) -> str:
    """The import string of a class or function (see the module docstring for scripts)."""
    module = obj.__module__
    if module == "__main__":
        main = getattr(sys.modules.get("__main__"), "__file__", None)
        module = os.path.splitext(os.path.basename(main))[0] if main else module
    return f"{module}.{obj.__qualname__}"


def import_factory(name: str) -> Callable:
    """The class or function an import string names, looking in the running script first."""
    stem, _, qualname = name.partition(".")
    main = sys.modules.get("__main__")
    main_file = getattr(main, "__file__", None)
    if main_file and stem == os.path.splitext(os.path.basename(main_file))[0]:
        found = _attribute(main, qualname)
        if found is not None:
            return found
    return import_object(name)


def _attribute(owner: Any, qualname: str) -> Any:
    for part in qualname.split("."):
        owner = getattr(owner, part, None)
        if owner is None:
            return None
    return owner

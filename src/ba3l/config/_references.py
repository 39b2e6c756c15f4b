"""Command references: a config value that stands for the result of running a command.

A reference is a string that starts with ``@``, so it is JSON data, prints as what it
is, and is written the same way in a scope, a file or on the command line
(``with dataset=@/data.get_test_set``). ``CMD("/data.get_test_set")`` builds one.
What follows the ``@`` names the command:

* ``/data.get_test_set`` — from the experiment's root;
* ``.get_test_set`` — in the ingredient whose config holds the value;
* ``get_test_set`` — in that ingredient, else in its parent, and so on up to the root.

A string that should start with ``@`` itself is written with ``@@``.
"""

from __future__ import annotations

from typing import Any

MARK = "@"


class CMD(str):
    """A reference to a command, as a config value: ``CMD("/data.get_train_set")``.

    Example:
        >>> CMD("/data.get_train_set")
        '@/data.get_train_set'
    """

    def __new__(cls, command: str) -> CMD:
        return super().__new__(cls, MARK + command)


def is_reference(value: Any) -> bool:
    """Whether ``value`` is a command reference (``@name``, not ``@@text``)."""
    return isinstance(value, str) and value.startswith(MARK) and not value.startswith(MARK * 2)


def literal(value: Any) -> Any:
    """The value a callable receives for a non-reference: ``@@text`` -> ``@text``."""
    return value[1:] if isinstance(value, str) and value.startswith(MARK * 2) else value

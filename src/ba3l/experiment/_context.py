"""The seam between captured functions and whatever is running them.

A captured function is called by user code with no run argument, so it must find
the config it reads from. It looks up the *active call context*: an object with
the resolved config and the injected values (``_run``, ``_log``, ``_seed`` ...).
The run layer provides the context; the experiment layer only defines the protocol.

The active context is a ``ContextVar`` rather than state on the function or a
process-wide singleton: each thread and task sees its own, and a run started
inside another restores the outer one when it ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Protocol

from ba3l.config import Path

if TYPE_CHECKING:
    from ._capture import Captured
    from ._ingredient import Ingredient


class CallContext(Protocol):
    """What a captured function needs from the code that runs it."""

    values: dict
    """The resolved config tree."""

    def mount_path(self, ingredient: Ingredient) -> Path:
        """Where ``ingredient`` sits in the config tree (see :func:`calls_running`)."""

    def special(self, name: str, captured: Captured, mount: Path) -> Any:
        """The value of an injected argument (``_run``, ``_log``, ``_seed``, ``_rnd``, ``_config``)
        for ``captured`` called at ``mount``."""

    def call_reference(self, reference: str, path: Path) -> Any:
        """Run the command ``reference`` (found at config ``path``) names; return its result."""


_active: ContextVar[CallContext | None] = ContextVar("ba3l_call_context", default=None)
_calls: ContextVar[tuple[Path, ...]] = ContextVar("ba3l_calls", default=())


def active_context() -> CallContext | None:
    """The context captured functions read from now, or ``None`` outside any."""
    return _active.get()


@contextmanager
def activated(context: CallContext) -> Iterator[CallContext]:
    """Make ``context`` the active one for the duration of the ``with`` block."""
    token = _active.set(context)
    try:
        yield context
    finally:
        _active.reset(token)


def calls_running() -> tuple[Path, ...]:
    """The mount paths of the captured calls running now, outermost first.

    An ingredient mounted at two paths (a dynamic ingredient used twice) reads its
    config from the one inside the innermost running call: ``models.net.summary``
    calling the ingredient's ``build`` builds ``models.net``'s model.
    """
    return _calls.get()


@contextmanager
def calling(mount: Path) -> Iterator[None]:
    """Record a captured call at ``mount`` for the duration of the ``with`` block."""
    token = _calls.set(_calls.get() + (mount,))
    try:
        yield
    finally:
        _calls.reset(token)

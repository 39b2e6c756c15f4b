"""A run: one execution of a command with a resolved config, and its lifecycle.

The run is the active call context while its command executes, so captured
functions read their arguments from its config and receive ``_run``, ``_log``,
``_seed``, ``_rnd`` and ``_config``. Every run ends with a status; observers that
fail are logged and never stop the run.
"""

from __future__ import annotations

import enum
import random
import traceback
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ba3l.config import Path, from_leaves, leaves_of
from ba3l.experiment import (
    Captured,
    Command,
    ConfigContext,
    ConfigRequest,
    Options,
    activated,
)

from ._observer import RunObserver, RunRecord

if TYPE_CHECKING:
    from ba3l.config import ResolvedConfig
    from ba3l.experiment import Experiment


class Status(str, enum.Enum):
    """The states of a run, as stored in ``run.json``."""

    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    INTERRUPTED = "INTERRUPTED"


class Run(ConfigContext):
    """One execution of a command. Created and executed by :func:`start_run`.

    As the active :class:`ConfigContext` while its command runs, it gives captured
    callables their config, their injected values (``_run`` is the run itself) and the
    results of command references.

    Attributes:
        name: the experiment name the run is recorded under (``-n NAME``, else the experiment's).
        config: the resolved config, with provenance.
        status: a :class:`Status`.
        result: what the command returned.
        info: a dict the command may fill; stored with the run.
    """

    def __init__(self, experiment: Experiment, command: Command, config: ResolvedConfig,
                 observers: list[RunObserver], meta: dict, run_id: Any = None, name: str | None = None):
        super().__init__(experiment, config)
        self.name = name or experiment.name
        self.command = command
        self.observers = observers
        self.meta = meta
        self.id = run_id
        self.status = Status.QUEUED
        self.start_time: datetime | None = None
        self.stop_time: datetime | None = None
        self.result: Any = None
        self.fail_trace: tuple[str, ...] = ()
        self.info: dict = {}
        self.logger = experiment.logger

    def special(self, name: str, captured: Captured, mount: Path) -> Any:
        return self if name == "_run" else super().special(name, captured, mount)

    # lifecycle -----------------------------------------------------------------

    def execute(self) -> Any:
        """Run the command, tell the observers, and return its result (or re-raise)."""
        random.seed(self.seed)
        self.status = Status.RUNNING
        self.start_time = _now()
        self._start_observers()
        recorded = "" if self.id is None else f" (run {self.id})"
        self.logger.info("Running command '%s'%s", self.command.name, recorded)
        try:
            with activated(self):
                self.result = self.command.captured()
        except KeyboardInterrupt:
            self._stop(Status.INTERRUPTED, "interrupted")
            raise
        except BaseException:
            self.fail_trace = tuple(traceback.format_exc().splitlines(keepends=True))
            self._stop(Status.FAILED, "failed")
            raise
        self._stop(Status.COMPLETED, "completed")
        self.logger.info("Completed after %s", self.stop_time - self.start_time)
        return self.result

    def record(self) -> RunRecord:
        """A snapshot of the run for observers."""
        return RunRecord(
            experiment={"name": self.name, "mainfile": self.experiment.mainfile},
            command=self.command.name,
            status=self.status.value,
            config=self.values,
            meta=self.meta,
            id=self.id,
            start_time=self.start_time,
            stop_time=self.stop_time,
            result=self.result,
            fail_trace=self.fail_trace,
            info=dict(self.info),
        )

    def _start_observers(self) -> None:
        for observer in self.observers:
            given = self._notify(observer, "started")
            if self.id is None and given is not None:
                self.id = given

    def _stop(self, status: Status, event: str) -> None:
        self.status = status
        self.stop_time = _now()
        for observer in self.observers:
            self._notify(observer, event)

    def _notify(self, observer: RunObserver, event: str) -> Any:
        try:
            return getattr(observer, event)(self.record())
        except Exception as error:  # an observer must never stop the run
            self.logger.warning("observer %s failed at '%s': %s", type(observer).__name__, event, error)
            return None


def start_run(experiment: Experiment, command: Command, config: ResolvedConfig,
              options: Options, request: ConfigRequest) -> Run:
    """Create a run of ``command`` with ``config``, execute it, and return it."""
    observed = not (options.unobserved or command.unobserved)
    observers = list(experiment.observers) + _observers_from(options) if observed else []
    meta = {
        "command": command.name,
        "options": {k: v for k, v in options._asdict().items() if v not in (None, False)},
        "named_configs": list(request.named_configs),
        "config_updates": from_leaves(leaf for u in request.updates for leaf in leaves_of(u.value, u.path)),
        "comment": options.comment or "",
    }
    run = Run(experiment, command, config, observers, meta, options.id, options.name)
    run.execute()
    return run


def _observers_from(options: Options) -> list[RunObserver]:
    """The observers the command line asks for; ``-s`` and ``--mlflow`` spool when their server is down."""
    from ba3l import observers  # observer backends load only when asked for

    found: list[RunObserver] = []
    if options.file_storage:
        found.append(observers.FileStorageObserver(options.file_storage))
    if options.sql:
        found.append(observers.Spooled(observers.SqlObserver(options.sql), "sql"))
    if options.mlflow:
        found.append(observers.Spooled(observers.MlflowObserver(options.mlflow), "mlflow"))
    return found


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)

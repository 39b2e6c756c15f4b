"""A run: one execution of a command with a resolved config, and its lifecycle.

The run is the active call context while its command executes, so captured
functions read their arguments from its config and receive ``_run``, ``_log``,
``_seed``, ``_rnd`` and ``_config``. Every run ends with a status; observers that
fail are logged and never stop the run.
"""

from __future__ import annotations

import enum
import hashlib
import random
import traceback
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ba3l.config import (
    MISSING,
    ConfigError,
    Path,
    copy_tree,
    did_you_mean,
    format_path,
    from_leaves,
    get,
    leaves,
    leaves_of,
    split_path,
    subtree,
)
from ba3l.experiment import Captured, Command, ConfigRequest, Ingredient, Options, activated, find_command, list_mounts

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


class Run:
    """One execution of a command. Created and executed by :func:`start_run`.

    Attributes:
        name: the experiment name the run is recorded under (``-n NAME``, else the experiment's).
        config: the resolved config, with provenance.
        status: a :class:`Status`.
        result: what the command returned.
        info: a dict the command may fill; stored with the run.
    """

    def __init__(self, experiment: Experiment, command: Command, config: ResolvedConfig,
                 observers: list[RunObserver], meta: dict, run_id: Any = None, name: str | None = None):
        self.experiment = experiment
        self.name = name or experiment.name
        self.command = command
        self.config = config
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
        self._mounts = list_mounts(experiment)
        self._paths = {id(m.ingredient): m.path for m in self._mounts}
        self._seeders: dict[int, random.Random] = {}

    # the call context captured functions read -----------------------------------

    @property
    def values(self) -> dict:
        return self.config.values

    @property
    def seed(self) -> int:
        return int(self.config.values["seed"])

    def mount_path(self, ingredient: Ingredient) -> Path:
        if id(ingredient) not in self._paths:
            raise ConfigError(
                f"ingredient '{ingredient.path}' is not part of experiment '{self.experiment.name}'; "
                "give it in ingredients=[...] of the experiment or of one of its ingredients"
            )
        return self._paths[id(ingredient)]

    def special(self, name: str, captured: Captured) -> Any:
        if name == "_run":
            return self
        if name == "_config":
            return copy_tree(subtree(self.values, self.mount_path(captured.ingredient)))
        if name == "_log":
            return self.logger
        seed = self._seeder(captured).randrange(2**31)
        return seed if name == "_seed" else random.Random(seed)

    def get_command_function(self, name: str) -> Captured:
        """The command called ``name`` (dotted: ``"datasets.train.iter"``), to call in this run."""
        return self.experiment.find_command(name).captured

    def get_config_path_value(self, path: str) -> Any:
        """A copy of the config value at the dotted ``path``.

        Raises:
            ConfigError: there is no such entry (with the nearest keys).
        """
        value = get(self.values, split_path(path))
        if value is MISSING:
            keys = (format_path(p) for p, _ in leaves(self.values))
            raise ConfigError(f"no config entry '{path}'{did_you_mean(path, keys)}")
        return copy_tree(value)

    def call_reference(self, reference: str, path: Path) -> Any:
        """Run the command a reference names (with its own config) and return its result."""
        _, command = find_command(self._mounts, reference, path)
        return command.captured()

    def _seeder(self, captured: Captured) -> random.Random:
        """Each function gets its own seed sequence, fixed by the run's seed and its name."""
        if id(captured) not in self._seeders:
            digest = hashlib.sha256(f"{self.seed}:{captured.qualified_name}".encode()).digest()
            self._seeders[id(captured)] = random.Random(int.from_bytes(digest[:8], "big"))
        return self._seeders[id(captured)]

    # lifecycle -----------------------------------------------------------------

    def execute(self) -> Any:
        """Run the command, tell the observers, and return its result (or re-raise)."""
        random.seed(self.seed)
        self.status = Status.RUNNING
        self.start_time = _now()
        self._start_observers()
        recorded = "" if self.id is None else f" (run {self.id})"
        self.logger.info("Running command '%s'%s", self.command.captured.name, recorded)
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
            command=self.command.captured.name,
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
        "command": command.captured.name,
        "options": {k: v for k, v in options._asdict().items() if v not in (None, False)},
        "named_configs": list(request.named_configs),
        "config_updates": from_leaves(leaf for u in request.updates for leaf in leaves_of(u.value, u.path)),
        "comment": options.comment or "",
    }
    run = Run(experiment, command, config, observers, meta, options.id, options.name)
    run.execute()
    return run


def _observers_from(options: Options) -> list[RunObserver]:
    if not options.file_storage:
        return []
    from ba3l.observers import FileStorageObserver  # observer backends load only when asked for

    return [FileStorageObserver(options.file_storage)]


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)

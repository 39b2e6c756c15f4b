"""A run: one execution of a command with a resolved config, and its lifecycle.

The run is the active call context while its command executes, so captured
functions read their arguments from its config and receive ``_run``, ``_log``,
``_seed``, ``_rnd`` and ``_config``. Every run ends with a status; observers that
fail are logged and never stop the run.
"""

from __future__ import annotations

import enum
import os
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ba3l.config import ConfigError, Path, copy_tree, from_leaves, leaves_of, mask_secrets, normalize
from ba3l.experiment import (
    Captured,
    Command,
    ConfigContext,
    ConfigRequest,
    Options,
    activated,
)

from ._about import about_run
from ._heartbeat import Heartbeat
from ._observer import MetricBatch, RunObserver, RunRecord
from ._output import OutputCapture
from ._seeding import seeded
from ._distributed import is_worker_process, launching_run, shared_with_workers
from ._signals import DEFAULT_SIGNAL_GRACE, SignalGuard, Terminated, terminate_gracefully

DEFAULT_HEARTBEAT = 10.0
"""Seconds between heartbeats (``--heartbeat SECONDS``)."""
FLUSH_METRICS_AT = 10_000
"""Metric values waiting in memory that make the heartbeat send them before its time."""

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
    results of command references. The command records metrics, artifacts, resources
    and ``info`` through it.

    Attributes:
        name: the experiment name the run is recorded under (``-n NAME``, else the experiment's).
        config: the resolved config, with provenance.
        status: a :class:`Status`.
        result: what the command returned.
        info: a dict the command may fill; stored with the run.
        local_dir: the folder of the run's local record, once an observer has made one.
    """

    def __init__(self, experiment: Experiment, command: Command, config: ResolvedConfig,
                 observers: list[RunObserver], meta: dict, run_id: Any = None, name: str | None = None,
                 heartbeat_interval: float = DEFAULT_HEARTBEAT, signal_grace: float = DEFAULT_SIGNAL_GRACE):
        super().__init__(experiment, config)
        self.name = name or experiment.name
        self.command = command
        self.observers = observers
        self.meta = meta
        self.id = run_id
        self.heartbeat_interval = heartbeat_interval
        self.signal_grace = signal_grace
        self.status = Status.QUEUED
        self.start_time: datetime | None = None
        self.stop_time: datetime | None = None
        self.beat_time: datetime | None = None
        self.result: Any = None
        self.fail_trace: tuple[str, ...] = ()
        self.info: dict = {}
        self.local_dir: str | None = None
        self.logger = experiment.logger
        self._stored_config = mask_secrets(config.values)
        self._about: dict = {"experiment": {"name": self.name, "mainfile": experiment.mainfile}, "host": {}}
        self._metrics: dict[str, tuple[deque, deque, deque]] = {}  # steps, values, times by name
        self._steps: dict[str, int] = {}
        self._logged = 0
        self._artifacts: list[str] = []
        self._resources: list[tuple[str, str]] = []
        self._lock = threading.RLock()  # observers get one call at a time
        self._heartbeat: Heartbeat | None = None
        self._output: OutputCapture | None = None
        self._job_storage_dir: str | None = None
        self._signals: SignalGuard | None = None
        self._say = self.logger.info

    @property
    def storage_dir(self) -> str | None:
        """The storage dir of a run recorded by a ``StorageDirObserver`` (once it has started),
        or in a distributed job's worker process, the storage dir of the run that launched it."""
        return next((o.storage_dir for o in self.observers if getattr(o, "storage_dir", None)), self._job_storage_dir)

    def signals_deferred(self) -> AbstractContextManager[None]:
        """Within the block, SIGTERM and SIGUSR1 wait for its end before they stop the run.

        Example:
            >>> with _run.signals_deferred():   # doctest: +SKIP
            ...     optimizer.step()
        """
        return self._signals.deferred() if self._signals is not None else nullcontext()

    def worker_of(self, storage_dir: str | None, local_dir: str | None) -> None:
        """Make this the unrecorded run of a distributed job's worker process (see ``_distributed``):
        it takes the job's storage dir and the folder of its record, so that its trainer works on
        the same files (a DDP save is a step all processes take together)."""
        self._job_storage_dir = storage_dir
        self.local_dir = local_dir
        self._say = self.logger.debug  # the job's first process tells the user; the others keep quiet

    def special(self, name: str, captured: Captured, mount: Path) -> Any:
        return self if name == "_run" else super().special(name, captured, mount)

    # what the command records ------------------------------------------------------

    def log_scalar(self, name: str, value: float, step: int | None = None) -> None:
        """Record ``value`` of the metric ``name`` at ``step`` (default: the metric's last step + 1).

        Cheap enough for every training step: the value is kept in memory and sent to the
        observers at the next heartbeat. An unobserved run (``-u``) keeps nothing.
        """
        if step is None:
            step = self._steps.get(name, -1) + 1
        self._steps[name] = step
        if not self.observers:
            return
        queues = self._metrics.get(name) or self._metrics.setdefault(name, (deque(), deque(), deque()))
        queues[0].append(step)  # deques: appended here, emptied by the heartbeat thread, no lock
        queues[1].append(float(value))
        queues[2].append(time.time())  # last: what the times queue holds, the others hold too
        self._logged += 1
        if self._logged % FLUSH_METRICS_AT == 0 and self._heartbeat is not None:
            self._heartbeat.wake()  # once per batch: waking costs a lock

    def add_artifact(self, path: str | os.PathLike, name: str | None = None) -> None:
        """Store the file at ``path`` with the run, as ``name`` (default: its file name).

        Raises:
            ValueError: ``name`` would leave the run's folder or replace one of its record files.
        """
        path = os.fspath(path)
        name = _artifact_name(name if name is not None else os.path.basename(path))
        if not os.path.isfile(path):
            raise FileNotFoundError(f"add_artifact: no file at '{path}'")
        with self._lock:
            self._artifacts.append(name)
            self._emit("artifact_added", self.id, name, os.path.abspath(path))

    def add_resource(self, path: str | os.PathLike) -> None:
        """Record that the run read the file at ``path`` (with its content's md5)."""
        path = os.path.abspath(os.fspath(path))
        md5 = _md5(path)
        with self._lock:
            if (path, md5) not in self._resources:
                self._resources.append((path, md5))
                self._emit("resource_added", self.id, path, md5)

    def open_resource(self, path: str | os.PathLike, mode: str = "r") -> Any:
        """Open a file for reading and record it as a resource of the run."""
        self.add_resource(path)
        return open(path, mode)

    # lifecycle -----------------------------------------------------------------

    def queue(self) -> None:
        """Record the run as QUEUED without running it (``-q``)."""
        self._start_observers()

    def execute(self) -> Any:
        """Run the command, tell the observers, and return its result (or re-raise).

        Ctrl-C, SIGTERM and SIGUSR1 stop the run as INTERRUPTED (a signal then exits with
        128 + its number; a run that cannot answer the signal within ``signal_grace`` seconds
        is ended from another thread); anything the command raises makes it FAILED. Either
        way the metrics and output logged so far reach the observers first.
        """
        self.status = Status.RUNNING
        self.start_time = self.beat_time = _now()
        if self.observers:
            self._about = about_run(self)
        self._start_observers()
        recorded = "" if self.id is None else f" (run {self.id})"
        self._say("Running command '%s'%s", self.command.name, recorded)
        with terminate_gracefully(self._end_stuck, self.signal_grace) as signals, seeded(self.seed):
            self._signals = signals
            try:
                shared = shared_with_workers(self.id, self.seed, self.storage_dir, self.local_dir)
                with self._beating(), activated(self), shared:
                    self.result = self.command.captured()
            except (KeyboardInterrupt, Terminated):
                signals.hold()
                self._stop(Status.INTERRUPTED, "interrupted")
                raise
            except BaseException:
                signals.hold()
                self.fail_trace = tuple(traceback.format_exc().splitlines(keepends=True))
                self._stop(Status.FAILED, "failed")
                raise
            signals.hold()
            self._stop(Status.COMPLETED, "completed")
        self._say("Completed after %s", self.stop_time - self.start_time)
        return self.result

    def _end_stuck(self, signum: int) -> None:
        """Record the run as INTERRUPTED from the signal watcher: its main thread is blocked where no
        signal handler runs (the process ends next)."""
        self.logger.warning("the run did not stop within %gs of signal %d (--signal-grace): its main thread is "
                            "blocked in C code (a collective whose peer hangs, a lock?); recorded as interrupted, "
                            "the process ends now", self.signal_grace, signum)
        self._stop(Status.INTERRUPTED, "interrupted")

    def record(self) -> RunRecord:
        """A snapshot of the run for observers."""
        return RunRecord(
            experiment=self._about["experiment"],
            command=self.command.name,
            status=self.status.value,
            config=self._stored_config,
            meta=self.meta,
            id=self.id,
            host=self._about["host"],
            local_dir=self.local_dir,
            heartbeat_interval=self.heartbeat_interval,
            start_time=self.start_time,
            stop_time=self.stop_time,
            heartbeat=self.beat_time,
            result=_jsonable(self.result),
            fail_trace=self.fail_trace,
            info=copy_tree(_jsonable(self.info)),
            resources=tuple(self._resources),
            artifacts=tuple(self._artifacts),
        )

    @contextmanager
    def _beating(self) -> Iterator[None]:
        """While the command runs (when observed): heartbeats, and what it prints captured
        (from the main thread: ``sys.stdout`` is one for the whole process)."""
        if self.observers:
            if threading.current_thread() is threading.main_thread():
                self._output = OutputCapture()
                self._output.start()
            self._heartbeat = Heartbeat(self._beat, self.heartbeat_interval)
            self._heartbeat.start()
        try:
            yield
        finally:
            if self._heartbeat is not None:
                self._heartbeat.stop()
                self._heartbeat = None
            if self._output is not None:
                self._output.stop()

    def _beat(self) -> None:
        with self._lock:
            self.beat_time = _now()
            self._flush()
            self._emit("heartbeat", self.record())

    def _flush(self, final: bool = False) -> None:
        """Send what was printed and the metrics logged since the last flush."""
        text = self._output.take(final) if self._output is not None else ""
        if text:
            self._emit("log_output", self.id, text)
        columns = {}
        for name, (steps, values, times) in list(self._metrics.items()):
            count = len(times)  # only what is there now: appends go on
            if count:
                columns[name] = ([steps.popleft() for _ in range(count)], [values.popleft() for _ in range(count)],
                                 [times.popleft() for _ in range(count)])
        if columns:
            self._emit("log_metrics", self.id, MetricBatch(columns))

    def _start_observers(self) -> None:
        with self._lock:
            for observer in self.observers:
                given = self._notify(observer, "started", self.record())
                if self.id is None and given is not None:
                    self.id = given
                if self.local_dir is None and hasattr(observer, "run_dir") and self.id is not None:
                    self.local_dir = os.path.abspath(observer.run_dir(self.id))

    def _stop(self, status: Status, event: str) -> None:
        with self._lock:
            self._flush(final=True)
            self.status = status
            self.stop_time = self.beat_time = _now()
            self._emit(event, self.record())

    def _emit(self, event: str, *args: Any) -> None:
        for observer in self.observers:
            self._notify(observer, event, *args)

    def _notify(self, observer: RunObserver, event: str, *args: Any) -> Any:
        try:
            return getattr(observer, event)(*args)
        except Exception as error:  # an observer must never stop the run
            self.logger.warning("observer %s failed at '%s': %s", type(observer).__name__, event, error)
            return None


def start_run(experiment: Experiment, command: Command, config: ResolvedConfig,
              options: Options, request: ConfigRequest) -> Run:
    """Create a run of ``command`` with ``config``, execute it (or only queue it), and return it.

    An observed run always has a local record: ``-F DIR``, a ``FileStorageObserver`` of
    the experiment, or else ``$BA3L_RUNS`` (default ``./runs``). Worker processes of a
    distributed job (``RANK`` or ``LOCAL_RANK`` above 0) are not observed: one job, one record.
    """
    worker = is_worker_process()
    observed = not (options.unobserved or command.unobserved or worker)
    observers = _with_local_record(list(experiment.observers) + _observers_from(options)) if observed else []
    meta = {
        "command": command.name,
        "options": mask_secrets({k: v for k, v in options._asdict().items() if v not in (None, False)}),
        "named_configs": list(request.named_configs),
        "config_updates": mask_secrets(
            from_leaves(leaf for u in request.updates for leaf in leaves_of(u.value, u.path))),
        "comment": options.comment or "",
        "argv": mask_secrets(list(sys.argv)),
    }
    if options.id is not None:  # before anything is recorded: an id asked for must be free everywhere
        for observer in observers:
            if hasattr(observer, "check_id"):
                observer.check_id(options.id)
    interval = float(options.heartbeat) if options.heartbeat else DEFAULT_HEARTBEAT
    grace = float(options.signal_grace) if options.signal_grace else DEFAULT_SIGNAL_GRACE
    launcher = launching_run() if worker else {}
    if "seed" in launcher:
        config.values["seed"] = launcher["seed"]  # the job's seed: this command line drew another one
    run = Run(experiment, command, config, observers, meta, launcher.get("id", options.id), options.name, interval,
              grace)
    if worker:
        run.worker_of(launcher.get("storage_dir"), launcher.get("local_dir"))
    if options.queue:
        run.queue()
    else:
        run.execute()
    return run


def _with_local_record(observers: list[RunObserver]) -> list[RunObserver]:
    """The observers with a local file record (added when there is none), which starts
    before the observers that keep what their server missed in the run's local folder."""
    if not any(hasattr(observer, "run_dir") for observer in observers):
        from ba3l.observers import FileStorageObserver

        observers.append(FileStorageObserver(os.environ.get("BA3L_RUNS") or "runs"))
    return sorted(observers, key=lambda observer: bool(getattr(observer, "needs_local_dir", False)))


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


RECORD_FILES = ("run.json", "config.json", "cout.txt", "metrics.json", "metrics.jsonl", "info.json")


def _artifact_name(name: str) -> str:
    """``name`` as a path inside the run's folder; refused if it leaves it or replaces a record file."""
    normalized = os.path.normpath(name) if name else ""
    if not normalized or normalized == "." or os.path.isabs(name) or normalized.split(os.sep)[0] == "..":
        raise ValueError(f"artifact name '{name}' must be a relative path inside the run's folder")
    if normalized in RECORD_FILES or normalized.split(os.sep)[0] in ("_sources", "_resources"):
        raise ValueError(f"artifact name '{name}' would replace the run's own record '{normalized}'; choose another")
    return normalized.replace(os.sep, "/")


def _md5(path: str) -> str:
    import hashlib

    digest = hashlib.md5()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _jsonable(value: Any) -> Any:
    """``value`` if it is JSON data, else its ``repr`` (a result or info the records can hold)."""
    try:
        return normalize(value, ())
    except ConfigError:
        return repr(value)

"""MLflow: runs recorded on an MLflow tracking server, through the ``mlflow-skinny`` client.

A ba3l run becomes an MLflow run in the experiment of the same name (created when
missing). Its config becomes params with dotted keys, and the whole config is stored
as the artifact ``config.json``, since MLflow refuses long params; metrics keep their
steps and times; artifacts keep their names; the ba3l status, git state, comment,
command, run id and host become tags; the end sets MLflow's terminal status, the
result (a tag, or ``result.json`` when long) and the traceback (``fail_trace.txt``).

The observer raises when the server fails, so that :class:`~ba3l.observers.Spooled`
keeps the event (``--mlflow URI`` wraps it so). A password in the tracking URI stays in
memory: errors, the spool header and ``repr`` show it as ``***``.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import math
import os
import posixpath
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from ba3l.config import leaves_of, mask_url
from ba3l.run import MetricPoint, RunObserver, RunRecord

log = logging.getLogger("ba3l.observers")

TERMINAL_STATUS = {"COMPLETED": "FINISHED", "FAILED": "FAILED", "INTERRUPTED": "KILLED"}
"""MLflow's status for each way a ba3l run ends."""

RUN_ID_TAG = "ba3l.run_id"
_VALID_NAME = re.compile(r"^[/\w.\- :]*$")  # MLflow's rule for param, metric and tag names

_Method = TypeVar("_Method", bound=Callable[..., Any])


def _masking_secrets(method: _Method) -> _Method:
    """Re-raise an error of ``method`` with the tracking URI's password masked, when it shows it."""

    @functools.wraps(method)
    def call(self: MlflowObserver, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except Exception as error:
            masked = self._mask(str(error))
            if masked == str(error):
                raise
            # the original error (and its chain) would show the password in logs and spool warnings
            raise MlflowObserverError(f"{type(error).__name__}: {masked}") from None

    return call  # type: ignore[return-value]


class MlflowObserverError(RuntimeError):
    """A failure of the MLflow client, its message with the tracking URI's password masked."""


class MlflowObserver(RunObserver):
    """Record runs on the MLflow tracking server at ``tracking_uri``.

    Args:
        tracking_uri: the server, e.g. ``http://127.0.0.1:5000``; a password in it
            (``http://user:password@host``) is used but never written anywhere.
        experiment_name: the MLflow experiment; by default the ba3l experiment's name.
        timeout: seconds an HTTP request may take before it fails.

    MLflow reads its HTTP settings from the environment, for every client in the process.
    So that a run never waits long on a server that is down, the observer sets
    ``MLFLOW_HTTP_REQUEST_TIMEOUT`` to ``timeout`` and, unless it is set already,
    ``MLFLOW_HTTP_REQUEST_MAX_RETRIES`` to 0 (the spool retries later, without blocking
    the run); it turns off MLflow's printing of run links
    (``MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT``), which would put the tracking URI,
    password included, in the run's captured output.

    Example:
        >>> ex.observers.append(MlflowObserver("http://127.0.0.1:5000"))   # doctest: +SKIP
    """

    def __init__(self, tracking_uri: str, experiment_name: str | None = None, *, timeout: float = 10.0):
        self.tracking_uri = tracking_uri
        self.experiment_name = experiment_name
        self.timeout = timeout
        self._secrets = _secrets_of(tracking_uri)
        _configure_mlflow_http(timeout)
        self._client = _mlflow_client(tracking_uri)
        self._runs: dict[Any, str] = {}  # ba3l run id -> MLflow run id
        self._experiments: dict[str, str] = {}  # name -> MLflow experiment id

    def __repr__(self) -> str:
        return f"MlflowObserver({mask_url(self.tracking_uri)!r}, experiment_name={self.experiment_name!r})"

    def spool_header(self) -> dict:
        """How :func:`ba3l.observers.push` makes this observer again (the password masked)."""
        return {"factory": "ba3l.observers.MlflowObserver", "tracking_uri": mask_url(self.tracking_uri),
                "experiment_name": self.experiment_name, "timeout": self.timeout}

    @_masking_secrets
    def mlflow_run_id(self, run_id: Any) -> str:
        """The MLflow run that records the ba3l run ``run_id``.

        A run this observer did not start (a spool pushed later that begins after its
        start) is looked up by its ``ba3l.run_id`` tag among running MLflow runs.
        """
        if run_id not in self._runs:
            self._runs[run_id] = self._find_running(run_id)
        return self._runs[run_id]

    # events ------------------------------------------------------------------------------

    @_masking_secrets
    def started(self, record: RunRecord) -> Any:
        # A replayed start (its first try failed half-way) must reuse the run it made.
        mlflow_id = self._runs.get(record.id) or self._existing_run(record) or self._create_run(record)
        self._runs[record.id] = mlflow_id
        self._log_batches(mlflow_id, tags=_start_tags(record))
        self._log_batches(mlflow_id, params=_params(record.config))
        self._client.log_text(mlflow_id, _json(record.config), "config.json")
        return None  # the run's id comes from its local record

    @_masking_secrets
    def heartbeat(self, record: RunRecord) -> None:
        beat = record.heartbeat or datetime.now(UTC).replace(tzinfo=None)
        self._client.set_tag(self.mlflow_run_id(record.id), "ba3l.heartbeat", beat.isoformat())

    @_masking_secrets
    def log_metrics(self, run_id: Any, points: Sequence[MetricPoint]) -> None:
        self._log_batches(self.mlflow_run_id(run_id), metrics=[_metric(point) for point in points])

    @_masking_secrets
    def artifact_added(self, run_id: Any, name: str, path: str) -> None:
        mlflow_id = self.mlflow_run_id(run_id)
        folder, filename = posixpath.split(name.replace(os.sep, "/"))
        with _named(path, filename) as upload:
            self._client.log_artifact(mlflow_id, upload, artifact_path=folder or None)

    # helpers -------------------------------------------------------------------------------

    @_masking_secrets
    def finished(self, record: RunRecord) -> None:
        mlflow_id = self.mlflow_run_id(record.id)
        tags = {"ba3l.status": record.status}
        if record.fail_trace:
            self._client.log_text(mlflow_id, "".join(record.fail_trace), "fail_trace.txt")
        if record.result is not None:
            result = json.dumps(record.result, ensure_ascii=False, default=repr)
            if len(result) <= _limits().tag_value:
                tags["ba3l.result"] = result
            else:
                self._client.log_text(mlflow_id, _json(record.result), "result.json")
        self._log_batches(mlflow_id, tags=tags)
        # the status goes last: a finished MLflow run holds everything the ba3l run sent
        end = _millis(record.stop_time) if record.stop_time else None
        self._client.set_terminated(mlflow_id, TERMINAL_STATUS.get(record.status, "FINISHED"), end_time=end)
        self._runs.pop(record.id, None)

    def _create_run(self, record: RunRecord) -> str:
        name = record.experiment.get("name") or "ba3l"
        run_name = name if record.id is None else f"{name} {record.id}"
        tags = {} if record.id is None else {RUN_ID_TAG: str(record.id)}
        start = _millis(record.start_time) if record.start_time else None
        run = self._client.create_run(self._experiment_of(record), start_time=start, tags=tags, run_name=run_name)
        return run.info.run_id

    def _existing_run(self, record: RunRecord) -> str | None:
        """The MLflow run an earlier try of this start made (same ba3l id, same start time)."""
        if record.id is None or record.start_time is None or "'" in str(record.id):
            return None
        found = self._client.search_runs(
            [self._experiment_of(record)],
            f"tags.`{RUN_ID_TAG}` = '{record.id}' AND attributes.start_time = {_millis(record.start_time)}",
            max_results=1)
        return found[0].info.run_id if found else None

    def _find_running(self, run_id: Any) -> str:
        if run_id is None or "'" in str(run_id):
            raise LookupError(f"no MLflow run is known for the ba3l run {run_id!r}: it was not started here")
        if self.experiment_name:
            experiments = [self._experiment_id(self.experiment_name)]
        else:
            experiments = [e.experiment_id for e in self._client.search_experiments()]
        found = self._client.search_runs(
            experiments, f"tags.`{RUN_ID_TAG}` = '{run_id}' AND attributes.status = 'RUNNING'",
            max_results=1, order_by=["attributes.start_time DESC"])
        if not found:
            raise LookupError(f"no running MLflow run is tagged {RUN_ID_TAG}={run_id} on {mask_url(self.tracking_uri)}")
        return found[0].info.run_id

    def _experiment_of(self, record: RunRecord) -> str:
        return self._experiment_id(self.experiment_name or record.experiment.get("name") or "ba3l")

    def _experiment_id(self, name: str) -> str:
        if name not in self._experiments:
            self._experiments[name] = self._get_or_create_experiment(name)
        return self._experiments[name]

    def _get_or_create_experiment(self, name: str) -> str:
        from mlflow.exceptions import MlflowException

        experiment = self._client.get_experiment_by_name(name)
        if experiment is None:
            try:
                return self._client.create_experiment(name)
            except MlflowException as error:
                if error.error_code != "RESOURCE_ALREADY_EXISTS":
                    raise
                experiment = self._client.get_experiment_by_name(name)  # another run created it just now
        if experiment.lifecycle_stage == "deleted":
            # a deleted experiment keeps its name: creating it again would fail at every run
            log.warning("the MLflow experiment %r was deleted; restoring it to record this run", name)
            self._client.restore_experiment(experiment.experiment_id)
        return experiment.experiment_id

    def _log_batches(self, mlflow_id: str, metrics: Sequence = (), params: Sequence = (),
                     tags: dict[str, str] | None = None) -> None:
        """``log_batch`` in pieces within MLflow's limits per request."""
        from mlflow.entities import Param, RunTag

        limits = _limits()
        tag_entities = [RunTag(k, v[: limits.tag_value]) for k, v in (tags or {}).items()]
        param_entities = [Param(k, v) for k, v in params]
        for chunk in _chunks(tag_entities, limits.params_per_batch):
            self._client.log_batch(mlflow_id, tags=chunk)
        for chunk in _chunks(param_entities, limits.params_per_batch):
            self._client.log_batch(mlflow_id, params=chunk)
        for chunk in _chunks(list(metrics), limits.metrics_per_batch):
            self._client.log_batch(mlflow_id, metrics=chunk)

    def _mask(self, text: str) -> str:
        text = mask_url(text)
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


# what a run becomes in MLflow ---------------------------------------------------------------


def _start_tags(record: RunRecord) -> dict[str, str]:
    tags = {"ba3l.status": record.status, "ba3l.command": record.command}
    if record.id is not None:
        tags[RUN_ID_TAG] = str(record.id)
    comment = (record.meta or {}).get("comment")
    if comment:
        tags["ba3l.comment"] = tags["mlflow.note.content"] = comment  # the second is the UI's description
    hostname = (record.host or {}).get("hostname")
    if hostname:
        tags["ba3l.host"] = str(hostname)
    if record.local_dir:
        tags["ba3l.local_dir"] = record.local_dir
    if record.experiment.get("mainfile"):
        tags["mlflow.source.name"] = str(record.experiment["mainfile"])
    tags.update(_git_tags(record.experiment.get("repositories") or []))
    return tags


def _git_tags(repositories: Sequence[dict]) -> dict[str, str]:
    if not repositories:
        return {}
    repository = repositories[0]  # the repository of the main file comes first
    tags = {}
    if repository.get("commit"):
        tags["mlflow.source.git.commit"] = str(repository["commit"])
    if repository.get("url"):
        tags["mlflow.source.git.repoURL"] = mask_url(str(repository["url"]))
    if "dirty" in repository:
        tags["ba3l.git.dirty"] = str(bool(repository["dirty"]))
    return tags


def _params(config: dict) -> list[tuple[str, str]]:
    """The config's leaves as ``(dotted key, text)``, those MLflow accepts (config.json has all)."""
    limits = _limits()
    params = []
    for path, value in leaves_of(config):
        key, text = ".".join(str(part) for part in path), _param_text(value)
        if path and _valid_name(key, limits.key) and len(text) <= limits.param_value:
            params.append((key, text))
    return params


def _param_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, ensure_ascii=False, default=repr)
    return str(value)


def _metric(point: MetricPoint) -> Any:
    from mlflow.entities import Metric

    return Metric(_metric_key(point.name), float(point.value), round(point.time * 1000), int(point.step))


@functools.lru_cache(maxsize=1024)
def _metric_key(name: str) -> str:
    """``name`` as MLflow accepts it; a metric must not block the spool by being refused."""
    key = re.sub(r"[^/\w.\- :]", "_", name)[: _limits().key]
    if _path_not_unique(key):
        key = key.replace("/", "_")
    if _path_not_unique(key):
        key = key.replace(".", "_")
    if key != name:
        log.warning("the metric %r is recorded in MLflow as %r (MLflow refuses its name)", name, key)
    return key


def _valid_name(name: str, max_length: int) -> bool:
    return 0 < len(name) <= max_length and bool(_VALID_NAME.match(name)) and not _path_not_unique(name)


def _path_not_unique(name: str) -> bool:
    """MLflow refuses names that a path normalisation would change (``a//b``, ``../a``, ``/a``)."""
    norm = posixpath.normpath(name)
    return norm != name or norm == "." or norm.startswith(("..", "/"))


def _millis(moment: datetime) -> int:
    """Milliseconds since the epoch of a naive UTC time."""
    return int(moment.replace(tzinfo=UTC).timestamp() * 1000)


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=repr) + "\n"


def _chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Limits:
    """MLflow's limits, read from the installed client."""

    def __init__(self) -> None:
        from mlflow.utils import validation

        self.key = validation.MAX_ENTITY_KEY_LENGTH
        self.param_value = validation.MAX_PARAM_VAL_LENGTH
        self.tag_value = validation.MAX_TAG_VAL_LENGTH
        self.params_per_batch = validation.MAX_PARAMS_TAGS_PER_BATCH
        self.metrics_per_batch = validation.MAX_METRICS_PER_BATCH


@functools.lru_cache(maxsize=1)
def _limits() -> _Limits:
    return _Limits()


# the client ---------------------------------------------------------------------------


def _mlflow_client(tracking_uri: str) -> Any:
    try:
        from mlflow.tracking import MlflowClient
    except ImportError as error:
        raise ImportError("MlflowObserver needs the MLflow client: pip install 'ba3l[mlflow]'") from error
    return MlflowClient(tracking_uri)


def _configure_mlflow_http(timeout: float) -> None:
    os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = str(max(1, math.ceil(timeout)))  # MLflow reads an integer
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    os.environ["MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT"] = "true"


def _secrets_of(uri: str) -> list[str]:
    """The credentials in ``uri``, as written and decoded (either may show in an error)."""
    parts = urlsplit(uri)
    found = [parts.password] if parts.password else [parts.username] if parts.username else []
    return sorted({s for secret in found for s in (secret, unquote(secret)) if s}, key=len, reverse=True)


@contextlib.contextmanager
def _named(path: str, filename: str) -> Iterator[str]:
    """The file at ``path``, reachable under the file name ``filename`` (MLflow keeps the file's name)."""
    if os.path.basename(path) == filename:
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="ba3l-mlflow-") as folder:
        target = os.path.join(folder, filename)
        try:
            os.symlink(os.path.abspath(path), target)  # checkpoints are large: no copy
        except OSError:
            shutil.copyfile(path, target)
        yield target

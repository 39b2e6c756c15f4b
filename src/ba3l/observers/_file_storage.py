"""File storage: sacred's on-disk layout, the embedded default record of a run.

``<dir>/<id>/`` holds ``run.json``, ``config.json``, ``cout.txt``, ``metrics.json``,
``info.json`` and the artifacts; ``<dir>/_sources/<stem>_<md5><ext>`` the source files
and ``<dir>/_resources/`` the resources, shared by the runs. Readers of sacred's
layout (incense, sacredboard) read it as it is.

Nothing is lost: every record file is replaced atomically (written beside, then
renamed); metrics are appended to ``metrics.jsonl`` (a line per metric per flush:
``{"name", "steps", "values", "times"}``, times in microseconds since the epoch) and ``metrics.json`` is made from it at the end and whenever
the log has grown eightfold since the last time, so the bytes written stay linear in the
number of values; printed output is appended to ``cout.txt``. Run ids are integers
allocated by an atomic ``mkdir`` of the next number, retried when another process
took it.
"""

from __future__ import annotations

import json
import os
import shutil
from array import array
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from ba3l.config import UsageError, write_text_atomic
from ba3l.run import MetricBatch, MetricPoint, RunObserver, RunRecord, metric_time

METRICS_LOG = "metrics.jsonl"
FIRST_METRICS_REWRITE = 1 << 20  # bytes of metrics.jsonl before metrics.json is first made mid-run
GROWTH = 8  # metrics.json is made again mid-run when the log has grown this many times


class FileStorageObserver(RunObserver):
    """Record runs under ``directory`` in sacred's file layout.

    Example:
        >>> ex.observers.append(FileStorageObserver("runs"))   # doctest: +SKIP
    """

    def __init__(self, directory: str | os.PathLike):
        self.directory = os.fspath(directory)
        self._runs: dict[Any, _RunFolder] = {}  # by run id: one observer may record several runs at once

    def check_id(self, run_id: Any) -> None:
        """Refuse an id asked for (``-i``) that a run here already has: no record is overwritten.

        Raises:
            UsageError: the folder ``<dir>/<run_id>`` exists.
        """
        if self.directory and os.path.exists(os.path.join(self.directory, str(run_id))):
            raise UsageError(f"run id '{run_id}' is taken in '{self.directory}'; choose another or leave -i out")

    def run_dir(self, run_id: Any) -> str:
        """The folder of the run ``run_id`` that this observer is recording."""
        return self._runs[run_id].path

    # events ----------------------------------------------------------------------------

    def started(self, record: RunRecord) -> Any:
        os.makedirs(self.directory, exist_ok=True)
        run_id, path = self._make_run_dir(record.id)
        folder = self._runs[run_id] = _RunFolder(path, self._save_sources(record))
        write_text_atomic(os.path.join(path, "config.json"), _dumps(record.config))
        for name in ("cout.txt", "info.json", "metrics.json"):  # readers of sacred's layout expect all of them
            write_text_atomic(os.path.join(path, name), "" if name == "cout.txt" else "{}\n")
        folder.write_run(record._replace(id=run_id))
        return run_id

    def heartbeat(self, record: RunRecord) -> None:
        folder = self._runs[record.id]
        folder.write_run(record)
        folder.write_info(record)
        if folder.metrics_grew():
            folder.write_metrics()

    def log_metrics(self, run_id: Any, points: Sequence[MetricPoint]) -> None:
        self._runs[run_id].append_metrics(points)

    def log_output(self, run_id: Any, text: str) -> None:
        with open(os.path.join(self._runs[run_id].path, "cout.txt"), "a", encoding="utf-8") as file:
            file.write(text)

    def artifact_added(self, run_id: Any, name: str, path: str) -> None:
        folder = self._runs[run_id]
        _copy_atomic(path, os.path.join(folder.path, *name.split("/")))

    def resource_added(self, run_id: Any, path: str, md5: str) -> None:
        stored = self._store_shared("_resources", path, md5)
        self._runs[run_id].resources[path] = stored

    def finished(self, record: RunRecord) -> None:
        folder = self._runs.pop(record.id)
        folder.write_metrics()
        folder.write_info(record)
        folder.write_run(record)

    # the shared folders ------------------------------------------------------------------

    def _save_sources(self, record: RunRecord) -> list[list[str]]:
        """Copy the run's source files to ``_sources`` (once per content); sacred's ``[name, stored]`` pairs."""
        base = record.experiment.get("base_dir") or ""
        stored = []
        for name, md5 in record.experiment.get("sources", ()):
            path = os.path.join(base, name)
            if os.path.isfile(path):
                stored.append([name, self._store_shared("_sources", path, md5)])
        return stored

    def _store_shared(self, kind: str, path: str, md5: str) -> str:
        stem, ext = os.path.splitext(os.path.basename(path))
        relative = f"{kind}/{stem}_{md5}{ext}"
        target = os.path.join(self.directory, kind, f"{stem}_{md5}{ext}")
        if not os.path.exists(target):
            os.makedirs(os.path.dirname(target), exist_ok=True)
            _copy_atomic(path, target)
        return relative

    def _make_run_dir(self, wanted: Any) -> tuple[Any, str]:
        if wanted is not None:
            path = os.path.join(self.directory, str(wanted))
            os.mkdir(path)  # an existing id is an error, not an overwrite
            return wanted, path
        for _ in range(1000):
            run_id = 1 + max((int(n) for n in os.listdir(self.directory) if n.isdigit()), default=0)
            path = os.path.join(self.directory, str(run_id))
            try:
                os.mkdir(path)
            except FileExistsError:
                continue  # another process took this id; take the next
            return run_id, path
        raise RuntimeError(f"could not allocate a run id in {self.directory}")


class _RunFolder:
    """The files of one run being recorded."""

    def __init__(self, path: str, sources: list[list[str]]):
        self.path = path
        self.sources = sources
        self.resources: dict[str, str] = {}
        self.metrics_log = os.path.join(path, METRICS_LOG)
        self.logged_bytes = 0
        self.bytes_at_last_rewrite = 0
        self.series: dict[str, _Series] = {}

    def write_run(self, record: RunRecord) -> None:
        experiment = {**record.experiment, "sources": self.sources}
        document = {
            "experiment": experiment,
            "command": record.command,
            "host": dict(record.host),
            "meta": record.meta,
            "status": record.status,
            "start_time": _time(record.start_time),
            "heartbeat": _time(record.heartbeat or record.stop_time or record.start_time),
            "heartbeat_interval": record.heartbeat_interval,
            "stop_time": _time(record.stop_time),
            "result": record.result,
            "fail_trace": list(record.fail_trace) or None,
            "resources": [[path, stored] for path, stored in self.resources.items()],
            "artifacts": list(record.artifacts),
        }
        write_text_atomic(os.path.join(self.path, "run.json"), _dumps(document))

    def write_info(self, record: RunRecord) -> None:
        write_text_atomic(os.path.join(self.path, "info.json"), _dumps(dict(record.info)))

    def append_metrics(self, points: Sequence[MetricPoint]) -> None:
        columns = MetricBatch.of(points).by_name()
        lines = []
        for name, (steps, values, times) in columns.items():
            micros = _microseconds(times)
            # the C encoder writes each list once; metrics.json reuses the text (no float is written twice)
            steps_text, values_text = json.dumps(steps), json.dumps(values)
            lines.append(f'{{"name": {json.dumps(name, ensure_ascii=False)}, "steps": {steps_text}, '
                         f'"values": {values_text}, "times": {json.dumps(micros)}}}\n')
            series = self.series.get(name) or self.series.setdefault(name, _Series())
            series.steps.append(steps_text[1:-1])
            series.values.append(values_text[1:-1])
            series.times.extend(micros)
        text = "".join(lines)
        with open(self.metrics_log, "a", encoding="utf-8") as file:
            file.write(text)
        self.logged_bytes += len(text)

    def metrics_grew(self) -> bool:
        """Whether the log has grown eightfold since ``metrics.json`` was last made: the rewrites
        then add up to a seventh of the final size at most, so the bytes written stay linear."""
        return self.logged_bytes >= max(FIRST_METRICS_REWRITE, GROWTH * self.bytes_at_last_rewrite)

    def write_metrics(self) -> None:
        """``metrics.json`` (sacred's ``{name: {steps, values, timestamps}}``), put together from the
        text already written to the log rather than by reading the log again."""
        parts = [
            f'{json.dumps(name, ensure_ascii=False)}: {{"steps": [{", ".join(filter(None, series.steps))}], '
            f'"values": [{", ".join(filter(None, series.values))}], '
            f'"timestamps": {json.dumps(_iso_times(series.times))}}}'
            for name, series in self.series.items()
        ]
        write_text_atomic(os.path.join(self.path, "metrics.json"), "{" + ", ".join(parts) + "}\n")
        self.bytes_at_last_rewrite = self.logged_bytes


class _Series:
    """One metric as the log holds it: the JSON text of its steps and values, batch by batch,
    and its times in microseconds (about 35 bytes a value in all)."""

    def __init__(self) -> None:
        self.steps: list[str] = []
        self.values: list[str] = []
        self.times = array("q")


def read_metrics_log(path: str) -> dict[str, dict[str, list]]:
    """The metrics in a ``metrics.jsonl``, by name, as ``metrics.json`` holds them; a last
    line cut short by a kill is left out."""
    metrics: dict[str, dict[str, list]] = {}
    times: dict[str, list[float]] = {}
    with open(path, encoding="utf-8") as file:
        for line in file:
            try:
                batch = json.loads(line)
            except ValueError:
                continue
            name = batch["name"]
            series = metrics.get(name) or metrics.setdefault(name, {"steps": [], "values": [], "timestamps": []})
            series["steps"].extend(batch["steps"])
            series["values"].extend(batch["values"])
            times.setdefault(name, []).extend(batch["times"])
    for name, series in metrics.items():
        series["timestamps"] = _iso_times(times[name])
    return metrics


def _microseconds(seconds: list[float]) -> list[int]:
    """Times as whole microseconds: an int is written three times faster than a float, and shorter."""
    return [round(moment * 1e6) for moment in seconds]


def _iso_times(microseconds: Iterable[int]) -> list[str]:
    """Microseconds since the epoch as sacred's naive UTC ISO strings; the date part is made once a second."""
    times: list[str] = []
    append = times.append
    last, prefix = None, ""
    for moment in microseconds:
        whole, micro = divmod(moment, 1_000_000)
        if whole != last:
            last, prefix = whole, metric_time(whole).isoformat()
        append("%s.%06d" % (prefix, micro))
    return times


def is_stale(run: dict, now: datetime, intervals: float = 3) -> bool:
    """Whether a RUNNING record's heartbeat is older than ``intervals`` heartbeat intervals: its
    process died without a word (``kill -9``, a lost machine)."""
    if run.get("status") != "RUNNING" or not run.get("heartbeat"):
        return False
    age = (now - datetime.fromisoformat(run["heartbeat"])).total_seconds()
    return age > intervals * float(run.get("heartbeat_interval") or 10.0)


def _copy_atomic(source: str, target: str) -> None:
    os.makedirs(os.path.dirname(target), exist_ok=True)
    temporary = f"{target}.{os.urandom(6).hex()}.tmp"  # unique: runs in threads of one process copy too
    try:
        shutil.copyfile(source, temporary)
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _dumps(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

"""A real MLflow tracking server for tests, on 127.0.0.1 and a free port.

The server comes with the full ``mlflow`` package, which is large and brings its own
pins (pandas, numpy ...), so it lives in a virtual environment of its own,
``<repo>/.venv-mlflow`` (``make .venv-mlflow/.installed`` builds it; ``make test``
does so first); the project's environment has only the client, ``mlflow-skinny``.
The server keeps its runs in SQLite and serves artifacts itself, so clients upload
them over HTTP as they would to a shared server::

    with MlflowServer(tmp_path) as server:
        client = MlflowClient(server.uri)

Without the environment, :class:`MlflowServer` raises: the tests that need the
server fail, they are not skipped.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SERVER_VENV = REPO / ".venv-mlflow"
SERVER_PROGRAM = SERVER_VENV / "bin" / "mlflow"
MAKE_TARGET = ".venv-mlflow/.installed"
START_TIMEOUT = 60  # seconds; it is healthy after about 15
SERVER_ENV = {
    "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",  # a job runner and ten workers the tests do not use
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
}


class MlflowServer:
    """``mlflow server`` from ``.venv-mlflow``, its data in ``folder``.

    Use it as a context manager: entering starts the server and waits until ``/health``
    answers; leaving stops it (terminate, then kill).
    """

    def __init__(self, folder: Path):
        if problem := server_missing():
            raise RuntimeError(problem)
        self.program = SERVER_PROGRAM
        self.folder = Path(folder)
        self.port = free_port()
        self.uri = f"http://127.0.0.1:{self.port}"
        self.log_path = self.folder / "server.log"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> MlflowServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        """Start the server and wait until it answers."""
        self.folder.mkdir(parents=True, exist_ok=True)
        command = [str(self.program), "server", "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1",
                   "--backend-store-uri", f"sqlite:///{self.folder / 'mlflow.db'}",
                   "--serve-artifacts", "--artifacts-destination", str(self.folder / "artifacts")]
        env = {**os.environ, **SERVER_ENV}
        with open(self.log_path, "wb") as log:
            # its own process group: the server starts workers, and stop() ends them all
            self.process = subprocess.Popen(command, cwd=self.folder, stdout=log, stderr=subprocess.STDOUT,
                                            env=env, start_new_session=True)
        try:
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the server and its workers: terminate, and kill what is left after 10 s."""
        if self.process is None:
            return
        group = self.process.pid  # the leader of the group start_new_session made
        _signal_group(group, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            _signal_group(group, signal.SIGKILL)
            self.process.wait(timeout=10)
        _signal_group(group, signal.SIGKILL)  # workers that outlived the leader
        self.process = None

    def log(self) -> str:
        """What the server wrote."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the MLflow server exited ({self.process.returncode}):\n{self.log()[-3000:]}")
            if _answers(f"{self.uri}/health"):
                return
            time.sleep(0.25)
        raise RuntimeError(f"the MLflow server did not answer within {START_TIMEOUT} s:\n{self.log()[-3000:]}")


def server_missing() -> str | None:
    """Why no MLflow server can start here, or ``None`` when it can."""
    if SERVER_PROGRAM.exists():
        return None
    return (f"the MLflow server is not installed ({SERVER_PROGRAM} is missing); "
            f"the MLflow tests need a real one: run `make {MAKE_TARGET}`")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _signal_group(group: int, number: int) -> None:
    try:
        os.killpg(group, number)
    except ProcessLookupError:
        pass

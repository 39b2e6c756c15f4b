"""A private PostgreSQL server for tests: a throw-away cluster on 127.0.0.1 and a free port.

``PostgresServer`` runs Debian's server binaries (``/usr/lib/postgresql/<version>/bin``,
or ``initdb`` on the PATH) on a temporary folder, with trust authentication for the
``postgres`` user, so a test gets a real server in about a second::

    with PostgresServer() as server:
        url = server.create_database("metrics")
        ...
        server.stop()    # the server goes away, as a crashed database would
        server.start()   # and comes back on the same port, data kept

``initdb`` refuses to run as root, so under root the cluster belongs to the
``postgres`` system user and its commands run as that user. Without the binaries,
:class:`PostgresServer` raises: tests that need the server fail, they are not skipped
(``.ci/run`` installs the server).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

SERVER_USER = "postgres"  # Debian's package makes this user; initdb will not run as root
TIMEOUT = 30


class PostgresServer:
    """A PostgreSQL cluster in a temporary folder, listening on 127.0.0.1 only.

    Use it as a context manager: entering creates and starts the cluster, leaving
    stops it and removes the folder.
    """

    def __init__(self) -> None:
        self.bin_dir = find_bin_dir()
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="ba3l-pg-"))  # under /tmp: the server user can reach it
        self.data = self.root / "data"
        self.running = False

    def __enter__(self) -> PostgresServer:
        try:
            self._give_folder_to_server_user()
            self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-locale",
                      "--no-sync")
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def url(self, database: str = "postgres", password: str | None = None) -> str:
        """A SQLAlchemy URL of ``database`` (trust authentication ignores any ``password``)."""
        login = f"postgres:{password}" if password else "postgres"
        return f"postgresql+psycopg://{login}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create the database ``name`` and return its URL."""
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return self.url(name)

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off -c full_page_writes=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", options,
                  "-w", "-t", str(TIMEOUT), "start")
        self.running = True

    def stop(self) -> None:
        """Stop the server now, closing its connections (``pg_ctl stop -m fast``)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", str(TIMEOUT), "stop")
        self.running = False

    def close(self) -> None:
        """Stop the server if it runs and remove its folder."""
        try:
            if self.running:
                self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        """What the server wrote to its log."""
        path = self.root / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _give_folder_to_server_user(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, SERVER_USER, SERVER_USER)

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin_dir / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT + 10, cwd=self.root)
        if done.returncode:
            raise RuntimeError(f"{program} failed ({done.returncode}):\n{done.stdout}{done.stderr}{self.log()}")


def find_bin_dir() -> Path:
    """The folder of PostgreSQL's server programs, the newest version first."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version, reverse=True)
    on_path = shutil.which("initdb")
    if found:
        return Path(found[0]).parent
    if on_path:
        return Path(on_path).parent
    raise RuntimeError(
        "PostgreSQL's server programs (initdb, pg_ctl) were not found in /usr/lib/postgresql/*/bin "
        "or on the PATH; the SQL tests need a real server: install Debian's 'postgresql' package "
        "(apt-get install --no-install-recommends postgresql), as .ci/run does")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _version(initdb: str) -> tuple[int, ...]:
    name = Path(initdb).parent.parent.name
    return tuple(int(part) for part in name.split(".") if part.isdigit())

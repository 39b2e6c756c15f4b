"""The state of the git repository a run's code lives in: one entry of ``repositories``.

sacred records ``{"url", "commit", "dirty"}`` per repository in ``run.json``; ba3l adds
``path`` (the work tree's top folder) and, when the work tree is dirty, ``diff`` (what
``git diff HEAD`` shows), so that a run made from uncommitted code can still be rebuilt.
The git command line is used (three calls, four when dirty); no git library is needed.

Decisions:
- ``dirty`` counts changes to tracked files, staged or not; untracked files do not count
  (they are often data, outputs or scratch files, and ``git diff HEAD`` cannot show them).
- ``url`` is the ``origin`` remote, else the first remote in the config, else None, with
  credentials removed: ``https://user:token@host/x.git`` becomes ``https://host/x.git``
  (a token can be the user name alone, so the whole user part goes), ``ssh://git@host/x``
  keeps its user (an account, not a secret) but loses any password, and scp-like
  ``git@host:x.git`` and local paths stay as they are.
- A folder in a repository without any commit gives None: there is no commit to name.
"""

from __future__ import annotations

import os
import subprocess
from typing import Any
from urllib.parse import urlsplit, urlunsplit

GIT_TIMEOUT = 5.0
DIFF_LIMIT = 1_000_000  # bytes of diff kept; a larger diff is cut with a note

# These would point git at another repository than the one containing the path
# (they are set, for example, while a git hook runs).
_REDIRECTING_VARIABLES = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR")

_SCHEMES_WITH_ACCOUNT_USER = {"ssh", "git+ssh", "ssh+git"}


def git_state(path: str) -> dict[str, Any] | None:
    """The state of the git repository that contains ``path`` (a file or a folder):
    ``{"path": top folder, "url": remote URL without credentials or None, "commit": full
    hash, "dirty": bool}`` plus ``"diff"`` (text of ``git diff HEAD``, cut at
    ``DIFF_LIMIT`` bytes with a note) when dirty. None when ``path`` is in no repository,
    the repository has no commit, or git is missing or does not answer in time."""
    folder = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
    located = _git(folder, "rev-parse", "--show-toplevel", "HEAD")
    if located is None:
        return None
    lines = located.decode("utf-8", errors="surrogateescape").splitlines()
    if len(lines) != 2:
        return None
    top, commit = lines
    status = _git(top, "status", "--porcelain", "--untracked-files=no")
    if status is None:
        return None
    state: dict[str, Any] = {
        "path": top,
        "url": _remote_url(top),
        "commit": commit,
        "dirty": bool(status.strip()),
    }
    if state["dirty"]:
        diff = _git(top, "diff", "HEAD", "--no-color", "--no-ext-diff")
        if diff is not None:
            state["diff"] = capped_diff(diff, DIFF_LIMIT)
    return state


def _git(folder: str, *arguments: str) -> bytes | None:
    """stdout of one git command in ``folder``, or None when it fails in any way."""
    # --no-optional-locks: reading the state must not take the index lock that a git
    # command the user runs at the same moment needs.
    command = ["git", "--no-optional-locks", "-C", folder, *arguments]
    environment = {k: v for k, v in os.environ.items() if k not in _REDIRECTING_VARIABLES}
    try:
        done = subprocess.run(command, check=False, capture_output=True, timeout=GIT_TIMEOUT, env=environment)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _remote_url(top: str) -> str | None:
    listed = _git(top, "config", "--get-regexp", r"^remote\..*\.url$")
    if not listed:
        return None
    urls: dict[str, str] = {}
    for line in listed.decode("utf-8", errors="replace").splitlines():
        key, _, url = line.partition(" ")
        urls.setdefault(key[len("remote.") : -len(".url")], url)
    url = urls.get("origin") or next(iter(urls.values()))
    return without_credentials(url)


def without_credentials(url: str) -> str:
    """``url`` with any password removed, and for web URLs the whole user part (a token
    can stand alone as the user name); scp-like ``user@host:path`` and paths unchanged."""
    if "://" not in url:
        return url
    parts = urlsplit(url)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if not at:
        return url
    user = userinfo.partition(":")[0]
    keep_user = parts.scheme.lower() in _SCHEMES_WITH_ACCOUNT_USER and user
    netloc = f"{user}@{hostport}" if keep_user else hostport
    return urlunsplit(parts._replace(netloc=netloc))


def capped_diff(diff: bytes, limit: int = DIFF_LIMIT) -> str:
    """The diff as text, cut at the last whole line within ``limit`` bytes, with a note
    saying how much there was, when it is longer."""
    if len(diff) <= limit:
        return diff.decode("utf-8", errors="replace")
    cut = diff.rfind(b"\n", 0, limit) + 1 or limit
    note = f"[ba3l: diff cut at {cut} of {len(diff)} bytes]\n"
    return diff[:cut].decode("utf-8", errors="replace") + note

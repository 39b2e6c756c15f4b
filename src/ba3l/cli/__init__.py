"""Layer 6: the ``ba3l`` command for working with runs.

Only ``ba3l push SPOOL_FILE`` exists so far: it sends the events an observer could not
send while its server was down (see ``ba3l.observers`` on spooling). Listing, showing
and comparing runs come later.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ba3l`` command; returns the exit status."""
    parser = argparse.ArgumentParser(prog="ba3l", description="Work with ba3l runs.")
    commands = parser.add_subparsers(dest="command", required=True)
    push = commands.add_parser("push", help="send a spool file's events to the server they were meant for")
    push.add_argument("spool", help="the spool file (<run dir>/spool-<observer>.jsonl)")
    push.add_argument("--url", help="the server's URL, when the one stored in the spool had its password masked")
    arguments = parser.parse_args(argv)
    return _push(arguments.spool, arguments.url)


def _push(path: str, url: str | None) -> int:
    from ba3l.observers import push

    try:
        sent = push(path, **({"url": url} if url else {}))
    except FileNotFoundError:
        print(f"error: no spool file '{path}'", file=sys.stderr)
        return 2
    except Exception as error:  # the server is still down, or refuses: the spool keeps what is left
        print(f"error: could not send everything in '{path}': {' '.join(str(error).split())[:300]}", file=sys.stderr)
        return 1
    print(f"sent {sent} events from {path}")
    return 0

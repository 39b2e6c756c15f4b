"""Capturing what a run prints, for its ``cout.txt``, as a terminal would show it.

:class:`OutputCapture` puts tee streams in place of ``sys.stdout`` and ``sys.stderr``: the
user still sees everything live, and the text is also kept in memory, one buffer for both
streams, until :meth:`OutputCapture.take` hands it over. Progress bars redraw a line with
``\\r`` many times a second; the record keeps only what the terminal finally showed.

The terminal model of :func:`reduce_carriage_returns` (sacred's, extended):
- ``\\r`` moves the cursor to the start of the line; what is written next overwrites the
  line character by character, so ``"10%\\r50%\\r100%\\n"`` reads ``"100%\\n"``, and
  ``"\\r\\n"`` is a plain line end. ``\\b`` moves the cursor back one character.
- ``ESC[K`` / ``ESC[0K`` erase from the cursor to the end of the line, ``ESC[1K`` from the
  start to the cursor, ``ESC[2K`` the whole line (the cleared cells read as spaces up to
  the cursor). Colour sequences (``ESC[...m``) are kept, zero width, in front of the next
  character. Other control sequences, cursor movement among them, are dropped: bars that
  draw on several lines with ``ESC[A`` (cursor up) leave one line per redraw.
- Only what is written through ``sys.stdout``/``sys.stderr`` is seen: output written to
  the file descriptors directly (C extensions, child processes, ``sys.stdout.buffer``)
  reaches the terminal but not the record.

Everything is linear in the amount of text: a bar redrawn a million times costs a million
small steps, once.
"""

from __future__ import annotations

import re
import sys
import threading
from typing import Any, Self, TextIO

# A control sequence introducer, its parameters and its final byte (ECMA-48).
_CONTROL = re.compile(r"(\r|\x08|\x1b\[[0-?]*[ -/]*[@-~])")
# The start of a control sequence that the text cut off; kept until the rest arrives.
_PARTIAL_CONTROL = re.compile(r"\x1b(\[[0-?]*[ -/]*)?")
_FOLD_AT = 1 << 20  # characters held raw before they are reduced, to bound memory


class LineReducer:
    """A streaming form of :func:`reduce_carriage_returns`: :meth:`feed` returns the lines
    that its text completes, reduced; the unfinished line is kept as terminal state (its
    cells and the cursor), never as raw text, so that a line redrawn a million times
    before its end costs no more memory than its width."""

    def __init__(self) -> None:
        self._cells: list[str] = []  # one visible character each, colour sequences in front
        self._cursor = 0
        self._prefix = ""  # colour sequences waiting for the next character
        self._carry = ""  # a control sequence cut off at the end of the last feed

    def feed(self, text: str) -> str:
        """Take ``text``; return every line it completes, reduced, each ending in ``\\n``."""
        if self._carry:
            text, self._carry = self._carry + text, ""
        last_end = text.rfind("\n")
        if last_end < 0:
            self._apply_tail(text)
            return ""
        if not self._pending() and not _has_controls(text, 0, last_end):
            done = text[: last_end + 1]  # the common case: plain lines pass through as they are
        else:
            out = []
            start = 0
            while start <= last_end:
                end = text.index("\n", start)
                self._apply(text[start:end])
                out.append(self._take_line())
                out.append("\n")
                start = end + 1
            done = "".join(out)
        self._apply_tail(text[last_end + 1 :])
        return done

    def flush(self) -> str:
        """The unfinished line as it shows now (without a line end); the state is cleared."""
        self._write(self._carry)  # never completed: it was text after all
        self._carry = ""
        return self._take_line()

    def _apply_tail(self, tail: str) -> None:
        start = tail.rfind("\x1b", max(0, len(tail) - 32))
        if start >= 0 and _PARTIAL_CONTROL.fullmatch(tail, start):
            tail, self._carry = tail[:start], tail[start:]
        self._apply(tail)

    def _pending(self) -> bool:
        return bool(self._cells or self._prefix or self._cursor)

    def _take_line(self) -> str:
        line = "".join(self._cells) + self._prefix
        self._cells, self._cursor, self._prefix = [], 0, ""
        return line

    def _apply(self, piece: str) -> None:
        """Apply a piece of one line (no ``\\n`` in it) to the terminal state."""
        if not piece:
            return
        if "\x1b" not in piece and "\x08" not in piece:
            segments = piece.split("\r")
            self._write(segments[0])
            if len(segments) > 1:
                self._cursor = 0
                self._write(_overlay(segments[1:]))
                self._cursor = len(segments[-1])
            return
        tokens = _CONTROL.split(piece)  # text, control, text, ..., text
        write = self._write
        for index in range(1, len(tokens), 2):
            if tokens[index - 1]:
                write(tokens[index - 1])
            control = tokens[index]
            if control == "\r":
                self._cursor = 0
            elif control == "\x08":
                self._cursor = max(0, self._cursor - 1)
            elif control[-1] == "m":
                self._prefix += control
            elif control[-1] == "K":
                self._erase(control[2:-1])
            # anything else (cursor movement, screen erasure ...) is dropped
        write(tokens[-1])

    def _write(self, text: str) -> None:
        if not text:
            return
        end = self._cursor + len(text)
        if self._prefix:
            cells = list(text)
            cells[0] = self._prefix + cells[0]
            self._prefix = ""
            self._cells[self._cursor : end] = cells
        else:
            self._cells[self._cursor : end] = text
        self._cursor = end

    def _erase(self, mode: str) -> None:
        if mode in ("", "0"):
            del self._cells[self._cursor :]
        elif mode == "1":
            self._cells[: self._cursor + 1] = " " * min(self._cursor + 1, len(self._cells))
        elif mode == "2":
            self._cells = [" "] * self._cursor


def _overlay(segments: list[str]) -> str:
    """What writing each segment from the start of an empty line, in turn, leaves."""
    result = segments[-1]
    # A bar redraws at the same width or wider, so the last segment is usually all there is.
    if len(segments) == 1 or max(map(len, segments)) <= len(result):
        return result
    for segment in reversed(segments):
        if len(segment) > len(result):
            result += segment[len(result) :]
    return result


def _has_controls(text: str, start: int, end: int) -> bool:
    return any(text.find(mark, start, end) >= 0 for mark in ("\r", "\x1b", "\x08"))


def reduce_carriage_returns(text: str) -> str:
    """``text`` as a terminal finally shows it: within each line, text after ``\\r`` (and
    ``\\b``, ``ESC[K``, ``ESC[2K``) overwrites what was there, so a progress bar's redraws
    leave only its last state. ``"10%\\r50%\\r100%\\n"`` gives ``"100%\\n"``; ``"\\r\\n"``
    is a plain line end. See the module's docstring for the whole terminal model."""
    reducer = LineReducer()
    return reducer.feed(text) + reducer.flush()


class OutputCapture:
    """Tees ``sys.stdout`` and ``sys.stderr`` into one in-memory record between
    :meth:`start` and :meth:`stop`; :meth:`take` hands over what was printed since the last
    take, progress-bar redraws reduced. Safe to write from many threads. Also a context
    manager (``with OutputCapture() as capture: ...``)."""

    def __init__(self) -> None:
        self._raw: list[str] = []
        self._raw_size = 0
        self._ready: list[str] = []  # reduced text not yet taken
        self._reducer = LineReducer()
        self._raw_lock = threading.RLock()  # re-entrant: a signal handler may print mid-write
        self._reduce_lock = threading.Lock()  # taken before _raw_lock, never after
        self._saved: dict[str, Any] | None = None
        self._tees: dict[str, _Tee] = {}

    @property
    def active(self) -> bool:
        """Whether the capture is started."""
        return self._saved is not None

    def start(self) -> None:
        """Put tee streams in place of ``sys.stdout`` and ``sys.stderr``. Raises
        RuntimeError when already started; a stopped capture can start again."""
        if self._saved is not None:
            raise RuntimeError("output capture is already started")
        self._saved = {name: getattr(sys, name) for name in ("stdout", "stderr")}
        self._tees = {name: _Tee(stream, self) for name, stream in self._saved.items()}
        for name, tee in self._tees.items():
            setattr(sys, name, tee)

    def stop(self) -> None:
        """Put back the streams that were there at :meth:`start`; nothing happens when not
        started. A stream someone replaced after the start (a nested capture that is still
        running) is left in place, and this capture's tee in it only passes text through."""
        if self._saved is None:
            return
        for name, tee in self._tees.items():
            tee.detach()
            if getattr(sys, name) is tee:
                setattr(sys, name, self._saved[name])
        self._saved = None
        self._tees = {}

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def take(self, final: bool = False) -> str:
        """The text captured since the last take, progress bars reduced to their final
        state. An unfinished last line stays pending, as a later ``\\r`` may still redraw
        it, unless ``final`` (at the end of the run) hands it over too."""
        with self._reduce_lock:
            self._fold()
            if final:
                self._ready.append(self._reducer.flush())
            taken = "".join(self._ready)
            self._ready.clear()
            return taken

    def _record(self, text: str) -> None:
        with self._raw_lock:
            self._raw.append(text)
            self._raw_size += len(text)
            full = self._raw_size >= _FOLD_AT
        # Reduce early when much is held raw; skipped when a take or fold is under way.
        if full and self._reduce_lock.acquire(blocking=False):
            try:
                self._fold()
            finally:
                self._reduce_lock.release()

    def _fold(self) -> None:
        """Reduce the raw text into ready text; the caller holds ``_reduce_lock``."""
        with self._raw_lock:
            raw = "".join(self._raw)
            self._raw.clear()
            self._raw_size = 0
        if raw:
            self._ready.append(self._reducer.feed(raw))


class _Tee:
    """Writes to the stream it replaced and to a capture's record; everything else about
    the stream (``fileno``, ``isatty``, ``buffer``, ``encoding`` ...) is the original's."""

    def __init__(self, original: TextIO | None, capture: OutputCapture) -> None:
        self._original = original
        self._capture: OutputCapture | None = capture

    def detach(self) -> None:
        self._capture = None

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        capture = self._capture
        if capture is not None:
            capture._record(text)  # first, so the record is whole even when the terminal is gone
        if self._original is not None:
            self._original.write(text)
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if self._original is not None:
            self._original.flush()

    def isatty(self) -> bool:
        return self._original is not None and self._original.isatty()

    def fileno(self) -> int:
        if self._original is None:
            raise OSError("the replaced stream was None: no file descriptor")
        return self._original.fileno()

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    def seekable(self) -> bool:
        return False

    @property
    def encoding(self) -> str:
        return getattr(self._original, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str:
        return getattr(self._original, "errors", None) or "strict"

    @property
    def closed(self) -> bool:
        return bool(getattr(self._original, "closed", False))

    def __getattr__(self, name: str) -> Any:
        original = self.__dict__.get("_original")  # not self._original: no recursion before __init__
        if original is None:
            raise AttributeError(name)
        return getattr(original, name)

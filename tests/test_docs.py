"""The documentation's examples run and print what the documentation shows.

Conventions in README.md and docs/*.md (the test enforces them):

* A fenced block right after ``<!-- test: NAME -->`` is a file: it is written to
  ``NAME`` (``train.py``, ``defaults.yaml``) in the directory the commands run in.
* A ```` ```console ```` block is run: each ``$ COMMAND`` line is a command, the lines
  up to the next ``$`` are its expected output (stdout and stderr as a terminal shows
  them). ``...`` in the output matches anything (doctest's ELLIPSIS), e.g. the seed.
  ``python`` is the interpreter running the tests. A command whose output shows an
  ``error:`` line must exit with 2, one that shows a traceback with 1, others with 0.
  Each console block runs in a fresh directory holding the files defined above it.
* Every other ``python`` block must compile, and every ``<!-- test: NAME.py -->``
  script must be run by some console block (or be a module another script imports).
* ```` ```sh ```` blocks hold only ``make TARGET`` lines (the quick start); the test
  checks that the Makefile has those targets. Commands to try are never put elsewhere.
"""

from __future__ import annotations

import doctest
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", ROOT / "docs" / "config.md", ROOT / "docs" / "migrating.md", ROOT / "docs" / "runs.md",
        ROOT / "docs" / "training.md"]
TIMEOUT = 60

_FENCE = re.compile(r"^```(\w*)\s*$")
_MARKER = re.compile(r"^<!--\s*test:\s*(\S+)\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    """One fenced block of a document."""

    doc: str
    line: int  # of the opening fence, 1-based
    language: str
    text: str
    filename: str | None  # from a ``<!-- test: NAME -->`` marker right above


def blocks_of(path: Path) -> list[Block]:
    """The fenced blocks of a Markdown file, in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        fence = _FENCE.match(lines[index])
        if not fence:
            index += 1
            continue
        start = index
        index += 1
        body = []
        while index < len(lines) and lines[index].rstrip() != "```":
            body.append(lines[index])
            index += 1
        if index == len(lines):
            raise AssertionError(f"{path.name}:{start + 1}: the block is not closed")
        index += 1
        above = _MARKER.match(lines[start - 1]) if start > 0 else None
        text = "\n".join(body) + "\n"
        found.append(Block(path.name, start + 1, fence.group(1), text, above.group(1) if above else None))
    return found


ALL_BLOCKS = [block for path in DOCS for block in blocks_of(path)]
CONSOLE = [b for b in ALL_BLOCKS if b.language == "console"]


@dataclass(frozen=True)
class Command:
    line: str
    expected: str


def commands_of(block: Block) -> list[Command]:
    """The ``$ COMMAND`` lines of a console block with the output each expects."""
    commands: list[Command] = []
    current: str | None = None
    output: list[str] = []
    for line in block.text.splitlines():
        if line.startswith("$ "):
            if current is not None:
                commands.append(Command(current, _text(output)))
            current, output = line[2:], []
        elif current is None:
            raise AssertionError(f"{block.doc}:{block.line}: a console block starts with '$ COMMAND'")
        else:
            output.append(line)
    if current is not None:
        commands.append(Command(current, _text(output)))
    return commands


def _text(lines: list[str]) -> str:
    return "".join(line.rstrip() + "\n" for line in lines)


def expected_status(expected: str) -> int:
    if "Traceback (most recent call last):" in expected:
        return 1
    if any(line.startswith("error: ") for line in expected.splitlines()):
        return 2
    return 0


def run_shown(command: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run a command as the docs show it, stdout and stderr interleaved as on a terminal."""
    argv = shlex.split(command)
    if argv[0] == "python":
        argv[0] = sys.executable
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "COLUMNS")}
    env.update(PYTHONUNBUFFERED="1", PYTHONIOENCODING="utf-8")
    return subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=TIMEOUT, env=env)


def write_files_above(block: Block, directory: Path) -> None:
    for other in ALL_BLOCKS:
        if other.doc == block.doc and other.line < block.line and other.filename:
            target = directory / other.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(other.text, encoding="utf-8")


def _id(block: Block) -> str:
    return f"{block.doc}:{block.line}"


@pytest.mark.parametrize("block", CONSOLE, ids=_id)
def test_console_block_prints_what_it_shows(block: Block, tmp_path: Path) -> None:
    write_files_above(block, tmp_path)
    commands = commands_of(block)
    assert commands, f"{_id(block)}: a console block with no command"
    checker = doctest.OutputChecker()
    for command in commands:
        done = run_shown(command.line, tmp_path)
        got = _text(done.stdout.splitlines())
        if not checker.check_output(command.expected, got, doctest.ELLIPSIS):
            pytest.fail(
                f"{_id(block)}: $ {command.line}\n--- shown ---\n{command.expected}--- printed ---\n{got}"
            )
        assert done.returncode == expected_status(command.expected), (
            f"{_id(block)}: $ {command.line} exited with {done.returncode}\n{got}"
        )


@pytest.mark.parametrize(
    "block", [b for b in ALL_BLOCKS if b.language == "python" and not b.filename], ids=_id
)
def test_python_fragment_compiles(block: Block) -> None:
    compile(block.text, _id(block), "exec")


def test_every_script_is_run_by_a_console_block() -> None:
    for block in ALL_BLOCKS:
        if not (block.filename or "").endswith(".py"):
            continue
        used = any(
            block.filename in shlex.split(command.line)
            for console in CONSOLE
            if console.doc == block.doc and console.line > block.line
            for command in commands_of(console)
        )
        stem = block.filename.removesuffix(".py")
        imported = any(  # a module the scripts import, or name by import string
            re.search(rf"\b(import {stem}\b|from {stem} import|{stem}\.)", other.text)
            for other in ALL_BLOCKS
            if other.doc == block.doc and other is not block and (other.filename or "").endswith(".py")
        )
        assert used or imported, f"{_id(block)}: no console block below runs {block.filename}"


def test_marked_blocks_are_files_and_commands_are_tested() -> None:
    shown_languages = {"python", "console", "sh", "json", "yaml", "toml", "text", ""}
    for block in ALL_BLOCKS:
        assert block.language in shown_languages, f"{_id(block)}: unexpected block language"
        if block.filename:
            assert block.language not in ("console", "sh", "text", ""), f"{_id(block)}: a file needs a format"


def test_quick_start_names_make_targets_that_exist() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([\w-]+):", makefile, flags=re.M))
    shown = [b for b in ALL_BLOCKS if b.language == "sh"]
    assert shown, "the README shows the quick start"
    for block in shown:
        for line in block.text.splitlines():
            assert line.startswith("make "), f"{_id(block)}: only 'make TARGET' lines go in sh blocks: {line}"
            assert line.split()[1] in targets, f"{_id(block)}: no Makefile target for '{line}'"


def test_docs_link_to_files_that_exist() -> None:
    for path in DOCS:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", path.read_text(encoding="utf-8")):
            assert (path.parent / target).exists(), f"{path.name} links to a missing file: {target}"


def test_the_value_table_matches_the_update_grammar() -> None:
    from ba3l.config import parse_value

    text = (ROOT / "docs" / "config.md").read_text(encoding="utf-8")
    table = text[text.index("| Text after `=`"):].split("\n\n")[0].splitlines()[2:]
    assert table, "config.md has the table of values"
    for row in table:
        written, value = row.strip("|").split("|")
        texts, values = re.findall(r"`([^`]+)`", written), re.findall(r"`([^`]+)`", value)
        for text_after, shown in zip(texts, values):
            assert repr(parse_value(text_after)) == shown, row

"""Reading a function's source: its text, and the comments on its lines.

Config scopes need a function's body as code and its comments as docs. The lines
come straight from the file, cut by the code object's own positions, and comments
are found with ``ast``. ``inspect.getsource`` and ``tokenize`` would do the same,
but their first use compiles large regular expressions: some 15 ms that every
``print_config`` and ``--help`` would pay. ``inspect`` remains the fallback.
"""

from __future__ import annotations

import ast
import inspect
import linecache
import types
from collections.abc import Callable
from typing import NamedTuple

Comments = dict[int, tuple[str, bool]]
"""``{line: (text, whole_line)}``: a comment's text, and whether it is alone on its line."""


class FunctionSource(NamedTuple):
    """A function's source, dedented, and where it starts in its file.

    Attributes:
        tree: the parsed source; ``tree.body[0]`` is the function's definition. Its
            line numbers are the file's (the text is parsed after ``first_line - 1``
            empty lines), so code compiled from it reports the right lines.
        first_line: the file's line number of the source's first line.
    """

    text: str
    tree: ast.Module
    filename: str
    first_line: int


def function_source(function: Callable) -> FunctionSource:
    """The source of ``function`` (decorators included).

    Raises:
        OSError: the source cannot be found (a function typed into a REPL).
    """
    code = function.__code__
    lines = linecache.getlines(code.co_filename, function.__globals__)
    first, last = code.co_firstlineno, _last_line(code)
    if lines and last >= first:
        text = _dedent(lines[first - 1 : last])
        try:
            tree = _parse(text, first)
        except SyntaxError:
            pass  # the cut missed part of the definition; let inspect find the block
        else:
            if tree.body and isinstance(tree.body[0], (ast.FunctionDef, ast.AsyncFunctionDef)):
                return FunctionSource(text, tree, code.co_filename, first)
    found, first = inspect.getsourcelines(function)
    text = _dedent(found)
    return FunctionSource(text, _parse(text, first), code.co_filename, first)


def _parse(text: str, first_line: int) -> ast.Module:
    return ast.parse("\n" * (first_line - 1) + text)


def comments(source: FunctionSource) -> Comments:
    """The comments in ``source`` by the file's line number."""
    strings = [
        (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)
        for node in ast.walk(source.tree)
        if isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)))
    ]
    out: Comments = {}
    for number, line in enumerate(source.text.splitlines(), start=source.first_line):
        at = line.find("#")
        while at != -1:
            if not _inside_string(strings, number, len(line[:at].encode())):
                out[number] = (line[at + 1 :].strip(), not line[:at].strip())
                break
            at = line.find("#", at + 1)
    return out


def _inside_string(strings: list[tuple], line: int, column: int) -> bool:
    """Whether (line, byte column) lies inside one of the string literals' spans."""
    for start_line, start_col, end_line, end_col in strings:
        if (start_line, start_col) <= (line, column) < (end_line, end_col):
            return True
    return False


def _last_line(code: types.CodeType) -> int:
    """The last source line any instruction of ``code`` (or of code nested in it) covers."""
    ends = [end for _, end, _, _ in code.co_positions() if end is not None]
    ends += [_last_line(const) for const in code.co_consts if isinstance(const, types.CodeType)]
    return max(ends, default=0)


def _dedent(lines: list[str]) -> str:
    """Remove the first line's indentation from every line that has it."""
    first = lines[0]
    indent = first[: len(first) - len(first.lstrip())]
    return "".join(line[len(indent) :] if line.startswith(indent) else line for line in lines)

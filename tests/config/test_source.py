"""Reading a function's source without tokenize: the cut, and comments beside strings."""

from ba3l.config import ConfigScope
from ba3l.config._source import comments, function_source


def scope_with_tricky_strings():
    label = "a # inside a string"  # the real doc
    accent = "é#è"  # after non-ASCII text
    text = """
    # a line inside a multi-line string
    """
    fstring = f"{label}#{accent}"  # after an f-string
    table = {
        "a": 1,
        "b": [
            2,
            3,
        ],
    }


def test_hashes_inside_strings_are_not_comments():
    docs = ConfigScope(scope_with_tricky_strings).docs
    assert docs == {
        ("label",): "the real doc",
        ("accent",): "after non-ASCII text",
        ("fstring",): "after an f-string",
    }


def test_the_cut_ends_at_the_last_line_of_the_body():
    source = function_source(scope_with_tricky_strings)
    assert source.text.startswith("def scope_with_tricky_strings():")
    assert source.text.rstrip().endswith("}")
    values = ConfigScope(scope_with_tricky_strings).evaluate().values
    assert values["table"] == {"a": 1, "b": [2, 3]}
    assert values["text"].strip() == "# a line inside a multi-line string"


def test_comment_lines_are_told_from_inline_comments():
    source = function_source(scope_with_tricky_strings)
    found = comments(source)  # by the file's line numbers
    assert found[source.first_line + 1] == ("the real doc", False)
    assert all(not whole for _, whole in found.values())


def decorated(function):
    return function


@decorated
def scope_under_a_decorator():
    # above the entry
    depth = 3


def test_decorators_are_part_of_the_source_and_docs_still_found():
    source = function_source(scope_under_a_decorator)
    assert source.text.startswith("@decorated")
    assert ConfigScope(scope_under_a_decorator).docs == {("depth",): "above the entry"}

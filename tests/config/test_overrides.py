"""Tests for the command-line update grammar (ba3l.config._overrides)."""

from __future__ import annotations

import keyword

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ba3l.config._errors import ConfigError, UsageError
from ba3l.config._overrides import Assignment, is_assignment, parse_assignment, parse_value

JSON_DATA = "config values are JSON data (numbers, strings, booleans, None, lists, dicts with string keys)"


def usage_error(func, text: str) -> str:
    with pytest.raises(UsageError) as info:
        func(text)
    return str(info.value)


# -- is_assignment ---------------------------------------------------------------------


@pytest.mark.parametrize("token", ["a=1", "+a.b=2", "a=", "=", "a==b"])
def test_is_assignment_true(token):
    assert is_assignment(token)


@pytest.mark.parametrize("token", ["a", "conf.yaml", "print_config", ""])
def test_is_assignment_false(token):
    assert not is_assignment(token)


# -- parse_assignment ------------------------------------------------------------------


def test_simple_assignment():
    assert parse_assignment("a.b=3") == Assignment(path=("a", "b"), value=3, add=False, text="a.b=3")


def test_add_assignment():
    assert parse_assignment("+a.b=1") == Assignment(path=("a", "b"), value=1, add=True, text="+a.b=1")


def test_assignment_splits_at_first_equals():
    result = parse_assignment("a=b=c")
    assert result.path == ("a",)
    assert result.value == "b=c"


def test_assignment_with_literal_value():
    result = parse_assignment("optim.betas=(0.9, 0.99)")
    assert result.value == [0.9, 0.99]


def test_assignment_with_quoted_empty_string():
    assert parse_assignment('a.b=""').value == ""


def test_assignment_keeps_token_text():
    assert parse_assignment("+x_1.Y2=adam").text == "+x_1.Y2=adam"


def test_assignment_is_frozen():
    result = parse_assignment("a=1")
    with pytest.raises(AttributeError):
        result.value = 2  # type: ignore[misc]


def test_no_value():
    assert usage_error(parse_assignment, "a.b=") == (
        """update 'a.b=' has no value; write a.b=VALUE (for an empty string write 'a.b=""' with the quotes)"""
    )


def test_no_value_with_add():
    assert usage_error(parse_assignment, "+a.b=") == (
        """update '+a.b=' has no value; write +a.b=VALUE (for an empty string write '+a.b=""' with the quotes)"""
    )


@pytest.mark.parametrize("token", ["=3", "+=1", "=", "+="])
def test_no_key(token):
    assert usage_error(parse_assignment, token) == f"update '{token}' has no key; write KEY=VALUE"


def test_no_equals():
    assert usage_error(parse_assignment, "a.b") == "update 'a.b' has no '='; write KEY=VALUE"


@pytest.mark.parametrize(("token", "key"), [("a..b=1", "a..b"), (".a=1", ".a"), ("a.=1", "a."), ("+a..b=1", "a..b")])
def test_empty_segment(token, key):
    assert usage_error(parse_assignment, token) == f"update '{token}': empty segment in key '{key}'"


@pytest.mark.parametrize(
    ("token", "segment"),
    [("1a=2", "1a"), ("a-b=1", "a-b"), ("a.b c=1", "b c"), ("++a=1", "+a"), (" a=1", " a")],
)
def test_invalid_segment(token, segment):
    assert usage_error(parse_assignment, token) == (
        f"update '{token}': '{segment}' is not a valid key segment "
        "(letters, digits and _ , not starting with a digit)"
    )


def test_key_checked_before_value():
    assert usage_error(parse_assignment, "a..b=") == "update 'a..b=': empty segment in key 'a..b'"


def test_assignment_with_non_json_value():
    assert usage_error(parse_assignment, "a={1, 2}") == (
        f"config entry 'a' is a set ({{1, 2}}); {JSON_DATA}; quote it to pass a string"
    )


def test_usage_error_is_config_error():
    with pytest.raises(ConfigError):
        parse_assignment("=1")


# -- parse_value -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3", 3),
        ("-3", -3),
        ("+3", 3),
        ("1_000", 1000),
        ("0x10", 16),
        ("1.5", 1.5),
        ("1e-3", 0.001),
        ("-2.5E+3", -2500.0),
        ("'x'", "x"),
        ('"x y"', "x y"),
        ('""', ""),
        ("'1'", "1"),
        ("[1, 'a', None]", [1, "a", None]),
        ("(1, 2)", [1, 2]),
        ("(1,)", [1]),
        ("()", []),
        ("[(1, 2), {'a': (3,)}]", [[1, 2], {"a": [3]}]),
        ("{'a': 1, 'b': [True, False]}", {"a": 1, "b": [True, False]}),
        ("{}", {}),
        ("None", None),
        ("True", True),
        ("False", False),
    ],
)
def test_literals(text, expected):
    value = parse_value(text)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    "text",
    [
        "adam",
        "a b",
        "1.2.3",
        "foo(1)",
        "__import__('os')",
        "true",
        "null",
        "relu6",
        "x=1",
        "[1, 2",
        "1+2",
        "a.b",
        "...",
        " ",
        "nan",
        "'unterminated",
        "/tmp/file.txt",
    ],
)
def test_non_literals_are_plain_strings(text):
    assert parse_value(text) == text


def test_code_is_not_run():
    text = "__import__('os').system('x')"
    assert parse_value(text) == text


def test_too_long_or_deep_is_plain_string():
    deep = "[" * 1000 + "]" * 1000
    assert parse_value(deep) == deep
    many_digits = "9" * 10_000
    assert parse_value(many_digits) == many_digits


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{1, 2}", f"the value is a set ({{1, 2}}); {JSON_DATA}"),
        ("1j", f"the value is a complex number (1j); {JSON_DATA}"),
        ("1+2j", f"the value is a complex number ((1+2j)); {JSON_DATA}"),
        ("b'x'", f"the value is bytes (b'x'); {JSON_DATA}"),
        ("{1: 'a'}", "the top level has the key 1; keys must be strings"),
        ("{(1, 2): 'a'}", "the top level has the key (1, 2); keys must be strings"),
        ("[1, {2}]", f"config entry '[1]' is a set ({{2}}); {JSON_DATA}"),
        ("{'a': {'b': {None: 1}}}", "config entry 'a.b' has the key None; keys must be strings"),
        ("[1, ...]", f"config entry '[1]' is an Ellipsis (Ellipsis); {JSON_DATA}"),
    ],
)
def test_non_json_literals(text, message):
    assert usage_error(parse_value, text) == f"{message}; quote it to pass a string"


def test_non_json_literal_named_by_its_key():
    assert usage_error(parse_assignment, "opt.betas=[0.9, {1}]") == (
        f"config entry 'opt.betas[1]' is a set ({{1}}); {JSON_DATA}; quote it to pass a string"
    )


# -- property: repr round trip ---------------------------------------------------------

identifiers = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True).filter(
    lambda s: not keyword.iskeyword(s)
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(identifiers, children, max_size=5),
    max_leaves=20,
)


@given(json_values)
def test_repr_round_trip(value):
    assert parse_value(repr(value)) == value


@given(st.lists(scalars, max_size=5))
def test_tuple_repr_becomes_list(items):
    assert parse_value(repr(tuple(items))) == items


@given(identifiers.filter(lambda s: s not in {"None", "True", "False"}))
def test_bare_words_are_strings(word):
    assert parse_value(word) == word


def test_a_key_may_be_any_identifier_as_in_a_scope():
    assert parse_assignment("model.größe=4").path == ("model", "größe")

"""Tests for reading and writing config files (ba3l.config._files)."""

from __future__ import annotations

import json
import os
import stat

import pytest

from ba3l.config import _files
from ba3l.config._errors import ConfigError, ConfigFileError
from ba3l.config._files import (
    CONFIG_SUFFIXES,
    load_config_file,
    looks_like_config_file,
    save_config_file,
    write_text_atomic,
)

JSON_DATA = "config values are JSON data (numbers, strings, booleans, None, lists, dicts with string keys)"


@pytest.fixture
def cwd(tmp_path, monkeypatch):
    """Run in tmp_path so error messages show short relative names."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path) -> str:
    with pytest.raises(ConfigFileError) as info:
        load_config_file(path)
    return str(info.value)


# -- looks_like_config_file ------------------------------------------------------------


@pytest.mark.parametrize("text", ["conf.json", "a/b.yaml", "x.yml", "c.toml", "C.YAML", "d.Json", "e.TOML"])
def test_looks_like_config_file_true(text):
    assert looks_like_config_file(text)


@pytest.mark.parametrize("text", ["conf", "a.b=1", "x.ini", "yaml", "x.json.bak", "lr=conf.json2", ""])
def test_looks_like_config_file_false(text):
    assert not looks_like_config_file(text)


def test_config_suffixes():
    assert CONFIG_SUFFIXES == (".json", ".yaml", ".yml", ".toml")


# -- loading good files ----------------------------------------------------------------


def test_load_json(cwd):
    write(cwd / "conf.json", '{"a": {"b": [1, 2.5, "x", null, true]}}')
    assert load_config_file("conf.json") == {"a": {"b": [1, 2.5, "x", None, True]}}


@pytest.mark.parametrize("name", ["conf.yaml", "conf.yml", "CONF.YAML"])
def test_load_yaml(cwd, name):
    write(cwd / name, "a:\n  b: [1, 2.5, x, null, true]\nc: hello\n")
    assert load_config_file(name) == {"a": {"b": [1, 2.5, "x", None, True]}, "c": "hello"}


def test_load_toml(cwd):
    write(cwd / "conf.toml", 'c = "hello"\n[a]\nb = [1, 2]\nd = 1.5\n')
    assert load_config_file("conf.toml") == {"c": "hello", "a": {"b": [1, 2], "d": 1.5}}


def test_load_accepts_pathlike(tmp_path):
    path = write(tmp_path / "conf.json", '{"a": 1}')
    assert load_config_file(path) == {"a": 1}


def test_load_keeps_key_order(cwd):
    write(cwd / "conf.yaml", "z: 1\na: 2\nm: 3\n")
    assert list(load_config_file("conf.yaml")) == ["z", "a", "m"]


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n"])
def test_empty_yaml_is_empty_mapping(cwd, text):
    write(cwd / "empty.yaml", text)
    assert load_config_file("empty.yaml") == {}


def test_empty_toml_is_empty_mapping(cwd):
    write(cwd / "empty.toml", "")
    assert load_config_file("empty.toml") == {}


def test_utf8_bom_is_accepted(cwd):
    (cwd / "bom.json").write_bytes(b'\xef\xbb\xbf{"a": "\xc3\xa9"}')
    assert load_config_file("bom.json") == {"a": "é"}


def test_yaml_aliases_are_unshared(cwd):
    write(cwd / "alias.yaml", "base: &b {lr: 1}\nother: *b\n")
    tree = load_config_file("alias.yaml")
    assert tree == {"base": {"lr": 1}, "other": {"lr": 1}}
    tree["base"]["lr"] = 2
    assert tree["other"]["lr"] == 1


# -- loading bad files -----------------------------------------------------------------


def test_missing_file(cwd):
    assert error_of("conf.yaml") == "config file 'conf.yaml' not found"


def test_missing_file_keeps_path_as_given(cwd):
    assert error_of("sub/../conf.json") == "config file 'sub/../conf.json' not found"


def test_unknown_suffix(cwd):
    write(cwd / "x.ini", "[a]\nb = 1\n")
    assert error_of("x.ini") == "config file 'x.ini' has an unknown format; use .json, .yaml, .yml or .toml"


def test_directory(cwd):
    (cwd / "dir.json").mkdir()
    assert error_of("dir.json") == "config file 'dir.json' is a directory, not a file"


def test_broken_json(cwd):
    write(cwd / "conf.json", '{\n  "a": 1,\n}\n')
    assert error_of("conf.json") == "config file 'conf.json' line 3: Expecting property name enclosed in double quotes"


def test_empty_json_is_broken(cwd):
    write(cwd / "conf.json", "")
    assert error_of("conf.json") == "config file 'conf.json' line 1: Expecting value"


def test_broken_yaml(cwd):
    write(cwd / "conf.yaml", "a: 1\nb: [1\nc: 2\n")
    assert error_of("conf.yaml") == "config file 'conf.yaml' line 3: expected ',' or ']', but got ':'"


def test_broken_yaml_indentation(cwd):
    write(cwd / "conf.yaml", "a:\n  b: 1\n c: 2\n")
    assert error_of("conf.yaml") == "config file 'conf.yaml' line 3: expected <block end>, but found '<block mapping start>'"


def test_yaml_control_character(cwd):
    write(cwd / "conf.yaml", "a: 1\n\x01\n")
    assert error_of("conf.yaml") == "config file 'conf.yaml' line 2: special characters are not allowed"


def test_broken_toml(cwd):
    write(cwd / "conf.toml", "a = 1\nb = 2\nc = \n")
    assert error_of("conf.toml") == "config file 'conf.toml' line 3: Invalid value"


def test_broken_toml_duplicate_key(cwd):
    write(cwd / "conf.toml", "a = 1\n\na = 2\n")
    assert error_of("conf.toml") == "config file 'conf.toml' line 3: Cannot overwrite a value"


def test_not_utf8(cwd):
    (cwd / "conf.toml").write_bytes(b"a = 1\n\xff = 2\n")
    assert error_of("conf.toml") == "config file 'conf.toml' line 2: not UTF-8 text"


@pytest.mark.parametrize(
    ("name", "text", "kind"),
    [
        ("x.yaml", "- 1\n- 2\n", "a list"),
        ("x.yaml", "hello\n", "a string"),
        ("x.yml", "3\n", "a number"),
        ("x.json", "[1]", "a list"),
        ("x.json", "null", "None"),
        ("x.json", "true", "a boolean"),
    ],
)
def test_top_level_must_be_mapping(cwd, name, text, kind):
    write(cwd / name, text)
    assert error_of(name) == f"config file '{name}' must hold a mapping at the top level, not {kind}"


def test_non_string_key(cwd):
    write(cwd / "x.yaml", "a:\n  b:\n    1: x\n")
    assert error_of("x.yaml") == "config file 'x.yaml': config entry 'a.b' has the key 1; keys must be strings"


def test_non_string_key_at_top_level(cwd):
    write(cwd / "x.yaml", "a: 1\n2.5: x\n")
    assert error_of("x.yaml") == "config file 'x.yaml': the top level has the key 2.5; keys must be strings"


def test_yaml_boolean_key(cwd):
    write(cwd / "x.yaml", "a:\n  on: 1\n")
    assert error_of("x.yaml") == "config file 'x.yaml': config entry 'a' has the key True; keys must be strings"


def test_non_string_key_inside_list(cwd):
    write(cwd / "x.yaml", "a:\n  - {b: 1}\n  - {1: x}\n")
    assert error_of("x.yaml") == "config file 'x.yaml': config entry 'a[1]' has the key 1; keys must be strings"


def test_yaml_date_value(cwd):
    write(cwd / "x.yaml", "run:\n  day: 2024-01-01\n")
    assert error_of("x.yaml") == f"config file 'x.yaml': config entry 'run.day' is a date (datetime.date(2024, 1, 1)); {JSON_DATA}"


def test_toml_datetime_value(cwd):
    write(cwd / "x.toml", "[a]\nb = [1, 1979-05-27T07:32:00]\n")
    assert error_of("x.toml") == f"config file 'x.toml': config entry 'a.b[1]' is a date and time (datetime.datetime(1979, 5, 27, 7, 32)); {JSON_DATA}"


def test_yaml_self_reference(cwd):
    write(cwd / "x.yaml", "a: &x [1, *x]\n")
    assert error_of("x.yaml") == "config file 'x.yaml': config entry 'a[1]' contains itself"


def test_yaml_alias_bomb(cwd):
    lines = ["a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for i in range(1, 7):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    write(cwd / "x.yaml", "\n".join(lines) + "\n")
    assert error_of("x.yaml") == "config file 'x.yaml': the config holds more than 1000000 values"


def test_yaml_uses_safe_loader(cwd):
    marker = cwd / "ran"
    write(cwd / "evil.yaml", f"a: !!python/object/apply:os.system ['touch {marker}']\n")
    assert error_of("evil.yaml") == (
        "config file 'evil.yaml' line 1: could not determine a constructor for the tag "
        "'tag:yaml.org,2002:python/object/apply:os.system'"
    )
    assert not marker.exists()


def test_config_file_error_is_config_error(cwd):
    with pytest.raises(ConfigError) as info:
        load_config_file("nope.json")
    assert info.value.exit_code == 2


# -- saving ----------------------------------------------------------------------------


TREE = {
    "model": {"hidden": 128, "act": "relu", "dropout": 0.1, "layers": [1, 2, 3]},
    "optim": {"lr": 0.001, "betas": [0.9, 0.99], "name": None, "amsgrad": False},
    "text": "héllo wörld",
    "tricky": ["1e-3", "True", "null", "", "yes", "- a", "a: b", "0x10"],
    "empty": {},
    "nested": [{"a": [1, {"b": None}]}],
}


@pytest.mark.parametrize("name", ["out.json", "out.yaml", "out.yml", "OUT.JSON"])
def test_save_load_round_trip(tmp_path, name):
    path = tmp_path / name
    save_config_file(TREE, path)
    loaded = load_config_file(path)
    assert loaded == TREE
    assert list(loaded) == list(TREE)


def test_save_json_format(tmp_path):
    path = tmp_path / "out.json"
    save_config_file({"b": 1, "a": {"é": [1, 2]}}, path)
    assert path.read_text(encoding="utf-8") == '{\n  "b": 1,\n  "a": {\n    "é": [\n      1,\n      2\n    ]\n  }\n}\n'


def test_save_yaml_format(tmp_path):
    path = tmp_path / "out.yaml"
    save_config_file({"b": 1, "a": {"é": [1, 2]}}, path)
    assert path.read_text(encoding="utf-8") == "b: 1\na:\n  é:\n  - 1\n  - 2\n"


def test_save_writes_tuples_as_lists(tmp_path):
    path = tmp_path / "out.yaml"
    save_config_file({"a": (1, 2)}, path)
    assert load_config_file(path) == {"a": [1, 2]}


def test_save_creates_parent_dirs(tmp_path):
    path = tmp_path / "a" / "b" / "out.json"
    save_config_file({"x": 1}, path)
    assert json.loads(path.read_text()) == {"x": 1}


@pytest.mark.parametrize("name", ["x.toml", "x.ini", "x"])
def test_save_refuses_other_formats(cwd, name):
    with pytest.raises(ConfigFileError) as info:
        save_config_file({"a": 1}, name)
    assert str(info.value) == f"cannot save config as '{name}'; use .json or .yaml"
    assert not (cwd / name).exists()


def test_save_refuses_non_json_values(cwd):
    with pytest.raises(ConfigFileError) as info:
        save_config_file({"a": {"b": {1, 2}}}, "x.json")
    assert str(info.value) == f"cannot save config as 'x.json': config entry 'a.b' is a set ({{1, 2}}); {JSON_DATA}"
    assert not (cwd / "x.json").exists()


def test_save_refuses_non_string_keys(cwd):
    with pytest.raises(ConfigFileError) as info:
        save_config_file({"a": {3: "x"}}, "x.yaml")
    assert str(info.value) == "cannot save config as 'x.yaml': config entry 'a' has the key 3; keys must be strings"


def test_save_reports_unwritable_target(cwd):
    (cwd / "x.json").mkdir()
    with pytest.raises(ConfigFileError) as info:
        save_config_file({"a": 1}, "x.json")
    assert str(info.value) == "cannot write config file 'x.json': Is a directory"
    assert os.listdir(cwd) == ["x.json"]


# -- write_text_atomic -----------------------------------------------------------------


def test_write_text_atomic_writes_and_replaces(tmp_path):
    path = tmp_path / "f.txt"
    write_text_atomic(path, "one\n")
    write_text_atomic(path, "twö\r\n")
    assert path.read_bytes() == "twö\r\n".encode()
    assert os.listdir(tmp_path) == ["f.txt"]


def test_write_text_atomic_accepts_str_path_in_cwd(cwd):
    write_text_atomic("f.txt", "x")
    assert (cwd / "f.txt").read_text() == "x"
    assert os.listdir(cwd) == ["f.txt"]


def test_write_text_atomic_creates_parents(tmp_path):
    path = tmp_path / "a" / "b" / "f.txt"
    write_text_atomic(path, "x")
    assert path.read_text() == "x"


def test_write_text_atomic_keeps_old_file_when_replace_fails(tmp_path, monkeypatch):
    path = tmp_path / "f.json"
    path.write_text("original")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_files.os, "replace", broken_replace)
    with pytest.raises(OSError):
        write_text_atomic(path, "new content")
    assert path.read_text() == "original"
    assert os.listdir(tmp_path) == ["f.json"]


def test_write_text_atomic_cleans_up_when_write_fails(tmp_path):
    path = tmp_path / "f.txt"
    path.write_text("original")
    with pytest.raises(UnicodeEncodeError):
        write_text_atomic(path, "bad \udc80 surrogate")
    assert path.read_text() == "original"
    assert os.listdir(tmp_path) == ["f.txt"]


def test_save_config_file_keeps_old_file_when_replace_fails(cwd, monkeypatch):
    (cwd / "x.yaml").write_text("a: 1\n")
    monkeypatch.setattr(_files.os, "replace", lambda src, dst: (_ for _ in ()).throw(OSError(5, "I/O error")))
    with pytest.raises(ConfigFileError) as info:
        save_config_file({"a": 2}, "x.yaml")
    assert str(info.value) == "cannot write config file 'x.yaml': I/O error"
    assert load_config_file("x.yaml") == {"a": 1}
    assert os.listdir(cwd) == ["x.yaml"]


def test_write_text_atomic_keeps_permissions(tmp_path):
    path = tmp_path / "f.txt"
    path.write_text("x")
    path.chmod(0o640)
    write_text_atomic(path, "y")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_write_text_atomic_new_file_uses_umask(tmp_path):
    old = os.umask(0o022)
    try:
        write_text_atomic(tmp_path / "f.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "f.txt").stat().st_mode) == 0o644

"""ConfigScope on its own: a function body whose locals become config entries."""

import inspect
import os

import pytest

from ba3l.config import ConfigError, ConfigScope, display_path

MODULE_CONSTANT = 7


class Thing:
    def __repr__(self) -> str:
        return "Thing()"


def where(function, text: str) -> str:
    """``file:line`` of the first line of ``function`` that contains ``text``."""
    lines, first = inspect.getsourcelines(function)
    index = next(i for i, line in enumerate(lines) if text in line)
    return f"{display_path(inspect.getsourcefile(function))}:{first + index}"


def test_locals_become_entries():
    def cfg():
        lr = 0.1
        name = "adam"
        layers = [1, 2]
        opt = {"momentum": 0.9}
        nothing = None

    result = ConfigScope(cfg).evaluate()
    assert result.values == {"lr": 0.1, "name": "adam", "layers": [1, 2], "opt": {"momentum": 0.9}, "nothing": None}


def test_modules_functions_classes_and_private_names_are_not_entries():
    def cfg():
        import json
        import os.path as osp

        def helper(x):
            return x + 1

        class Local:
            pass

        _hidden = 3
        kind = dict
        length = len
        visible = helper(_hidden)

    assert ConfigScope(cfg).evaluate().values == {"visible": 4}


def test_a_comment_on_the_line_or_the_block_right_above_is_the_doc():
    def cfg():
        lr = 0.1  # learning rate
        # hidden units
        # per layer
        hidden = 128
        # a comment separated by a blank line is no doc

        depth = 2
        width = 3  # inline wins
        plain = 1
        # a doc above a nested assignment
        if True:
            # inside a block
            nested = 4

    docs = ConfigScope(cfg).docs
    assert docs == {
        ("lr",): "learning rate",
        ("hidden",): "hidden units per layer",
        ("width",): "inline wins",
        ("nested",): "inside a block",
    }


def test_a_comment_of_the_previous_line_is_not_the_doc_of_the_next():
    def cfg():
        a = 1  # about a
        b = 2

    assert ConfigScope(cfg).docs == {("a",): "about a"}


def test_the_docstring_is_the_scope_doc_and_not_an_entry():
    def cfg():
        """A wider network.

        Second paragraph.
        """
        hidden = 512

    scope = ConfigScope(cfg)
    assert scope.doc == "A wider network.\n\nSecond paragraph."
    assert scope.evaluate().values == {"hidden": 512}
    assert scope.name == "cfg"


def test_a_scope_without_docstring_has_no_doc():
    def cfg():
        hidden = 512

    assert ConfigScope(cfg).doc is None


def test_derived_entries_follow_fixed_values():
    def cfg():
        hidden = 128
        width = 2 * hidden

    scope = ConfigScope(cfg)
    result = scope.evaluate(fixed={"hidden": 64})
    assert result.values == {"hidden": 64, "width": 128}
    assert result.shadowed == {("hidden",): 128}
    # evaluating again without fixed values starts afresh
    assert scope.evaluate().values == {"hidden": 128, "width": 256}


def test_derived_entries_follow_fixed_values_inside_comprehensions():
    def cfg():
        hidden = 128
        sizes = [hidden * i for i in range(3)]
        by_name = {f"layer{i}": hidden + i for i in range(2)}
        total = sum(h for h in sizes)

    values = ConfigScope(cfg).evaluate(fixed={"hidden": 64}).values
    assert values == {
        "hidden": 64,
        "sizes": [0, 64, 128],
        "by_name": {"layer0": 64, "layer1": 65},
        "total": 192,
    }


def test_a_fixed_entry_the_body_never_assigns_is_not_an_entry_of_the_scope():
    def cfg():
        width = 2 * hidden  # noqa: F821 - comes from the fixed values

    result = ConfigScope(cfg).evaluate(fixed={"hidden": 10})
    assert result.values == {"width": 20}
    assert set(result.lines) == {("width",)}


def test_preset_values_are_readable_and_replaced_by_assignments():
    def cfg():
        double = base * 2  # noqa: F821 - a lower layer's value
        base = 3

    result = ConfigScope(cfg).evaluate(preset={"base": 10})
    assert result.values == {"double": 20, "base": 3}


def test_fixed_values_win_over_preset_values():
    def cfg():
        double = base * 2  # noqa: F821

    assert ConfigScope(cfg).evaluate(preset={"base": 10}, fixed={"base": 1}).values == {"double": 2}


def test_fixed_dict_values_merge_into_an_assigned_dict():
    def cfg():
        opt = {"lr": 0.1, "momentum": 0.9}
        lr_times_ten = opt["lr"] * 10

    result = ConfigScope(cfg).evaluate(fixed={"opt": {"lr": 1.0, "nesterov": True}})
    assert result.values == {"opt": {"lr": 1.0, "momentum": 0.9, "nesterov": True}, "lr_times_ten": 10.0}
    assert result.shadowed == {("opt", "lr"): 0.1}
    # the scope declares only the keys it wrote itself
    assert set(result.lines) == {("opt", "lr"), ("opt", "momentum"), ("lr_times_ten",)}


def test_the_check_decides_the_value_a_fixed_entry_takes():
    def cfg():
        hidden = 128
        width = 2 * hidden

    calls = []

    def check(path, own, fixed):
        calls.append((path, own, fixed))
        return fixed + 1

    result = ConfigScope(cfg).evaluate(fixed={"hidden": 10}, check=check)
    assert calls == [(("hidden",), 128, 10)]
    assert result.values == {"hidden": 11, "width": 22}


def test_a_check_that_raises_stops_the_evaluation():
    def cfg():
        hidden = 128

    def check(path, own, fixed):
        raise ConfigError(f"no: {path} {own} {fixed}")

    with pytest.raises(ConfigError, match=r"^no: \('hidden',\) 128 x$"):
        ConfigScope(cfg).evaluate(fixed={"hidden": "x"}, check=check)


def test_a_non_json_value_is_an_error_naming_the_entry():
    def cfg():
        thing = Thing()

    with pytest.raises(ConfigError) as error:
        ConfigScope(cfg).evaluate()
    line = cfg.__code__.co_firstlineno + 1
    assert str(error.value) == (
        "config entry 'thing' is a Thing (Thing()); config values are JSON data "
        f"(numbers, strings, booleans, None, lists, dicts with string keys) ({display_path(__file__)}:{line})"
    )


def test_a_non_json_value_in_an_ingredient_scope_is_named_by_its_full_path():
    def cfg():
        classes = {1, 2}

    with pytest.raises(ConfigError) as error:
        ConfigScope(cfg).evaluate(at=("data",))
    assert str(error.value).startswith("config entry 'data.classes' is a set ({1, 2}); ")


def test_a_non_json_value_inside_a_dict_is_named_by_its_full_path():
    def cfg():
        opt = {"factory": object()}

    with pytest.raises(ConfigError, match=r"^config entry 'opt\.factory' is an object \(<object object at "):
        ConfigScope(cfg).evaluate()


def test_a_dict_with_a_non_string_key_is_an_error():
    def cfg():
        table = {1: "one"}

    with pytest.raises(ConfigError) as error:
        ConfigScope(cfg).evaluate()
    line = cfg.__code__.co_firstlineno + 1
    assert str(error.value) == (
        f"config entry 'table' has the key 1; keys must be strings ({display_path(__file__)}:{line})"
    )


def test_tuples_become_lists():
    def cfg():
        betas = (0.9, 0.999)
        nested = {"shape": (1, (2, 3))}

    values = ConfigScope(cfg).evaluate().values
    assert values == {"betas": [0.9, 0.999], "nested": {"shape": [1, [2, 3]]}}
    assert type(values["betas"]) is list
    assert type(values["nested"]["shape"][1]) is list


def test_provenance_lines_are_the_file_and_line_of_the_assignment():
    def cfg():
        hidden = 128
        opt = {
            "lr": 0.1,
            "momentum": 0.9,
        }
        empty = {}
        hidden = 256

    result = ConfigScope(cfg).evaluate()
    assert result.values == {"hidden": 256, "opt": {"lr": 0.1, "momentum": 0.9}, "empty": {}}
    assert result.lines == {
        ("hidden",): where(cfg, "hidden = 256"),  # the last assignment
        ("opt", "lr"): where(cfg, "opt = {"),
        ("opt", "momentum"): where(cfg, "opt = {"),
        ("empty",): where(cfg, "empty = {}"),
    }
    assert result.lines[("hidden",)].startswith(os.path.join("tests", "config", "test_scope.py") + ":")


def test_none_and_empty_dict_entries_are_placeholders():
    def cfg():
        root = None
        options = {}
        sub = {"inner": None, "value": 1}

    assert ConfigScope(cfg).evaluate().placeholders == {("root",), ("options",), ("sub", "inner")}


def test_scope_reads_module_globals_and_closure_variables():
    factor = 3

    def cfg():
        base = MODULE_CONSTANT
        scaled = base * factor

    assert ConfigScope(cfg).evaluate().values == {"base": 7, "scaled": 21}


def test_origin_is_the_file_and_line_of_the_definition():
    def cfg():
        x = 1

    assert ConfigScope(cfg).origin == where(cfg, "def cfg():")


def scope_with_arguments(a):
    x = a


def test_a_scope_must_take_no_arguments():
    with pytest.raises(ConfigError) as error:
        ConfigScope(scope_with_arguments)
    assert str(error.value) == "config scope 'scope_with_arguments' must take no arguments"


def test_a_scope_without_source_code_is_an_error():
    namespace: dict = {}
    exec(compile("def generated():\n    x = 1\n", "<generated>", "exec"), namespace)
    with pytest.raises(ConfigError) as error:
        ConfigScope(namespace["generated"])
    assert str(error.value) == "config scope 'generated' has no source code to read; define it in a file"


def test_an_empty_body_gives_no_entries():
    def cfg():
        """Only a docstring."""

    assert ConfigScope(cfg).evaluate().values == {}


def scope_changing_values_in_place():
    opt = {"lr": 0.1}
    opt["lr"] = opt["lr"] * 2  # changed in place after the assignment
    layers = [64]
    layers.append(32)


def test_a_fixed_value_stands_when_the_body_changes_it_in_place():
    fixed = {"opt": {"lr": 0.5}, "layers": [8]}
    result = ConfigScope(scope_changing_values_in_place).evaluate(fixed=fixed)
    assert result.values == {"opt": {"lr": 0.5}, "layers": [8]}
    assert fixed == {"opt": {"lr": 0.5}, "layers": [8]}  # and the fixed values themselves are untouched


def scope_reading_a_partly_fixed_dict():
    steps = 1000 // loader["batch_size"]  # noqa: F821 - from the preset
    shuffled = loader["shuffle"]  # noqa: F821


def test_a_preset_dict_and_a_fixed_part_of_it_merge():
    preset = {"loader": {"batch_size": 16, "shuffle": False}}
    result = ConfigScope(scope_reading_a_partly_fixed_dict).evaluate(fixed={"loader": {"batch_size": 10}}, preset=preset)
    assert result.values == {"steps": 100, "shuffled": False}


def scope_changing_a_preset_in_place():
    loader["shuffle"] = True  # noqa: F821 - a preset entry, changed without assigning it


def test_a_preset_changed_in_place_counts_as_assigned_and_the_preset_is_untouched():
    preset = {"loader": {"batch_size": 16, "shuffle": False}}
    result = ConfigScope(scope_changing_a_preset_in_place).evaluate(preset=preset)
    assert result.values == {"loader": {"batch_size": 16, "shuffle": True}}
    assert ("loader", "shuffle") in result.lines
    assert preset == {"loader": {"batch_size": 16, "shuffle": False}}

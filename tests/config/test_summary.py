"""Marks (added, modified, typechanged, parent) and the text of ``print_config``."""

import inspect

import pytest

from ba3l import Experiment, Ingredient
from ba3l.config import (
    ConfigTypeError,
    Layer,
    ResolvedConfig,
    Source,
    UnknownKeyError,
    display_path,
    format_config,
)
from ba3l.experiment import ConfigRequest, Update


def where(function, text: str) -> str:
    lines, first = inspect.getsourcelines(function)
    index = next(i for i, line in enumerate(lines) if text in line)
    return f"{display_path(inspect.getsourcefile(function))}:{first + index}"


data = Ingredient("data")


@data.config
def data_config():
    """The data ingredient.

    Only the first line is shown, as the doc of the ingredient's entry."""
    batch = 32  # examples per step
    steps = 1000 // batch


ex = Experiment("summary", ingredients=[data])


@ex.config
def main_config():
    """The doc."""
    lr = 0.1  # learning rate
    name = None
    hidden = 128
    opt = {"momentum": 0.9}
    data = {"batch": 50}


@ex.named_config
def big():
    hidden = 512


def update(key: str, value, add: bool = False, origin: str = "command line") -> Update:
    return Update(tuple(key.split(".")), value, origin, add)


def resolve(*updates: Update, named=(), force=False) -> ResolvedConfig:
    return ex.resolve_config(ConfigRequest(tuple(named), tuple(updates), force=force))


# marks ---------------------------------------------------------------------------


def test_values_of_the_lower_layers_have_no_marks():
    config = resolve()
    assert config.marks(("lr",)) == ()
    assert config.marks(("opt", "momentum")) == ()
    assert config.marks(("data", "steps")) == ()
    assert config.marks(("seed",)) == ()
    assert config.marks(("no", "such")) == ()


def test_a_value_a_parent_writes_is_marked_parent():
    config = resolve()
    assert config.get(("data", "batch")) == 50
    assert config.marks(("data", "batch")) == ("parent",)
    assert config.sources[("data", "batch")] == Source(Layer.PARENT, where(config_fn(), 'data = {"batch": 50}'))


def config_fn():
    return main_config.function


def test_an_update_that_changes_a_value_is_modified():
    config = resolve(update("lr", 0.5), update("data.batch", 8))
    assert config.marks(("lr",)) == ("modified",)
    assert config.shadowed[("lr",)] == 0.1
    # the parent's value is what the update replaced
    assert config.marks(("data", "batch")) == ("modified",)
    assert config.shadowed[("data", "batch")] == 50


def test_a_named_config_that_changes_a_value_is_modified():
    config = resolve(named=["big"])
    assert config.get(("hidden",)) == 512
    assert config.marks(("hidden",)) == ("modified",)


def test_an_update_to_the_same_value_has_no_mark():
    config = resolve(update("hidden", 128))
    assert config.sources[("hidden",)].layer == Layer.UPDATE
    assert config.marks(("hidden",)) == ()


def test_a_key_added_on_purpose_is_added():
    config = resolve(update("extra", 1, add=True), update("opt.nesterov", True, add=True))
    assert config.get(("extra",)) == 1
    assert config.get(("opt",)) == {"momentum": 0.9, "nesterov": True}
    assert config.marks(("extra",)) == ("added",)
    assert config.marks(("opt", "nesterov")) == ("added",)
    assert config.marks(("opt", "momentum")) == ()


def test_replacing_a_none_default_is_not_a_type_change():
    config = resolve(update("name", "resnet"))
    assert config.get(("name",)) == "resnet"
    assert config.marks(("name",)) == ("modified",)
    assert config.warnings == ()


def test_an_int_for_a_float_entry_is_coerced_silently():
    config = resolve(update("lr", 3))
    assert config.get(("lr",)) == 3.0
    assert type(config.get(("lr",))) is float
    assert config.marks(("lr",)) == ("modified",)
    assert config.warnings == ()


def test_a_float_for_an_int_entry_is_a_type_error():
    with pytest.raises(ConfigTypeError) as error:
        resolve(update("hidden", 1.5))
    assert str(error.value) == "config entry 'hidden' (command line): expected int like the default 128, got float 1.5"


def test_a_bool_for_an_int_entry_is_a_type_error():
    with pytest.raises(ConfigTypeError) as error:
        resolve(update("hidden", True))
    assert str(error.value) == "config entry 'hidden' (command line): expected int like the default 128, got bool True"


def test_a_scalar_for_a_dict_entry_is_a_type_error():
    with pytest.raises(ConfigTypeError) as error:
        resolve(update("opt", 3))
    assert str(error.value) == "config entry 'opt' (command line): a dict cannot be replaced by int 3"


def test_force_turns_a_type_error_into_a_warning_and_marks_typechanged():
    config = resolve(update("hidden", "big"), force=True)
    assert config.get(("hidden",)) == "big"
    assert config.marks(("hidden",)) == ("typechanged",)
    assert config.warnings == ("config entry 'hidden' (command line): expected int like the default 128, got str 'big'",)


def test_force_turns_an_unknown_key_into_a_warning():
    with pytest.raises(UnknownKeyError):
        resolve(update("hiden", 3))
    config = resolve(update("hiden", 3), force=True)
    assert config.get(("hiden",)) == 3
    assert config.get(("hidden",)) == 128
    assert config.marks(("hiden",)) == ("added",)
    assert config.warnings == (
        "unknown config key 'hiden' (command line) (did you mean 'hidden'?); to add it on purpose write '+hiden=...'",
    )


def test_marks_of_a_config_built_by_hand():
    config = ResolvedConfig(
        values={"a": 1, "b": 2.5, "c": "x", "d": 4, "e": 5, "f": 6},
        sources={
            ("a",): Source(Layer.CONFIG, "f.py:1"),
            ("b",): Source(Layer.UPDATE, "command line"),
            ("c",): Source(Layer.NAMED, "'n' at f.py:9"),
            ("d",): Source(Layer.PARENT, "f.py:3"),
            ("e",): Source(Layer.UPDATE, "command line"),
            ("f",): Source(Layer.HOOK, "hook"),
        },
        shadowed={("b",): 2, ("c",): None},
    )
    assert [config.marks((key,)) for key in "abcdef"] == [
        (),
        ("typechanged",),
        ("modified",),
        ("parent",),
        ("added",),
        (),
    ]


# the text --------------------------------------------------------------------------


def test_format_config_text():
    config = resolve(update("seed", 1), update("lr", 3), update("extra", 1, add=True))
    assert format_config(config) == "\n".join(
        [
            "Configuration (modified, added, typechanged, parent, doc):",
            '  """',
            "  The doc.",
            '  """',
            "  seed = 1                          # the random seed for this experiment  [modified]",
            "  lr = 3.0                          # learning rate  [modified]",
            "  name = None",
            "  hidden = 128",
            "  opt:",
            "    momentum = 0.9",
            "  data:                             # The data ingredient.",
            "    batch = 50                      # examples per step  [parent]",
            "    steps = 20",
            "  extra = 1                         # [added]",
        ]
    )


def test_format_config_text_with_provenance():
    config = resolve(update("seed", 1), update("lr", 3), update("extra", 1, add=True), named=["big"])
    cfg, data_cfg, big_cfg = config_fn(), data_config.function, big.function
    assert format_config(config, provenance=True) == "\n".join(
        [
            "Configuration (modified, added, typechanged, parent, doc):",
            '  """',
            "  The doc.",
            '  """',
            "  seed = 1                          # the random seed for this experiment  [modified]  <- command line",
            "  lr = 3.0                          # learning rate  [modified]  <- command line",
            f"  name = None                       # <- config {where(cfg, 'name = None')}",
            f"  hidden = 512                      # [modified]  <- named config 'big' at {where(big_cfg, 'hidden = 512')}",
            "  opt:",
            f"    momentum = 0.9                  # <- config {where(cfg, 'opt = ')}",
            "  data:                             # The data ingredient.",
            "    batch = 50                      # examples per step  [parent]  "
            f"<- parent config {where(cfg, 'data = ')}",
            f"    steps = 20                      # <- config {where(data_cfg, 'steps = ')}",
            "  extra = 1                         # [added]  <- command line",
        ]
    )


def test_format_config_colours_marked_lines_and_keeps_the_words():
    config = resolve(update("seed", 1), update("extra", 1, add=True))
    lines = format_config(config, color=True).splitlines()
    assert lines[0] == (
        "Configuration (\x1b[34mmodified\x1b[0m, \x1b[32madded\x1b[0m, "
        "\x1b[31mtypechanged\x1b[0m, \x1b[35mparent\x1b[0m, doc):"
    )
    assert lines[4] == "\x1b[34m  seed = 1                        \x1b[0m  # the random seed for this experiment  [modified]"
    assert lines[-1] == "\x1b[32m  extra = 1                       \x1b[0m  # [added]"
    assert "  name = None" in lines  # unmarked lines stay plain


def test_format_config_of_an_empty_dict_and_a_long_line():
    config = ResolvedConfig(
        values={"options": {}, "a_rather_long_key_name": "a long value of text"},
        docs={("options",): "anything goes", ("a_rather_long_key_name",): "doc"},
    )
    assert format_config(config) == "\n".join(
        [
            "Configuration (modified, added, typechanged, parent, doc):",
            "  options = {}                      # anything goes",
            "  a_rather_long_key_name = 'a long value of text'  # doc",
        ]
    )

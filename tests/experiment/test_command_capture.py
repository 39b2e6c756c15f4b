"""ingredient.command(...): functions, classes and import strings whose arguments are config."""

import enum
import sys
from pathlib import Path
from typing import Literal, Optional

import pytest

from ba3l import Experiment, Ingredient, invoke
from ba3l.config import ConfigTypeError, Layer
from ba3l.experiment import ConfigRequest, Update


class Loader:
    """Batches of examples.

    Args:
        dataset: the examples.
        batch_size: examples per batch.
        shuffle: reshuffle every epoch.
    """

    def __init__(self, dataset, batch_size: int = 1, shuffle: bool = False, pin_memory: bool = True):
        self.dataset, self.batch_size, self.shuffle, self.pin_memory = dataset, batch_size, shuffle, pin_memory


def updates(**values):
    return ConfigRequest(updates=tuple(Update(tuple(k.split("__")), v, "command line") for k, v in values.items()))


def loader_experiment(**extra):
    data = Ingredient("data")
    make = data.command(Loader, prefix="loader", static_args={"pin_memory": False, "dataset": range(3)}, **extra)
    ex = Experiment("loaders", ingredients=[data])

    @ex.main
    def main():
        return make()

    return ex, make


def test_every_parameter_with_a_default_becomes_an_entry_with_its_doc():
    ex, _ = loader_experiment()
    config = ex.resolve_config()
    assert config.values["data"] == {"loader": {"batch_size": 1, "shuffle": False}}
    assert config.docs[("data", "loader", "batch_size")] == "examples per batch."
    assert config.sources[("data", "loader", "batch_size")].layer == Layer.DEFAULT


def test_an_explicit_extra_beats_the_signature_default_and_markers_are_kept():
    ex, _ = loader_experiment(batch_size=12, train=True)
    config = ex.resolve_config()
    assert config.values["data"]["loader"] == {"batch_size": 12, "shuffle": False, "train": True}
    loader = ex.run().result
    assert (loader.batch_size, loader.shuffle) == (12, False)  # and `train` was not passed


def test_static_args_are_passed_and_stay_out_of_the_config():
    ex, _ = loader_experiment()
    loader = ex.run().result
    assert loader.pin_memory is False and list(loader.dataset) == [0, 1, 2]
    assert "pin_memory" not in ex.resolve_config().values["data"]["loader"]


def test_config_and_explicit_arguments_build_the_object():
    ex, make = loader_experiment()

    @ex.command
    def explicit():
        return make(batch_size=3).batch_size

    assert ex.run(config_updates={"data.loader.batch_size": 7}).result.batch_size == 7
    assert ex.run("explicit", config_updates={"data.loader.batch_size": 7}).result == 3


def test_a_decorated_class_is_a_command_that_builds_it():
    ex = Experiment("decorated")

    @ex.command(prefix="model")
    class Model:
        def __init__(self, width: int = 8, depth: int = 2):
            self.width, self.depth = width, depth

    assert ex.resolve_config().values["model"] == {"width": 8, "depth": 2}
    model = ex.run("Model", config_updates={"model.depth": 5}).result
    assert (model.width, model.depth) == (8, 5)


def test_without_default_args_only_the_extras_are_entries():
    data = Ingredient("data")
    data.command(Loader, prefix="loader", add_default_args_config=False, batch_size=4)
    ex = Experiment("no_defaults", ingredients=[data])
    assert ex.resolve_config().values["data"] == {"loader": {"batch_size": 4}}


def test_an_import_string_is_imported_only_when_the_config_is_resolved(tmp_path, monkeypatch):
    (tmp_path / "lazy_model.py").write_text("class Net:\n    def __init__(self, width=16):\n        self.width = width\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    ex = Experiment("lazy")
    ex.command("lazy_model.Net", prefix="net")
    assert "lazy_model" not in sys.modules
    assert ex.resolve_config().values["net"] == {"width": 16}
    assert "lazy_model" in sys.modules
    assert ex.run("Net").result.width == 16


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Typed:
    def __init__(
        self,
        count: int = 1,
        rate: float = 0.5,
        name: str = "x",
        flag: bool = False,
        limit: Optional[int] = None,
        mode: Literal["fast", "slow"] = "fast",
        sizes: list[int] = (1, 2),
        table: dict[str, float] = None,
        pair: tuple[int, str] = (1, "a"),
        root: Path = None,
        color: Color = "red",
    ):
        pass


def typed_experiment():
    ex = Experiment("typed")
    ex.command(Typed, prefix="t")
    return ex


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("count", "abc", "int"),
        ("count", 1.5, "int"),
        ("rate", "fast", "float"),
        ("name", 3, "str"),
        ("flag", 1, "bool"),
        ("limit", "none", "int or None"),
        ("mode", "medium", "'fast' or 'slow'"),
        ("sizes", [1, "two"], "list[int]"),
        ("table", {"a": "b"}, "dict[str, float]"),
        ("pair", [1, 2], "tuple[int, str]"),
        ("root", 3, "Path"),
        ("color", "green", "one of 'RED', 'BLUE'"),
    ],
)
def test_a_value_that_does_not_fit_the_annotation_is_an_error_naming_path_and_type(key, value, expected):
    with pytest.raises(ConfigTypeError) as error:
        typed_experiment().resolve_config(updates(**{f"t__{key}": value}))
    # the annotation, or where there is a default of another type, the default's type
    assert str(error.value).startswith(f"config entry 't.{key}' (command line): expected {expected}")


@pytest.mark.parametrize(
    ("key", "value"),
    [("limit", 3), ("limit", None), ("mode", "slow"), ("sizes", [3]), ("table", {"a": 1.5}),
     ("pair", [2, "b"]), ("root", "/tmp/x"), ("color", "BLUE"), ("color", "blue")],
)
def test_values_that_fit_are_kept(key, value):
    assert typed_experiment().resolve_config(updates(**{f"t__{key}": value})).values["t"][key] == value


def test_the_only_silent_coercion_is_int_to_float():
    config = typed_experiment().resolve_config(updates(t__rate=2))
    assert config.values["t"]["rate"] == 2.0 and type(config.values["t"]["rate"]) is float


def test_a_type_error_on_the_command_line_is_one_line_and_exit_2():
    result = invoke(typed_experiment(), "print_config with t.mode=medium")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: config entry 't.mode' (command line): expected 'fast' or 'slow', got str 'medium' (Typed)\n"
    )


def test_lightnings_trainer_becomes_config():
    ex = Experiment("trainer")
    ex.command("lightning.pytorch.Trainer", prefix="trainer")
    trainer = ex.resolve_config().values["trainer"]
    assert trainer["max_epochs"] is None and trainer["accelerator"] == "auto"
    assert {"devices", "precision", "logger", "enable_progress_bar", "default_root_dir"} <= set(trainer)


def test_an_annotation_decides_over_the_defaults_type():
    ex = Experiment("union")

    @ex.command(prefix="m")
    def model(z: int | str = 3, rate: float = 0.5):
        return z

    assert ex.resolve_config(updates(m__z="abc")).values["m"]["z"] == "abc"
    with pytest.raises(ConfigTypeError) as error:
        ex.resolve_config(updates(m__rate="fast"))
    assert str(error.value) == "config entry 'm.rate' (command line): expected float, got str 'fast' (model)"

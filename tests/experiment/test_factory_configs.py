"""Factory dicts in an experiment's config: defaults shown, swapped by updates, built by the run."""

from ba3l import Experiment, invoke
from ba3l.config import Layer, instantiate
from ba3l.experiment import ConfigRequest, Update


class MLP:
    def __init__(self, hidden: int = 64, layers: int = 2):
        self.hidden, self.layers = hidden, layers


class CNN:
    def __init__(self, channels: int = 16, kernel: int = 3):
        self.channels, self.kernel = channels, kernel


def build() -> Experiment:
    ex = Experiment("factories")
    ex.add_config(model={"factory": MLP, "hidden": 128})

    @ex.main
    def main(model):
        return instantiate(model)

    return ex


def here(name: str) -> str:
    return f"{__name__}.{name}"


def test_a_factory_dict_shows_its_defaults_with_their_provenance():
    config = build().resolve_config()
    assert config.values["model"] == {"factory": here("MLP"), "hidden": 128, "layers": 2}
    assert config.sources[("model", "layers")].layer == Layer.DEFAULT
    assert str(config.sources[("model", "layers")]) == "default signature of MLP"


def test_a_run_builds_the_object_from_the_updated_config():
    model = invoke(build(), "with model.layers=5 -u").run.result
    assert isinstance(model, MLP) and (model.hidden, model.layers) == (128, 5)


def test_a_new_factory_swaps_the_subtree_to_its_defaults():
    result = invoke(build(), f"print_config with model.factory={here('CNN')} model.kernel=5")
    assert result.exit_code == 0, result.stderr
    assert "hidden" not in result.stdout and "channels = 16" in result.stdout  # MLP's keys are gone
    shown = invoke(build(), f"-u with model.factory={here('CNN')} model.kernel=5").run.result
    assert isinstance(shown, CNN) and (shown.channels, shown.kernel) == (16, 5)


def test_a_key_the_factory_does_not_take_is_bad_input():
    result = invoke(build(), "print_config with +model.depth=3")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: config entry 'model.depth': MLP takes no argument 'depth'; it takes: hidden, layers\n"
    )


def test_a_factory_argument_of_the_wrong_type_is_bad_input():
    result = invoke(build(), "print_config with model.layers=many")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: config entry 'model.layers' (command line): expected int, got str 'many' (MLP)\n"
    )


def test_an_unimportable_factory_is_bad_input():
    result = invoke(build(), "print_config with model.factory=nowhere.Model")
    assert result.exit_code == 2
    assert result.stderr == "error: config entry 'model.factory': cannot import 'nowhere.Model': no module named 'nowhere'\n"


def test_a_saved_config_with_factories_replays(tmp_path):
    saved = tmp_path / "config.json"
    assert invoke(build(), ["save_config", str(saved), "with", "model.layers=7"]).exit_code == 0
    model = invoke(build(), ["-u", "with", str(saved)]).run.result
    assert (model.hidden, model.layers) == (128, 7)


class Head:
    def __init__(self, size: int = 4, inner={"factory": "fractions.Fraction"}):
        self.size, self.inner = size, inner


class Outer:
    def __init__(self, inner={"factory": MLP}):
        self.inner = inner


def test_factory_dicts_in_a_list_and_nested_defaults_are_filled():
    ex = Experiment("lists")
    ex.add_config(heads=[{"factory": Head}, {"factory": Head, "size": 8}])

    @ex.main
    def main(heads):
        return instantiate(heads)

    config = ex.resolve_config()
    assert [h["size"] for h in config.values["heads"]] == [4, 8]
    assert config.values["heads"][0]["inner"] == {"factory": "fractions.Fraction", "numerator": 0, "denominator": None}
    heads = ex.run().result
    assert [h.size for h in heads] == [4, 8] and heads[0].inner == 0


def test_a_nested_default_factory_has_provenance_for_each_entry():
    ex = Experiment("nested")
    ex.add_config(model={"factory": Outer})
    config = ex.resolve_config()
    assert str(config.sources[("model", "inner", "factory")]) == "default signature of Outer"
    assert str(config.sources[("model", "inner", "hidden")]) == "default signature of MLP"


def test_a_class_defined_inside_a_function_is_refused_naming_the_entry():
    import pytest
    from ba3l.config import ConfigError

    class Local:
        pass

    ex = Experiment("local")
    with pytest.raises(ConfigError) as error:
        ex.add_config(model={"factory": Local})
    assert str(error.value).startswith("config entry 'model.factory' is test_a_class_defined_inside_a_function")


SCOPED = '''
from ba3l import Experiment
from ba3l.config import instantiate


class MLP:
    """A perceptron.

    Args:
        hidden: units per layer.
    """

    def __init__(self, hidden: int = 64):
        self.hidden = hidden


class CNN:
    def __init__(self, channels: int = 16):
        self.channels = channels


def sgd(params, lr=0.1):
    return params, lr


ex = Experiment("scoped")


@ex.config
def config():
    model = {"factory": MLP}  # written in a scope, with the class itself
    optimizer = {"partial": sgd}


@ex.automain
def main(model, optimizer):
    built = instantiate(model)
    print(type(built).__name__, instantiate(optimizer)(params=[1]))
'''


def test_a_factory_written_in_a_scope_swaps_and_a_partial_needs_no_arguments(tmp_path):
    import subprocess
    import sys

    (tmp_path / "scoped.py").write_text(SCOPED)

    def run(*args):
        return subprocess.run([sys.executable, "scoped.py", *args], cwd=tmp_path, capture_output=True, text=True)

    shown = run("print_config")
    assert shown.returncode == 0, shown.stderr
    assert "hidden = 64" in shown.stdout and "# units per layer." in shown.stdout
    swapped = run("-u", "with", "model.factory=scoped.CNN")
    assert swapped.returncode == 0, swapped.stderr
    assert swapped.stdout == "CNN ([1], 0.1)\n"


def test_a_factory_argument_set_on_the_command_line_is_marked_modified():
    request = ConfigRequest(updates=(Update(("model", "layers"), 5, "command line"),))
    config = build().resolve_config(request)
    assert config.marks(("model", "layers")) == ("modified",)
    assert config.shadowed[("model", "layers")] == 2

"""Factory dicts: filled with a signature's defaults, built by instantiate, named by import string."""

import fractions
import functools

import pytest

from ba3l.config import ConfigError, Configurable, factory_name, fill_defaults, import_factory, instantiate


class Encoder(Configurable):
    def __init__(self, width: int = 8, act: str = "relu"):
        self.width, self.act = width, act


class Net(Configurable):
    def __init__(self, encoder=None, depth: int = 2, out: int = 0, heads=({"factory": Encoder},)):
        self.encoder, self.depth, self.out, self.heads = encoder, depth, out, heads

    @classmethod
    def finalize_dogmatic_config(cls, config):
        config["out"] = config["depth"] * 10  # derived: follows depth unless the user set out
        if config.get("encoder") is None:
            config["encoder"] = {"factory": Encoder}


def test_get_config_fills_defaults_recursively_and_lets_the_class_derive_some():
    config = Net.get_config({"depth": 3})
    assert config == {
        "factory": f"{__name__}.Net",
        "depth": 3,
        "encoder": {"factory": f"{__name__}.Encoder", "width": 8, "act": "relu"},
        "out": 30,
        "heads": [{"factory": f"{__name__}.Encoder", "width": 8, "act": "relu"}],
    }


def test_a_value_the_user_set_beats_what_the_class_derives():
    assert Net.get_config({"depth": 3, "out": 1})["out"] == 1


def test_from_config_builds_the_object_tree():
    net = Net.from_config(Net.get_config({"encoder": {"factory": Encoder, "width": 4}}))
    assert isinstance(net, Net) and isinstance(net.encoder, Encoder)
    assert (net.encoder.width, net.out) == (4, 20)
    assert isinstance(net.heads[0], Encoder)


def test_partial_builds_a_partial():
    built = instantiate({"partial": "fractions.Fraction", "denominator": 3})
    assert isinstance(built, functools.partial) and built(1) == fractions.Fraction(1, 3)


def test_a_class_built_by_new_has_its_arguments_filled():
    config = {"factory": "fractions.Fraction", "numerator": 1}
    fill_defaults(config)
    assert config == {"factory": "fractions.Fraction", "numerator": 1, "denominator": None}
    assert instantiate(config) == 1


def test_errors_name_the_full_path():
    with pytest.raises(ConfigError) as error:
        fill_defaults({"model": {"factory": "fractions.Fraction", "denominatr": 2}})
    assert str(error.value) == (
        "config entry 'model.denominatr': Fraction takes no argument 'denominatr' (did you mean 'denominator'?); "
        "it takes: numerator, denominator"
    )
    with pytest.raises(ConfigError) as error:
        instantiate({"net": {"factory": "fractions.Fractoin"}})
    assert str(error.value) == (
        "config entry 'net.factory': cannot import 'fractions.Fractoin': 'fractions' has no attribute 'Fractoin'"
    )
    with pytest.raises(ConfigError) as error:
        instantiate({"opt": {"factory": f"{__name__}.needs_lr"}})
    assert str(error.value) == "config entry 'opt.lr' is missing: needs_lr needs it"


def needs_lr(lr, momentum=0.9):
    return lr, momentum


def test_a_class_in_the_running_script_is_named_by_the_scripts_stem(tmp_path):
    import subprocess
    import sys

    script = tmp_path / "digits.py"
    script.write_text(
        "from ba3l.config import factory_name, import_factory\n"
        "class MyModel:\n    class Head:\n        pass\n"
        "for cls in (MyModel, MyModel.Head):\n"
        "    name = factory_name(cls)\n"
        "    print(name, import_factory(name) is cls)\n"
    )
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd="/", check=True)
    # found in the running script, from any working directory, nested classes too
    assert out.stdout == "digits.MyModel True\ndigits.MyModel.Head True\n"


def test_factory_name_of_an_importable_class():
    assert factory_name(fractions.Fraction) == "fractions.Fraction"
    assert import_factory("fractions.Fraction") is fractions.Fraction


class Wide(Configurable):
    def __init__(self, encoder={"factory": Encoder}, out: int = 0):
        self.encoder, self.out = encoder, out

    @classmethod
    def finalize_dogmatic_config(cls, config):
        config["out"] = 2 * config["encoder"]["width"]  # reads a nested default


def test_a_class_derives_from_its_nested_factory_dicts_defaults():
    assert Wide.get_config()["out"] == 16
    assert Wide.get_config({"encoder": {"factory": Encoder, "width": 5}})["out"] == 10

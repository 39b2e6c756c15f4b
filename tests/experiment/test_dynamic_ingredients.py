"""Dynamic ingredients: a config value chooses which ingredient is mounted at its path.

The ingredients come from ``dynamic_parts.py`` beside this file, imported by name.
"""

import json

import pytest

from ba3l import CMD, DynamicIngredient, Experiment, invoke
from ba3l.config import ConfigError, Layer
from ba3l.experiment import ConfigRequest, Update


def build(net: str = "dynamic_parts.small_net", **overrides) -> Experiment:
    ex = Experiment("dynamic")

    @ex.config
    def config():
        lr = 0.1
        models = {"net": DynamicIngredient(net, **overrides)}  # the network to train

    @ex.named_config
    def wide():
        """Swap the network for a wide one."""
        models = {"net": DynamicIngredient("dynamic_parts.wide_net", dropout=0.5)}

    @ex.main
    def main(lr, models):
        return lr, models["net"]["ingredient"]

    return ex


def resolve(ex, *updates, named=()):
    request = ConfigRequest(tuple(named), tuple(Update(tuple(k.split(".")), v, "test") for k, v in updates))
    return ex.resolve_config(request)


def test_the_ingredient_is_mounted_at_the_path_with_its_config_under_the_overrides():
    config = resolve(build(depth=4))
    assert config.values["models"]["net"] == {
        "ingredient": "dynamic_parts.small_net", "depth": 4, "width": 32, "activation": "relu"}
    assert config.sources[("models", "net", "depth")].layer is Layer.PARENT
    assert config.sources[("models", "net", "activation")].layer is Layer.CONFIG
    assert config.docs[("models", "net", "depth")] == "layers"
    assert config.docs[("models", "net", "ingredient")] == "the ingredient mounted here (an import string)"


def test_its_values_named_configs_and_commands_work_from_the_command_line():
    ex = build()
    result = invoke(ex, "models.net.summary with models.net.depth=5 -u")
    assert result.exit_code == 0, result.stderr
    assert result.run.result == "small 5x40 (['activation', 'depth', 'ingredient', 'width'])"
    assert invoke(ex, "models.net.summary with models.net.deep -u").run.result.startswith("small 6x48")


def test_the_same_ingredient_at_two_paths_is_two_independent_ingredients():
    ex = build()
    ex.add_config(models={"teacher": DynamicIngredient("dynamic_parts.small_net", depth=8)})
    run = invoke(ex, "models.teacher.summary with models.net.depth=3 -u").run
    assert run.result.startswith("small 8x64")
    assert run.config.values["models"]["net"]["width"] == 24
    with ex.configured({"models.net.depth": 3}) as context:
        assert context.get_command_function("models.net.build")()["depth"] == 3
        assert context.get_command_function("models.teacher.build")()["depth"] == 8


def test_a_function_of_an_ingredient_at_two_paths_must_be_called_through_one():
    import dynamic_parts

    ex = build()
    ex.add_config(models={"teacher": DynamicIngredient("dynamic_parts.small_net")})
    with ex.configured() as context:
        with pytest.raises(ConfigError, match="'net' is mounted at 'models.net', 'models.teacher'"):
            dynamic_parts.build()
        assert context.get_command_function("models.teacher.build")()["depth"] == 2


def test_commands_are_reachable_from_references_and_from_code():
    ex = build(depth=3)

    @ex.command
    def train(model=CMD("/models.net.build")):
        return model

    ex.command(train, prefix="train")
    assert ex.run("train").result["depth"] == 3
    config = ex.resolve_config()
    assert ex.find_command("models.net.summary", config).captured.mount == ("models", "net")
    assert ex.run("models.net.summary", {"models.net.depth": 1}).result.startswith("small 1x8")


def test_dynamic_ingredients_may_contain_others():
    ex = build("dynamic_parts.pair")
    config = ex.resolve_config().values["models"]["net"]
    assert config["encoder"]["width"] == 24 and config["decoder"]["width"] == 8
    assert invoke(ex, "models.net.build_pair with models.net.decoder.depth=2 -u").run.result == (3, 2)


@pytest.mark.parametrize("how", [
    ["models.net.ingredient=dynamic_parts.wide_net"],
    ["models.net=dynamic_parts.wide_net"],
    ["models.net={'ingredient': 'dynamic_parts.wide_net'}"],
])
def test_swapping_drops_the_old_ingredients_keys(how, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ex = build(depth=4)
    result = invoke(ex, ["save_config", "swapped.json", "with", *how])
    assert result.exit_code == 0, result.stderr
    saved = json.loads(open("swapped.json").read())
    assert saved["models"]["net"] == {"ingredient": "dynamic_parts.wide_net", "width": 512, "dropout": 0.1}


def test_a_named_config_swaps_and_an_old_key_is_then_unknown():
    ex = build(depth=4)
    assert resolve(ex, named=["wide"]).values["models"]["net"] == {
        "ingredient": "dynamic_parts.wide_net", "width": 512, "dropout": 0.5}
    result = invoke(ex, "with wide models.net.depth=3")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: unknown config key 'models.net.depth' (command line) (did you mean ")
    assert "models.net.dropout" in result.stderr


def test_setting_the_same_ingredient_again_keeps_the_overrides():
    ex = build(depth=4)
    values = resolve(ex, ("models.net.ingredient", "dynamic_parts.small_net")).values
    assert values["models"]["net"]["depth"] == 4


def test_a_stored_config_records_the_module_path_and_replays_the_same_model(tmp_path):
    ex = build(depth=4)
    saved = tmp_path / "config.json"
    assert invoke(ex, f"save_config {saved} with wide models.net.width=64").exit_code == 0
    stored = json.loads(saved.read_text())
    assert stored["models"]["net"]["ingredient"] == "dynamic_parts.wide_net"
    replayed = invoke(ex, f"with {saved} -u")
    assert replayed.exit_code == 0, replayed.stderr
    assert replayed.run.result == (0.1, "dynamic_parts.wide_net")
    assert replayed.run.config.values == stored
    assert "nothing declares" not in replayed.stderr


def test_help_lists_the_commands_and_named_configs_of_the_default_dynamic_ingredients():
    result = invoke(build(), "--help")
    assert "models.net.summary" in result.stdout
    assert "models.net.deep" in result.stdout
    assert "models.net.ingredient" in result.stdout


# -- bad input: one line, exit status 2 ------------------------------------------------

BAD = {
    "not importable": (
        "with models.net=dynamic_parts.nothing",
        "config entry 'models.net.ingredient': cannot import 'dynamic_parts.nothing': "
        "'dynamic_parts' has no attribute 'nothing'",
    ),
    "no module": (
        "with models.net.ingredient=no_such_module.net",
        "config entry 'models.net.ingredient': cannot import 'no_such_module.net': no module named 'no_such_module'",
    ),
    "not an ingredient": (
        "with models.net=dynamic_parts.not_an_ingredient",
        "config entry 'models.net.ingredient': 'dynamic_parts.not_an_ingredient' is int, not an Ingredient",
    ),
    "contains itself": (
        "with models.net=dynamic_parts.looped",
        "the dynamic ingredient 'dynamic_parts.looped' at 'models.net.inner' contains itself",
    ),
    "unknown key": (
        "with models.net.dpth=3",
        "unknown config key 'models.net.dpth' (command line) (did you mean 'models.net.depth'",
    ),
    "wrong type": (
        "with models.net.depth=deep",
        "config entry 'models.net.depth' (command line): expected int like the default 2, got str 'deep'",
    ),
    "unknown named config": (
        "with models.net.dep",
        "unknown named config 'models.net.dep' (did you mean 'models.net.deep'?)",
    ),
    "unknown command": (
        "models.net.sumary",
        "unknown command 'models.net.sumary' (did you mean 'models.net.summary'",
    ),
}


@pytest.mark.parametrize("argv, message", BAD.values(), ids=BAD.keys())
def test_bad_input_about_dynamic_ingredients_is_one_line(argv, message):
    result = invoke(build(), argv + " -u")
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.strip().startswith("error: " + message), result.stderr


def test_an_override_for_a_key_the_ingredient_lacks_is_refused_from_a_named_config():
    ex = build()

    @ex.named_config
    def typo():
        models = {"net": DynamicIngredient("dynamic_parts.small_net", dpth=3)}

    result = invoke(ex, "with typo -u")
    assert result.exit_code == 2
    assert "unknown config key 'models.net.dpth'" in result.stderr and "did you mean 'models.net.depth'" in result.stderr


def test_dynamic_ingredient_needs_an_import_string():
    with pytest.raises(ConfigError, match="needs an import string 'module.attribute', got 'net'"):
        DynamicIngredient("net")


def test_the_ingredient_key_cannot_be_an_override():
    with pytest.raises(ConfigError, match="'ingredient' is the import string itself"):
        DynamicIngredient("dynamic_parts.small_net", ingredient="dynamic_parts.wide_net")


def test_any_string_under_the_ingredient_key_must_name_an_ingredient():
    result = invoke(build(), "with models.net.ingredient=smalll -u")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: config entry 'models.net.ingredient': cannot import 'smalll': no module named 'smalll'\n")


def test_a_dynamic_dataset_is_found_by_its_markers():
    ex = build()
    ex.add_config(datasets={"train": DynamicIngredient("dynamic_parts.counting", size=3)})

    @ex.command
    def loaders():
        return ex.get_train_dataloaders()

    assert ex.run("loaders").result == [[0, 1], [2]]


def test_a_dynamic_ingredient_at_two_paths_brings_its_own_ingredients_and_hooks_to_each():
    ex = build("dynamic_parts.with_tokenizer")
    ex.add_config(models={"other": DynamicIngredient("dynamic_parts.with_tokenizer", tokenizer={"vocabulary": 7})})
    config = ex.resolve_config().values["models"]
    assert config["net"] == {"ingredient": "dynamic_parts.with_tokenizer", "tokenizer": {"vocabulary": 50},
                             "hooked": True}
    assert config["other"]["tokenizer"] == {"vocabulary": 7} and config["other"]["hooked"] is True
    assert invoke(ex, "models.other.describe_text -u").run.result == 7
    assert invoke(ex, "models.net.tokenizer.vocabulary_size -u").run.result == 50


def test_a_dynamic_ingredient_cannot_take_the_place_of_one_given_in_code():
    ex = build()
    ex.models.net.add_config(units=3)
    result = invoke(ex, "print_config")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: config entry 'models.net.ingredient' names a dynamic ingredient where the ingredient 'net' "
        "is given in code\n")

"""CMD references: a config value that stands for a command's result."""

import json

import pytest

from ba3l import CMD, Experiment, Ingredient, invoke
from ba3l.config import ConfigError
from ba3l.experiment import ConfigRequest, Update


def build() -> Experiment:
    data = Ingredient("data")

    @data.config
    def data_config():
        size = 10
        dataset = CMD(".train_set")  # relative: a command of this ingredient

    @data.command
    def train_set(size):
        return list(range(size))

    @data.command
    def test_set(size):
        return list(range(size, size + 3))

    @data.command(prefix="loader")
    def loader(dataset, batch_size=2):
        return [dataset[i : i + batch_size] for i in range(0, len(dataset), batch_size)]

    ex = Experiment("refs", ingredients=[data])

    @ex.config
    def config():
        batches = CMD("/data.loader")  # absolute: from the experiment's root

    @ex.main
    def main(batches):
        return batches

    return ex


def test_a_reference_stands_for_the_commands_result_and_references_chain():
    ex = build()
    ex.ingredients[0].add_config(loader={"dataset": CMD("train_set")})  # bare: this ingredient, then up
    run = ex.run(config_updates={"data.size": 4})
    assert run.result == [[0, 1], [2, 3]]


def test_a_reference_can_be_set_from_the_command_line_and_is_printed_as_such(tmp_path):
    ex = build()
    result = invoke(ex, "print_config with data.loader.dataset=@/data.test_set")
    assert result.exit_code == 0, result.stderr
    assert "dataset = '@/data.test_set'" in result.stdout
    assert invoke(ex, "with data.loader.dataset=@/data.test_set data.size=1 -u").run.result == [[1, 2], [3]]


def test_stored_configs_keep_references_and_replay_them(tmp_path):
    ex = build()
    saved = tmp_path / "config.json"
    assert invoke(ex, ["save_config", str(saved), "with", "data.loader.dataset=@.test_set"]).exit_code == 0
    assert json.loads(saved.read_text())["data"]["loader"]["dataset"] == "@.test_set"
    assert invoke(ex, ["-u", "with", str(saved)]).run.result == [[10, 11], [12]]


def test_an_unknown_command_is_bad_input_with_a_suggestion():
    result = invoke(build(), "print_config with data.loader.dataset=@.tset_set")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: config entry 'data.loader.dataset' refers to the unknown command '.tset_set' "
        "(did you mean 'data.test_set' or 'data.train_set'?); commands: data.loader, data.test_set, "
        "data.train_set, main\n"
    )


def test_a_cycle_of_references_is_refused_naming_the_cycle():
    ex = Experiment("cycle")

    @ex.command
    def first(x=CMD("second")):
        return x

    @ex.command
    def second(y=CMD("first")):
        return y

    with pytest.raises(ConfigError) as error:
        ex.resolve_config()
    assert str(error.value) == "command references form a cycle: first -> second -> first"
    assert invoke(ex, "first").exit_code == 2


def test_a_doubled_mark_passes_a_literal_string():
    ex = Experiment("literal")

    @ex.config
    def config():
        handle = "@@someone"

    @ex.main
    def main(handle):
        return handle

    assert ex.run().result == "@someone"


def test_a_reference_fits_any_annotation():
    ex = Experiment("typed_refs")

    @ex.command
    def size() -> int:
        return 3

    @ex.command(prefix="loader")
    def loader(batch_size: int = 1):
        return batch_size

    request = ConfigRequest(updates=(Update(("loader", "batch_size"), "@size", "command line"),))
    assert ex.resolve_config(request).values["loader"]["batch_size"] == "@size"
    assert ex.run("loader", config_updates={"loader.batch_size": "@size"}).result == 3


def test_a_reference_can_be_replaced_by_a_value_of_any_type():
    run = build().run("data.loader", config_updates={"data.loader.dataset": [5, 6, 7]})
    assert run.result == [[5, 6], [7]]


def test_a_loader_command_is_named_iter_in_the_log_and_the_record():
    from ba3l import Ingredient

    ex = Experiment("iter_name")
    data = Ingredient("data")
    ex.ingredients.append(data)
    def batches(size=2):
        return size

    data.iter(batches, size=3)
    result = invoke(ex, "data.iter -u")
    assert result.exit_code == 0, result.stderr
    assert result.run.meta["command"] == "iter"
    assert "Running command 'iter'" in result.stderr

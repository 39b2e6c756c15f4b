"""The config layers, lowest first: signature defaults < config < parent < named < updates.

Each test checks one boundary: the value that wins and the layer its source names.
"""

import pytest

from ba3l import Experiment, Ingredient
from ba3l.config import ConfigTypeError, Layer, UnknownKeyError, UsageError, parse_assignment
from ba3l.experiment import ConfigRequest, Update, parse_command_line


def build() -> Experiment:
    """A fresh experiment: ``data`` with a captured loader, a config and a named config."""
    data = Ingredient("data")

    @data.capture(prefix="loader")
    def make_loader(batch_size=16, shuffle=False, workers=0):
        return batch_size, shuffle, workers

    @data.config
    def data_config():
        loader = {"shuffle": True}
        batch = 32
        steps = 1000 // batch

    @data.named_config
    def small():
        batch = 8

    ex = Experiment("priority", ingredients=[data])

    @ex.config
    def config():
        hidden = 128
        width = 2 * hidden
        out = 0
        data = {"batch": 50}

    @ex.named_config
    def big():
        hidden = 512
        out = hidden + 1

    @ex.named_config
    def huge():
        hidden = 1024

    @ex.main
    def main(hidden, width):
        return {"hidden": hidden, "width": width, "loader": make_loader()}

    return ex


def resolve(ex, *updates, named=(), force=False):
    return ex.resolve_config(ConfigRequest(tuple(named), tuple(updates), force=force))


def cli(key_value: str) -> Update:
    assignment = parse_assignment(key_value)
    return Update(assignment.path, assignment.value, "command line", assignment.add)


def layer(config, key: str) -> Layer:
    return config.sources[tuple(key.split("."))].layer


def test_captured_signature_defaults_are_the_lowest_layer():
    config = resolve(build())
    assert config.get(("data", "loader")) == {"batch_size": 16, "shuffle": True, "workers": 0}
    assert layer(config, "data.loader.batch_size") == Layer.DEFAULT
    assert config.sources[("data", "loader", "batch_size")].origin == "signature of make_loader"
    assert layer(config, "data.loader.workers") == Layer.DEFAULT


def test_the_ingredient_config_beats_signature_defaults():
    config = resolve(build())
    assert config.get(("data", "loader", "shuffle")) is True
    assert layer(config, "data.loader.shuffle") == Layer.CONFIG
    assert config.get(("data", "steps")) == 20  # computed from the parent's batch
    assert layer(config, "data.steps") == Layer.CONFIG


def test_the_captured_function_reads_the_merged_values():
    run = build().run()
    assert run.result == {"hidden": 128, "width": 256, "loader": (16, True, 0)}


def test_a_parent_value_beats_the_child_config_and_derived_entries_follow_it():
    config = resolve(build())
    assert config.get(("data", "batch")) == 50
    assert layer(config, "data.batch") == Layer.PARENT
    assert config.get(("data", "steps")) == 1000 // 50


def test_a_named_config_of_the_child_beats_the_parent():
    config = resolve(build(), named=["data.small"])
    assert config.get(("data", "batch")) == 8
    assert layer(config, "data.batch") == Layer.NAMED
    assert config.sources[("data", "batch")].origin.startswith("'data.small' at ")
    assert config.get(("data", "steps")) == 125
    assert config.shadowed[("data", "batch")] == 50  # what the parent wrote


def test_a_named_config_beats_the_config_and_derived_entries_follow_it():
    config = resolve(build(), named=["big"])
    assert config.get(("hidden",)) == 512
    assert layer(config, "hidden") == Layer.NAMED
    assert config.get(("width",)) == 1024
    assert layer(config, "width") == Layer.CONFIG
    assert config.get(("out",)) == 513


def test_of_two_named_configs_the_later_wins():
    ex = build()
    config = resolve(ex, named=["big", "huge"])
    assert config.get(("hidden",)) == 1024
    assert config.sources[("hidden",)].origin.startswith("'huge' at ")
    # big's derived entry follows the later named config
    assert config.get(("out",)) == 1025
    assert config.sources[("out",)].origin.startswith("'big' at ")
    assert config.get(("width",)) == 2048

    config = resolve(ex, named=["huge", "big"])
    assert config.get(("hidden",)) == 512
    assert config.sources[("hidden",)].origin.startswith("'big' at ")
    assert config.get(("out",)) == 513


def test_an_update_beats_a_named_config_and_its_derived_entries_follow():
    config = resolve(build(), cli("hidden=3"), named=["big"])
    assert config.get(("hidden",)) == 3
    assert layer(config, "hidden") == Layer.UPDATE
    assert config.sources[("hidden",)].origin == "command line"
    assert config.get(("out",)) == 4  # the named config's derived entry
    assert layer(config, "out") == Layer.NAMED
    assert config.get(("width",)) == 6  # the config's derived entry


def test_an_update_beats_a_parent_value():
    config = resolve(build(), cli("data.batch=10"))
    assert config.get(("data", "batch")) == 10
    assert layer(config, "data.batch") == Layer.UPDATE
    assert config.get(("data", "steps")) == 100


def test_an_update_beats_a_signature_default_under_a_dict_the_config_assigns():
    config = resolve(build(), cli("data.loader.batch_size=3"))
    assert config.get(("data", "loader")) == {"batch_size": 3, "shuffle": True, "workers": 0}
    assert layer(config, "data.loader.batch_size") == Layer.UPDATE
    assert config.marks(("data", "loader", "batch_size")) == ("modified",)
    assert config.shadowed[("data", "loader", "batch_size")] == 16


def test_a_type_change_of_a_signature_default_under_an_assigned_dict_is_caught():
    ex = build()
    with pytest.raises(ConfigTypeError) as error:
        resolve(ex, cli("data.loader.batch_size=3.5"))
    assert str(error.value) == (
        "config entry 'data.loader.batch_size' (command line): expected int like the default 16, got float 3.5"
    )


def test_of_two_updates_the_later_wins():
    config = build().resolve_config(
        ConfigRequest(
            updates=(
                Update(("hidden",), 1, "first"),
                Update(("data",), {"batch": 2}, "second"),
                Update(("hidden",), 5, "third"),
            )
        )
    )
    assert config.get(("hidden",)) == 5
    assert config.sources[("hidden",)].origin == "third"
    assert config.get(("data", "batch")) == 2
    assert config.sources[("data", "batch")].origin == "second"


def test_config_updates_of_run_later_wins():
    run = build().run(config_updates={"data": {"batch": 1}, "data.batch": 2, "hidden": 7})
    assert run.config.get(("data", "batch")) == 2
    assert run.config.get(("data", "steps")) == 500
    assert run.result["hidden"] == 7
    assert run.result["width"] == 14


def test_a_config_file_and_a_key_value_update_later_wins(tmp_path):
    ex = build()
    path = tmp_path / "conf.yaml"
    path.write_text("hidden: 4\ndata:\n  batch: 20\n")
    names = ex.named_configs

    line = parse_command_line(["with", str(path), "hidden=5"], names)
    config = ex.resolve_config(ConfigRequest(line.named_configs, line.updates))
    assert config.get(("hidden",)) == 5
    assert config.sources[("hidden",)].origin == "command line"
    assert config.get(("data", "batch")) == 20
    assert config.sources[("data", "batch")].origin == f"file {path}"
    assert layer(config, "data.batch") == Layer.UPDATE

    line = parse_command_line(["with", "hidden=5", str(path)], names)
    config = ex.resolve_config(ConfigRequest(line.named_configs, line.updates))
    assert config.get(("hidden",)) == 4
    assert config.sources[("hidden",)].origin == f"file {path}"
    assert config.get(("width",)) == 8


def test_a_config_file_beats_a_named_config(tmp_path):
    ex = build()
    path = tmp_path / "conf.json"
    path.write_text('{"hidden": 4}')
    line = parse_command_line(["with", str(path), "big"], ex.named_configs)
    config = ex.resolve_config(ConfigRequest(line.named_configs, line.updates))
    assert config.get(("hidden",)) == 4
    assert layer(config, "hidden") == Layer.UPDATE
    assert config.get(("out",)) == 5


def test_run_with_named_configs_and_updates():
    run = build().run(named_configs=["big", "data.small"], config_updates={"data.loader.batch_size": 3})
    assert run.result == {"hidden": 512, "width": 1024, "loader": (3, True, 0)}
    assert run.config.get(("data", "batch")) == 8
    assert layer(run.config, "data.loader.batch_size") == Layer.UPDATE


def test_an_unknown_named_config_is_a_usage_error():
    with pytest.raises(UsageError) as error:
        resolve(build(), named=["bigg"])
    assert str(error.value) == "unknown named config 'bigg' (did you mean 'big'?)"


def test_a_named_config_may_not_invent_keys():
    ex = build()

    @ex.named_config
    def inventive():
        hiddden = 1

    with pytest.raises(UnknownKeyError) as error:
        resolve(ex, named=["inventive"])
    assert str(error.value).startswith("unknown config key 'hiddden' (named config 'inventive' at ")
    assert str(error.value).endswith("(did you mean 'hidden'?); to add it on purpose write '+hiddden=...'")


# config hooks ------------------------------------------------------------------------


def build_with_hook(seen: list) -> Experiment:
    ex = build()

    @ex.config_hook
    def hook(config, command_name, logger):
        seen.append((config["hidden"], command_name))
        return {"hidden": config["hidden"] + 1, "data": {"batch": 11}}

    return ex


def test_a_config_hook_replaces_config_and_parent_values():
    seen: list = []
    config = build_with_hook(seen).resolve_config(ConfigRequest(command="main"))
    assert seen == [(128, "main")]
    assert config.get(("hidden",)) == 129
    assert layer(config, "hidden") == Layer.HOOK
    assert config.sources[("hidden",)].origin.endswith("hook")
    assert config.get(("data", "batch")) == 11
    assert layer(config, "data.batch") == Layer.HOOK
    # documented: entries derived in scopes are not recomputed from a hook's values
    assert config.get(("width",)) == 256
    assert config.get(("data", "steps")) == 20


def test_a_config_hook_does_not_replace_named_configs_or_updates():
    seen: list = []
    ex = build_with_hook(seen)
    config = resolve(ex, cli("data.batch=4"), named=["big"])
    assert seen == [(512, "")]  # the hook sees the named config's value
    assert config.get(("hidden",)) == 512
    assert layer(config, "hidden") == Layer.NAMED
    assert config.get(("data", "batch")) == 4
    assert layer(config, "data.batch") == Layer.UPDATE


def test_a_config_hook_runs_in_a_run():
    seen: list = []
    run = build_with_hook(seen).run()
    assert seen == [(128, "main")]
    assert run.result["hidden"] == 129


def test_a_config_hook_must_return_a_dict():
    ex = build()

    @ex.config_hook
    def bad_hook(config, command_name, logger):
        return [1]

    with pytest.raises(TypeError) as error:
        ex.resolve_config()
    assert str(error.value) == (
        "config hook test_a_config_hook_must_return_a_dict.<locals>.bad_hook must return a dict, not list"
    )


# unknown keys ------------------------------------------------------------------------


def test_an_update_to_an_undeclared_key_is_an_error_with_a_suggestion():
    with pytest.raises(UnknownKeyError) as error:
        build().run(config_updates={"data.bach": 3})
    assert str(error.value) == (
        "unknown config key 'data.bach' (config_updates) (did you mean 'data.batch'?); "
        "to add it on purpose write '+data.bach=...'"
    )


def test_an_update_to_an_undeclared_key_without_near_match():
    with pytest.raises(UnknownKeyError) as error:
        resolve(build(), cli("zzz=1"))
    assert str(error.value) == "unknown config key 'zzz' (command line); to add it on purpose write '+zzz=...'"


def test_an_added_key_needs_no_declaration():
    config = resolve(build(), cli("+data.extra=1"))
    assert config.get(("data", "extra")) == 1
    assert config.marks(("data", "extra")) == ("added",)


def test_a_key_declared_only_by_a_captured_parameter_is_accepted():
    ex = build()

    @ex.capture
    def uses_batch(batch):
        return batch

    @ex.command
    def show():
        return uses_batch()

    with pytest.raises(UnknownKeyError):
        build().run(config_updates={"batch": 4})
    run = ex.run("show", config_updates={"batch": 4})
    assert run.result == 4
    assert run.config.get(("batch",)) == 4
    assert layer(run.config, "batch") == Layer.UPDATE


def test_keys_under_a_none_or_empty_placeholder_are_accepted():
    ex = build()

    @ex.config
    def placeholders():
        model = None
        options = {}

    config = resolve(ex, cli("model.depth=3"), cli("options.anything.goes=True"))
    assert config.get(("model",)) == {"depth": 3}
    assert config.get(("options",)) == {"anything": {"goes": True}}
    # but the placeholder only opens its own subtree
    with pytest.raises(UnknownKeyError):
        resolve(ex, cli("modell.depth=3"))


def test_keys_under_a_captured_none_default_are_accepted():
    ex = build()

    @ex.capture(prefix="net")
    def make_net(kwargs=None):
        return kwargs

    config = resolve(ex, cli("net.kwargs.depth=3"))
    assert config.get(("net", "kwargs")) == {"depth": 3}


def test_a_named_config_that_reads_a_default_says_why_it_cannot():
    ex = Experiment("named_reads_default")

    @ex.config
    def config():
        lr = 0.1

    @ex.named_config
    def faster():
        lr = lr * 10  # noqa: F821 - the point of the test

    with pytest.raises(NameError) as error:
        ex.resolve_config(ConfigRequest(named_configs=("faster",)))
    assert any("runs before the config scopes" in note for note in error.value.__notes__)


def conflicting() -> Experiment:
    ex = Experiment("conflicts")

    @ex.config
    def config():
        opt = {"a": 1}

    @ex.named_config
    def as_dict():
        opt = {"a": 10}

    @ex.named_config
    def as_scalar():
        opt = None

    @ex.config_hook
    def hook(config, command, logger):
        return {"opt": 7}

    return ex


def resolve_with(ex, *updates, named=()):
    parsed = tuple(Update(a.path, a.value, "command line", a.add) for a in map(parse_assignment, updates))
    return ex.resolve_config(ConfigRequest(named_configs=tuple(named), updates=parsed, force=True))


def test_an_update_of_a_whole_entry_beats_a_named_configs_parts():
    config = resolve_with(conflicting(), "opt=None", named=["as_dict"])
    assert config.get(("opt",)) is None
    assert str(config.sources[("opt",)]) == "command line"


def test_an_update_of_a_part_beats_a_named_config_that_sets_the_whole():
    config = resolve_with(conflicting(), "opt={'a': 3}", named=["as_scalar"])
    assert config.get(("opt", "a")) == 3
    assert str(config.sources[("opt", "a")]) == "command line"


def test_the_later_named_config_wins_whether_dict_or_scalar():
    ex = conflicting()
    assert resolve_with(ex, named=["as_scalar", "as_dict"]).get(("opt",)) == {"a": 10}
    config = resolve_with(ex, named=["as_dict", "as_scalar"])
    assert config.get(("opt",)) is None
    assert config.sources[("opt",)].origin.startswith("'as_scalar' at ")


def test_a_hook_never_replaces_a_command_line_value_below_what_it_sets():
    config = resolve_with(conflicting(), "opt.a=3")
    assert config.get(("opt",)) == {"a": 3}
    assert str(config.sources[("opt", "a")]) == "command line"

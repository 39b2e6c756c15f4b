"""Ba3l-style scripts: ex.datasets / ex.models made on use, iter loaders found by markers."""

import pytest

from ba3l import CMD, Experiment, invoke
from ba3l.config import ConfigError


class Loader:
    def __init__(self, dataset, batch_size: int = 1, shuffle: bool = False):
        self.dataset, self.batch_size, self.shuffle = dataset, batch_size, shuffle


def build() -> Experiment:
    ex = Experiment("ba3l_style")

    @ex.datasets.command(prefix="train_set")
    def get_train_set(size=100):
        return list(range(size))

    @ex.datasets.command(prefix="val_set")
    def get_val_set(size=10):
        return list(range(size))

    ex.datasets.train.iter(Loader, batch_size=64, shuffle=True, train=True, dataset=CMD("/datasets.get_train_set"))
    ex.datasets.val.iter(Loader, batch_size=16, validate=True, dataset=CMD("/datasets.get_val_set"))

    @ex.main
    def main(_run):
        train, val = ex.get_train_dataloaders(), ex.get_val_dataloaders()
        every = ex.get_dataloaders()
        return train, val, every, _run

    @ex.command
    def by_path(_run):
        return _run.get_command_function("datasets.train.iter")().batch_size, _run

    return ex


def test_groups_make_ingredients_on_first_use_and_iter_arguments_are_config():
    ex = build()
    datasets = ex.resolve_config().values["datasets"]
    assert datasets["train"] == {
        "batch_size": 64, "shuffle": True, "train": True, "dataset": "@/datasets.get_train_set",
    }
    assert datasets["val"]["batch_size"] == 16 and datasets["val"]["validate"] is True
    assert ex.datasets.train is ex.datasets.train


def test_loaders_are_found_by_their_markers():
    train, val, every, _ = build().run(config_updates={"datasets.train.batch_size": 8}).result
    assert (train.batch_size, train.shuffle, len(train.dataset)) == (8, True, 100)
    assert (val.batch_size, len(val.dataset)) == (16, 10)
    assert set(every) == {"train", "val"}


def test_run_gives_commands_and_config_values_by_path():
    batch_size, run = build().run("by_path").result
    assert batch_size == 64
    assert run.get_config_path_value("datasets.val.batch_size") == 16
    with pytest.raises(ConfigError) as error:
        run.get_config_path_value("datasets.val.batchsize")
    assert str(error.value).startswith("no config entry 'datasets.val.batchsize' (did you mean 'datasets.val.batch_size'")


def test_ingredient_commands_run_from_the_command_line():
    result = invoke(build(), "datasets.get_val_set with datasets.val_set.size=3 -u")
    assert (result.exit_code, result.run.result) == (0, [0, 1, 2])


def test_two_commands_with_different_defaults_for_one_entry_are_refused():
    ex = Experiment("clash")

    @ex.command
    def first(size=100):
        return size

    @ex.command
    def second(size=10):
        return size

    result = invoke(ex, "print_config")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: config entry 'size' gets the default 100 from first and 10 from second; give one of them a prefix\n"
    )


def test_two_experiments_do_not_share_groups():
    first, second = build(), Experiment("other")
    assert second.datasets.ingredients == []
    assert {c.path for c in first.datasets.ingredients} == {"train", "val"}


def test_get_dataloaders_outside_a_run_is_a_clear_error():
    with pytest.raises(ConfigError) as error:
        build().get_train_dataloaders()
    assert str(error.value) == "get_dataloaders() builds loaders from a run's config: call it inside a run"

"""Captured functions: missing arguments come from the config; run values are injected."""

import logging
import random

import pytest

from ba3l import Experiment, Ingredient
from ba3l.config import UnknownKeyError
from ba3l.experiment import Captured, ConfigRequest, MissingConfigError, Update
from ba3l.run import Run

data = Ingredient("data")


@data.config
def data_config():
    batch = 32
    loader = {"workers": 2}


@data.capture
def load(batch, shuffle=False):
    return batch, shuffle


@data.capture
def needs_root(batch, root):
    return batch, root


@data.capture(prefix="loader")
def make_loader(workers, pin_memory=True, needed=None):
    return workers, pin_memory, needed


@data.capture(prefix="loader")
def make_loader_strict(workers, timeout):
    return workers, timeout


@data.capture
def specials(_config, _log, _run, _seed, _rnd):
    return _config, _log, _run, _seed, _rnd


@data.capture
def seed_a(_seed):
    return _seed


@data.capture
def seed_b(_seed):
    return _seed


@data.capture
def draw(_rnd):
    return _rnd.random()


def experiment(body) -> Experiment:
    """An experiment with ``data`` whose main calls ``body()``."""
    ex = Experiment("capture", ingredients=[data])

    @ex.config
    def config():
        lr = 0.1

    @ex.main
    def main():
        return body()

    return ex


def test_missing_arguments_come_from_the_ingredient_config():
    assert experiment(load).run().result == (32, False)
    assert experiment(load).run(config_updates={"data.batch": 8}).result == (8, False)


def test_explicit_arguments_win():
    assert experiment(lambda: load(5)).run().result == (5, False)
    assert experiment(lambda: load(batch=6, shuffle=True)).run().result == (6, True)


def test_a_prefix_reads_from_a_sub_path_and_declares_the_defaults():
    ex = experiment(make_loader)
    assert ex.resolve_config().get(("data", "loader")) == {"workers": 2, "pin_memory": True, "needed": None}
    assert ex.run().result == (2, True, None)
    assert ex.run(config_updates={"data.loader.pin_memory": False}).result == (2, False, None)


def test_a_missing_entry_names_the_function_the_argument_and_the_ingredient():
    with pytest.raises(MissingConfigError) as error:
        experiment(needs_root).run()
    assert str(error.value) == (
        "needs_root() needs the argument 'root': pass it, or set the config entry 'data.root' (ingredient 'data')"
    )
    assert isinstance(error.value, TypeError)  # like a plain call without the argument


def test_a_missing_entry_under_a_prefix_names_the_full_path():
    with pytest.raises(MissingConfigError) as error:
        experiment(make_loader_strict).run()
    assert str(error.value) == (
        "make_loader_strict() needs the argument 'timeout': pass it, or set the config entry "
        "'data.loader.timeout' (ingredient 'data')"
    )
    assert experiment(lambda: make_loader_strict(timeout=3)).run().result == (2, 3)


def test_a_missing_entry_of_a_nested_ingredient_names_its_path():
    inner = Ingredient("inner")

    @inner.capture
    def needs(value):
        return value

    outer = Ingredient("outer", ingredients=[inner])
    ex = Experiment("nested", ingredients=[outer])

    @ex.main
    def main():
        return needs()

    with pytest.raises(MissingConfigError) as error:
        ex.run()
    assert str(error.value) == (
        "needs() needs the argument "
        "'value': pass it, or set the config entry 'outer.inner.value' (ingredient 'outer.inner')"
    )


def test_config_is_the_ingredient_subtree_and_a_copy():
    def body():
        config = specials()[0]
        config["batch"] = -1  # changing the copy changes nothing
        return config, load()

    config, loaded = experiment(body).run().result
    assert config == {"batch": -1, "loader": {"workers": 2, "pin_memory": True, "needed": None}}
    assert loaded == (32, False)


def test_the_root_config_is_the_whole_tree():
    ex = experiment(lambda: None)

    @ex.capture
    def whole(_config):
        return _config

    @ex.command
    def show():
        return whole()

    run = ex.run("show", config_updates={"seed": 3})
    loader = {"workers": 2, "pin_memory": True, "needed": None}
    assert run.result == {"seed": 3, "lr": 0.1, "data": {"batch": 32, "loader": loader}}


def test_log_and_run_are_injected():
    run = experiment(specials).run()
    _, log, injected_run, seed, rnd = run.result
    assert isinstance(log, logging.Logger)
    assert log.name == "capture"
    assert injected_run is run
    assert isinstance(run, Run)
    assert isinstance(seed, int) and 0 <= seed < 2**31
    assert isinstance(rnd, random.Random)


def test_seeds_are_deterministic_per_function_given_the_run_seed():
    def body():
        return [seed_a(), seed_a(), seed_b(), seed_b()]

    first = experiment(body).run(config_updates={"seed": 42}).result
    again = experiment(body).run(config_updates={"seed": 42}).result
    other = experiment(body).run(config_updates={"seed": 43}).result
    assert first == again
    assert first != other
    a1, a2, b1, b2 = first
    assert a1 != a2  # successive calls get successive seeds
    assert a1 != b1  # functions get their own sequences
    assert b1 != b2


def test_a_seed_sequence_does_not_depend_on_other_functions_calls():
    only_a = experiment(lambda: [seed_a(), seed_a()]).run(config_updates={"seed": 42}).result
    mixed = experiment(lambda: [seed_b(), seed_a(), seed_b(), seed_a()]).run(config_updates={"seed": 42}).result
    assert only_a == [mixed[1], mixed[3]]


def test_rnd_is_a_seeded_random_generator():
    def body():
        return [draw(), draw()]

    first = experiment(body).run(config_updates={"seed": 7}).result
    assert first == experiment(body).run(config_updates={"seed": 7}).result
    assert first[0] != first[1]
    assert first != experiment(body).run(config_updates={"seed": 8}).result


def test_an_explicit_special_argument_wins():
    assert experiment(lambda: seed_a(_seed=5)).run().result == 5


def test_outside_a_run_a_captured_function_is_a_plain_call():
    assert load(1) == (1, False)
    assert make_loader(4) == (4, True, None)
    assert seed_a(_seed=9) == 9
    with pytest.raises(TypeError) as error:
        load()
    assert not isinstance(error.value, MissingConfigError)
    assert str(error.value) == "load() missing 1 required positional argument: 'batch'"


def test_captured_keeps_the_function_identity():
    assert isinstance(load, Captured)
    assert load.name == "load"
    assert load.__name__ == "load"
    assert load.__wrapped__.__name__ == "load"
    assert load.qualified_name == f"{__name__}.load"
    assert load.ingredient is data
    assert make_loader.prefix == ("loader",)
    assert [p.name for p in load.signature.parameters] == ["batch", "shuffle"]
    assert specials.signature.parameters == ()


def test_capturing_a_captured_function_again_keeps_it():
    ingredient = Ingredient("again")

    def f(x=1):
        return x

    first = ingredient.capture(f)
    assert ingredient.capture(first) is first


def test_config_values_are_copies_for_each_call():
    model = Ingredient("model")
    model.add_config(layers=[1, 2])

    @model.capture
    def mutate(layers):
        layers.append(3)
        return layers

    ex = Experiment("copies", ingredients=[model])

    @ex.main
    def main(_run):
        return mutate(), mutate(), _run.config.get(("model", "layers"))

    assert ex.run().result == ([1, 2, 3], [1, 2, 3], [1, 2])


def test_a_captured_method_binds_to_its_instance():
    ex = Experiment("methods")

    @ex.config
    def config():
        hidden = 32

    class Model:
        scale = 2

        @ex.capture
        def width(self, hidden):
            return self.scale * hidden

    @ex.main
    def main():
        return Model().width(), Model().width(hidden=5)

    assert ex.run().result == (64, 10)
    with pytest.raises(UnknownKeyError):  # self is not a config key the method declares
        ex.resolve_config(ConfigRequest(updates=(Update(("self",), 3, "command line"),)))


def test_a_thread_sees_the_run_only_in_a_copy_of_the_context():
    import contextvars
    import threading

    ex = Experiment("threads")

    @ex.config
    def config():
        hidden = 7

    @ex.capture
    def read(hidden=None):
        return hidden

    seen = {}

    @ex.main
    def main():
        plain = threading.Thread(target=lambda: seen.update(plain=read()))
        copied = threading.Thread(target=contextvars.copy_context().run, args=(lambda: seen.update(copied=read()),))
        for thread in (plain, copied):
            thread.start()
            thread.join()

    ex.run()
    assert seen == {"plain": None, "copied": 7}


def test_captured_callables_read_a_configured_context_outside_a_run():
    data = Ingredient("data")

    @data.config
    def data_config():
        batch_size = 64

    @data.capture
    def describe(batch_size, _seed, _run):
        return batch_size, _seed, _run

    ex = Experiment("notebook", ingredients=[data])
    with ex.configured({"data.batch_size": 8, "seed": 3}) as context:
        batch_size, seed, run = describe()
        again = describe()[1]
    assert (batch_size, run) == (8, None)
    assert context.config.values["data"] == {"batch_size": 8}
    assert seed != again  # a sequence per callable, as in a run
    with ex.configured({"seed": 3}):
        assert describe()[1] == seed  # fixed by the seed and the callable's name
    assert describe(batch_size=1, _seed=0, _run=None) == (1, 0, None)  # outside: a plain call

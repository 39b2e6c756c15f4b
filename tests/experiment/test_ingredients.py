"""Ingredients: nesting, reuse across experiments, and the ways to add config."""

import sys

import pytest

from ba3l import Experiment, Ingredient
from ba3l.config import ConfigError, ConfigFileError, Layer, UnknownKeyError, display_path
from ba3l.experiment import ConfigRequest, list_mounts


def make_cache() -> Ingredient:
    cache = Ingredient("cache")

    @cache.config
    def cache_config():
        size = 10  # entries kept in memory

    @cache.capture
    def cache_size(size):
        return size

    cache.cache_size = cache_size
    return cache


def test_nested_ingredients_live_at_dotted_paths():
    cache = make_cache()
    data = Ingredient("data", ingredients=[cache])

    @data.config
    def data_config():
        batch = 4

    ex = Experiment("nested", ingredients=[data])

    @ex.main
    def main():
        return cache.cache_size()

    assert [(m.path, m.ingredient) for m in list_mounts(ex)] == [((), ex), (("data",), data), (("data", "cache"), cache)]
    config = ex.resolve_config()
    assert config.get(("data",)) == {"batch": 4, "cache": {"size": 10}}
    assert config.docs[("data", "cache", "size")] == "entries kept in memory"
    run = ex.run(config_updates={"data.cache.size": 99})
    assert run.result == 99


def test_a_dotted_ingredient_name_mounts_at_that_path():
    deep = Ingredient("models.net")

    @deep.config
    def net_config():
        width = 3

    ex = Experiment("dotted", ingredients=[deep])
    assert ex.resolve_config().get(("models",)) == {"net": {"width": 3}}


def test_an_ingredient_name_must_be_a_dotted_identifier():
    with pytest.raises(ConfigError) as error:
        Ingredient("my-data")
    assert str(error.value) == "ingredient name 'my-data' must be a dotted name of identifiers"


def test_one_ingredient_serves_two_experiments_at_different_paths():
    cache = make_cache()
    prep = Ingredient("prep", ingredients=[cache])
    ex1 = Experiment("one", ingredients=[cache])
    ex2 = Experiment("two", ingredients=[prep])

    @ex1.main
    def main1():
        return cache.cache_size()

    @ex2.main
    def main2():
        return cache.cache_size()

    assert ex1.resolve_config().get(("cache", "size")) == 10
    assert ex2.resolve_config().get(("prep", "cache", "size")) == 10
    assert ex1.run(config_updates={"cache.size": 1}).result == 1
    assert ex2.run(config_updates={"prep.cache.size": 2}).result == 2
    # the path of one experiment means nothing in the other
    with pytest.raises(UnknownKeyError):
        ex2.run(config_updates={"cache.size": 1})


def test_two_experiments_in_one_process_share_no_state():
    cache = make_cache()
    ex1 = Experiment("one", ingredients=[cache])
    ex2 = Experiment("two", ingredients=[cache])

    @ex1.config
    def config1():
        lr = 0.1

    @ex1.main
    def main1(lr, _run):
        return lr, cache.cache_size(), _run

    @ex2.main
    def main2(_run):
        return cache.cache_size(), _run

    run1 = ex1.run(config_updates={"cache.size": 5, "lr": 0.5})
    run2 = ex2.run()
    assert run1.result[:2] == (0.5, 5)
    assert run2.result[0] == 10
    assert run1.result[2] is run1 and run2.result[1] is run2
    assert "lr" not in run2.config.values
    assert ex1.resolve_config().get(("cache", "size")) == 10  # the update did not stick
    assert ex1.run().result[:2] == (0.1, 10)


def test_a_run_inside_a_run_restores_the_outer_config():
    cache = make_cache()
    inner = Experiment("inner", ingredients=[cache])
    outer_cache = make_cache()
    outer = Experiment("outer", ingredients=[outer_cache])

    @inner.main
    def inner_main():
        return cache.cache_size()

    @outer.main
    def outer_main():
        before = outer_cache.cache_size()
        nested = inner.run(config_updates={"cache.size": 3}).result
        return before, nested, outer_cache.cache_size()

    assert outer.run(config_updates={"cache.size": 7}).result == (7, 3, 7)


def test_using_one_ingredient_twice_in_one_tree_is_an_error():
    cache = make_cache()
    data = Ingredient("data", ingredients=[cache])
    ex = Experiment("twice", ingredients=[data, cache])
    with pytest.raises(ConfigError) as error:
        ex.resolve_config()
    assert str(error.value) == "ingredient 'cache' is used twice: at 'data.cache' and at 'cache'"


def test_a_parent_sets_a_nested_ingredient_config():
    cache = make_cache()
    data = Ingredient("data", ingredients=[cache])

    @data.config
    def data_config():
        cache = {"size": 20}

    ex = Experiment("parent", ingredients=[data])
    config = ex.resolve_config()
    assert config.get(("data", "cache", "size")) == 20
    assert config.sources[("data", "cache", "size")].layer == Layer.PARENT


# add_config and add_named_config -------------------------------------------------------


def test_add_config_from_a_dict_a_file_and_keywords(tmp_path):
    path = tmp_path / "conf.yaml"
    path.write_text("lr: 0.5\nopt:\n  name: sgd\n  betas: [0.9, 0.99]\n")
    ex = Experiment("add")
    ex.add_config({"hidden": 1, "shape": (2, 3)})
    dict_line = sys._getframe().f_lineno - 1
    ex.add_config(str(path))
    ex.add_config(depth=3)
    config = ex.resolve_config()
    values = dict(config.values)
    values.pop("seed")
    assert values == {"hidden": 1, "shape": [2, 3], "lr": 0.5, "opt": {"name": "sgd", "betas": [0.9, 0.99]}, "depth": 3}
    assert config.sources[("hidden",)].layer == Layer.CONFIG
    here = display_path(__file__)
    assert config.sources[("hidden",)].origin == f"{here}:{dict_line}"
    assert config.sources[("opt", "name")].origin == str(path)
    assert config.sources[("depth",)].origin == f"{here}:{dict_line + 3}"


def test_add_config_accepts_a_path_object(tmp_path):
    path = tmp_path / "conf.json"
    path.write_text('{"lr": 0.25}')
    ex = Experiment("path")
    ex.add_config(path)
    assert ex.resolve_config().get(("lr",)) == 0.25


def test_add_config_takes_one_kind_of_input():
    ex = Experiment("both")
    with pytest.raises(ConfigError) as error:
        ex.add_config({"a": 1}, b=2)
    assert str(error.value) == "add_config: give a dict, a file or keyword entries, not several"


def test_add_config_of_a_missing_file_is_an_error(tmp_path):
    ex = Experiment("missing")
    with pytest.raises(ConfigFileError):
        ex.add_config(str(tmp_path / "nope.yaml"))


def test_a_later_config_source_replaces_an_earlier_one():
    ex = Experiment("order")
    ex.add_config(hidden=1, lr=0.1)

    @ex.config
    def config():
        hidden = 2
        doubled = lr * 2  # reads the earlier source's value

    config = ex.resolve_config()
    assert config.get(("hidden",)) == 2
    assert config.get(("doubled",)) == 0.2


def test_add_named_config_from_a_dict_a_file_and_keywords(tmp_path):
    path = tmp_path / "big.json"
    path.write_text('{"hidden": 999}')
    ex = Experiment("named")
    ex.add_config(hidden=1, lr=0.1)
    ex.add_named_config("big", {"hidden": 100})
    big_line = sys._getframe().f_lineno - 1
    ex.add_named_config("from_file", str(path))
    ex.add_named_config("kw", hidden=7, lr=0.2)

    def resolve(*names):
        return ex.resolve_config(ConfigRequest(named_configs=names))

    assert resolve("big").get(("hidden",)) == 100
    assert resolve("big").sources[("hidden",)].layer == Layer.NAMED
    assert resolve("big").sources[("hidden",)].origin == f"'big' at {display_path(__file__)}:{big_line}"
    assert resolve("from_file").get(("hidden",)) == 999
    assert resolve("from_file").sources[("hidden",)].origin == f"'from_file' at {path}"
    assert resolve("kw").get(("hidden",)) == 7 and resolve("kw").get(("lr",)) == 0.2
    assert resolve("big", "from_file").get(("hidden",)) == 999
    assert resolve("from_file", "big").get(("hidden",)) == 100


def test_a_named_config_name_must_be_an_identifier():
    ex = Experiment("badname")
    with pytest.raises(ConfigError) as error:
        ex.add_named_config("not ok", {"a": 1})
    assert str(error.value) == "named config name 'not ok' must be an identifier"


def test_named_configs_of_ingredients_are_qualified_by_their_path():
    cache = make_cache()

    @cache.named_config
    def tiny():
        size = 1

    cache.add_named_config("huge", size=10_000)
    data = Ingredient("data", ingredients=[cache])
    ex = Experiment("qualified", ingredients=[data])
    config = ex.resolve_config(ConfigRequest(named_configs=("data.cache.tiny",)))
    assert config.get(("data", "cache", "size")) == 1
    assert config.sources[("data", "cache", "size")].layer == Layer.NAMED
    config = ex.resolve_config(ConfigRequest(named_configs=("data.cache.tiny", "data.cache.huge")))
    assert config.get(("data", "cache", "size")) == 10_000


def test_sacred_keyword_arguments_are_accepted(tmp_path):
    data = Ingredient("data", save_git_info=False, interactive=True)
    ex = Experiment("sacred_style", ingredients=[data], base_dir=str(tmp_path), save_git_info=False)
    assert (ex.base_dir, ex.save_git_info, data.save_git_info) == (str(tmp_path), False, False)
    assert list_mounts(ex)[1].path == ("data",)

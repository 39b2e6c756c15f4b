"""Saved configs replay: ``save_config`` then ``with saved.json`` rebuilds the same config.

Property-based (hypothesis): each example builds an experiment from generated config
dicts (root, an ingredient, a sub-ingredient), module-level config scopes with derived
entries, a parent write, a config hook, a captured class with signature defaults and
extra entries, command references, a dynamic ingredient (``dynamic_parts.py``), and
generated named configs; it then saves the config for a generated selection of named
configs and updates (type-compatible changes of existing keys, ``+new.key=value``
additions, perhaps a swap of the dynamic ingredient) and checks that replaying the saved
file gives the very same file, byte for byte, seed included.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ba3l import CMD, DynamicIngredient, Experiment, Ingredient, invoke
from ba3l.config import get, is_reference, leaves, parse_assignment
from ba3l.experiment import ConfigRequest, Update

# -- the fixed part of every generated experiment -------------------------------------


def root_scope():
    """A small network."""
    hidden = 16  # hidden units
    width = 2 * hidden  # derived: follows hidden
    label = f"mlp{hidden}"  # derived text
    optimizer = {"kind": "adam", "betas": (0.9, 0.999)}
    hooked = 0  # replaced by the config hook
    data = {"shuffle": False}  # a parent write into the ingredient
    models = {"net": DynamicIngredient("dynamic_parts.small_net", depth=3)}  # a dynamic ingredient


def data_scope():
    size = 10  # examples
    steps = 3 * size  # derived: follows size
    shuffle = True  # the root's write wins


def wide():
    """A wider network (a named config scope)."""
    hidden = 64
    width = 3 * hidden


class Model:
    """A model built from config.

    Args:
        dataset: the examples.
        width: units per layer.
        rate: the learning rate.
        act: the activation.
        bias: whether layers have a bias.
        sizes: layer sizes.
        head: anything.
    """

    def __init__(
        self,
        dataset=CMD("/data.train_set"),
        width: int = 8,
        rate: float = 0.5,
        act: str = "relu",
        bias: bool = True,
        sizes: list = (1, 2),
        head=None,
        secret=None,
    ):
        self.dataset, self.width, self.rate, self.act = dataset, width, rate, act
        self.bias, self.sizes, self.head, self.secret = bias, sizes, head, secret


RESERVED = {
    "seed", "hidden", "width", "label", "optimizer", "hooked", "data", "model", "source", "size",
    "steps", "shuffle", "dataset", "cache", "origin", "rate", "act", "bias", "sizes", "head", "secret",
    "models", "net", "ingredient", "depth", "activation", "dropout",
}
SWAP = "models.net=dynamic_parts.wide_net"  # the dynamic ingredient swapped for another
NAMED = ("wide", "small", "big", "data.tiny")


class Spec(NamedTuple):
    """The generated parts of an experiment."""

    root: dict
    data: dict
    cache: dict
    extra: dict


def build(spec: Spec) -> Experiment:
    """An experiment with every kind of config source; named configs are added later."""
    cache = Ingredient("cache")
    cache.add_config({**spec.cache, "origin": CMD("train_set")})  # bare: found in the parent
    data = Ingredient("data", ingredients=[cache])
    data.config(data_scope)
    data.add_config({**spec.data, "dataset": CMD(".train_set")})

    @data.command
    def train_set(size):
        return list(range(size))

    ex = Experiment("round_trip", ingredients=[data])
    ex.config(root_scope)
    ex.add_config({**spec.root, "source": CMD("/data.train_set")})
    ex.named_config(wide)
    ex.command(Model, prefix="model", static_args={"secret": "kept out"}, **spec.extra)

    @ex.config_hook
    def hook(config, command, logger):
        return {"hooked": config["hidden"] + 1}

    @ex.main
    def main():
        return 0

    return ex


# -- strategies -------------------------------------------------------------------------

KEYS = st.from_regex(r"[a-z][a-z0-9_]{0,5}", fullmatch=True).filter(lambda key: key not in RESERVED)
TEXT = st.text(max_size=8).filter(lambda text: not is_reference(text))
FLOATS = st.floats(allow_nan=False, allow_infinity=False)
SCALARS = st.none() | st.booleans() | st.integers() | FLOATS | TEXT
VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3), max_leaves=6
)
CONFIGS = st.dictionaries(KEYS, VALUES, max_size=4)
# extra entries of a captured callable, dicts among them
EXTRAS = st.dictionaries(KEYS, VALUES, max_size=3)
SPECS = st.builds(Spec, CONFIGS, CONFIGS, CONFIGS, EXTRAS)

ANYWHERE = ("@/data.train_set", "@/main", "@main", "@@not a reference")


def references(path: tuple[str, ...]) -> tuple[str, ...]:
    """References that name an existing command from ``path``, and that make no cycle."""
    if path[:2] == ("data", "cache"):
        return ANYWHERE + ("@train_set",)  # bare: looked up in data.cache, then in data
    if path[:1] == ("data",):
        return ANYWHERE + ("@.train_set", "@train_set")
    return ANYWHERE


def compatible(old: Any, path: tuple[str, ...]) -> st.SearchStrategy:
    """A value that may replace ``old``: the same type, an int for a float, anything for None."""
    refs = st.sampled_from(references(path))
    if old is None:
        return VALUES | refs
    if isinstance(old, bool):
        return st.booleans()
    if isinstance(old, int):
        return st.integers()
    if isinstance(old, float):
        return FLOATS | st.integers(-(2**53), 2**53)
    if isinstance(old, str):
        return TEXT | refs
    if isinstance(old, list):
        return st.lists(VALUES, max_size=3)
    return st.dictionaries(KEYS, VALUES, max_size=3)  # an empty dict: a placeholder


@st.composite
def changes(draw, baseline: dict, under: tuple[str, ...] = (), most: int = 4) -> dict:
    """A nested dict of type-compatible new values for leaves of ``baseline`` under ``under``
    (not of the dynamic ingredient, which a command line may swap)."""
    paths = [path for path, _ in leaves(baseline) if path[: len(under)] == under and path[0] != "models"]
    out: dict = {}
    for path in draw(st.lists(st.sampled_from(paths), min_size=0, max_size=most, unique=True)):
        node = out
        for key in path[len(under) : -1]:
            node = node.setdefault(key, {})
        node[path[-1]] = draw(compatible(get(baseline, path), path))
    return out


def token(path: tuple[str, ...], value: Any, add: bool = False) -> str:
    return ("+" if add else "") + ".".join(path) + "=" + repr(value)


@st.composite
def command_lines(draw, baseline: dict) -> list[str]:
    """Named configs, then updates of existing keys and additions of new ones, shuffled."""
    words = draw(st.lists(st.sampled_from(NAMED), max_size=3))
    leaf_paths = [path for path, _ in leaves(baseline) if path[-1] != "ingredient"]
    nodes = [()] + sorted({path[:i] for path in leaf_paths for i in range(1, len(path))})
    updates = []
    for path in draw(st.lists(st.sampled_from(leaf_paths), max_size=4)):
        updates.append((path, draw(compatible(get(baseline, path), path)), False))
    for parent in draw(st.lists(st.sampled_from(nodes), max_size=3)):
        path = parent + tuple("new_" + key for key in draw(st.lists(KEYS, min_size=1, max_size=2)))
        updates.append((path, draw(VALUES | st.sampled_from(references(path))), True))
    for path, value, add in draw(st.permutations(updates)):
        words.append(token(path, value, add))
    return words


class Case(NamedTuple):
    """One generated example: the experiment's parts, its named configs and a command line."""

    spec: Spec
    named: dict  # named config name -> its dict ("data.tiny" belongs to the ingredient)
    words: list[str]

    def experiment(self) -> Experiment:
        ex = build(self.spec)
        data = next(child for child in ex.ingredients if child.path == "data")
        for name, values in self.named.items():
            (data if name.startswith("data.") else ex).add_named_config(name.removeprefix("data."), values)
        return ex


@st.composite
def cases(draw) -> Case:
    """A generated experiment with generated named configs, and a command line for it."""
    spec = draw(SPECS)
    baseline = build(spec).resolve_config().values
    named = {
        "small": draw(changes(baseline)),
        "big": draw(changes(baseline)),
        "data.tiny": draw(changes(baseline, ("data",))),
    }
    if not draw(st.booleans()):
        return Case(spec, named, draw(command_lines(baseline)))
    swapped = build(spec).resolve_config(ConfigRequest(updates=as_updates([SWAP])[1])).values
    return Case(spec, named, [SWAP, *draw(command_lines(swapped))])


# -- helpers ------------------------------------------------------------------------------

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def save(ex: Experiment, path: Path, words: list[str]) -> str:
    """``save_config PATH with WORDS``; the saved text."""
    result = invoke(ex, ["save_config", str(path), "with", *words])
    assert result.exit_code == 0, (words, result.stderr)
    assert result.stdout == f"saved the config to {path}\n"
    return path.read_text(encoding="utf-8")


def as_updates(words: list[str]) -> tuple[tuple[str, ...], tuple[Update, ...]]:
    """The named configs and updates of ``words``, as a ``ConfigRequest`` takes them."""
    named = tuple(word for word in words if "=" not in word)
    assignments = [parse_assignment(word) for word in words if "=" in word]
    return named, tuple(Update(a.path, a.value, "command line", a.add) for a in assignments)


def dumped(values: dict) -> str:
    """The text ``save_config`` writes for ``values`` as JSON (key order included)."""
    return json.dumps(values, indent=2, ensure_ascii=False) + "\n"


# -- properties -----------------------------------------------------------------------------


@SETTINGS
@given(cases())
def test_a_saved_config_replays_to_the_same_file(case):
    ex, words = case.experiment(), case.words
    with tempfile.TemporaryDirectory() as folder:
        first, second = Path(folder, "first.json"), Path(folder, "second.json")
        text = save(ex, first, words)
        assert save(ex, second, [str(first)]) == text
        printed = invoke(ex, ["print_config", "with", str(first)])
        assert printed.exit_code == 0, printed.stderr
        assert "seed = " in printed.stdout


@SETTINGS
@given(cases())
def test_the_saved_file_holds_the_resolved_config(case):
    ex, words = case.experiment(), case.words
    with tempfile.TemporaryDirectory() as folder:
        first = Path(folder, "first.json")
        text = save(ex, first, words)
    saved = json.loads(text)
    named, updates = as_updates(words)
    seed = Update(("seed",), saved["seed"], "test")
    assert dumped(ex.resolve_config(ConfigRequest(named, updates + (seed,))).values) == text
    replayed = ex.resolve_config(ConfigRequest(updates=(Update((), saved, "file", add=True, warn_new=True),)))
    assert dumped(replayed.values) == text


@SETTINGS
@given(cases())
def test_a_yaml_save_replays_like_the_json_one(case):
    ex, words = case.experiment(), case.words
    with tempfile.TemporaryDirectory() as folder:
        first_yaml, first_json, again = (Path(folder, name) for name in ("first.yaml", "first.json", "again.json"))
        saved = save(ex, first_yaml, words)
        seed = yaml.safe_load(saved)["seed"]
        text = save(ex, first_json, [*words, f"seed={seed}"])
        assert save(ex, again, [str(first_yaml)]) == text


# -- one example, spelled out ----------------------------------------------------------------


def test_every_feature_in_one_replay(tmp_path):
    ex = build(Spec({"tags": ["a", 1]}, {"batch": 4}, {"keep": {"max": 2.5}}, {"train": True}))
    ex.add_named_config("small", {"hidden": 4, "data": {"batch": 2}})
    words = [
        "wide", "small", "width=7", "model.rate=2", "data.cache.keep.max=3", "model.dataset=@/main",
        "+new_run.note='first'", "+data.new_tag=@.train_set",
    ]
    text = save(ex, tmp_path / "first.json", words)
    saved = json.loads(text)
    assert {key: saved[key] for key in ("hidden", "width", "label", "hooked", "source")} == {
        "hidden": 4, "width": 7, "label": "mlp4", "hooked": 5, "source": "@/data.train_set",
    }
    assert saved["model"] == {
        "dataset": "@/main", "width": 8, "rate": 2.0, "act": "relu", "bias": True, "sizes": [1, 2],
        "head": None, "train": True,
    }
    assert saved["data"]["batch"] == 2 and saved["data"]["shuffle"] is False and saved["data"]["steps"] == 30
    assert saved["data"]["cache"] == {"keep": {"max": 3}, "origin": "@train_set"}
    assert saved["data"]["new_tag"] == "@.train_set" and saved["new_run"] == {"note": "first"}
    replay = invoke(ex, ["save_config", str(tmp_path / "second.json"), "with", str(tmp_path / "first.json")])
    assert replay.exit_code == 0, replay.stderr
    assert (tmp_path / "second.json").read_text(encoding="utf-8") == text


# -- bugs the properties above found, fixed ---------------------------------------------


def test_the_keys_inside_a_dict_extra_entry_can_be_updated():
    ex = Experiment("extra")
    ex.command(Model, prefix="model", static_args={"dataset": []}, opt={"lr": 0.1})
    result = invoke(ex, "print_config with model.opt.lr=0.2")
    assert result.exit_code == 0, result.stderr


def test_a_dict_update_merges_with_earlier_updates_under_it(tmp_path):
    ex = Experiment("stale")
    ex.add_config(opt={"kind": "adam", "lr": 0.1})
    result = invoke(ex, ["save_config", str(tmp_path / "out.json"), "with", "opt.lr=0.2", "opt={'kind': 'sgd'}"])
    assert result.exit_code == 0, result.stderr
    assert json.loads((tmp_path / "out.json").read_text())["opt"] == {"kind": "sgd", "lr": 0.2}


def test_an_empty_named_config_changes_nothing():
    data = Ingredient("data")
    data.add_named_config("nothing", {})
    ex = Experiment("empty", ingredients=[data])
    ex.add_config(lr=0.1)
    ex.add_named_config("empty", {})
    for name in ("empty", "data.nothing"):
        result = invoke(ex, ["print_config", "with", name])
        assert result.exit_code == 0, result.stderr


def test_a_yaml_save_keeps_a_next_line_character(tmp_path):
    ex = Experiment("nel")
    ex.add_config(note="a\x85b")
    assert invoke(ex, ["save_config", str(tmp_path / "first.yaml")]).exit_code == 0
    assert invoke(ex, ["save_config", str(tmp_path / "again.json"), "with", str(tmp_path / "first.yaml")]).exit_code == 0
    assert json.loads((tmp_path / "again.json").read_text(encoding="utf-8"))["note"] == "a\x85b"

"""The config tree: paths, lookup, setting, walking and merging nested dicts."""

from ba3l.config import (
    MISSING,
    copy_tree,
    format_path,
    from_leaves,
    get,
    is_segment,
    leaves,
    merge,
    set_value,
    split_path,
    subtree,
)

TREE = {"lr": 0.1, "data": {"batch": 32, "cache": {"size": 10, "dir": None}}, "empty": {}, "layers": [1, 2]}


def test_format_and_split_path():
    assert format_path(("data", "cache", "size")) == "data.cache.size"
    assert format_path(()) == "<root>"
    assert split_path("data.cache.size") == ("data", "cache", "size")
    assert split_path("") == ()


def test_is_segment_accepts_identifiers_only():
    assert is_segment("batch_size")
    assert is_segment("_x1")
    assert not is_segment("1x")
    assert not is_segment("a.b")
    assert not is_segment("a-b")
    assert not is_segment("")
    assert not is_segment("a\n")


def test_get_returns_values_and_missing():
    assert get(TREE, ("data", "cache", "size")) == 10
    assert get(TREE, ("data", "cache", "dir")) is None  # None is a value, not absence
    assert get(TREE, ("data", "cache")) == {"size": 10, "dir": None}
    assert get(TREE, ()) is TREE
    assert get(TREE, ("data", "nope")) is MISSING
    assert get(TREE, ("lr", "deeper")) is MISSING  # a leaf has no children
    assert get(TREE, ("data", "nope"), default=5) == 5
    assert repr(MISSING) == "MISSING"


def test_set_value_creates_and_replaces_intermediate_nodes():
    tree: dict = {"a": 1}
    set_value(tree, ("b", "c", "d"), 2)
    assert tree == {"a": 1, "b": {"c": {"d": 2}}}
    set_value(tree, ("a", "x"), 3)  # a non-dict on the way is replaced
    assert tree == {"a": {"x": 3}, "b": {"c": {"d": 2}}}
    set_value(tree, ("b", "c", "e"), 4)
    assert tree["b"] == {"c": {"d": 2, "e": 4}}


def test_subtree_is_the_dict_at_a_path_or_empty():
    assert subtree(TREE, ("data",)) == {"batch": 32, "cache": {"size": 10, "dir": None}}
    assert subtree(TREE, ("lr",)) == {}
    assert subtree(TREE, ("missing",)) == {}
    assert subtree(TREE, ()) is TREE


def test_leaves_walks_depth_first_in_order_with_empty_dicts_as_leaves():
    assert list(leaves(TREE)) == [
        (("lr",), 0.1),
        (("data", "batch"), 32),
        (("data", "cache", "size"), 10),
        (("data", "cache", "dir"), None),
        (("empty",), {}),
        (("layers",), [1, 2]),
    ]
    assert list(leaves({"x": 1}, ("root",))) == [(("root", "x"), 1)]


def test_merge_merges_dicts_and_replaces_everything_else():
    base = {"a": {"x": 1, "y": 2}, "b": [1, 2], "c": {"k": 1}, "d": 1}
    override = {"a": {"y": 3, "z": 4}, "b": [3], "c": 5, "d": {"n": 1}}
    merged = merge(base, override)
    assert merged == {"a": {"x": 1, "y": 3, "z": 4}, "b": [3], "c": 5, "d": {"n": 1}}
    # neither input changes
    assert base == {"a": {"x": 1, "y": 2}, "b": [1, 2], "c": {"k": 1}, "d": 1}
    assert override == {"a": {"y": 3, "z": 4}, "b": [3], "c": 5, "d": {"n": 1}}


def test_merge_copies_the_override_values():
    override = {"a": {"list": [1]}}
    merged = merge({}, override)
    merged["a"]["list"].append(2)
    assert override == {"a": {"list": [1]}}


def test_copy_tree_is_deep_and_turns_tuples_into_lists():
    original = {"a": {"b": [1, {"c": 2}]}, "t": (1, 2)}
    copy = copy_tree(original)
    assert copy == {"a": {"b": [1, {"c": 2}]}, "t": [1, 2]}
    copy["a"]["b"][1]["c"] = 3
    assert original["a"]["b"][1]["c"] == 2


def test_from_leaves_builds_a_tree_and_later_pairs_win():
    tree = from_leaves([(("a", "b"), 1), (("a", "c"), 2), (("d",), 3), (("a", "b"), 4)])
    assert tree == {"a": {"b": 4, "c": 2}, "d": 3}


def test_leaves_and_from_leaves_round_trip():
    tree = {"lr": 0.1, "data": {"batch": 32, "cache": {"size": 10, "dir": None}}, "layers": [1, 2]}
    assert from_leaves(list(leaves(tree))) == tree

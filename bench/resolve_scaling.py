"""How resolving a config grows with its size.

For 1,000, 10,000 and 100,000 keys, builds an experiment whose config is spread over
a root ``ex.add_config(dict)``, a ``data`` and a ``model`` ingredient (each given a
dict of nested dicts, three levels deep), plus one root config scope with derived
entries; then resolves it with 1,000 command-line-style updates
(``ConfigRequest(updates=(Update(path, value, "command line"), ...))``) spread over
all three parts, one of them to a value that a derived entry follows.

Prints the median of 3 resolutions per size (building the experiment is not timed),
the time per key relative to the 1k case (a ratio that stays near 1 means linear
growth) and, for reference, the time ``print_config`` takes to format the result.
Target: 10,000 keys with 1,000 updates resolve in at most 1 s.

    .venv/bin/python bench/resolve_scaling.py [--sizes 1000 10000 100000] [--profile 10000]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import time
from typing import Any

from ba3l import Experiment, Ingredient
from ba3l.config import format_config, leaves
from ba3l.experiment import ConfigRequest, Update

TARGET_S = 1.0
TARGET_SIZE = 10_000
UPDATES = 1_000
FANOUT = 10  # dicts per level: parts hold g<i>.s<j>.k<n> entries


def _value(n: int) -> Any:
    """A leaf value; the types vary as in real configs."""
    return (n, n * 0.5, f"name{n}", n % 2 == 0, [n, n + 1])[n % 5]


def _changed(value: Any) -> Any:
    """A different value of the same type, as a user would type it."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    return value + [0]


def generated_tree(keys: int, start: int) -> dict:
    """``keys`` leaves in nested dicts three levels deep (``g3.s7.k42``)."""
    tree: dict = {}
    per_group = max(1, keys // FANOUT)
    per_sub = max(1, per_group // FANOUT)
    for n in range(keys):
        group = tree.setdefault(f"g{n // per_group}", {})
        sub = group.setdefault(f"s{n % per_group // per_sub}", {})
        sub[f"k{n}"] = _value(start + n)
    return tree


def build(keys: int) -> Experiment:
    """An experiment with ``keys`` generated entries, a third in each part, and a scope."""
    third = keys // 3
    data, model = Ingredient("data"), Ingredient("model")
    data.add_config(generated_tree(third, 0))
    model.add_config(generated_tree(third, third))
    ex = Experiment("scaling", ingredients=[data, model])
    ex.add_config(generated_tree(keys - 2 * third, 2 * third))

    @ex.config
    def config():
        """Entries derived from others follow them when they are updated."""
        hidden = 128  # hidden units
        width = 2 * hidden  # derived
        layers = 3
        lr = 1e-3  # learning rate
        optimizer = {"name": "adam", "lr": lr, "betas": (0.9, 0.999)}  # derived lr
        schedule = {"warmup": 100, "min_lr": lr / 100}  # derived
        parameters = layers * hidden * width  # derived

    return ex


def request_for(ex: Experiment, updates: int) -> ConfigRequest:
    """``updates`` updates to leaves spread evenly over the config, ``hidden`` among them."""
    generated = [
        (path, value) for path, value in leaves(ex.resolve_config().values) if path[-1].startswith("k")
    ]
    step = max(1, len(generated) // (updates - 1))
    chosen = [Update(path, _changed(value), "command line") for path, value in generated[::step][: updates - 1]]
    return ConfigRequest(updates=(*chosen, Update(("hidden",), 256, "command line")))


def timed(function, repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def check(config, request: ConfigRequest) -> None:
    """The updates took effect and derived entries followed them (a benchmark must not measure a bug)."""
    for update in request.updates:
        got = config.get(update.path)
        if got != update.value:
            raise AssertionError(f"{update.path}: {got!r} != {update.value!r}")
    if config.get(("width",)) != 512 or config.get(("parameters",)) != 3 * 256 * 512:
        raise AssertionError("derived entries did not follow the update of 'hidden'")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3, help="resolutions per size (median; default 3)")
    parser.add_argument("--profile", type=int, metavar="KEYS", help="cProfile the resolution of this size")
    parser.add_argument("--top", type=int, default=25, help="profile lines to print")
    args = parser.parse_args()

    print(f"resolve with {UPDATES} updates, median of {args.repeat}:")
    print(f"  {'keys':>8} {'leaves':>8} {'resolve s':>10} {'per key vs first':>17} {'format s':>9}")
    base = None
    for keys in args.sizes:
        ex = build(keys)
        request = request_for(ex, UPDATES)
        seconds, config = timed(lambda: ex.resolve_config(request), args.repeat)
        check(config, request)
        format_seconds, _ = timed(lambda: format_config(config), args.repeat)
        count = sum(1 for _ in leaves(config.values))
        per_key = seconds / count
        base = base or per_key
        flag = ""
        if keys == TARGET_SIZE:
            flag = f"   target <= {TARGET_S:.0f} s: " + ("ok" if seconds <= TARGET_S else "OVER TARGET")
        print(f"  {keys:>8} {count:>8} {seconds:>10.3f} {per_key / base:>17.2f} {format_seconds:>9.3f}{flag}")

    if args.profile:
        ex = build(args.profile)
        request = request_for(ex, UPDATES)
        profile = cProfile.Profile()
        profile.runcall(ex.resolve_config, request)
        print(f"\ncProfile of one resolution of {args.profile} keys, by own time:")
        pstats.Stats(profile).sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()

"""Command-line latency: what ba3l adds to the start of an experiment script.

Times, interleaved in one run (so that the noise of a shared machine hits every case
alike), the median wall time of:

  (a) ``python -c pass``                               the interpreter alone
  (b) ``python -c "import ba3l"``                       the package import
  (c) ``python bench/latency_example.py print_config``  a realistic script, ~50 keys

ba3l's share is (c) - (a); the target is at most 60 ms. It then runs (c) once with
``-X importtime`` and lists what the script imports beyond the bare interpreter, the
costliest first, and whether YAML (or another heavy module) is among them: nothing
heavy should be imported when no YAML file is used.

Bytecode: a user's interpreter caches compiled modules (``.pyc``), so by default the
children run with a private cache (``PYTHONPYCACHEPREFIX`` in a temporary folder,
filled by an untimed warm-up round; the source tree is not written to), even where
the environment sets ``PYTHONDONTWRITEBYTECODE``. ``--no-pyc`` measures ba3l compiled
from source on every start instead.

    .venv/bin/python bench/cli_latency.py [--runs 7] [--no-pyc]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.join(HERE, "latency_example.py")
TARGET_MS = 60.0
HEAVY = ("yaml", "tomllib", "torch", "lightning", "numpy", "tempfile", "difflib", "importlib.metadata", "hashlib")


def _cases() -> dict[str, list[str]]:
    python = sys.executable
    return {
        "python -c pass": [python, "-c", "pass"],
        'python -c "import ba3l"': [python, "-c", "import ba3l"],
        "latency_example.py print_config": [python, EXAMPLE, "print_config"],
    }


ENV = dict(os.environ)
"""The children's environment; :func:`main` sets how they cache bytecode."""


def _time(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, cwd=HERE, env=ENV)
    return time.perf_counter() - start


def measure(cases: dict[str, list[str]], runs: int) -> dict[str, float]:
    """Median seconds per case; one untimed warm-up round first (page cache, .pyc files)."""
    for command in cases.values():
        _time(command)
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, command in cases.items():
            times[name].append(_time(command))
    return {name: statistics.median(values) for name, values in times.items()}


def imported_modules(arguments: list[str]) -> dict[str, tuple[int, int]]:
    """``{module: (self_us, cumulative_us)}`` for one run of ``python -X importtime <arguments>``."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *arguments],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True, cwd=HERE, env=ENV,
    )
    out = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cumulative, name = line[len("import time:"):].split("|")
        out[name.strip()] = (int(own), int(cumulative))
    return out


def report_imports(top: int) -> list[str]:
    """What print_config imports beyond a bare interpreter; the heavy modules among them."""
    baseline = imported_modules(["-c", "pass"])
    script = imported_modules([EXAMPLE, "print_config"])
    extra = {name: times for name, times in script.items() if name not in baseline}
    outside = {n: t for n, t in extra.items() if not n.startswith("ba3l") and "." not in n}
    print(f"\nimported by print_config beyond `python -c pass`: {len(extra)} modules, "
          f"{sum(own for own, _ in extra.values()) / 1000:.1f} ms (one -X importtime run)")
    print("  costliest top-level non-ba3l modules (cumulative ms): " + ", ".join(
        f"{name} {cumulative / 1000:.1f}"
        for name, (_, cumulative) in sorted(outside.items(), key=lambda item: -item[1][1])[:top]
    ))
    heavy = [name for name in HEAVY if name in extra]
    print("  heavy modules imported: " + (", ".join(heavy) if heavy else "none") + f" (looked for {', '.join(HEAVY)})")
    return heavy


_PHASES = """
import contextlib, os, runpy, sys, time
start = time.perf_counter()
import ba3l
imported = time.perf_counter()
sys.argv = [{example!r}, "print_config"]
with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
    try:
        runpy.run_path({example!r}, run_name="__main__")
    except SystemExit:
        pass
print(imported - start, time.perf_counter() - imported)
"""


def phases(runs: int) -> tuple[float, float]:
    """Median in-process seconds of ``import ba3l`` and of the script after it (define + print_config)."""
    times = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", _PHASES.format(example=EXAMPLE)],
            stdout=subprocess.PIPE, text=True, check=True, cwd=HERE, env=ENV,
        )
        times.append(tuple(float(part) for part in done.stdout.split()))
    return statistics.median(t[0] for t in times), statistics.median(t[1] for t in times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each case (at least 5; default 7)")
    parser.add_argument("--no-pyc", action="store_true", help="no bytecode cache: compile ba3l at every start")
    parser.add_argument("--top", type=int, default=12, help="how many costly imports to list")
    args = parser.parse_args()
    if args.runs < 5:
        parser.error("--runs must be at least 5")

    cache = None
    if args.no_pyc:
        ENV["PYTHONDONTWRITEBYTECODE"] = "1"
        print("bytecode: not cached (ba3l compiled from source at every start)")
    else:
        cache = tempfile.mkdtemp(prefix="ba3l-bench-pyc-")
        ENV.pop("PYTHONDONTWRITEBYTECODE", None)
        ENV["PYTHONPYCACHEPREFIX"] = cache
        print(f"bytecode: cached in {cache} (warmed up before timing)")
    try:
        cases = _cases()
        for command in cases.values():  # fill the bytecode cache before -X importtime
            _time(command)
        heavy = report_imports(args.top)
        if "yaml" in heavy:
            cases['python -c "import yaml"'] = [sys.executable, "-c", "import yaml"]
        medians = measure(cases, args.runs)
        import_s, script_s = phases(args.runs)
    finally:
        if cache:
            shutil.rmtree(cache, ignore_errors=True)

    print(f"\nmedian wall time over {args.runs} interleaved runs ({sys.executable}):")
    for name, seconds in medians.items():
        print(f"  {name:<36} {seconds * 1000:7.1f} ms")
    names = list(cases)
    share = (medians[names[2]] - medians[names[0]]) * 1000
    imports = (medians[names[1]] - medians[names[0]]) * 1000
    print(f"  import ba3l alone: (b) - (a)           {imports:7.1f} ms")
    verdict = "ok" if share <= TARGET_MS else "OVER TARGET"
    print(f"  ba3l's share: (c) - (a)                {share:7.1f} ms   target <= {TARGET_MS:.0f} ms: {verdict}")
    print(f"  in process (median): import ba3l {import_s * 1000:.1f} ms, then the script "
          f"(compile it, define scopes, parse, resolve, print) {script_s * 1000:.1f} ms")


if __name__ == "__main__":
    main()

"""What logging metrics costs a training process, and how the bytes written grow.

For each size (default 100,000, 300,000 and 1,000,000 values), interleaved in one run:

* **ba3l**: a run with the file storage observer calls ``_run.log_scalar("loss", x)``
  that many times (the heartbeat every second); timed from the first call to the end
  of the run, so the flushes, the append-only ``metrics.jsonl`` and the final
  ``metrics.json`` are all paid for;
* **sacred's strategy** as a baseline: the same values kept in a list, and at every
  heartbeat the whole ``metrics.json`` written again (what sacred's file storage does).

Both report µs per call in the training process, as wall time and as CPU time (all its
threads: steadier than wall time on a shared machine), and the bytes the process wrote
(``wchar`` of ``/proc/self/io``), per value. Linear I/O keeps bytes per value flat as
the size grows; the baseline's grows with it.
Target: ba3l <= 5 µs per call, amortised, with I/O linear in the number of values.

    .venv/bin/python bench/metrics_logging.py [--sizes 100000 300000 1000000] [--heartbeat 1.0]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from datetime import datetime, timezone

from ba3l import Experiment, Options
from ba3l.observers import FileStorageObserver

TARGET_US = 5.0


def written_bytes() -> int:
    """Bytes this process has written so far (Linux: ``wchar`` of /proc/self/io)."""
    with open("/proc/self/io", encoding="ascii") as file:
        return next(int(line.split()[1]) for line in file if line.startswith("wchar:"))


def ba3l_run(size: int, heartbeat: float, folder: str) -> tuple[float, float, int]:
    """Seconds and bytes written for ``size`` log_scalar calls in a recorded run (the loop alone
    is also printed: what training pays while it runs, before the run's final flush)."""
    ex = Experiment("metrics_bench")
    ex.observers.append(FileStorageObserver(folder))
    timing = {}

    @ex.main
    def main(_run):
        timing["start"], timing["cpu"] = time.perf_counter(), time.process_time()
        log = _run.log_scalar
        for step in range(size):
            log("loss", 1.0 / (step + 1))
        timing["loop"] = time.perf_counter() - timing["start"]

    before = written_bytes()
    ex.run(options=Options(heartbeat=str(heartbeat)))
    seconds, cpu = time.perf_counter() - timing["start"], time.process_time() - timing["cpu"]
    print(f"{size:>9}  {'(ba3l loop only)':<16} {timing['loop'] / size * 1e6:>8.2f}")
    return seconds, cpu, written_bytes() - before


def sacred_strategy(size: int, heartbeat: float, folder: str) -> tuple[float, float, int]:
    """The same values, with the whole metrics.json rewritten at every heartbeat (sacred's file storage)."""
    metrics = {"loss": {"steps": [], "values": [], "timestamps": []}}
    lock = threading.Lock()
    done = threading.Event()
    path = os.path.join(folder, "metrics.json")

    def rewrite() -> None:
        with lock:
            text = json.dumps(metrics, indent=2)
        with open(path, "w", encoding="utf-8") as file:
            file.write(text)

    def beat() -> None:
        while not done.wait(heartbeat):
            rewrite()

    thread = threading.Thread(target=beat, daemon=True)
    before = written_bytes()
    start, cpu = time.perf_counter(), time.process_time()
    thread.start()
    series = metrics["loss"]
    for step in range(size):
        with lock:
            series["steps"].append(step)
            series["values"].append(1.0 / (step + 1))
            series["timestamps"].append(datetime.now(timezone.utc).replace(tzinfo=None).isoformat())
    done.set()
    thread.join()
    rewrite()
    return time.perf_counter() - start, time.process_time() - cpu, written_bytes() - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    parser.add_argument("--heartbeat", type=float, default=1.0)
    arguments = parser.parse_args()
    print(f"{'values':>9}  {'case':<16} {'µs/call':>8} {'CPU µs':>8} {'bytes/value':>12} {'MB written':>11}")
    verdicts = []
    for size in arguments.sizes:
        for name, case in (("ba3l", ba3l_run), ("sacred strategy", sacred_strategy)):
            with tempfile.TemporaryDirectory() as folder:
                seconds, cpu, written = case(size, arguments.heartbeat, folder)
            per_call = seconds / size * 1e6
            print(f"{size:>9}  {name:<16} {per_call:>8.2f} {cpu / size * 1e6:>8.2f} {written / size:>12.1f}"
                  f" {written / 1e6:>11.1f}")
            if name == "ba3l":
                verdicts.append(per_call)
    worst = max(verdicts)
    status = "ok" if worst <= TARGET_US else "OVER TARGET"
    print(f"ba3l, worst size: {worst:.2f} µs per call; target <= {TARGET_US} µs: {status}")


if __name__ == "__main__":
    main()

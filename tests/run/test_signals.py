"""SIGTERM during a run: Terminated at once, or, inside ``_run.signals_deferred()``, at the end
of the block (a training step is never cut in half); a main thread blocked where no handler
runs is ended from outside after ``--signal-grace``."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from ba3l import Experiment
from ba3l.run import Status, Terminated


def experiment(body) -> Experiment:
    ex = Experiment("signals")
    ex.main(body)
    return ex


def test_a_sigterm_inside_a_deferred_block_stops_the_run_when_the_block_ends():
    reached = []

    def main(_run):
        with _run.signals_deferred():
            os.kill(os.getpid(), signal.SIGTERM)
            reached.append("rest of the block")
        reached.append("after the block")

    ex = experiment(main)
    with pytest.raises(Terminated) as raised:
        ex.run()
    assert reached == ["rest of the block"] and raised.value.code == 128 + signal.SIGTERM


def test_without_deferring_a_sigterm_stops_at_once():
    reached = []

    def main():
        os.kill(os.getpid(), signal.SIGTERM)
        reached.append("next line")

    with pytest.raises(Terminated):
        experiment(main).run()
    assert reached == []


def test_an_error_in_a_deferred_block_keeps_the_held_signal_for_the_end_of_the_run():
    runs = []

    def main(_run):
        runs.append(_run)
        try:
            with _run.signals_deferred():
                os.kill(os.getpid(), signal.SIGTERM)
                raise ValueError("the step failed")
        except ValueError:
            pass
        return "finished"

    with pytest.raises(Terminated):
        experiment(main).run()
    assert runs[0].result == "finished" and runs[0].status is Status.COMPLETED


# -- a main thread blocked where no signal handler runs -----------------------------------

BLOCKED = '''\
import sqlite3, sys, time
from ba3l import Experiment

ex = Experiment("blocked")


@ex.config
def config():
    deferred_for = 0.0  # > 0: instead of blocking, Python code runs this long in a deferred block


@ex.automain
def main(_run, deferred_for):
    try:
        if deferred_for:
            with _run.signals_deferred():  # a long training step
                print("working", flush=True)
                time.sleep(deferred_for)
        else:
            database = sqlite3.connect("locked.db", timeout=60)  # sqlite's busy wait: C code, no handler runs
            print("working", flush=True)
            database.execute("BEGIN EXCLUSIVE")
    finally:
        open("cleaned_up", "w").close()
'''


def start_blocked(tmp_path, *args: str) -> subprocess.Popen:
    (tmp_path / "blocked.py").write_text(BLOCKED, encoding="utf-8")
    process = subprocess.Popen([sys.executable, "blocked.py", "-F", "runs", *args], cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout.readline() == "working\n"
    return process


def test_a_run_whose_main_thread_cannot_answer_a_sigterm_is_recorded_interrupted_after_the_grace(tmp_path):
    lock = sqlite3.connect(tmp_path / "locked.db", isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")  # held for the whole test: the run's main thread waits in C for 60 s
    try:
        process = start_blocked(tmp_path, "--signal-grace", "1")
        time.sleep(0.3)
        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
        took = time.monotonic() - signalled
    finally:
        lock.execute("ROLLBACK")
    assert process.returncode == 128 + signal.SIGTERM
    assert 1 <= took < 15  # the grace, not the 60 s the main thread would have waited
    record = json.loads((tmp_path / "runs" / "1" / "run.json").read_text(encoding="utf-8"))
    assert record["status"] == "INTERRUPTED" and record["stop_time"]
    assert "did not stop within 1s of signal 15" in stderr and "Traceback" not in stderr
    assert not (tmp_path / "cleaned_up").exists()  # ended from outside: the main thread never ran again


def test_a_run_that_runs_the_handler_in_time_is_left_to_stop_by_itself(tmp_path):
    """A long training step holds the signal: the main thread ran the handler, so it is alive,
    however long the step takes after the grace; the run ends the usual way."""
    process = start_blocked(tmp_path, "--signal-grace", "0.5", "with", "deferred_for=3")
    time.sleep(0.3)
    signalled = time.monotonic()
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 128 + signal.SIGTERM
    assert time.monotonic() - signalled > 2  # the step went on well past the grace
    assert json.loads((tmp_path / "runs" / "1" / "run.json").read_text(encoding="utf-8"))["status"] == "INTERRUPTED"
    assert "did not stop within" not in stderr
    assert (tmp_path / "cleaned_up").exists()


FORKS = '''\
import multiprocessing, os, signal, time
from ba3l import Experiment

ex = Experiment("forks")


def child():
    time.sleep(30)


@ex.automain
def main():
    worker = multiprocessing.get_context("fork").Process(target=child)  # as a DataLoader's worker is
    worker.start()
    time.sleep(0.3)
    os.kill(worker.pid, signal.SIGTERM)  # what a DataLoader does to a worker that is slow to leave
    worker.join()
    time.sleep(2)  # well past the grace
    return "finished"
'''


def test_a_signal_to_a_forked_child_does_not_end_the_parents_run(tmp_path):
    """A forked child inherits the signal watcher's pipe; its own SIGTERM must not read as the parent's."""
    (tmp_path / "forks.py").write_text(FORKS, encoding="utf-8")
    result = subprocess.run([sys.executable, "forks.py", "-F", "runs", "--signal-grace", "0.5"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    record = json.loads((tmp_path / "runs" / "1" / "run.json").read_text(encoding="utf-8"))
    assert record["status"] == "COMPLETED" and record["result"] == "finished"

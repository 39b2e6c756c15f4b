"""SIGTERM during a run: Terminated at once, or, inside ``_run.signals_deferred()``, at the end
of the block (a training step is never cut in half)."""

from __future__ import annotations

import os
import signal

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

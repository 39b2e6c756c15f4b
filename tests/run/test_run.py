"""Runs from Python: status, result, times, failures, and what observers receive."""

import logging
import random
import sys
from datetime import datetime, timezone

import pytest

from ba3l import Experiment, Ingredient, Options
from ba3l.config import UnknownKeyError, UsageError
from ba3l.run import Run, RunObserver, RunRecord, Status


class Recorder(RunObserver):
    """An observer that keeps every event and gives runs an id."""

    def __init__(self, run_id=None):
        self.run_id = run_id
        self.events: list[tuple[str, RunRecord]] = []

    def started(self, record):
        self.events.append(("started", record))
        return self.run_id

    def heartbeat(self, record):
        self.events.append(("heartbeat", record))

    def completed(self, record):
        self.events.append(("completed", record))

    def interrupted(self, record):
        self.events.append(("interrupted", record))

    def failed(self, record):
        self.events.append(("failed", record))

    def names(self) -> list[str]:
        return [name for name, _ in self.events]


class Broken(RunObserver):
    def started(self, record):
        raise RuntimeError("disk full")

    def completed(self, record):
        raise RuntimeError("still full")


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def build(body=None) -> Experiment:
    data = Ingredient("data")

    @data.config
    def data_config():
        batch_size = 64

    ex = Experiment("runs", ingredients=[data])

    @ex.config
    def config():
        hidden = 128

    @ex.named_config
    def big():
        hidden = 512

    @ex.main
    def main(hidden, _run):
        if body is not None:
            return body(_run)
        return {"hidden": hidden, "batch_size": _run.config.get(("data", "batch_size"))}

    return ex


def test_a_run_completes_with_a_result_and_times():
    before = utc_now()
    run = build().run()
    after = utc_now()
    assert isinstance(run, Run)
    assert run.status == Status.COMPLETED
    assert run.status.value == "COMPLETED"
    assert run.result == {"hidden": 128, "batch_size": 64}
    assert before <= run.start_time <= run.stop_time <= after
    assert run.start_time.tzinfo is None  # naive UTC, as sacred stores it
    assert run.id == 1  # the local record in $BA3L_RUNS gave it
    assert run.fail_trace == ()
    assert run.command.captured.name == "main"


def test_run_with_named_configs_and_updates():
    run = build().run(named_configs=["big"], config_updates={"data.batch_size": 3})
    assert run.result == {"hidden": 512, "batch_size": 3}
    assert run.meta == {
        "command": "main",
        "options": {},
        "named_configs": ["big"],
        "config_updates": {"data": {"batch_size": 3}},  # nested, as sacred stores it
        "comment": "",
        "argv": sys.argv,
    }


def test_bad_input_raises_before_the_run_starts():
    recorder = Recorder(run_id=1)
    ex = build()
    ex.observers.append(recorder)
    with pytest.raises(UnknownKeyError):
        ex.run(config_updates={"data.batchsize": 3})
    assert recorder.events == []


def test_a_failing_command_fails_the_run_and_the_exception_propagates():
    runs = []

    def body(run):
        runs.append(run)
        raise ValueError("bad batch")

    recorder = Recorder()
    ex = build(body)
    ex.observers.append(recorder)
    with pytest.raises(ValueError, match="^bad batch$"):
        ex.run()
    (run,) = runs
    assert run.status == Status.FAILED
    assert run.stop_time is not None and run.start_time <= run.stop_time
    assert run.fail_trace[0] == "Traceback (most recent call last):\n"
    assert run.fail_trace[-1] == "ValueError: bad batch\n"
    assert recorder.names() == ["started", "failed"]
    failed = recorder.events[1][1]
    assert failed.status == "FAILED"
    assert failed.fail_trace == run.fail_trace


def test_a_keyboard_interrupt_interrupts_the_run():
    runs = []

    def body(run):
        runs.append(run)
        raise KeyboardInterrupt

    recorder = Recorder()
    ex = build(body)
    ex.observers.append(recorder)
    with pytest.raises(KeyboardInterrupt):
        ex.run()
    assert runs[0].status == Status.INTERRUPTED
    assert runs[0].stop_time is not None
    assert recorder.names() == ["started", "interrupted"]
    assert recorder.events[1][1].status == "INTERRUPTED"


def test_an_observer_receives_records_and_gives_the_run_its_id():
    recorder = Recorder(run_id=17)
    ex = build()
    ex.observers.append(recorder)
    run = ex.run(named_configs=["big"], config_updates={"data.batch_size": 3, "seed": 5})
    assert run.id == 17
    assert recorder.names() == ["started", "completed"]
    started, completed = (record for _, record in recorder.events)

    assert started.status == "RUNNING"
    assert started.command == "main"
    assert started.experiment["name"] == "runs"
    assert started.config == {"seed": 5, "hidden": 512, "data": {"batch_size": 3}}
    assert started.meta["named_configs"] == ["big"]
    assert started.meta["config_updates"] == {"data": {"batch_size": 3}, "seed": 5}
    assert started.start_time == run.start_time
    assert started.stop_time is None
    assert started.result is None

    assert completed.status == "COMPLETED"
    assert completed.id == 17
    assert completed.result == {"hidden": 512, "batch_size": 3}
    assert completed.stop_time == run.stop_time


def test_the_first_observer_id_is_kept():
    first, second = Recorder(run_id="a"), Recorder(run_id="b")
    ex = build()
    ex.observers.extend([Recorder(), first, second])
    assert ex.run().id == "a"
    assert second.events[-1][1].id == "a"


def test_an_id_given_in_the_options_wins():
    ex = build()
    ex.observers.append(Recorder(run_id=3))
    assert ex.run(options=Options(id="run-7")).id == "run-7"


def test_an_observer_that_raises_does_not_break_the_run(caplog):
    recorder = Recorder(run_id=4)
    ex = build()
    ex.observers.extend([Broken(), recorder])
    with caplog.at_level(logging.WARNING, logger="runs"):
        run = ex.run()
    assert run.status == Status.COMPLETED
    assert run.result == {"hidden": 128, "batch_size": 64}
    assert run.id == 4
    assert recorder.names() == ["started", "completed"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "observer Broken failed at 'started': disk full",
        "observer Broken failed at 'completed': still full",
    ]


def test_an_unobserved_run_tells_no_observer():
    recorder = Recorder(run_id=9)
    ex = build()
    ex.observers.append(recorder)
    run = ex.run(options=Options(unobserved=True))
    assert run.status == Status.COMPLETED
    assert run.id is None
    assert recorder.events == []


def test_options_are_recorded_in_the_meta():
    recorder = Recorder()
    ex = build()
    ex.observers.append(recorder)
    run = ex.run(options=Options(comment="first try", loglevel="INFO"))
    assert run.meta["comment"] == "first try"
    assert run.meta["options"] == {"comment": "first try", "loglevel": "INFO"}
    assert recorder.events[0][1].meta["comment"] == "first try"


def test_the_global_random_generator_is_seeded_from_the_config():
    def body(run):
        return [random.random() for _ in range(3)]

    first = build(body).run(config_updates={"seed": 11}).result
    assert first == build(body).run(config_updates={"seed": 11}).result
    assert first != build(body).run(config_updates={"seed": 12}).result


def test_the_seed_is_random_when_not_given():
    seeds = {build().run().config.get(("seed",)) for _ in range(5)}
    assert len(seeds) > 1
    assert all(isinstance(seed, int) and 0 <= seed < 2**31 for seed in seeds)


def test_run_info_is_a_dict_the_command_may_fill():
    def body(run):
        run.info["accuracy"] = 0.9
        return None

    recorder = Recorder()
    ex = build(body)
    ex.observers.append(recorder)
    run = ex.run()
    assert run.info == {"accuracy": 0.9}
    assert recorder.events[-1][1].info == {"accuracy": 0.9}


def test_other_commands_run_by_name():
    ex = build()

    @ex.command
    def describe(hidden):
        return f"hidden={hidden}"

    run = ex.run("describe", config_updates={"hidden": 3})
    assert run.result == "hidden=3"
    assert run.meta["command"] == "describe"


def test_a_command_of_an_ingredient_runs_by_its_dotted_name():
    data = Ingredient("data")
    data.add_config(batch_size=8)

    @data.command
    def stats(batch_size):
        return batch_size * 2

    ex = Experiment("dotted", ingredients=[data])
    assert ex.run("data.stats").result == 16


def test_an_unknown_command_is_a_usage_error():
    with pytest.raises(UsageError) as error:
        build().run("mian")
    assert str(error.value).startswith("unknown command 'mian' (did you mean 'main'?); commands: ")


def test_an_experiment_without_main_needs_a_command_name():
    ex = Experiment("no_main")
    with pytest.raises(UsageError) as error:
        ex.run()
    assert str(error.value).startswith("no command given and the experiment has no main function; commands: ")


def test_config_updates_may_add_a_key_with_a_plus():
    run = build().run(config_updates={"+tag": "baseline"})
    assert run.config.values["tag"] == "baseline"
    assert run.config.marks(("tag",)) == ("added",)

"""The command line of an experiment script, run as a user runs it: a real process.

Updates (``with``), config files, options, built-in commands and user commands, seen
through what the script prints, the exit status and the files it writes.
"""

from __future__ import annotations

import hashlib
import json
import os
import select
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from conftest import EXPERIMENT, TIMEOUT


def squeeze(text: str) -> list[str]:
    """The lines of ``text`` with runs of whitespace made one space (alignment aside)."""
    return [" ".join(line.split()) for line in text.splitlines()]


def line_of(start: str) -> int:
    """The number of the one line of the experiment script that starts with ``start``."""
    lines = [number for number, line in enumerate(EXPERIMENT.splitlines(), 1) if line.strip().startswith(start)]
    assert len(lines) == 1, start
    return lines[0]


def saved(run_experiment, tmp_path: Path, *updates: str, name: str = "out.json") -> dict:
    """The config ``save_config`` writes for ``updates``."""
    returncode, stdout, stderr = run_experiment("save_config", name, "with", *updates)
    assert (returncode, stderr) == (0, ""), stderr
    assert stdout == f"saved the config to {name}\n"
    text = (tmp_path / name).read_text(encoding="utf-8")
    return json.loads(text) if name.endswith(".json") else yaml.safe_load(text)


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def run_ids(runs: Path) -> list[str]:
    return sorted(p.name for p in runs.iterdir() if p.name.isdigit()) if runs.exists() else []


# -- updates ---------------------------------------------------------------------------


def test_plus_adds_a_key(run_experiment, tmp_path):
    returncode, stdout, stderr = run_experiment("print_config", "with", "+new.key=5")
    assert (returncode, stderr) == (0, "")
    lines = squeeze(stdout)
    assert lines[-2:] == ["new:", "key = 5 # [added]"]
    assert saved(run_experiment, tmp_path, "+new.key=5")["new"] == {"key": 5}


def test_values_are_python_literals_else_strings(run_experiment, tmp_path):
    config = saved(
        run_experiment,
        tmp_path,
        "hidden=-3",
        "lr=1e-3",
        "+big_number=-2.5E+3",
        "label=resnet",
        "+quoted='hello world'",
        '+double="42"',
        "optimizer.betas=[0.5, 0.6]",
        "+pair=(1, 'a')",
        "+mapping={'a': 1, 'b': [2, 3]}",
        "+nothing=None",
        "data.shuffle=True",
        "+flag=False",
        "+version=1.2.3",
    )
    assert config["hidden"] == -3
    assert config["width"] == -6  # the derived entry follows
    assert config["lr"] == 0.001
    assert config["big_number"] == -2500.0
    assert config["label"] == "resnet"
    assert config["quoted"] == "hello world"
    assert config["double"] == "42"
    assert config["optimizer"] == {"kind": "adam", "betas": [0.5, 0.6]}
    assert config["pair"] == [1, "a"]
    assert config["mapping"] == {"a": 1, "b": [2, 3]}
    assert config["nothing"] is None
    assert config["data"]["shuffle"] is True
    assert config["flag"] is False
    assert config["version"] == "1.2.3"


def test_values_are_never_evaluated(run_experiment, tmp_path):
    payload = "__import__('os').system('touch pwned')"
    config = saved(run_experiment, tmp_path, f"label={payload}", f"+extra.payload={payload}")
    assert config["label"] == payload
    assert config["extra"] == {"payload": payload}
    returncode, stdout, stderr = run_experiment("with", f"label={payload}")
    assert returncode == 0, stderr
    assert not (tmp_path / "pwned").exists()


def test_updates_win_over_named_configs_in_any_order(run_experiment, tmp_path):
    assert saved(run_experiment, tmp_path, "big")["hidden"] == 512
    assert saved(run_experiment, tmp_path, "big", "hidden=3")["hidden"] == 3
    assert saved(run_experiment, tmp_path, "hidden=3", "big")["hidden"] == 3


CONFIG_FILES = {
    "update.json": '{"hidden": 3, "data": {"batch_size": 16}}\n',
    "update.yaml": "hidden: 3\ndata:\n  batch_size: 16\n",
    "update.toml": "hidden = 3\n\n[data]\nbatch_size = 16\n",
}


@pytest.mark.parametrize(("name", "text"), CONFIG_FILES.items(), ids=CONFIG_FILES.keys())
def test_config_file_updates_values(run_experiment, tmp_path, name, text):
    (tmp_path / name).write_text(text, encoding="utf-8")
    config = saved(run_experiment, tmp_path, name)
    assert (config["hidden"], config["width"]) == (3, 6)
    assert config["data"] == {"shuffle": False, "batch_size": 16, "steps": 64}


def test_later_updates_win(run_experiment, tmp_path):
    (tmp_path / "a.json").write_text('{"hidden": 3}', encoding="utf-8")
    (tmp_path / "b.yaml").write_text("hidden: 5\n", encoding="utf-8")
    assert saved(run_experiment, tmp_path, "a.json", "hidden=7")["hidden"] == 7
    assert saved(run_experiment, tmp_path, "hidden=7", "a.json")["hidden"] == 3
    assert saved(run_experiment, tmp_path, "a.json", "b.yaml")["hidden"] == 5
    assert saved(run_experiment, tmp_path, "b.yaml", "a.json")["hidden"] == 3


# -- options ---------------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_lists_commands_named_configs_and_config(run_experiment, tmp_path, flag):
    returncode, stdout, stderr = run_experiment(flag, "-F", "runs")
    assert (returncode, stderr) == (0, "")
    lines = squeeze(stdout)
    assert lines[0] == "Usage: experiment.py [COMMAND [ARG]] [with UPDATE ...] [OPTIONS]"
    for line in [
        "dump Print the whole config as YAML.",
        "main (default) Train (pretend) and report the width.",
        "data.stats Print how the data is cut into batches.",
        "big A wider network.",
        "data.small A quick configuration for debugging.",
        "--force unknown keys and type changes are warnings, not errors",
        "lr float 0.001 learning rate",
        "hidden int 128 hidden units per layer",
        "width int 256 derived: follows hidden",
        "label str 'mlp' a name for the model",
        "optimizer.kind str 'adam'",
        "optimizer.betas list [0.9, 0.999]",
        "data.shuffle bool False reshuffle every epoch",
        "data.batch_size int 64 examples per step",
        "data.steps int 16 derived: follows batch_size",
    ]:
        assert line in lines
    for builtin in ["print_config", "print_named_configs", "save_config", "print_dependencies"]:
        assert any(line.startswith(f"{builtin} ") and line.endswith(".") for line in lines), builtin
    (seed,) = [line for line in lines if line.startswith("seed ")]
    kind, default, doc = seed.split(" ", 3)[1:]
    assert (kind, default.isdigit(), doc) == ("int", True, "the random seed for this experiment")
    assert not (tmp_path / "runs").exists()  # help runs nothing


def test_print_config_option_prints_then_runs(run_experiment):
    returncode, stdout, stderr = run_experiment("-p", "with", "hidden=3")
    assert returncode == 0, stderr
    lines = squeeze(stdout)
    assert lines[0].startswith("Configuration (")
    assert "hidden = 3 # hidden units per layer [modified]" in lines
    assert lines[-1] == "hidden=3 width=6"


def test_provenance_names_every_source(run_experiment, tmp_path):
    (tmp_path / "x.yaml").write_text("lr: 0.01\n", encoding="utf-8")
    returncode, stdout, stderr = run_experiment("print_config", "--provenance", "with", "big", "x.yaml", "label=x")
    assert (returncode, stderr) == (0, "")
    lines = squeeze(stdout)
    for line in [
        "lr = 0.01 # learning rate [modified] <- file x.yaml",
        f"hidden = 512 # hidden units per layer [modified] <- named config 'big' at experiment.py:{line_of('hidden = 512')}",
        f"width = 1024 # derived: follows hidden <- config experiment.py:{line_of('width = ')}",
        "label = 'x' # a name for the model [modified] <- command line",
        f"shuffle = False # reshuffle every epoch [parent] <- parent config experiment.py:{line_of('data = {')}",
        f"batch_size = 64 # examples per step <- config experiment.py:{line_of('batch_size = 64')}",
    ]:
        assert line in lines
    assert [line for line in lines if line.startswith("seed = ")][0].endswith("<- default built-in")
    returncode, stdout, stderr = run_experiment("-p", "-P", "with", "label=x")
    assert returncode == 0, stderr
    assert "label = 'x' # a name for the model [modified] <- command line" in squeeze(stdout)


def test_loglevel(run_experiment):
    debug = "DEBUG - cli_test - debugging details: width=256"
    returncode, stdout, stderr = run_experiment("-l", "DEBUG")
    assert returncode == 0, stderr
    assert debug in stderr.splitlines()
    assert "INFO - cli_test - Running command 'main' (run 1)" in stderr.splitlines()
    _, _, stderr = run_experiment()
    assert debug not in stderr and "INFO - cli_test - Running command" in stderr
    returncode, stdout, stderr = run_experiment("--loglevel=WARNING")
    assert (returncode, stdout, stderr) == (0, "hidden=128 width=256\n", "")


def test_file_storage_records_the_run(run_experiment, tmp_path):
    returncode, stdout, stderr = run_experiment("-F", "runs", "with", "seed=11", "hidden=3")
    assert returncode == 0, stderr
    assert stdout == "hidden=3 width=6\n"
    assert "INFO - cli_test - Running command 'main' (run 1)" in stderr.splitlines()
    runs = tmp_path / "runs"
    assert run_ids(runs) == ["1"]
    run = read_json(runs / "1" / "run.json")
    assert run["status"] == "COMPLETED"
    assert run["command"] == "main"
    assert run["result"] == 6
    assert run["fail_trace"] is None
    assert run["experiment"]["name"] == "cli_test"
    assert run["experiment"]["mainfile"] == "experiment.py"  # relative to base_dir, as sacred stores it
    assert run["experiment"]["base_dir"] == str(tmp_path)
    assert run["meta"]["config_updates"] == {"seed": 11, "hidden": 3}
    assert run["meta"]["comment"] == ""
    assert run["start_time"] <= run["stop_time"]
    assert read_json(runs / "1" / "config.json") == saved(run_experiment, tmp_path, "seed=11", "hidden=3")
    returncode, _, stderr = run_experiment("--file_storage", "runs")
    assert returncode == 0, stderr
    assert run_ids(runs) == ["1", "2"]
    assert read_json(runs / "2" / "run.json")["status"] == "COMPLETED"


def test_comment_is_stored(run_experiment, tmp_path):
    returncode, _, stderr = run_experiment("-F", "runs", "-c", "first try, lr as in the paper")
    assert returncode == 0, stderr
    assert read_json(tmp_path / "runs" / "1" / "run.json")["meta"]["comment"] == "first try, lr as in the paper"


def test_unobserved_records_nothing(run_experiment, tmp_path):
    returncode, stdout, stderr = run_experiment("-u", "-F", "runs")
    assert returncode == 0, stderr
    assert stdout == "hidden=128 width=256\n"
    assert not (tmp_path / "runs").exists()


def test_name_sets_the_recorded_experiment_name(run_experiment, tmp_path):
    returncode, _, stderr = run_experiment("-F", "runs", "-n", "digits_sweep")
    assert returncode == 0, stderr
    assert read_json(tmp_path / "runs" / "1" / "run.json")["experiment"]["name"] == "digits_sweep"


def test_id_names_the_run_folder(run_experiment, tmp_path):
    returncode, _, stderr = run_experiment("-F", "runs", "-i", "42")
    assert returncode == 0, stderr
    assert "INFO - cli_test - Running command 'main' (run 42)" in stderr.splitlines()
    runs = tmp_path / "runs"
    assert run_ids(runs) == ["42"]
    assert read_json(runs / "42" / "run.json")["status"] == "COMPLETED"
    assert read_json(runs / "42" / "config.json")["hidden"] == 128
    again = run_experiment("-F", "runs", "-i", "42")
    assert again.returncode == 2 and "Traceback" not in again.stderr
    assert again.stderr == "error: run id '42' is taken in 'runs'; choose another or leave -i out\n"
    assert read_json(runs / "42" / "run.json")["status"] == "COMPLETED" and run_ids(runs) == ["42"]


# -- built-in commands -------------------------------------------------------------------


def test_print_config_marks_differences(run_experiment):
    returncode, stdout, stderr = run_experiment(
        "print_config", "with", "big", "data.small", "+extra.depth=3", "label=3", "seed=7", "--force"
    )
    assert returncode == 0
    assert stderr.splitlines() == [
        "WARNING - cli_test - config entry 'label' (command line): expected str like the default 'mlp', got int 3"
    ]
    assert "\x1b" not in stdout  # piped: no colour codes
    lines = squeeze(stdout)
    assert lines[0].startswith("Configuration (")
    assert lines[1:] == [
        '"""',
        "A small network.",
        '"""',
        "seed = 7 # the random seed for this experiment [modified]",
        "lr = 0.001 # learning rate",
        "hidden = 512 # hidden units per layer [modified]",
        "width = 1024 # derived: follows hidden",
        "label = 3 # a name for the model [typechanged]",
        "optimizer:",
        "kind = 'adam'",
        "betas = [0.9, 0.999]",
        "data: # the experiment sets a value of its ingredient",
        "shuffle = False # reshuffle every epoch [parent]",
        "batch_size = 8 # examples per step [modified]",
        "steps = 128 # derived: follows batch_size",
        "extra:",
        "depth = 3 # [added]",
    ]


def run_in_terminal(directory: Path, *args: str) -> tuple[int, str]:
    """Run the experiment with stdout and stderr on a pseudo-terminal; return status and output."""
    (directory / "experiment.py").write_text(EXPERIMENT, encoding="utf-8")
    leader, follower = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "experiment.py", *args], cwd=directory, stdin=subprocess.DEVNULL,
        stdout=follower, stderr=follower,
    )
    os.close(follower)
    output = b""
    deadline = time.monotonic() + TIMEOUT
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 1)
            if not ready:
                continue
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO: the process closed the terminal
                break
            if not chunk:
                break
            output += chunk
        return process.wait(timeout=TIMEOUT), output.decode("utf-8")
    finally:
        os.close(leader)
        if process.poll() is None:
            process.kill()


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_print_config_colours_marks_on_a_terminal(tmp_path):
    returncode, output = run_in_terminal(tmp_path, "print_config", "with", "big", "+extra=1")
    assert returncode == 0, output
    lines = output.splitlines()
    (hidden,) = [line for line in lines if "hidden = 512" in line]
    (extra,) = [line for line in lines if "extra = 1" in line]
    assert hidden.startswith("\x1b[") and "[modified]" in hidden
    assert extra.startswith("\x1b[") and "[added]" in extra
    (lr,) = [line for line in lines if "lr = 0.001" in line]
    assert "\x1b" not in lr  # unmarked entries stay plain


def test_print_named_configs(run_experiment):
    returncode, stdout, stderr = run_experiment("print_named_configs")
    assert (returncode, stderr) == (0, "")
    assert squeeze(stdout) == [
        "Named configs:",
        "big # A wider network.",
        "data.small # A quick configuration for debugging.",
    ]


def test_save_config_defaults_to_config_json(run_experiment, tmp_path):
    returncode, stdout, stderr = run_experiment("save_config", "with", "seed=5")
    assert (returncode, stdout, stderr) == (0, "saved the config to config.json\n", "")
    assert read_json(tmp_path / "config.json") == {
        "seed": 5,
        "lr": 0.001,
        "hidden": 128,
        "width": 256,
        "label": "mlp",
        "optimizer": {"kind": "adam", "betas": [0.9, 0.999]},
        "data": {"shuffle": False, "batch_size": 64, "steps": 16},
    }


def test_save_config_as_yaml(run_experiment, tmp_path):
    as_yaml = saved(run_experiment, tmp_path, "big", "seed=5", name="out.yaml")
    assert as_yaml == saved(run_experiment, tmp_path, "big", "seed=5", name="out.json")
    assert as_yaml["hidden"] == 512


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_a_saved_config_reproduces_itself(run_experiment, tmp_path, suffix):
    first, second = "first" + suffix, "second" + suffix
    saved(run_experiment, tmp_path, "big", "data.small", "hidden=3", "label=x", "lr=0.5", name=first)
    saved(run_experiment, tmp_path, first, name=second)
    assert (tmp_path / second).read_bytes() == (tmp_path / first).read_bytes()  # seed included


def test_a_saved_config_with_an_added_key_reproduces_itself(run_experiment, tmp_path):
    saved(run_experiment, tmp_path, "+extra.depth=3", name="first.json")
    returncode, _, stderr = run_experiment("save_config", "second.json", "with", "first.json")
    assert returncode == 0
    assert stderr == "WARNING - cli_test - file first.json adds the key 'extra.depth', which nothing declares\n"
    assert (tmp_path / "second.json").read_bytes() == (tmp_path / "first.json").read_bytes()


def test_print_dependencies(run_experiment, tmp_path):
    returncode, stdout, stderr = run_experiment("print_dependencies")
    assert (returncode, stderr) == (0, "")
    lines = squeeze(stdout)
    md5 = hashlib.md5((tmp_path / "experiment.py").read_bytes()).hexdigest()
    sources, dependencies = lines.index("Sources:"), lines.index("Dependencies:")
    assert lines[sources + 1 : dependencies] == [f"experiment.py {md5}"]
    assert f"PyYAML=={metadata.version('PyYAML')}" in lines[dependencies + 1 :]
    assert f"ba3l=={metadata.version('ba3l')}" in lines[dependencies + 1 :]


# -- user commands -----------------------------------------------------------------------


def test_experiment_command(run_experiment, tmp_path):
    returncode, stdout, stderr = run_experiment("dump", "with", "big", "seed=3")
    assert returncode == 0, stderr
    assert "INFO - cli_test - Running command 'dump' (run 1)" in stderr.splitlines()
    assert yaml.safe_load(stdout) == saved(run_experiment, tmp_path, "big", "seed=3")


def test_ingredient_command_by_dotted_name(run_experiment, tmp_path):
    returncode, stdout, stderr = run_experiment("data.stats", "with", "data.small", "-F", "runs")
    assert returncode == 0, stderr
    assert stdout == "128 steps of 8 examples\n"
    assert read_json(tmp_path / "runs" / "1" / "run.json")["status"] == "COMPLETED"
    returncode, stdout, stderr = run_experiment("data.stats", "with", "data.batch_size=32")
    assert (returncode, stdout) == (0, "32 steps of 32 examples\n")


def test_failing_main_exits_1_and_records_the_failure(run_experiment, tmp_path):
    returncode, stdout, stderr = run_experiment("with", "lr=5", "-F", "runs")
    assert returncode == 1
    assert stdout == ""
    assert "Traceback (most recent call last):" in stderr
    assert stderr.splitlines()[-1] == "RuntimeError: diverged with lr=5.0"
    assert "error: " not in stderr
    run = read_json(tmp_path / "runs" / "1" / "run.json")
    assert run["status"] == "FAILED"
    assert run["stop_time"] is not None
    assert run["fail_trace"][0] == "Traceback (most recent call last):\n"
    assert run["fail_trace"][-1] == "RuntimeError: diverged with lr=5.0\n"


def test_keys_a_config_file_adds_are_marked_added_and_reported(run_experiment, tmp_path):
    (tmp_path / "extra.yaml").write_text("extra:\n  depth: 3\nlr_rate: 0.5\n")
    returncode, stdout, stderr = run_experiment("print_config", "with", "extra.yaml")
    assert returncode == 0
    assert "depth = 3" in stdout and "[added]" in stdout.split("depth = 3")[1].splitlines()[0]
    assert stderr.splitlines() == [
        "WARNING - cli_test - file extra.yaml adds the key 'extra.depth', which nothing declares",
        "WARNING - cli_test - file extra.yaml adds the key 'lr_rate', which nothing declares (did you mean 'lr'?)",
    ]

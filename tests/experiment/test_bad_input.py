"""Bad input on the command line: one line on stderr, exit status 2, no traceback, no run.

Every case passes ``-F runs`` so that the test also sees that nothing was recorded:
bad input is refused before a run exists. ``--force`` turns unknown keys and type
changes into warnings; ``-d`` shows the traceback instead of the one line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

COMMANDS = "data.stats, dump, main, print_config, print_dependencies, print_named_configs, save_config"


def run_ids(runs: Path) -> list[str]:
    """The numbered run folders under ``runs`` (none when it does not exist)."""
    return sorted(p.name for p in runs.iterdir() if p.name.isdigit()) if runs.exists() else []


def assert_refused(result, runs: Path, message: str) -> None:
    returncode, stdout, stderr = result
    assert "Traceback" not in stdout + stderr
    assert stderr.splitlines() == [f"error: {message}"]
    assert stdout == ""
    assert returncode == 2
    assert run_ids(runs) == []


# -- updates, named configs, commands, options ---------------------------------------

CASES = {
    "no-value": (
        ["with", "a.b="],
        """update 'a.b=' has no value; write a.b=VALUE (for an empty string write 'a.b=""' with the quotes)""",
    ),
    "no-key": (["with", "=3"], "update '=3' has no key; write KEY=VALUE"),
    "empty-segment": (["with", "a..b=1"], "update 'a..b=1': empty segment in key 'a..b'"),
    "unknown-key": (
        ["with", "hiden=3"],
        "unknown config key 'hiden' (command line) (did you mean 'hidden'?); "
        "to add it on purpose write '+hiden=...'",
    ),
    "unknown-nested-key": (
        ["with", "data.batchsize=3"],
        "unknown config key 'data.batchsize' (command line) (did you mean 'data.batch_size'?); "
        "to add it on purpose write '+data.batchsize=...'",
    ),
    "unknown-named-config": (
        ["with", "bigg"],
        "unknown named config 'bigg' (did you mean 'big'?); "
        "an update is KEY=VALUE, a named config or a config file",
    ),
    "unknown-ingredient-named-config": (
        ["with", "data.smal"],
        "unknown named config 'data.smal' (did you mean 'data.small'?); "
        "an update is KEY=VALUE, a named config or a config file",
    ),
    "unknown-command": (
        ["print_confg"],
        "unknown command 'print_confg' (did you mean 'print_config' or 'print_named_configs'?); "
        f"commands: {COMMANDS}",
    ),
    "missing-file": (["with", "nothere.yaml"], "config file 'nothere.yaml' not found"),
    "wrong-type": (
        ["with", "hidden=abc"],
        "config entry 'hidden' (command line): expected int like the default 128, got str 'abc'",
    ),
    "scalar-for-dict": (
        ["with", "optimizer=3"],
        "config entry 'optimizer' (command line): a dict cannot be replaced by int 3",
    ),
    "unknown-option": (["--forse"], "unknown option '--forse' (did you mean '--force'?); see --help"),
    "signal-grace-not-a-number": (["--signal-grace", "soon"],
                                  "--signal-grace takes a number of seconds above 0, got 'soon'"),
}


@pytest.mark.parametrize(("args", "message"), CASES.values(), ids=CASES.keys())
def test_bad_input_is_one_line_and_exit_2(run_experiment, tmp_path, args, message):
    assert_refused(run_experiment(*args, "-F", "runs"), tmp_path / "runs", message)


def test_option_without_its_value(run_experiment, tmp_path):
    result = run_experiment("-F", "runs", "-l")
    assert_refused(result, tmp_path / "runs", "option '-l' needs a value: -l LEVEL")


def test_option_followed_by_another_option_lacks_its_value(run_experiment, tmp_path):
    result = run_experiment("-l", "-F", "runs")
    assert_refused(result, tmp_path / "runs", "option '-l' needs a value: -l LEVEL")


def test_unknown_log_level(run_experiment, tmp_path):
    result = run_experiment("-l", "LOUD", "-F", "runs")
    message = "unknown log level 'LOUD'; use DEBUG, INFO, WARNING, ERROR, CRITICAL or a number"
    assert_refused(result, tmp_path / "runs", message)


# -- broken config files: the message names the file and the line ---------------------

BROKEN = {
    "broken.json": ('{\n  "hidden": 3,\n  "lr": ,\n  "label": "x"\n}\n', "line 3: Expecting value"),
    "broken.yaml": ("hidden: 3\nlr: 0.1\n  label: x\n", "line 3: mapping values are not allowed here"),
    "broken.toml": ('hidden = 3\nlabel = "x"\nlr = \n', "line 3: Invalid value"),
}


@pytest.mark.parametrize(("name", "text", "problem"), [(n, *v) for n, v in BROKEN.items()], ids=BROKEN.keys())
def test_broken_config_file(run_experiment, tmp_path, name, text, problem):
    (tmp_path / name).write_text(text, encoding="utf-8")
    result = run_experiment("with", name, "-F", "runs")
    assert_refused(result, tmp_path / "runs", f"config file '{name}' {problem}")


def test_bad_value_in_a_file_names_the_file(run_experiment, tmp_path):
    (tmp_path / "wrong.json").write_text('{"data": {"batch_size": "many"}}', encoding="utf-8")
    result = run_experiment("with", "wrong.json", "-F", "runs")
    message = "config entry 'data.batch_size' (file wrong.json): expected int like the default 64, got str 'many'"
    assert_refused(result, tmp_path / "runs", message)


# -- --force: unknown keys and type changes become warnings ---------------------------


def completed_run(runs: Path) -> dict:
    assert run_ids(runs) == ["1"]
    return json.loads((runs / "1" / "run.json").read_text(encoding="utf-8"))


def test_force_makes_an_unknown_key_a_warning(run_experiment, tmp_path):
    returncode, stdout, stderr = run_experiment("with", "hiden=3", "--force", "-F", "runs")
    assert returncode == 0, stderr
    assert (
        "WARNING - cli_test - unknown config key 'hiden' (command line) (did you mean 'hidden'?); "
        "to add it on purpose write '+hiden=...'"
    ) in stderr.splitlines()
    assert "error:" not in stderr and "Traceback" not in stderr
    assert stdout == "hidden=128 width=256\n"
    assert completed_run(tmp_path / "runs")["status"] == "COMPLETED"


def test_force_makes_a_type_change_a_warning(run_experiment, tmp_path):
    returncode, stdout, stderr = run_experiment("with", "hidden=abc", "--force", "-F", "runs")
    assert returncode == 0, stderr
    assert (
        "WARNING - cli_test - config entry 'hidden' (command line): expected int like the default 128, got str 'abc'"
    ) in stderr.splitlines()
    assert stdout == "hidden=abc width=abcabc\n"  # the derived entry follows the forced value
    run = completed_run(tmp_path / "runs")
    assert run["status"] == "COMPLETED"
    assert run["result"] == "abcabc"


def test_force_makes_a_dict_replaced_by_a_scalar_a_warning(run_experiment, tmp_path):
    returncode, stdout, stderr = run_experiment("save_config", "out.json", "with", "optimizer=3", "--force")
    assert returncode == 0, stderr
    assert (
        "WARNING - cli_test - config entry 'optimizer' (command line): a dict cannot be replaced by int 3"
    ) in stderr.splitlines()
    assert json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))["optimizer"] == 3


def test_force_does_not_excuse_other_bad_input(run_experiment, tmp_path):
    result = run_experiment("with", "bigg", "--force", "-F", "runs")
    message = (
        "unknown named config 'bigg' (did you mean 'big'?); an update is KEY=VALUE, a named config or a config file"
    )
    assert_refused(result, tmp_path / "runs", message)


# -- -d: the traceback instead of the one line ---------------------------------------


def test_debug_shows_the_traceback_for_an_unknown_key(run_experiment, tmp_path):
    returncode, stdout, stderr = run_experiment("-d", "with", "hiden=3", "-F", "runs")
    assert returncode != 0
    assert stderr.startswith("Traceback (most recent call last):\n")
    assert stderr.splitlines()[-1] == (
        "ba3l.config._errors.UnknownKeyError: unknown config key 'hiden' (command line) "
        "(did you mean 'hidden'?); to add it on purpose write '+hiden=...'"
    )
    assert "error: " not in stderr
    assert run_ids(tmp_path / "runs") == []


def test_debug_shows_the_traceback_for_a_broken_file(run_experiment, tmp_path):
    (tmp_path / "broken.json").write_text('{"hidden": }', encoding="utf-8")
    returncode, stdout, stderr = run_experiment("with", "broken.json", "--debug")
    assert returncode != 0
    assert "Traceback (most recent call last):" in stderr
    assert stderr.splitlines()[-1] == (
        "ba3l.config._errors.ConfigFileError: config file 'broken.json' line 1: Expecting value"
    )


def test_lowercase_true_for_a_boolean_suggests_python_spelling():
    from ba3l import Experiment, invoke

    ex = Experiment("spelling")

    @ex.config
    def config():
        shuffle = True

    @ex.main
    def main():
        pass

    result = invoke(ex, "with shuffle=true")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: config entry 'shuffle' (command line): expected bool like the default True, "
        "got str 'true'; write True\n"
    )


def test_a_command_the_config_cannot_fill_leaves_no_run(tmp_path):
    from ba3l import Experiment, invoke

    ex = Experiment("unfillable")

    @ex.config
    def config():
        x = 1

    @ex.main
    def main(x, y):
        return x + y

    result = invoke(ex, ["-F", str(tmp_path / "runs")])
    assert (result.exit_code, result.run) == (2, None)
    assert result.stderr == (
        "error: main() needs the argument 'y': pass it, or set the config entry 'y' (the experiment)\n"
    )
    assert not (tmp_path / "runs").exists()


def test_a_run_id_must_be_a_plain_name(tmp_path):
    from ba3l import Experiment, invoke

    ex = Experiment("ids")

    @ex.main
    def main():
        pass

    result = invoke(ex, ["-F", str(tmp_path / "runs"), "-i", "../escape"])
    assert result.exit_code == 2
    assert result.stderr == "error: run id '../escape' must be a plain name: letters, digits, '_', '-' and '.'\n"
    assert not (tmp_path / "runs").exists() and not (tmp_path / "escape").exists()


def test_two_ingredients_at_one_path_are_refused():
    from ba3l import Experiment, Ingredient
    from ba3l.config import ConfigError

    with pytest.raises(ConfigError) as error:
        Experiment("twice", ingredients=[Ingredient("data"), Ingredient("data")]).resolve_config()
    assert str(error.value) == "two ingredients are mounted at 'data'; give them different names"

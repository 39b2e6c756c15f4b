"""invoke: a command line run in-process, its output and exit status captured."""

from ba3l import Experiment, Ingredient, invoke


def build() -> Experiment:
    data = Ingredient("data")

    @data.config
    def data_config():
        batch_size = 64  # examples per step

    ex = Experiment("invoked", ingredients=[data])

    @ex.config
    def config():
        lr = 0.1  # learning rate
        fail = False

    @ex.main
    def main(lr, fail, _log):
        _log.info("training with lr=%s", lr)
        if fail:
            raise RuntimeError("diverged")
        print(f"lr={lr}")
        return lr

    return ex


def test_print_config_is_captured():
    result = invoke(build(), "print_config with lr=0.5 data.batch_size=8")
    assert (result.exit_code, result.stderr, result.run) == (0, "", None)
    assert "lr = 0.5" in result.stdout and "batch_size = 8" in result.stdout


def test_a_run_returns_the_run_and_its_log_lines():
    result = invoke(build(), ["with", "lr=0.25", "-c", "a comment"])
    assert result.exit_code == 0
    assert result.stdout == "lr=0.25\n"
    assert result.run.result == 0.25 and result.run.meta["comment"] == "a comment"
    assert "INFO - invoked - training with lr=0.25" in result.stderr.splitlines()


def test_each_invocation_captures_its_own_log_lines():
    ex = build()
    first, second = invoke(ex, "with lr=1.0"), invoke(ex, "with lr=2.0")
    assert "lr=1.0" in first.stderr and "lr=2.0" not in first.stderr
    assert "lr=2.0" in second.stderr and "lr=1.0" not in second.stderr


def test_bad_input_exits_2_with_one_line():
    result = invoke(build(), "with lr_rate=3")
    assert (result.exit_code, result.stdout, result.run) == (2, "", None)
    assert result.stderr == (
        "error: unknown config key 'lr_rate' (command line) (did you mean 'lr'?); "
        "to add it on purpose write '+lr_rate=...'\n"
    )


def test_a_failing_run_exits_1_with_its_traceback():
    result = invoke(build(), "with fail=True")
    assert result.exit_code == 1
    assert "Traceback" in result.stderr and "RuntimeError: diverged" in result.stderr

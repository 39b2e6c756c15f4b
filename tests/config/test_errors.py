"""Error helpers: suggestions of the nearest valid names."""

import pytest

from ba3l.config import ConfigError, UsageError, did_you_mean


@pytest.mark.parametrize(
    ("name", "candidates", "suggestion"),
    [
        ("hiden", ["hidden", "lr"], " (did you mean 'hidden'?)"),
        ("data.batchsize", ["data.batch_size", "data.shuffle"], " (did you mean 'data.batch_size'?)"),
        ("model.batch", ["data.batch", "lr"], " (did you mean 'data.batch'?)"),
        ("lr_rate", ["lr", "seed", "fail"], " (did you mean 'lr'?)"),
        ("epo", ["epochs", "seed"], " (did you mean 'epochs'?)"),
        ("zzz", ["lr", "seed"], ""),
        ("anything", [], ""),
    ],
)
def test_did_you_mean(name, candidates, suggestion):
    assert did_you_mean(name, candidates) == suggestion


def test_bad_input_errors_exit_with_2():
    assert ConfigError.exit_code == UsageError.exit_code == 2
    assert UsageError("x").format_message() == "x"

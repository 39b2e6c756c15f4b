"""The examples run as the docs and the demo show them."""

import json
import os
import subprocess
import time
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=EXAMPLES, capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def test_quickstart_prints_its_config_and_runs():
    shown = run("quickstart.py", "print_config", "with", "big", "data.small")
    assert shown.returncode == 0, shown.stderr
    assert "hidden = 512" in shown.stdout and "batch_size = 8" in shown.stdout
    ran = run("quickstart.py", "with", "hidden=64", "-u")
    assert ran.returncode == 0 and ran.stdout == "2 layers of 64 (width 128), lr=0.001\n"


def test_ba3l_style_builds_its_loaders_and_model_from_config():
    ran = run("ba3l_style.py", "with", "small", "big", "-u")
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "MLP(8 -> 4 x 512 relu -> 2), lr=0.001, 1 epochs of 4 batches; 1 validation batches\n"
    described = run("ba3l_style.py", "datasets.describe", "with", "datasets.train.batch_size=100", "-u")
    assert described.stdout == "train: 6 batches of 100\nval: 2 batches of 256\n"


def test_ba3l_style_swaps_its_model_ingredient():
    swapped = run("ba3l_style.py", "with", "linear", "small", "-u")
    assert swapped.returncode == 0, swapped.stderr
    assert swapped.stdout.startswith("Linear(8 -> 2), lr=0.001, 1 epochs")
    by_path = run("ba3l_style.py", "with", "models.net=ba3l_models.linear", "models.net.bias=False", "-u")
    assert by_path.stdout.startswith("Linear(8 -> 2, no bias)"), by_path.stderr
    old_key = run("ba3l_style.py", "with", "linear", "big", "-u")
    assert old_key.returncode == 2 and old_key.stderr.startswith(
        "error: unknown config key 'models.net.hidden' (named config 'big' at ba3l_style.py:")


def test_ba3l_style_runs_a_command_of_its_dynamic_model_ingredient():
    described = run("ba3l_style.py", "models.net.describe", "with", "models.net.layers=3", "-u")
    assert described.returncode == 0, described.stderr
    assert described.stdout == "MLP(8 -> 3 x 128 relu -> 2): 384 hidden units\n"


def test_ba3l_style_print_config_imports_nothing_heavy():
    script = (
        "import runpy, sys, json\n"
        "sys.argv = ['ba3l_style.py', 'print_config']\n"
        "try:\n    runpy.run_path('ba3l_style.py', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = run("-c", script)
    modules = json.loads(out.stdout.splitlines()[-1])
    assert "ba3l_parts" in modules  # the import strings were resolved for their defaults
    assert "ba3l_models" in modules  # the dynamic model ingredient was mounted
    assert [m for m in ("torch", "numpy", "lightning", "yaml") if m in modules] == []


def test_ba3l_style_reference_set_from_the_command_line_is_refused_when_unknown():
    refused = run("ba3l_style.py", "print_config", "with", "datasets.val.dataset=@/datasets.blob")
    assert refused.returncode == 2 and refused.stderr.startswith(
        "error: config entry 'datasets.val.dataset' refers to the unknown command '/datasets.blob'"
    )


def test_digits_trains_to_95_percent_within_a_minute_and_keeps_everything_in_its_storage_dir(tmp_path):
    started = time.monotonic()
    ran = run("digits.py", env={"BA3L_STORAGE_ROOT": str(tmp_path)})
    elapsed = time.monotonic() - started
    assert ran.returncode == 0, ran.stderr[-2000:]
    accuracy = float(ran.stdout.split("test accuracy: ")[1].split()[0])
    assert accuracy >= 0.95 and elapsed < 60
    storage = tmp_path / "digits" / "1"
    assert json.loads((storage / "config.json").read_text())["trainer"]["max_epochs"] == 20
    assert (storage / "checkpoints" / "ckpt_latest.ckpt").exists() and (storage / "checkpoints" / "ckpt_best_val_acc.ckpt").exists()
    assert any((storage / "tensorboard").rglob("events.out.tfevents*"))
    metrics = json.loads((storage / "runs" / "1" / "metrics.json").read_text())
    assert {"train_loss", "val_acc", "test_acc"} <= set(metrics)
    assert f"load it back:  ba3l.load({str(storage)!r})" in ran.stdout
    check = (  # from another folder, without the script's run or its data loaders
        "import ba3l, torch\n"
        "from sklearn.datasets import load_digits\n"
        f"model = ba3l.load({str(storage)!r})\n"
        "digits = load_digits()\n"
        "x = torch.tensor(digits.data, dtype=torch.float32) / 16\n"
        "with torch.no_grad():\n"
        "    print(model.training, float((model(x).argmax(1) == torch.tensor(digits.target)).float().mean()))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", check], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    training, accuracy = loaded.stdout.split()
    assert training == "False" and float(accuracy) >= 0.95


def test_digits_prints_its_config_with_the_trainer(tmp_path):
    shown = run("digits.py", "print_config", "with", "big", env={"BA3L_STORAGE_ROOT": str(tmp_path)})
    assert shown.returncode == 0, shown.stderr
    assert "hidden = 512" in shown.stdout and "max_epochs = 20" in shown.stdout and "monitor = 'val_acc'" in shown.stdout
    assert not tmp_path.joinpath("digits").exists()  # no storage dir for print_config


def test_digits_unobserved_trains_and_writes_nothing():
    before = sorted(path.name for path in EXAMPLES.iterdir())
    ran = run("digits.py", "-u", "with", "trainer.max_epochs=1")
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert "test accuracy: " in ran.stdout and "nothing kept:  an unobserved run (-u)" in ran.stdout
    assert "None" not in ran.stdout  # no storage dir to name
    assert sorted(path.name for path in EXAMPLES.iterdir()) == before

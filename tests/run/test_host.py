"""Host info: what a run records about its machine, and that recording it costs little."""

import os
import platform
import socket
import stat
import subprocess
import sys
import time

import pytest

from ba3l.run import _host
from ba3l.run._host import (
    DEFAULT_ENVIRONMENT,
    host_info,
    looks_secret,
    parse_nvidia_smi,
)


def test_the_keys_and_values_describe_this_machine():
    info = host_info()
    assert info["hostname"] == socket.gethostname()
    assert info["os"] == [platform.system(), platform.platform()]
    assert info["python_version"] == platform.python_version()
    assert info["cpu_count"] == os.cpu_count()
    assert isinstance(info["cpu"], str) and info["cpu"]
    assert set(info) - {"gpus"} == {"hostname", "os", "python_version", "cpu", "cpu_count", "ENV"}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/cpuinfo")
def test_the_cpu_is_named_as_in_proc_cpuinfo():
    with open("/proc/cpuinfo") as cpuinfo:
        names = [line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")]
    if names:
        assert host_info()["cpu"] == names[0]


def test_host_info_is_fast():
    host_info()  # the first call pays for platform's own caches
    best = min(_timed(host_info) for _ in range(5))
    assert best < 0.050


def _timed(function):
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def test_the_environment_holds_only_the_allowed_variables_that_are_set(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    monkeypatch.setenv("SLURM_JOB_ID", "4242")
    monkeypatch.delenv("SLURM_ARRAY_TASK_ID", raising=False)
    monkeypatch.setenv("SOME_OTHER_VARIABLE", "x")
    environment = host_info()["ENV"]
    assert environment["CUDA_VISIBLE_DEVICES"] == "0,1"
    assert environment["SLURM_JOB_ID"] == "4242"
    assert "SLURM_ARRAY_TASK_ID" not in environment
    assert "SOME_OTHER_VARIABLE" not in environment
    assert set(environment) <= set(DEFAULT_ENVIRONMENT)


def test_a_chosen_environment_is_honoured_but_secrets_never_recorded(monkeypatch):
    monkeypatch.setenv("MY_SETTING", "a")
    monkeypatch.setenv("WANDB_API_KEY", "secret")
    monkeypatch.setenv("HF_TOKEN", "secret")
    monkeypatch.setenv("DB_PASSWORD", "secret")
    chosen = ["MY_SETTING", "WANDB_API_KEY", "HF_TOKEN", "DB_PASSWORD", "NOT_SET_AT_ALL"]
    assert host_info(chosen)["ENV"] == {"MY_SETTING": "a"}


def test_which_names_look_secret():
    for name in ["AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "PGPASSWORD", "API_KEY", "KEY", "SSH_AUTH_SOCK"]:
        assert looks_secret(name), name
    for name in DEFAULT_ENVIRONMENT:
        assert not looks_secret(name), name
    assert not looks_secret("KEYBOARD_LAYOUT")


def test_nvidia_smi_output_becomes_sacreds_gpu_shape():
    output = "NVIDIA H100 80GB HBM3, 81559, 550.54.15\nNVIDIA H100 80GB HBM3, 81559, 550.54.15\n"
    assert parse_nvidia_smi(output) == {
        "gpus": [{"model": "NVIDIA H100 80GB HBM3", "total_memory": 81559}] * 2,
        "driver_version": "550.54.15",
    }
    assert parse_nvidia_smi("Tesla T4, 15360 MiB\n") == {"gpus": [{"model": "Tesla T4", "total_memory": 15360}]}
    assert parse_nvidia_smi("") is None


def _fake_nvidia_smi(folder, script):
    executable = folder / "nvidia-smi"
    executable.write_text("#!/bin/sh\n" + script)
    executable.chmod(executable.stat().st_mode | stat.S_IEXEC)


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script stands in for nvidia-smi")
def test_gpus_come_from_nvidia_smi_on_the_path(tmp_path, monkeypatch):
    _fake_nvidia_smi(tmp_path, 'echo "Tesla T4, 15360, 535.1"\n')
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    assert host_info()["gpus"] == {"gpus": [{"model": "Tesla T4", "total_memory": 15360}], "driver_version": "535.1"}


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script stands in for nvidia-smi")
def test_a_hanging_or_failing_nvidia_smi_leaves_the_gpus_out(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    monkeypatch.setattr(_host, "NVIDIA_SMI_TIMEOUT", 0.2)
    _fake_nvidia_smi(tmp_path, "exec sleep 5\n")
    started = time.perf_counter()
    assert "gpus" not in host_info()
    assert time.perf_counter() - started < 2.0
    _fake_nvidia_smi(tmp_path, 'echo "NVIDIA-SMI has failed" >&2; exit 9\n')
    assert "gpus" not in host_info()


def test_without_gpus_the_key_is_absent(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no nvidia-smi here
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        pytest.skip("this machine has a GPU that torch sees")
    assert "gpus" not in host_info()


def test_torch_is_never_imported_for_host_info():
    script = "import sys; from ba3l.run._host import host_info; host_info(); print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"

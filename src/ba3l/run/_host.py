"""What a run records about the machine it ran on: the ``host`` entry of ``run.json``.

The keys follow sacred's host info (``hostname``, ``os``, ``python_version``, ``cpu``,
``gpus``, ``ENV``) so that existing readers understand them; ``cpu_count`` is added.
Everything here is cheap (well under 50 ms): the CPU is named, never sampled, torch is
asked about GPUs only when the user already imported it, and ``nvidia-smi`` is called at
most once with a short timeout.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterable
from typing import Any

# Variables that tell where and how a run was placed; none of them holds a secret.
DEFAULT_ENVIRONMENT: tuple[str, ...] = (
    "HOSTNAME",
    "CUDA_VISIBLE_DEVICES",
    "CUDA_DEVICE_ORDER",
    "CUBLAS_WORKSPACE_CONFIG",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "PYTHONHASHSEED",
    "SLURM_JOB_ID",
    "SLURM_JOB_NAME",
    "SLURM_ARRAY_JOB_ID",
    "SLURM_ARRAY_TASK_ID",
    "SLURM_PROCID",
    "SLURM_LOCALID",
    "SLURM_NODEID",
    "SLURM_NTASKS",
    "SLURM_CPUS_PER_TASK",
    "SLURM_JOB_NODELIST",
    "SLURM_CLUSTER_NAME",
    "SLURM_JOB_PARTITION",
    "RANK",
    "LOCAL_RANK",
    "WORLD_SIZE",
    "NODE_RANK",
    "MASTER_ADDR",
    "MASTER_PORT",
)

NVIDIA_SMI_TIMEOUT = 2.0

# A variable whose name says it holds a secret is never recorded, even when asked for:
# run records are shared, copied and uploaded.
_SECRET_NAME = re.compile(
    r"TOKEN|SECRET|PASSW|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE|APIKEY|(^|_)KEY($|_)", re.IGNORECASE
)


def host_info(environment: Iterable[str] = DEFAULT_ENVIRONMENT) -> dict[str, Any]:
    """Describe this machine for a run record: ``hostname``, ``os`` (``[system, platform]``),
    ``python_version``, ``cpu`` (the model name), ``cpu_count``, ``gpus`` (only when there
    are any: ``{"gpus": [{"model": str, "total_memory": MiB}, ...]}``, sacred's shape, plus
    ``driver_version`` when ``nvidia-smi`` told it) and ``ENV`` (the variables of
    ``environment`` that are set, names that look secret left out)."""
    info: dict[str, Any] = {
        "hostname": socket.gethostname(),
        "os": [platform.system(), platform.platform()],
        "python_version": platform.python_version(),
        "cpu": cpu_name(),
        "cpu_count": os.cpu_count(),
    }
    gpus = gpu_info()
    if gpus is not None:
        info["gpus"] = gpus
    info["ENV"] = captured_environment(environment)
    return info


def cpu_name() -> str:
    """The CPU's model name, as the system reports it, without sampling its load."""
    if sys.platform.startswith("linux"):
        name = _cpu_name_from_proc()
        if name:
            return name
        return platform.machine()
    return platform.processor() or platform.machine()


def _cpu_name_from_proc() -> str | None:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as cpuinfo:
            for line in cpuinfo:
                key, _, value = line.partition(":")
                if key.strip() == "model name":
                    return value.strip()
    except OSError:
        pass
    return None


def gpu_info() -> dict[str, Any] | None:
    """The GPUs, from torch when the user already imported it, else from one ``nvidia-smi``
    call; None when there are none or neither can tell."""
    torch = sys.modules.get("torch")
    if torch is not None:
        gpus = _gpus_from_torch(torch)
        if gpus:
            return {"gpus": gpus}
    return _gpus_from_nvidia_smi()


def _gpus_from_torch(torch: Any) -> list[dict[str, Any]] | None:
    try:
        if not torch.cuda.is_available():
            return None
        gpus = []
        for index in range(torch.cuda.device_count()):
            properties = torch.cuda.get_device_properties(index)
            gpus.append({"model": properties.name, "total_memory": properties.total_memory // 2**20})
        return gpus
    except Exception:  # a broken CUDA set-up must not stop a run from starting
        return None


def _gpus_from_nvidia_smi() -> dict[str, Any] | None:
    executable = shutil.which("nvidia-smi")
    if executable is None:
        return None
    command = [executable, "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader,nounits"]
    try:
        done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=NVIDIA_SMI_TIMEOUT)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return parse_nvidia_smi(done.stdout)


def parse_nvidia_smi(output: str) -> dict[str, Any] | None:
    """Read ``nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader``
    output (with or without units) into sacred's ``gpus`` shape; None when no GPU is listed."""
    gpus = []
    drivers = set()
    for line in output.splitlines():
        fields = [field.strip() for field in line.split(",")]
        if len(fields) < 2 or not fields[0]:
            continue
        gpus.append({"model": fields[0], "total_memory": _mebibytes(fields[1])})
        if len(fields) > 2 and fields[2]:
            drivers.add(fields[2])
    if not gpus:
        return None
    result: dict[str, Any] = {"gpus": gpus}
    if len(drivers) == 1:
        result["driver_version"] = drivers.pop()
    return result


def _mebibytes(text: str) -> int | str:
    number = text.removesuffix("MiB").strip()
    return int(number) if number.isdigit() else text


def captured_environment(names: Iterable[str]) -> dict[str, str]:
    """The variables among ``names`` that are set, in the order asked; names that look like
    they hold a secret (token, password, key ...) are never included."""
    return {
        name: os.environ[name]
        for name in names
        if name in os.environ and not looks_secret(name)
    }


def looks_secret(name: str) -> bool:
    """Whether an environment variable's name suggests that its value is a secret."""
    return _SECRET_NAME.search(name) is not None

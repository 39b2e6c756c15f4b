"""The state of every random generator a training run draws from, to put in a checkpoint.

Exact resume means that the run continues with the very numbers it would have drawn:
Python's ``random``, numpy's global generator and torch's (CPU, and every CUDA device
when there is one) are saved with each checkpoint and restored on resume. Only modules
already imported are looked at; nothing is imported to save or restore a state.
"""

from __future__ import annotations

import random
import sys
from typing import Any


def rng_states() -> dict[str, Any]:
    """The states of ``random``, and of numpy's and torch's global generators when imported, as
    plain numbers and tensors (what ``torch.load(weights_only=True)`` accepts)."""
    torch, numpy = sys.modules.get("torch"), sys.modules.get("numpy")
    version, internal, gauss_next = random.getstate()
    states: dict[str, Any] = {"python": (version, _as_keys(internal, torch, numpy), gauss_next)}
    if numpy is not None:
        kind, keys, position, has_gauss, gauss = numpy.random.get_state()
        # plain numbers and tensors: a checkpoint holding them loads with torch.load(weights_only=True)
        states["numpy"] = [kind, _as_keys(keys, torch, numpy), int(position), int(has_gauss), float(gauss)]
    if torch is not None:
        states["torch"] = torch.get_rng_state()
        if torch.cuda.is_available():
            states["torch_cuda"] = torch.cuda.get_rng_state_all()
    return states


def _as_keys(keys: Any, torch: Any, numpy: Any) -> Any:
    """A generator's ~625 key numbers as one int64 tensor when torch is there: a checkpoint copies
    and pickles them at every save, and that many separate numbers cost far more than a tensor
    (converted through numpy, ~20 µs, where ``torch.tensor(list)`` takes ~70)."""
    if torch is None:
        return [int(key) for key in keys]
    if numpy is None:
        return torch.tensor(keys, dtype=torch.int64)
    return torch.from_numpy(numpy.asarray(keys, dtype=numpy.int64))


def set_rng_states(states: dict[str, Any]) -> None:
    """Put back what :func:`rng_states` saved (a generator saved but not imported now is imported)."""
    if "python" in states:
        random.setstate(_as_python_state(states["python"]))
    if "numpy" in states:
        import numpy

        kind, keys, position, has_gauss, gauss = states["numpy"]
        numpy.random.set_state((kind, numpy.asarray(_numbers(keys), dtype=numpy.uint32), position, has_gauss, gauss))
    if "torch" in states:
        import torch

        torch.set_rng_state(states["torch"])
        if "torch_cuda" in states and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(states["torch_cuda"])


def _as_python_state(state: Any) -> tuple:
    """``random.getstate()``'s tuple, also after a checkpoint turned its inner tuple into a list."""
    version, internal, gauss = state
    return version, tuple(_numbers(internal)), gauss


def _numbers(keys: Any) -> list[int]:
    """A key list saved as a tensor or as numbers, as Python ints."""
    return keys.tolist() if hasattr(keys, "tolist") else [int(key) for key in keys]

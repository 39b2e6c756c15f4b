"""Plain-Python parts for ba3l_style.py: a synthetic data set, a loader and two models.

The experiment names them by import string, so printing its config imports nothing
heavy; they stand in for torch's DataLoader and an nn.Module.
"""

from __future__ import annotations

import random
from typing import Literal


def blobs(size: int = 512, features: int = 8, seed: int = 0) -> list[tuple[list[float], int]]:
    """Two Gaussian blobs, labelled 0 and 1.

    Args:
        size: examples to make.
        features: numbers per example.
        seed: the generator's seed.
    """
    rnd = random.Random(seed)
    return [([rnd.gauss(label * 2.0, 1.0) for _ in range(features)], label) for label in (0, 1) for _ in range(size // 2)]


class Loader:
    """Batches of examples.

    Args:
        dataset: the examples.
        batch_size: examples per batch.
        shuffle: reshuffle before batching.
        drop_last: drop a last, smaller batch.
    """

    def __init__(self, dataset, batch_size: int = 1, shuffle: bool = False, drop_last: bool = False):
        self.dataset, self.batch_size, self.shuffle, self.drop_last = dataset, batch_size, shuffle, drop_last

    def __len__(self) -> int:
        full, rest = divmod(len(self.dataset), self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)


class MLP:
    """A multi-layer perceptron, described rather than built.

    Args:
        features: inputs per example.
        hidden: units per hidden layer.
        layers: hidden layers.
        activation: the non-linearity.
    """

    def __init__(self, features: int = 8, hidden: int = 64, layers: int = 2, activation: Literal["relu", "tanh"] = "relu"):
        self.features, self.hidden, self.layers, self.activation = features, hidden, layers, activation

    def __repr__(self) -> str:
        return f"MLP({self.features} -> {self.layers} x {self.hidden} {self.activation} -> 2)"


class Linear:
    """A linear classifier, described rather than built.

    Args:
        features: inputs per example.
        bias: whether it learns an offset.
    """

    def __init__(self, features: int = 8, bias: bool = True):
        self.features, self.bias = features, bias

    def __repr__(self) -> str:
        return f"Linear({self.features} -> 2{'' if self.bias else ', no bias'})"

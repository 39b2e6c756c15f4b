"""A DataLoader that can stop anywhere in an epoch and go on from the same place.

``ResumableLoader`` is a ``torch.utils.data.DataLoader`` whose shuffled order is a pure
function of a seed and the epoch number, and whose position in the epoch is part of its
``state_dict()``. Lightning saves that state in each checkpoint and gives it back on
resume, so the resumed run sees exactly the batches the uninterrupted one would have.

It never draws from torch's global random generator after it is made (the order and
the workers' base seed come from its own generators), so resuming does not shift the
random numbers a model draws (dropout, noise). Under ``torch.distributed`` each process
takes its own share of every epoch, as with a ``DistributedSampler``.

Limits: a dataset that draws random numbers *inside* worker processes restarts their
generators from the epoch's seed on resume, not from where they were.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler

_MIX = 1_000_003  # spreads (seed, epoch, stream) over the generators' seed space


def _generator(seed: int, epoch: int, stream: int) -> torch.Generator:
    return torch.Generator().manual_seed((seed * _MIX * _MIX + epoch * _MIX + stream) % 2**63)


class _EpochOrder(DistributedSampler):
    """The indices of one epoch, from ``(seed, epoch)``: shuffled or in order, this process's share.

    A ``DistributedSampler`` so that Lightning keeps it under DDP instead of replacing it;
    the world size and rank are read when an epoch starts, not when it is made.
    """

    def __init__(self, size: int, shuffle: bool, seed: int):  # not super().__init__: it wants a process group now
        self.size, self.shuffle, self.seed = size, shuffle, seed
        self.epoch = 0
        self.skip = 0  # indices of this process's share to leave out at the start of the next epoch

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return math.ceil(self.size / _world()[0])

    def __iter__(self) -> Iterator[int]:
        epoch, skip = self.epoch, self.skip
        self.epoch, self.skip = epoch + 1, 0  # the next pass is the next epoch, unless set_epoch says otherwise
        order = torch.randperm(self.size, generator=_generator(self.seed, epoch, 0)).tolist() if self.shuffle \
            else list(range(self.size))
        world, rank = _world()
        order += order[: len(self) * world - self.size]  # every process gets as many, as DistributedSampler does
        yield from order[rank::world][skip:]


def _world() -> tuple[int, int]:
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_world_size(), torch.distributed.get_rank()
    return 1, 0


class ResumableLoader(DataLoader):
    """A ``DataLoader`` that resumes in the middle of an epoch, batch for batch.

    Args:
        dataset: a map-style dataset (it has ``len``).
        batch_size: examples per batch.
        shuffle: a new order every epoch, from ``seed`` and the epoch number.
        seed: the order's seed; by default drawn once from torch's random generator, so a
            seeded run gets the same orders every time.
        kwargs: the other arguments of ``DataLoader`` (``num_workers``, ``collate_fn``,
            ``drop_last``, ...); not ``sampler``, ``batch_sampler`` or ``generator``.

    Example:
        >>> loader = ResumableLoader(train_set, batch_size=64, shuffle=True, num_workers=2)   # doctest: +SKIP
    """

    def __init__(self, dataset: Dataset, batch_size: int = 1, shuffle: bool = False, seed: int | None = None,
                 **kwargs: Any):
        taken = sorted({"sampler", "batch_sampler", "generator"} & set(kwargs))
        if taken:
            raise TypeError(f"ResumableLoader chooses its own {', '.join(taken)}; give shuffle and seed instead")
        if seed is None:
            seed = int(torch.empty((), dtype=torch.int64).random_().item())
        self.seed = seed
        self._order = _EpochOrder(len(dataset), shuffle, seed)  # type: ignore[arg-type]
        super().__init__(dataset, batch_size=batch_size, sampler=self._order, **kwargs)
        self._epoch = 0
        self._position = 0  # batches of the current epoch handed out (or skipped)

    def __iter__(self) -> Iterator[Any]:
        self._epoch = self._order.epoch
        self._position = self._order.skip // self.batch_size
        self.generator = _generator(self.seed, self._epoch, 1)  # the workers' base seed, not the global generator
        for batch in super().__iter__():
            self._position += 1
            yield batch

    def state_dict(self) -> dict[str, int]:
        """Where the loader is: ``{"seed", "epoch", "batches"}`` (batches of that epoch handed out)."""
        return {"seed": self.seed, "epoch": self._epoch, "batches": self._position}

    def load_state_dict(self, state: dict[str, int]) -> None:
        """Go on from ``state``: the next epoch starts after ``state["batches"]`` batches of its
        epoch (or at the following epoch, when that one was complete)."""
        self.seed = self._order.seed = int(state["seed"])
        epoch, batches = int(state["epoch"]), int(state["batches"])
        if batches >= len(self):
            epoch, batches = epoch + 1, 0
        self._order.set_epoch(epoch)
        self._order.skip = batches * self.batch_size
        self._epoch, self._position = epoch, batches

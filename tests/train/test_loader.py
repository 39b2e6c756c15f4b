"""ResumableLoader: each epoch's order is a function of the seed and the epoch; its state says
where it is, and a new loader given that state goes on with the same batches."""

from __future__ import annotations

import pytest
import torch
from torch.utils.data import TensorDataset

from ba3l.train import ResumableLoader

DATA = TensorDataset(torch.arange(50))


def batches(loader, count=None) -> list[list[int]]:
    taken = []
    for batch in loader:
        taken.append(batch[0].tolist())
        if count is not None and len(taken) == count:
            break
    return taken


def test_each_epoch_is_a_new_order_that_the_seed_decides():
    loader = ResumableLoader(DATA, batch_size=8, shuffle=True, seed=7)
    first, second = batches(loader), batches(loader)
    assert first != second and sorted(sum(first, [])) == sorted(sum(second, [])) == list(range(50))
    again = ResumableLoader(DATA, batch_size=8, shuffle=True, seed=7)
    assert [batches(again), batches(again)] == [first, second]
    assert batches(ResumableLoader(DATA, batch_size=8, shuffle=True, seed=8)) != first


@pytest.mark.parametrize("workers", [0, 2])
def test_a_new_loader_given_the_state_goes_on_with_the_same_batches(workers):
    loader = ResumableLoader(DATA, batch_size=8, shuffle=True, seed=3, num_workers=workers)
    whole = [batches(loader), batches(loader)]
    interrupted = ResumableLoader(DATA, batch_size=8, shuffle=True, seed=3, num_workers=workers)
    batches(interrupted)
    seen = batches(interrupted, count=3)
    state = interrupted.state_dict()
    assert state == {"seed": 3, "epoch": 1, "batches": 3}

    resumed = ResumableLoader(DATA, batch_size=8, shuffle=True, num_workers=workers)  # another seed until loaded
    resumed.load_state_dict(state)
    assert seen + batches(resumed) == whole[1]


def test_a_state_at_the_end_of_an_epoch_goes_on_with_the_next_epoch():
    loader = ResumableLoader(DATA, batch_size=8, shuffle=True, seed=3)
    epochs = [batches(loader), batches(loader)]
    resumed = ResumableLoader(DATA, batch_size=8, shuffle=True)
    resumed.load_state_dict({"seed": 3, "epoch": 0, "batches": 7})
    assert batches(resumed) == epochs[1]


def test_making_a_loader_with_a_seed_draws_nothing_from_the_global_generator():
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    batches(ResumableLoader(DATA, batch_size=8, shuffle=True, seed=1, num_workers=0))
    assert torch.equal(torch.rand(3), expected)


def test_it_chooses_its_own_sampler():
    with pytest.raises(TypeError, match="ResumableLoader chooses its own sampler; give shuffle and seed instead"):
        ResumableLoader(DATA, sampler=range(50))

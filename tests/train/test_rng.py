"""Saving and restoring every random generator gives the very same numbers again."""

import pickle
import random

import numpy
import torch

from ba3l.train._rng import rng_states, set_rng_states


def draws() -> tuple:
    return random.random(), float(numpy.random.rand()), torch.rand(3).tolist()


def test_restored_generators_draw_the_same_numbers_again():
    random.seed(1), numpy.random.seed(2), torch.manual_seed(3)
    draws()
    saved = pickle.loads(pickle.dumps(rng_states()))
    expected = [draws() for _ in range(3)]
    set_rng_states(saved)
    assert [draws() for _ in range(3)] == expected


def test_the_states_load_with_weights_only(tmp_path):
    numpy.random.seed(4)
    torch.save({"states": rng_states()}, tmp_path / "states.pt")
    loaded = torch.load(tmp_path / "states.pt", weights_only=True)["states"]
    expected = draws()
    set_rng_states(loaded)
    assert draws() == expected


def test_a_python_state_with_a_list_inside_is_put_back():
    random.seed(5)
    state = rng_states()["python"]
    expected = random.random()
    set_rng_states({"python": [state[0], list(state[1]), state[2]]})
    assert random.random() == expected

"""``copy.deepcopy`` of a compiled, trained model: the copy trains on its own weights,
exactly as the original would from the same state, and leaves the original alone."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers

RNG = np.random.default_rng(0)
X = RNG.standard_normal((32, 5)).astype(np.float32)
Y = RNG.standard_normal((32, 1)).astype(np.float32)


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_a_deep_copy_trains_as_the_original_would_and_leaves_it_alone(jit, optimizer):
    model = dg.Sequential([layers.Dense(4, activation="relu"), layers.Dense(1)])
    model.compile(optimizer, "mse", jit=jit)
    model.fit(X, Y, batch_size=8, epochs=1, verbose=0)
    clone = copy.deepcopy(model)
    before = [w.copy() for w in model.get_weights()]

    dg.random.seed(3)
    copied_history = clone.fit(X, Y, batch_size=8, epochs=2, verbose=0).history["loss"]
    for weight, kept in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(weight, kept)  # the original did not move

    dg.random.seed(3)
    original_history = model.fit(X, Y, batch_size=8, epochs=2, verbose=0).history["loss"]
    assert copied_history == original_history
    assert copied_history[-1] < copied_history[0]  # it trained
    for copied, original in zip(clone.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(copied, original)

"""float32 stays float32: no op of the forward graph, no gradient and no optimizer update
silently computes in float64 (which would halve the speed of every matrix product)."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers, losses, optimizers
from deepgrad.autodiff.primitive import node_of
from deepgrad.tensor import Tensor

LOSSES = {
    "sparse_categorical": losses.SparseCategoricalCrossentropy(from_logits=True),
    "mse": losses.MeanSquaredError(),
    "gaussian_nll": losses.GaussianNLL(),
    "binary": losses.BinaryCrossentropy(from_logits=True),
}


def _graph_dtypes(output: Tensor) -> set:
    dtypes, seen, stack = set(), set(), [output]
    while stack:
        tensor = stack.pop()
        if id(tensor) in seen:
            continue
        seen.add(id(tensor))
        dtypes.add(np.asarray(tensor._value).dtype)
        if node_of(tensor) is not None:
            stack.extend(parent for _, parent in node_of(tensor).parents)
    return dtypes


@pytest.mark.parametrize("loss_name", sorted(LOSSES))
def test_forward_graph_and_gradients_stay_float32(loss_name):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 5)).astype(np.float32)
    target = (
        np.arange(8) % 3
        if loss_name == "sparse_categorical"
        else rng.random((8, 3)).astype(np.float32)
    )
    model = dg.Sequential([layers.Dense(4, activation="gelu"), layers.Dense(3)])
    loss = LOSSES[loss_name](target, model(x, training=True))
    assert _graph_dtypes(loss) == {np.dtype(np.float32)}
    loss.backward()
    assert {w.grad.dtype for w in model.trainable_weights} == {np.dtype(np.float32)}


@pytest.mark.parametrize("name", sorted(set(optimizers.OPTIMIZERS) - {"lbfgs"}))
def test_every_update_stays_float32(name):
    params = [dg.tensor(np.ones((64, 80), np.float32), requires_grad=True)]  # > fused.MIN_SIZE
    params.append(dg.tensor(np.ones(7, np.float32), requires_grad=True))
    opt = optimizers.get(name)
    opt.build(params)
    for _ in range(3):
        for p in params:
            p.grad.data[...] = 0.5
        opt.step()
    for p in params:
        assert p.dtype == np.float32 and p.data.dtype == np.float32
    for state in opt.state:
        for key, array in state.items():
            if np.ndim(array):  # per-element state, not scalars kept for the schedule
                assert array.dtype == np.float32, (name, key)

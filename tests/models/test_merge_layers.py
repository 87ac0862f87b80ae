"""Merge layers on random shapes (hypothesis), with broadcasting where the elementwise ones
allow it: forward against PyTorch, derivatives against central differences in float64,
forward and reverse mode, to second order."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import deepgrad as dg
from deepgrad import layers

torch = pytest.importorskip("torch")

ELEMENTWISE = {
    "Add": (layers.Add, lambda xs: sum(xs[1:], xs[0])),
    "Multiply": (layers.Multiply, lambda xs: _reduce(torch.mul, xs)),
    "Average": (layers.Average, lambda xs: sum(xs[1:], xs[0]) / len(xs)),
    "Maximum": (layers.Maximum, lambda xs: _reduce(torch.maximum, xs)),
    "Minimum": (layers.Minimum, lambda xs: _reduce(torch.minimum, xs)),
    "Subtract": (layers.Subtract, lambda xs: xs[0] - xs[1]),
}


def _reduce(fn, xs):
    out = xs[0]
    for x in xs[1:]:
        out = fn(out, x)
    return out


@st.composite
def broadcastable_shapes(draw, count):
    batch = draw(st.integers(1, 4))
    sample = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    shapes = []
    for _ in range(count):  # each input may hold 1 where the others hold n
        shapes.append((batch, *(n if draw(st.booleans()) else 1 for n in sample)))
    return shapes


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_elementwise_merges(name, data):
    make, reference = ELEMENTWISE[name]
    count = 2 if name == "Subtract" else data.draw(st.integers(2, 3))
    shapes = data.draw(broadcastable_shapes(count))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    # values kept apart so that maximum/minimum are differentiable where they are checked
    inputs = [
        rng.permutation(np.arange(np.prod(s), dtype=np.float64)).reshape(s) * 0.1 + i * 0.01
        for i, s in enumerate(shapes)
    ]
    layer = make(dtype="float64")
    expected = reference([torch.from_numpy(x) for x in inputs]).numpy()
    np.testing.assert_allclose(layer(inputs).numpy(), expected, rtol=1e-12, atol=1e-12)

    def f(*xs):
        return (layer(list(xs)) ** 2).sum()

    dg.check_grads(f, modes=("fwd", "rev"), order=2)(*inputs)


@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_concatenate(data):
    batch = data.draw(st.integers(1, 4))
    rest = data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    axis = data.draw(st.integers(1, len(rest)))
    shapes = []
    for _ in range(data.draw(st.integers(2, 3))):
        shape = [batch, *rest]
        shape[axis] = data.draw(st.integers(1, 4))
        shapes.append(tuple(shape))
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal(s) for s in shapes]
    negative_axis = data.draw(st.booleans())
    layer = layers.Concatenate(
        axis=axis - len(shapes[0]) if negative_axis else axis, dtype="float64"
    )
    expected = torch.cat([torch.from_numpy(x) for x in inputs], dim=axis).numpy()
    np.testing.assert_array_equal(layer(inputs).numpy(), expected)

    def f(*xs):
        return (layer(list(xs)) ** 3).sum()

    dg.check_grads(f, modes=("fwd", "rev"), order=2)(*inputs)

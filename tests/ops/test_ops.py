"""Every row of the op table: forward equals NumPy; JVP and VJP equal central differences
in float64; forward and reverse mode agree; the same to second order."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import deepgrad as dg
from deepgrad.tensor import raw_data
from tests.ops.op_table import OP_TABLE


def _call(spec, args, kwargs):
    return spec.fn(*args, **kwargs)


def _flat(out):
    return [np.asarray(raw_data(o)) for o in dg.tree_flatten(out)[0]]


@pytest.mark.parametrize("spec", OP_TABLE, ids=lambda s: s.name)
@given(data=st.data())
def test_op(spec, data):
    shapes = data.draw(spec.shapes.strategy, label="shapes")
    kwargs = data.draw(st.sampled_from(spec.kwargs), label="kwargs")
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    args = spec.arguments(np.random.default_rng(seed), shapes)

    expected = spec.ref(*args, **kwargs)
    actual = _call(spec, args, kwargs)
    for a, e in zip(_flat(actual), _flat(expected), strict=True):
        assert a.shape == np.shape(e)
        np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-12)

    dg.check_grads(
        lambda *xs: _call(spec, xs, kwargs), args, order=spec.order, atol=spec.atol, rtol=spec.rtol
    )
    _check_float32(spec, args, kwargs)


def _check_float32(spec, args, kwargs):
    """A float32 input gives float32 results and float32 gradients of the right shape."""
    args = [a.astype(np.float32) if np.asarray(a).dtype == np.float64 else a for a in args]
    tensors = [
        dg.tensor(a, requires_grad=np.issubdtype(np.asarray(a).dtype, np.floating)) for a in args
    ]
    leaves = dg.tree_flatten(_call(spec, tensors, kwargs))[0]
    for leaf in leaves:
        assert leaf.dtype == np.float32, (spec.name, leaf.dtype)
    sum(leaf.sum() for leaf in leaves).backward()
    for t in tensors:
        if t.requires_grad:
            assert t.grad is not None and t.grad.dtype == np.float32 and t.grad.shape == t.shape

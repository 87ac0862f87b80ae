"""Reductions of arrays with no elements: their gradients are arrays with no elements, as
PyTorch's are, in reverse and forward mode (prod's rule used to fail to reshape them)."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp

torch = pytest.importorskip("torch")

CASES = [(shape, axis) for shape in [(0,), (2, 0, 3)] for axis in [None, *range(len(shape))]]


@pytest.mark.parametrize(("shape", "axis"), CASES)
@pytest.mark.parametrize("name", ["sum", "mean", "prod"])
def test_the_gradient_of_a_reduction_without_elements_is_torchs(name, shape, axis):
    x0 = np.ones(shape)
    y = getattr(dnp, name)(dg.tensor(x0), axis=axis)
    cotangent = np.random.default_rng(0).standard_normal(np.shape(y._value))
    reference = torch.tensor(x0, requires_grad=True)
    dims = {} if axis is None else {"dim": axis}
    getattr(torch, name)(reference, **dims).backward(torch.tensor(cotangent))
    x = dg.tensor(x0, requires_grad=True)
    getattr(dnp, name)(x, axis=axis).backward(cotangent)
    assert x.grad is not None and reference.grad is not None
    np.testing.assert_array_equal(x.grad.numpy(), reference.grad.numpy())
    _, tangent = dg.jvp(lambda a: getattr(dnp, name)(a, axis=axis), (x0,), (np.ones(shape),))
    assert np.shape(tangent) == np.shape(y._value)

"""``Tensor.flatten`` and ``Tensor.astype`` copy, as ``ndarray.flatten`` and ``.astype`` do.

Both returned this tensor's own memory (flatten was ravel; astype to the tensor's dtype was
the tensor itself), so writing into the result wrote into the tensor, where NumPy leaves
the original as it was.
"""

from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp


@pytest.mark.parametrize(
    "method",
    [
        lambda t: t.flatten(),
        lambda t: t.astype(t.dtype),
        lambda t: t.astype(np.float32),
        lambda t: t.astype(np.float64),
    ],
)
def test_writing_into_the_result_leaves_the_tensor_as_numpy_does(method):
    array = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    tensor = dg.tensor(array.copy())
    result, expected = method(tensor), method(array.copy())
    result[0] = 99.0
    expected[0] = 99.0
    assert np.array_equal(tensor.numpy(), array)
    assert np.array_equal(result.numpy(), expected)


def test_astype_without_a_copy_is_the_tensor_itself_as_numpy_gives():
    tensor = dg.tensor([1.0, 2.0])
    assert tensor.astype(tensor.dtype, copy=False) is tensor
    assert tensor.astype(np.float64, copy=False) is not tensor


def test_the_copies_pass_the_gradient():
    w = dg.tensor([1.0, 2.0], requires_grad=True)
    (w.astype(w.dtype) * w.flatten()).sum().backward()
    assert np.allclose(w.grad.numpy(), [2.0, 4.0])
    gradient = dg.grad(lambda a: dnp.sum(a.astype(a.dtype) ** 2 + a.flatten()))(np.ones(2))
    assert np.allclose(gradient, [3.0, 3.0])

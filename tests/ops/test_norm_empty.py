"""``norm`` over an empty axis: NumPy's max-based orders (vector inf; matrix 1, inf and 2)
reduce with ``initial=0`` and return 0; deepgrad raised "zero-size array to reduction
operation maximum which has no identity". The min-based orders raise in both."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp

MATRIX_ORDERS = [1, -1, 2, -2, np.inf, -np.inf, "nuc", "fro", None]


@pytest.mark.parametrize("shape", [(0, 0), (2, 0, 0), (0, 3), (3, 0), (2, 0, 3)])
@pytest.mark.parametrize("order", MATRIX_ORDERS)
@pytest.mark.parametrize("keepdims", [False, True])
def test_matrix_orders_as_numpy(shape, order, keepdims):
    x = np.zeros(shape)
    try:
        want = np.linalg.norm(x, order, axis=(-2, -1), keepdims=keepdims)
    except ValueError:
        with pytest.raises(ValueError):
            dnp.linalg.norm(x, order, axis=(-2, -1), keepdims=keepdims)
        return
    got = dnp.linalg.norm(x, order, axis=(-2, -1), keepdims=keepdims)
    assert type(got) is type(want)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("order", [np.inf, 1, 2, 0, 0.5, None])
def test_vector_orders_as_numpy(order):
    for x in (np.zeros(0), np.zeros((2, 0))):
        np.testing.assert_array_equal(
            dnp.linalg.norm(x, order, axis=-1), np.linalg.norm(x, order, axis=-1)
        )


@pytest.mark.parametrize("order", [1, 2, np.inf])
def test_gradient_is_empty(order):
    x = np.zeros((2, 0, 3))
    grad = dg.grad(lambda x: dnp.sum(dnp.linalg.norm(x, order, axis=(-2, -1))))(x)
    assert grad.shape == (2, 0, 3)

"""``norm(x, ord)`` with ``ord`` a NumPy scalar (``np.int64(2)``, as from an array of
orders): NumPy takes it as the number; deepgrad raised "ord=np.int64(2) is not a matrix
norm order" for the matrix orders 2 and -2."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp

MATRIX = np.array([[3.0, 1.0], [0.0, 2.0]])


@pytest.mark.parametrize("order", [np.int64(2), np.int32(-2), np.int8(1), np.float64(-np.inf)])
def test_matrix_orders_as_numpy(order):
    np.testing.assert_allclose(dnp.linalg.norm(MATRIX, order), np.linalg.norm(MATRIX, order))
    expected = dg.grad(lambda x: dnp.linalg.norm(x, order.item()))(MATRIX)
    np.testing.assert_array_equal(dg.grad(lambda x: dnp.linalg.norm(x, order))(MATRIX), expected)


@pytest.mark.parametrize("order", [np.int64(3), np.float32(0.5)])
def test_vector_orders_as_numpy(order):
    vector = np.array([3.0, -1.0, 2.0])
    np.testing.assert_allclose(dnp.linalg.norm(vector, order), np.linalg.norm(vector, order))

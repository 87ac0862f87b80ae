"""``linalg.norm`` refuses an order NumPy refuses, with a ValueError naming it: a matrix
ord=3 (or 0, −3, 'abc') raised NotImplementedError saying an SVD was not available yet,
and a vector ord='fro' a TypeError from ``power``."""

import numpy as np
import pytest

import deepgrad.numpy as dnp


@pytest.mark.parametrize("order", [0, 3, -3, "abc"])
def test_matrix_orders_numpy_refuses(order):
    with pytest.raises(ValueError, match="Invalid norm order for matrices"):
        np.linalg.norm(np.eye(2), order)
    with pytest.raises(ValueError, match=f"norm: ord={order!r} is not a matrix norm order"):
        dnp.linalg.norm(np.eye(2), order)


@pytest.mark.parametrize("order", ["fro", "nuc", "abc"])
def test_vector_orders_numpy_refuses(order):
    with pytest.raises(ValueError, match="for vectors"):
        np.linalg.norm(np.ones(2), order)
    with pytest.raises(ValueError, match=f"norm: ord={order!r} is not a vector norm order"):
        dnp.linalg.norm(np.ones(2), order)


def test_valid_orders_still_work():
    # np.linalg.norm(np.eye(2), ord) and np.linalg.norm(np.ones(2), 3)
    assert float(dnp.linalg.norm(np.eye(2), "nuc")) == 2.0
    assert float(dnp.linalg.norm(np.eye(2), -2)) == 1.0
    np.testing.assert_allclose(dnp.linalg.norm(np.ones(2), 3), 1.2599210498948732, rtol=1e-15)

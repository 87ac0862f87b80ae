"""``norm(x, 0)``, the count of non-zero elements, is a float in x's dtype as NumPy's; it was
an integer, so ``grad`` of any function of it raised TypeError (JAX: gradient 0)."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize(("axis", "keepdims"), [(None, False), (0, False), (-1, True)])
def test_order_zero_is_numpys_float_count(dtype, axis, keepdims):
    x = np.array([[1, 0, 2], [0, 0, 3]], dtype=dtype)
    x = x[0] if axis is None else x
    got = dnp.linalg.norm(x, 0, axis=axis, keepdims=keepdims)
    expected = np.linalg.norm(x, 0, axis=axis, keepdims=keepdims)
    assert np.asarray(got).dtype == np.asarray(expected).dtype
    np.testing.assert_array_equal(got, expected)


def test_order_zero_has_derivative_zero():
    x = np.array([1.0, 0.0, 2.0])
    np.testing.assert_array_equal(dg.grad(lambda x: dnp.linalg.norm(x, 0))(x), [0.0, 0.0, 0.0])
    scaled = dg.grad(lambda x: dnp.linalg.norm(x, 0) * dnp.sum(x))
    np.testing.assert_array_equal(scaled(x), [2.0, 2.0, 2.0])

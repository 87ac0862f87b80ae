"""``sum_of_squares`` gives the number ``sum(x * x)`` gives, whatever the dtype."""

import numpy as np
import pytest

from deepgrad.ops.sum_of_squares import _sum_of_squares_impl, sum_of_squares


@pytest.mark.parametrize(
    "x",
    [
        np.array([True, True, False, True]),  # a dot product would give True (logical or)
        np.array([[12, 12], [3, 4]], np.int8),  # one would stay int8; sum(x * x) widens
        np.array([3, 4], np.uint16),
    ],
)
def test_booleans_and_integers_sum_as_numpy_does(x):
    expected = np.sum(x * x)
    got = _sum_of_squares_impl(x)
    assert got == expected and np.result_type(got) == np.result_type(expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128])
def test_floats_take_the_dot_product(dtype):
    x = np.arange(6, dtype=dtype).reshape(2, 3)
    np.testing.assert_allclose(sum_of_squares(x), np.sum(x * x))

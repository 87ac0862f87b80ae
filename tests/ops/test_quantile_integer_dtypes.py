"""``quantile``, ``percentile`` and ``nanquantile`` with the methods that pick an element
(``lower``, ``higher``, ``nearest``) keep an integer or boolean array's dtype, as NumPy's
do: they returned float64 (quantile of int32 [3, 0, 1, 7] at 0.3, 'lower': 0.0 for
NumPy's int32 0)."""

import numpy as np
import pytest

import deepgrad.numpy as dnp

DATA = [[3, 0, 1, 7], [2, 2, 9, 4]]
# np.quantile(np.array(DATA, dtype), [0.3, 0.9], axis=1, method=...) for the dtypes below
EXPECTED = {"lower": [[0, 2], [3, 4]], "higher": [[1, 2], [7, 9]], "nearest": [[1, 2], [7, 9]]}


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int32, np.int64])
@pytest.mark.parametrize("method", list(EXPECTED))
def test_an_element_keeps_the_integer_dtype(dtype, method):
    data = np.array(DATA, dtype=dtype)
    for function, q in [(dnp.quantile, [0.3, 0.9]), (dnp.nanquantile, [0.3, 0.9])]:
        result = function(data, q, axis=1, method=method)
        assert result.dtype == dtype
        np.testing.assert_array_equal(result, EXPECTED[method])
    result = dnp.percentile(data, [30, 90], axis=1, method=method, keepdims=True)
    assert result.dtype == dtype and result.shape == (2, 2, 1)
    scalar = dnp.quantile(data, 0.3, method=method)
    assert type(scalar) is np.dtype(dtype).type


def test_booleans_and_interpolating_methods():
    flags = np.array([True, False, True, True])
    assert dnp.quantile(flags, 0.3, method="higher").dtype == np.bool_
    result = dnp.quantile(np.array(DATA, dtype=np.int32), 0.3, method="linear")
    assert result.dtype == np.float64  # an interpolation is float64, as NumPy's
    np.testing.assert_allclose(result, 2.0)


def test_numbers_are_numpys():
    for method, expected in EXPECTED.items():
        data = np.array(DATA, dtype=np.int8)
        result = np.quantile(data, [0.3, 0.9], axis=1, method=method)
        assert result.dtype == np.int8
        np.testing.assert_array_equal(result, expected)
    assert np.quantile(np.array([True, False, True, True]), 0.3, method="higher").dtype == bool
    np.testing.assert_allclose(np.quantile(np.array(DATA), 0.3), 2.0)

"""``quantile`` of an integer array at a float32 (or float16) q returned float64 where
NumPy's is ``result_type(data, q)``: int8 [[3, 0, 1, 7], [2, 2, 9, 4]] at float32
[0.3, 0.9] is float32 [[0.90000004, 2.0], [5.7999992, 7.499999]] in NumPy, and was
float64 [[0.9000000026822090, 2.0], [5.799999833106995, 7.499999821186066]]. The
integers are now read in that float (which holds each of them exactly), as NumPy
interpolates in it. (NumPy also computes the position (n − 1)·q in q's dtype, where
deepgrad computes it in float64: the values may differ in the last place.)"""

import numpy as np
import pytest

import deepgrad.numpy as dnp

DATA = [[3, 0, 1, 7], [2, 2, 9, 4]]
# np.quantile(np.array(DATA, dtype), np.array([0.3, 0.9], q_dtype), axis=1), NumPy 2.4
AT_FLOAT32 = [[0.9000000357627869, 2.0], [5.799999237060547, 7.499999046325684]]
AT_FLOAT16 = [[0.900390625, 2.0], [5.796875, 7.49609375]]
CASES = [
    (np.int8, np.float32, np.float32, AT_FLOAT32),
    (np.uint8, np.float32, np.float32, AT_FLOAT32),
    (np.int16, np.float32, np.float32, AT_FLOAT32),
    (np.int8, np.float16, np.float16, AT_FLOAT16),
    (np.int16, np.float16, np.float32, AT_FLOAT16),
    (np.int32, np.float32, np.float64, AT_FLOAT32),
]


@pytest.mark.parametrize(("dtype", "q_dtype", "result_dtype", "expected"), CASES)
def test_integers_are_interpolated_in_numpys_float(dtype, q_dtype, result_dtype, expected):
    data = np.array(DATA, dtype=dtype)
    q = np.array([0.3, 0.9], dtype=q_dtype)
    for function in (dnp.quantile, dnp.nanquantile):
        result = np.asarray(function(data, q, axis=1))
        assert result.dtype == result_dtype
        tolerance = 1e-3 if q_dtype == np.float16 else 1e-6  # (the position's rounding)
        np.testing.assert_allclose(result, expected, rtol=tolerance)


@pytest.mark.parametrize("name", ["quantile", "percentile", "nanquantile", "nanpercentile"])
@pytest.mark.parametrize("method", ["linear", "midpoint", "lower", "nearest"])
@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.uint16])
def test_a_numpy_float32_scalar_q_matches_numpy(name, method, dtype):
    data = np.array(DATA, dtype=dtype)
    q = np.float32(30.0 if "percentile" in name else 0.3)
    expected = getattr(np, name)(data, q, axis=1, method=method)
    result = np.asarray(getattr(dnp, name)(data, q, axis=1, method=method))
    assert result.dtype == expected.dtype
    np.testing.assert_allclose(result, expected, rtol=1e-6)


def test_a_python_q_still_gives_float64():
    data = np.array(DATA, dtype=np.int8)
    assert np.asarray(dnp.quantile(data, 0.3, axis=1)).dtype == np.float64
    assert np.asarray(dnp.median(data, axis=1)).dtype == np.float64


# np.quantile(int16 DATA, q, axis=1) at an integer q (0 or 1) is int16: NumPy interpolates
# by an integer fraction; it was float64 [7.0, 9.0]. 'midpoint' and median stay float64, as NumPy's.
@pytest.mark.parametrize("q", [1, 0, True, np.int64(1), [0, 1], np.array([0, 1], np.uint8)])
@pytest.mark.parametrize("function", [dnp.quantile, dnp.nanquantile])
def test_an_integer_q_keeps_the_integer_dtype(q, function):
    data = np.array(DATA, dtype=np.int16)
    result = np.asarray(function(data, q, axis=1))
    assert result.dtype == np.int16
    rows = {0: [0, 2], 1: [7, 9]}
    expected = [rows[int(v)] for v in np.atleast_1d(q)] if np.ndim(q) else rows[int(q)]
    np.testing.assert_array_equal(result, expected)
    assert np.asarray(function(data, q, axis=1, method="midpoint")).dtype == np.float64


def test_booleans_at_an_integer_q_stay_booleans():
    # np.quantile([[True, False, True], [False, False, True]], [0, 1], axis=1): bool
    data = np.array([[True, False, True], [False, False, True]])
    result = np.asarray(dnp.quantile(data, [0, 1], axis=1))
    assert result.dtype == np.bool_
    np.testing.assert_array_equal(result, [[False, False], [True, True]])

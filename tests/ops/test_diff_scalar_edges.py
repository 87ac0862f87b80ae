"""A Python number as ``diff``'s ``prepend`` or ``append`` on a plain array enters as an
array of its own, as in NumPy's ``diff`` (which calls ``asanyarray`` on it): NumPy gives
``diff(uint8 [5, 3], prepend=0)`` = int64 [5, -2]; deepgrad cast the 0 to uint8 and
returned [5, 254] (uint8 wrapping), raised OverflowError for ``prepend=-1``, and returned
float32 where NumPy gives float64 for a float32 array with ``prepend=0.5``. A Tensor keeps
its dtype (float32 in, float32 out)."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp

UINT8 = np.array([5, 3], dtype=np.uint8)
FLOAT32 = np.array([1.0, 2.0], dtype=np.float32)


@pytest.mark.parametrize(
    ("a", "edge", "expected", "dtype"),
    [
        (UINT8, 0, [5, -2, -3], np.int64),  # np.diff(UINT8, prepend=0, append=0)
        (UINT8, -1, [6, -2, -4], np.int64),
        (np.array([1, 2], dtype=np.int32), 1, [0, 1, -1], np.int64),
        (FLOAT32, 0.5, [0.5, 1.0, -1.5], np.float64),
    ],
)
def test_plain_arrays_take_numpys_dtype(a, edge, expected, dtype):
    got = dnp.diff(a, prepend=edge, append=edge)
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == dtype
    reference = np.diff(a, prepend=edge, append=edge)
    np.testing.assert_array_equal(got, reference)
    assert got.dtype == reference.dtype


def test_a_float32_tensor_stays_float32():
    got = dnp.diff(dg.tensor(FLOAT32), prepend=0.5)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got.numpy(), [0.5, 1.0])

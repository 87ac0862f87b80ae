"""``dnp.insert`` promoted arr and values together (``insert([True, False], 0, 5.0)`` was
``[5., 1., 0.]``, ``insert([1, 2, 3], 1, 5.7)`` held 5.7); NumPy casts the values to arr's
dtype: ``[True, True, False]`` and ``[1, 5, 2, 3]``."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp

ARRAYS = {
    "bool": np.array([True, False, True]),
    "int8": np.array([1, 2, 3], dtype=np.int8),
    "int64": np.array([[1, 2], [3, 4]]),
    "float16": np.array([0.5, 1.5], dtype=np.float16),
    "float32": np.array([0.5, 1.5], dtype=np.float32),
}


@pytest.mark.parametrize("values", [5.7, -2, True, [0.25, 3.0]], ids=repr)
@pytest.mark.parametrize("arr", ARRAYS.values(), ids=ARRAYS.keys())
@pytest.mark.parametrize("wrap", [np.asarray, dg.tensor], ids=["array", "tensor"])
def test_insert_casts_values_to_arrs_dtype(arr, values, wrap):
    with np.errstate(all="ignore"):
        expected = np.insert(arr, 1, values)
    got = dnp.insert(wrap(arr), 1, values)
    got = got.numpy() if isinstance(got, dg.Tensor) else got
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


def test_insert_differentiates_in_arr_and_values():
    arr = dg.tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    values = dg.tensor(np.array([3.0, 4.0]), requires_grad=True)
    y = dnp.insert(arr, 1, values)
    assert y.dtype == np.float32
    (y * np.arange(4.0)).sum().backward()
    np.testing.assert_array_equal(arr.grad.numpy(), [0.0, 3.0])
    np.testing.assert_array_equal(values.grad.numpy(), [1.0, 2.0])

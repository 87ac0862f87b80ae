"""The NaN reductions of an integer or boolean array returned floats (``nansum`` of int64
was float64, ``nanmax`` of bool float64) and ``nanmax`` of float16 float32, where NumPy
keeps its integer (or the input's) dtype; ``nanmax``, ``nanmean``, ``nanvar`` of a list
raised an AttributeError. ``fabs`` of a list or a Python int returned ints, and of int8
or bool float64, where NumPy returns its smallest exact float. ``nanmean``, ``nanvar``
and ``nanstd`` of float16 returned float32; NumPy's are float16."""

import warnings

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp

INPUTS = {
    "int64": np.array([[1, 2, 3], [4, 5, 6]]),
    "int32": np.array([[1, -2, 3], [4, 5, 6]], dtype=np.int32),
    "uint8": np.array([[1, 2, 3], [4, 5, 6]], dtype=np.uint8),
    "bool": np.array([[True, False, True], [True, True, False]]),
    "float32": np.array([[1.0, np.nan, 3.0], [4.0, 5.0, 6.0]], dtype=np.float32),
    "float16": np.array([[1.0, np.nan, 3.0], [4.0, 5.0, 6.0]], dtype=np.float16),
    "float64": np.array([[1.0, np.nan, 3.0], [4.0, 5.0, 6.0]]),
}
REDUCTIONS = ["nansum", "nanprod", "nanmax", "nanmin", "nancumsum", "nancumprod"]


def _same(got, expected):
    got = np.asarray(got.data if isinstance(got, dg.Tensor) else got)
    assert got.dtype == np.asarray(expected).dtype
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("name", REDUCTIONS)
@pytest.mark.parametrize("dtype", INPUTS)
@pytest.mark.parametrize("axis", [None, 0])
@pytest.mark.parametrize("wrap", [np.asarray, dg.tensor], ids=["array", "tensor"])
def test_nan_reductions_keep_numpys_dtype(name, dtype, axis, wrap):
    x = INPUTS[dtype]
    _same(getattr(dnp, name)(wrap(x), axis=axis), getattr(np, name)(x, axis=axis))


@pytest.mark.parametrize("name", ["nanmean", "nanvar", "nanstd"])
@pytest.mark.parametrize("dtype", INPUTS)
@pytest.mark.parametrize("axis", [None, 0, 1])
@pytest.mark.parametrize("wrap", [np.asarray, dg.tensor], ids=["array", "tensor"])
def test_nan_statistics_keep_numpys_dtype(name, dtype, axis, wrap):
    x = INPUTS[dtype]
    got = getattr(dnp, name)(wrap(x), axis=axis)
    got = np.asarray(got.data if isinstance(got, dg.Tensor) else got)
    expected = getattr(np, name)(x, axis=axis)
    assert got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=1e-3 if dtype == "float16" else 1e-12)


@pytest.mark.parametrize("name", ["nanmean", "nanvar", "nanstd"])
@pytest.mark.parametrize("axis", [None, 0])
def test_nan_statistics_of_float16_round_as_numpys(name, axis):
    # more than 2048 values in a slice: a float16 count would not be exact
    x = np.random.default_rng(0).normal(5.0, 2.0, size=(3001, 2)).astype(np.float16)
    x[::7, 0] = np.nan
    _same(getattr(dnp, name)(x, axis=axis), getattr(np, name)(x, axis=axis))


@pytest.mark.parametrize("name", [*REDUCTIONS, "nanmean", "nanvar", "nanstd"])
@pytest.mark.parametrize("data", [[1, 2, 4], [1.5, float("nan"), 2.0], [True, False]])
def test_nan_reductions_of_a_list(name, data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        _same(getattr(dnp, name)(data), getattr(np, name)(data))


def test_nanmax_of_an_all_nan_float16_slice_is_a_float16_nan():
    x = np.array([[np.nan, 1.0], [np.nan, 2.0]], dtype=np.float16)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        _same(dnp.nanmax(x, axis=0), np.nanmax(x, axis=0))
        _same(dnp.nanmin(x, axis=0), np.nanmin(x, axis=0))


def test_nan_reductions_of_floats_keep_their_gradients():
    x = np.array([2.0, np.nan, 3.0, 3.0])
    np.testing.assert_array_equal(dg.grad(dnp.nansum)(x), [1.0, 0.0, 1.0, 1.0])
    np.testing.assert_array_equal(dg.grad(dnp.nanprod)(x), [9.0, 0.0, 6.0, 6.0])
    np.testing.assert_array_equal(dg.grad(dnp.nanmax)(x), [0.0, 0.0, 0.5, 0.5])


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_nan_statistics_keep_their_gradients(dtype):
    x = np.array([1.0, np.nan, 3.0, 4.5], dtype=dtype)
    kept = np.array([1.0, 3.0, 4.5])
    centred = np.where(np.isnan(x), 0.0, x - kept.mean())
    rtol = 1e-3 if dtype == np.float16 else 1e-6
    for name, expected in [
        ("nanmean", np.where(np.isnan(x), 0.0, 1 / 3)),
        ("nanvar", 2 * centred / 3),
        ("nanstd", centred / 3 / kept.std()),
    ]:
        gradient = dg.grad(getattr(dnp, name))(x)
        assert gradient.dtype == dtype
        np.testing.assert_allclose(gradient, expected, rtol=rtol, err_msg=name)


@pytest.mark.parametrize(
    "x",
    [
        [1, -2],
        -3,
        True,
        -2.5,
        np.array([1, -2], dtype=np.int8),
        np.array([1, -2], dtype=np.int16),
        np.array([1, -2], dtype=np.int32),
        np.array([1, -2]),
        np.array([True, False]),
        np.array([1, 2], dtype=np.uint8),
        np.array([1.0, -2.0], dtype=np.float32),
        np.array([1.0, -2.0], dtype=np.float16),
    ],
    ids=repr,
)
def test_fabs_takes_numpys_float(x):
    _same(dnp.fabs(x), np.fabs(x))
    if isinstance(x, np.ndarray):
        _same(dnp.fabs(dg.tensor(x)), np.fabs(x))

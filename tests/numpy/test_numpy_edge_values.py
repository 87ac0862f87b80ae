"""Inputs where deepgrad.numpy gave a plausible number and NumPy another (or an error):

- ``median``, ``percentile`` and ``quantile`` skipped a NaN (NumPy's answer is NaN) and
  returned NaN for data holding ±∞ (``median([1, 2, inf])`` is 2);
- ``var`` with more degrees of freedom than values was negative (NumPy: inf or NaN);
- an axis out of range, or named twice, was taken modulo the number of axes: a wrong
  axis answered with another axis's result;
- ``cov`` and ``corrcoef`` of a (1, n) array with ``rowvar=False`` returned a scalar.
"""

import warnings

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp

INF = np.inf
WRAPS = [np.asarray, dg.tensor]
IDS = ["array", "tensor"]


def _same(got, expected):
    got = np.asarray(got)
    assert got.shape == np.shape(expected)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("wrap", WRAPS, ids=IDS)
@pytest.mark.parametrize(
    "call",
    [
        lambda m, x: m.median(x),
        lambda m, x: m.median(x, axis=0),
        lambda m, x: m.median(x, axis=1, keepdims=True),
        lambda m, x: m.percentile(x, [10, 50, 90], axis=1),
        lambda m, x: m.quantile(x, 0.3, axis=1, method="lower"),
        lambda m, x: m.quantile(x, 0.3, axis=0, method="midpoint"),
    ],
)
def test_a_nan_in_a_slice_makes_its_quantiles_nan(wrap, call):
    x = np.array([[1.0, np.nan, 3.0, 4.0], [2.0, 3.0, 5.0, 8.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        _same(call(dnp, wrap(x)), call(np, x))


@pytest.mark.parametrize("wrap", WRAPS, ids=IDS)
@pytest.mark.parametrize(
    "data",
    [[INF, INF], [INF, -INF, 1.0], [-INF, 5.0], [1.0, INF], [1.0, 2.0, INF], [-INF, -INF, 3.0]],
)
def test_medians_with_infinities_are_numpys(wrap, data):
    x = np.array(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        _same(dnp.median(wrap(x)), np.median(x))
        _same(dnp.nanmedian(wrap(x)), np.nanmedian(x))


@pytest.mark.parametrize(
    ("data", "q", "limit"),
    [
        ([INF, INF], 50, INF),  # NumPy's percentile: NaN (inf - inf in its interpolation)
        ([1.0, 2.0, INF], 50, 2.0),  # NumPy: NaN; its median: 2
        ([1.0, 2.0, INF], 75, INF),
        ([-INF, 5.0], 25, -INF),
        ([-INF, -INF, 3.0], 50, -INF),
        ([-INF, INF], 50, np.nan),
    ],
)
def test_percentiles_with_infinities_are_the_limits(data, q, limit):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        _same(dnp.percentile(np.array(data), q), limit)


def test_quantile_gradients_are_unchanged_by_the_limits():
    x = np.array([3.0, 1.0, 2.0, 10.0])
    np.testing.assert_array_equal(dg.grad(dnp.median)(x), [0.5, 0.0, 0.5, 0.0])
    ties = np.array([1.0, 2.0, 2.0, 3.0])
    np.testing.assert_array_equal(dg.grad(dnp.median)(ties), [0.0, 0.5, 0.5, 0.0])
    odd = np.array([3.0, 1.0, 2.0, 10.0, 7.0])  # q = 0.5 lands on 3: the slope up to 7
    assert dg.grad(lambda q: dnp.quantile(odd, q))(0.5) == (7.0 - 3.0) * 4


@pytest.mark.parametrize(
    ("shape", "axis", "ddof"), [((2,), None, 3), ((1, 1), 0, 2), ((1, 1), 0, 1)]
)
def test_var_with_more_degrees_of_freedom_than_values(shape, axis, ddof):
    x = np.full(shape, 5.0) + np.arange(np.prod(shape)).reshape(shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        _same(dnp.var(x, axis=axis, ddof=ddof), np.var(x, axis=axis, ddof=ddof))
        _same(dnp.std(x, axis=axis, ddof=ddof), np.std(x, axis=axis, ddof=ddof))


X = np.arange(6.0).reshape(2, 3)
BAD_AXES = {
    "median": lambda m: m.median(X, axis=2),
    "percentile": lambda m: m.percentile(X, 50, axis=(0, 0)),
    "nanmedian": lambda m: m.nanmedian(X, axis=-3),
    "cumprod": lambda m: m.cumprod(X, axis=2),
    "concatenate": lambda m: m.concatenate([X, X], axis=2),
    "stack": lambda m: m.stack([X, X], axis=3),
    "norm": lambda m: m.linalg.norm(X, axis=2),
    "flip": lambda m: m.flip(X, axis=(0, 0)),
    "diff": lambda m: m.diff(X, axis=2),
    "gradient": lambda m: m.gradient(X, axis=2),
    "repeat": lambda m: m.repeat(X, 2, axis=2),
    "take": lambda m: m.take(X, [0], axis=2),
    "take_along_axis": lambda m: m.take_along_axis(X, np.zeros((2, 3), int), axis=2),
    "moveaxis": lambda m: m.moveaxis(X, 2, 0),
    "split": lambda m: m.split(X, 1, axis=2),
    "array_split": lambda m: m.array_split(X, 1, axis=2),
    "append": lambda m: m.append(X, X, axis=2),
    "tensordot": lambda m: m.tensordot(X, X, axes=([2], [0])),
    "average": lambda m: m.average(X, axis=2, weights=np.ones(3)),
    "rot90": lambda m: m.rot90(X, axes=(0, 2)),
}


@pytest.mark.parametrize("name", sorted(BAD_AXES))
def test_an_axis_out_of_range_or_repeated_raises_as_in_numpy(name):
    with pytest.raises((ValueError, IndexError)) as numpy_error:
        BAD_AXES[name](np)
    with pytest.raises(type(numpy_error.value)):
        BAD_AXES[name](dnp)


@pytest.mark.parametrize("function", ["cov", "corrcoef"])
def test_one_row_with_rowvar_false_is_one_observation_of_each_variable(function):
    a = np.array([[0.0, 1.0, 3.0, 7.0, 2.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = getattr(np, function)(a, rowvar=False)
        got = np.asarray(getattr(dnp, function)(a, rowvar=False))
    assert got.shape == expected.shape == (5, 5)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))


@pytest.mark.parametrize("kwargs", [{}, {"axis": 1}, {"axis": 0, "keepdims": True}])
def test_a_float16_mean_is_summed_in_float32_as_numpys(kwargs):
    """Ten 60000s in float16: NumPy's mean is 60000 (it sums in float32); deepgrad's float16
    sum overflowed and the mean was inf."""
    array = np.full((3, 10), 60000, np.float16)
    result = dnp.mean(dg.tensor(array), **kwargs)
    expected = np.mean(array, **kwargs)
    assert result.dtype == expected.dtype == np.float16
    assert np.array_equal(result.numpy(), expected)

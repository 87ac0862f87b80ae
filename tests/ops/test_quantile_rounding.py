"""Quantiles round as NumPy's, bit for bit. NumPy subtracts the two ends in the data's
dtype and interpolates from the upper end from a fraction of ½ on (b − (b − a)·(1 − t));
deepgrad always drew the line from the lower end, up to ~130 ulps away from NumPy's
float16 result near 0 (and some ulps in float32 and float64). The median is NumPy's
mean of the two middle elements. A q that is an array or a NumPy scalar enters the
result's dtype (float16 data, float64 q: float64), as in NumPy; a Python number does
not, and a Tensor keeps its dtype."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import deepgrad as dg
import deepgrad.numpy as dnp

DTYPES = [np.float16, np.float32, np.float64]


def _data(draw_seed, dtype, nan=False):
    rng = np.random.default_rng(draw_seed)
    x = rng.normal(size=rng.integers(1, 40)) * 10 ** rng.uniform(-3, 4)
    x = x.astype(dtype)
    if nan:
        x[rng.uniform(size=x.size) < 0.2] = np.nan
        x[0] = 1.0  # never a slice of NaN alone
    return x


def _same_bits(got, expected):
    assert type(got) is type(expected)
    assert np.asarray(got).dtype == np.asarray(expected).dtype
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("method", ["linear", "midpoint"])
@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), q=st.floats(0, 1))
def test_quantile_is_numpys_bit_for_bit(dtype, method, seed, q):
    x = _data(seed, dtype)
    _same_bits(dnp.quantile(x, q, method=method), np.quantile(x, q, method=method))
    _same_bits(dnp.percentile(x, 100 * q), np.percentile(x, 100 * q))


@pytest.mark.parametrize("dtype", DTYPES)
@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), q=st.floats(0, 1))
def test_nan_quantiles_and_medians_are_numpys_bit_for_bit(dtype, seed, q):
    x = _data(seed, dtype, nan=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        _same_bits(dnp.nanquantile(x, q), np.nanquantile(x, q))
        _same_bits(dnp.nanmedian(x), np.nanmedian(x))
    y = _data(seed, dtype)
    _same_bits(dnp.median(y), np.median(y))


def test_float16_quantile_near_zero():
    # the line from the lower end: −0.01953 (−0.0195); NumPy's from the upper: −0.02075
    x = np.array([-7.457, 2.73, -1.0, 0.5, 1.25, -3.0, 0.75], dtype=np.float16)
    q = 0.472063857519497
    _same_bits(dnp.quantile(x, q), np.quantile(x, q))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "q", [np.float64(0.3), np.array(0.3), [0.3, 0.8], np.array([0.1, 0.5])], ids=repr
)
def test_an_array_q_enters_the_dtype_as_in_numpy(dtype, q):
    x = _data(7, dtype)
    _same_bits(dnp.quantile(x, q), np.quantile(x, q))
    _same_bits(dnp.nanquantile(x, q), np.nanquantile(x, q))


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_a_tensor_keeps_its_dtype_and_gradient(dtype):
    x = np.array([3.0, 1.0, 2.0, 10.0, 4.0], dtype=dtype)
    t = dg.tensor(x, requires_grad=True)
    y = dnp.quantile(t, np.array([0.3, 0.8]))
    assert y.dtype == dtype
    y.sum().backward()
    # positions 1.2 and 3.2 in the sorted [1, 2, 3, 4, 10]: weights 0.8, 0.2 and 0.8, 0.2
    np.testing.assert_allclose(t.grad.numpy(), [0.2, 0.0, 0.8, 0.2, 0.8], rtol=1e-3)


INF = np.inf
# (data, q, quantile, its slope in q). Where the quantile moves between a finite and an
# infinite end, or from −∞ to ∞, the slope is +∞, as JAX's and PyTorch's (both give inf
# at each of these); it was NaN (the zero cotangent of the form not taken, times ∞).
# Where the quantile is held at one infinity (both ends the same, or a whole position on
# an infinite element: the limit is constant there) the slope is 0; JAX and PyTorch give
# NaN there, with a NaN quantile.
Q_SLOPES = [
    ([1.0, 2.0, INF], 0.75, INF, INF),
    ([-INF, 1.0, 2.0], 0.25, -INF, INF),
    ([-INF, INF], 0.5, np.nan, INF),
    ([1.0, 2.0, INF], 0.25, 1.5, 2.0),
    ([-INF, 1.0, 2.0], 0.75, 1.5, 2.0),
    ([1.0, 2.0, INF], 1.0, INF, 0.0),
    ([-INF, 1.0, 2.0], 0.0, -INF, 0.0),
    ([1.0, INF, INF], 0.75, INF, 0.0),
]


@pytest.mark.parametrize(("x", "q", "value", "slope"), Q_SLOPES)
def test_slope_in_q_at_an_infinite_end(x, q, value, slope):
    x = np.array(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        np.testing.assert_array_equal(dnp.quantile(x, q), value)
        np.testing.assert_array_equal(dg.grad(lambda q: dnp.quantile(x, q))(q), slope)
        _, tangent = dg.jvp(lambda q: dnp.quantile(x, q), (q,), (1.0,))
    np.testing.assert_array_equal(tangent, slope)

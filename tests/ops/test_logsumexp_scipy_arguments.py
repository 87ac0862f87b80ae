"""``logsumexp(x, 0, 2.0)`` (SciPy's b = 2) was read as keepdims=2.0: a (1, 3) array of
log Σ exp(x) where SciPy returns the (3,) log Σ 2·exp(x); the third and fifth arguments
are now SciPy's b and return_sign, refused. An empty float32 array gave a float64 −inf
(SciPy's is float32)."""

import numpy as np
import pytest

import deepgrad.numpy as dnp
import deepgrad.special as dsp

X = np.arange(1.0, 7.0).reshape(2, 3)


@pytest.mark.parametrize("logsumexp", [dnp.logsumexp, dsp.logsumexp])
def test_a_third_positional_argument_is_b_and_refused(logsumexp):
    with pytest.raises(NotImplementedError, match=r"logsumexp: the scale factors b \(shape \(\)\)"):
        logsumexp(X, 0, 2.0)
    with pytest.raises(NotImplementedError, match=r"b \(shape \(2, 3\)\)"):
        logsumexp(X, b=np.ones((2, 3)))


def test_return_sign_is_refused():
    with pytest.raises(NotImplementedError, match="logsumexp: return_sign=True"):
        dnp.logsumexp(X, return_sign=True)


def test_keepdims_is_the_fourth_argument_as_in_scipy():
    special = pytest.importorskip("scipy.special")
    expected = special.logsumexp(X, 0, None, True)
    got = np.asarray(dnp.logsumexp(X, 0, None, True))
    assert got.shape == expected.shape == (1, 3)
    np.testing.assert_allclose(got, expected, rtol=1e-15)
    assert np.asarray(dnp.logsumexp(X, 0, None, False, False)).shape == (3,)


@pytest.mark.parametrize(("shape", "axis"), [((0,), None), ((0, 3), 0), ((3, 0), 1)])
def test_an_empty_float32_array_stays_float32(shape, axis):
    # SciPy 1.17: float32 −inf (shape (), (3,), (3,))
    with np.errstate(divide="ignore"):
        got = np.asarray(dnp.logsumexp(np.zeros(shape, np.float32), axis=axis))
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, np.full(got.shape, -np.inf, np.float32))

"""expit, logit, logsumexp, log_softmax and softmax on integers and booleans work in
floats: on unsigned integers NumPy's −x and x − y wrap around (−1 as uint8 is 255), so
expit(uint8 1) was 0.0, logit(uint8 1) −5.55 and logsumexp(uint8 [0, 1, 2]) inf.

The expected numbers are SciPy's for int64 input (where nothing wraps) and are checked
against SciPy itself when it is installed."""

import numpy as np
import pytest

import deepgrad.special as dsp

SMALL_INTEGERS = [np.uint8, np.uint16, np.uint32, np.uint64, np.int8]

# scipy.special on np.array([0, 1, 2]) (int64)
EXPIT = [0.5, 0.7310585786300049, 0.8807970779778823]
LOGIT = [-np.inf, np.inf, np.nan]
LOGSUMEXP = 2.4076059644443806
LOG_SOFTMAX = [-2.4076059644443806, -1.4076059644443806, -0.4076059644443806]
SOFTMAX = [0.09003057317038046, 0.24472847105479764, 0.6652409557748219]


def _values(dtype):
    return np.array([0, 1, 2]).astype(dtype)


@pytest.mark.parametrize("dtype", SMALL_INTEGERS)
def test_expit_logit_logsumexp_of_integers_are_float64_and_exact(dtype):
    x = _values(dtype)
    assert dsp.expit(x).dtype == dsp.logit(x).dtype == np.float64
    np.testing.assert_allclose(dsp.expit(x), EXPIT, rtol=1e-15)
    np.testing.assert_array_equal(dsp.logit(x), LOGIT)
    assert np.asarray(dsp.logsumexp(x)).dtype == np.float64
    np.testing.assert_allclose(dsp.logsumexp(x), LOGSUMEXP, rtol=1e-15)


def test_booleans_are_taken_as_zero_and_one():
    x = np.array([False, True])
    np.testing.assert_allclose(dsp.expit(x), EXPIT[:2], rtol=1e-15)
    np.testing.assert_array_equal(dsp.logit(x), LOGIT[:2])
    np.testing.assert_allclose(dsp.softmax(x), [0.2689, 0.7310], rtol=1e-3)  # float16


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.uint32, np.uint64])
def test_log_softmax_and_softmax_of_unsigned_integers(dtype):
    x = _values(dtype)
    float_dtype = np.exp(np.zeros(0, dtype)).dtype  # NumPy's (and SciPy's) result dtype
    rtol = 10 * np.finfo(float_dtype).eps
    assert dsp.log_softmax(x).dtype == float_dtype
    np.testing.assert_allclose(dsp.log_softmax(x), LOG_SOFTMAX, rtol=rtol)
    np.testing.assert_allclose(dsp.softmax(x), SOFTMAX, rtol=rtol)


def test_matches_scipy_on_signed_integers():
    special = pytest.importorskip("scipy.special")
    x = np.array([[0, 1, 2], [5, -3, 7]], dtype=np.int64)
    for name in ["expit", "logit", "logsumexp"]:
        expected = getattr(special, name)(x)
        result = getattr(dsp, name)(x)
        assert np.asarray(result).dtype == expected.dtype
        np.testing.assert_allclose(result, expected, rtol=1e-15)
    for name in ["log_softmax", "softmax"]:
        expected = getattr(special, name)(x, axis=-1)
        np.testing.assert_allclose(getattr(dsp, name)(x, axis=-1), expected, rtol=1e-15)
    np.testing.assert_allclose(dsp.logsumexp(np.array([0, 1, 2], np.uint8)), LOGSUMEXP)
    np.testing.assert_allclose(special.logsumexp(np.array([0, 1, 2])), LOGSUMEXP, rtol=1e-15)
    np.testing.assert_allclose(special.expit(np.array([0, 1, 2])), EXPIT, rtol=1e-15)

"""``softmax`` and ``log_softmax`` normalise along the last axis by default (as jax.nn,
Keras and PyTorch); ``axis=None`` gives SciPy's default, the whole array, values and
gradients."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.special as dsp

LOGITS = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]])


def test_axis_none_is_scipys_default():
    special = pytest.importorskip("scipy.special")
    np.testing.assert_allclose(dsp.softmax(LOGITS, axis=None), special.softmax(LOGITS))
    np.testing.assert_allclose(dsp.log_softmax(LOGITS, axis=None), special.log_softmax(LOGITS))
    np.testing.assert_allclose(dsp.softmax(LOGITS), special.softmax(LOGITS, axis=-1))


def test_axis_none_gradient_is_over_the_whole_array():
    # d/dx log_softmax(x)[0, 0] over all six entries: one-hot − softmax of the whole array
    slope = dg.grad(lambda x: dsp.log_softmax(x, axis=None)[0, 0])(LOGITS)
    whole = np.exp(LOGITS) / np.exp(LOGITS).sum()
    expected = -whole
    expected[0, 0] += 1.0
    np.testing.assert_allclose(slope, expected, rtol=1e-14)

"""Softmax's mask and LeakyReLU's arguments, as Keras 3.15 has them.

The fixed numbers were produced by Keras 3.15 on JAX (float32),
``np.asarray(keras.layers.Softmax()(X, mask=mask))``; the test guarded by
``pytest.importorskip("keras")`` runs Keras itself."""

import os
import warnings

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers
from deepgrad.autodiff.check import check_grads
from deepgrad.tensor import raw_data

X = np.array([[1.0, 2.0, 3.0, 4.0], [0.0, -1.0, 5.0, 2.0]], np.float32)


def test_boolean_mask_zeroes_masked_entries_and_a_fully_masked_row():
    mask = np.array([[True, False, True, True], [False, False, False, False]])
    expected = [[0.03511902, 0.0, 0.25949645, 0.70538449], [0.0, 0.0, 0.0, 0.0]]
    np.testing.assert_allclose(raw_data(layers.Softmax()(X, mask=mask)), expected, rtol=1e-6)


def test_numeric_mask_keeps_entries_above_one_half_and_broadcasts():
    mask = np.array([[0.9, 0.2, 0.6, 0.5]], np.float32)  # one row for both samples
    expected = [[0.11920291, 0.0, 0.88079703, 0.0], [0.00669285, 0.0, 0.99330717, 0.0]]
    np.testing.assert_allclose(raw_data(layers.Softmax()(X, mask=mask)), expected, rtol=1e-6)


def test_masked_softmax_gradient():
    mask = np.array([[True, False, True, True], [True, True, False, True]])
    softmax = layers.Softmax(dtype="float64")
    check_grads(lambda x: softmax(x, mask=mask), [X.astype(np.float64)])


def test_a_mask_is_never_dropped():
    with pytest.raises(TypeError, match="Dense 'd': got a mask, but its call takes none"):
        layers.Dense(2, name="d")(X, mask=np.ones_like(X))
    with pytest.raises(TypeError, match=r"Softmax .*mask with symbolic inputs"):
        layers.Softmax()(dg.Input((4,)), mask=np.ones((1, 4)))
    with pytest.raises(ValueError, match=r"Softmax .*mask of shape \(2, 3\).*\(2, 4\)"):
        layers.Softmax()(X, mask=np.ones((2, 3)))


@pytest.mark.parametrize("axis", [-1, 0, (0, 1)])
def test_masked_softmax_as_keras_runs_it(axis):
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4, 5)).astype(np.float32)
    for mask in (rng.uniform(size=(3, 4, 5)) > 0.3, rng.uniform(size=(4, 1)).astype(np.float32)):
        expected = np.asarray(keras.layers.Softmax(axis=axis)(x, mask=mask))
        out = raw_data(layers.Softmax(axis=axis)(x, mask=mask))
        np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-7)


def test_leaky_relu_refuses_a_negative_slope_as_keras():
    with pytest.raises(ValueError, match="LeakyReLU: negative_slope must be a number >= 0"):
        layers.LeakyReLU(-0.5)
    with pytest.raises(ValueError, match="negative_slope=None"):
        layers.LeakyReLU(None)  # type: ignore[arg-type]


def test_leaky_relu_takes_keras_deprecated_alpha_with_its_warning():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        leaky = layers.LeakyReLU(alpha=0.1)
    assert "`alpha` is deprecated" in str(caught[0].message)
    assert leaky.get_config()["negative_slope"] == 0.1
    np.testing.assert_allclose(raw_data(leaky(np.array([[-2.0]], np.float32))), [[-0.2]])

"""Keras 3's loss arguments beyond the defaults: the reductions ``None`` and
``"mean_with_sample_weight"``, ``axis`` of the cross-entropies, ``ignore_class`` of the
sparse cross-entropy, and the functional forms' ``label_smoothing``. Values against
Keras on JAX, in float32 and float64 (to float32's precision: JAX computes in float32
unless told otherwise)."""

import os

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import losses
from deepgrad.tensor import raw_data

rng = np.random.default_rng(3)
N, K = 6, 4
y_true = rng.uniform(0, 1, (N, K))
y_pred = rng.uniform(0.05, 1, (N, K))
weights = rng.uniform(0.2, 2.0, N)
DTYPES = [np.float32, np.float64]


def _keras():
    os.environ["KERAS_BACKEND"] = "jax"
    return pytest.importorskip("keras")


def _check(expected, got):
    expected, got = np.asarray(expected, np.float64), np.asarray(raw_data(got), np.float64)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", [None, "mean_with_sample_weight"])
@pytest.mark.parametrize("sample_weight", [None, weights, weights[:, None], np.zeros(N)])
def test_reductions_none_and_mean_with_sample_weight_match_keras(dtype, reduction, sample_weight):
    keras = _keras()
    yt, yp = y_true.astype(dtype), y_pred.astype(dtype)
    sw = None if sample_weight is None else sample_weight.astype(dtype)
    expected = keras.losses.MeanSquaredError(reduction=reduction)(yt, yp, sw)
    got = losses.MeanSquaredError(reduction=reduction)(yt, yp, sw)
    _check(np.reshape(expected, np.shape(raw_data(got))), got)
    assert raw_data(got).dtype == dtype


def test_mean_with_sample_weight_divides_by_the_weights_and_keeps_gradients():
    loss = losses.MeanSquaredError(reduction="mean_with_sample_weight")
    per_sample = np.mean((y_true - y_pred) ** 2, axis=-1)
    assert float(loss(y_true, y_pred, weights)) == pytest.approx(
        np.sum(weights * per_sample) / np.sum(weights)
    )
    grad = dg.grad(lambda p: loss(y_true, p, weights))(y_pred)
    expected = weights[:, None] * 2 * (y_pred - y_true) / K / np.sum(weights)
    np.testing.assert_allclose(raw_data(grad), expected, rtol=1e-12)
    assert losses.get(losses.serialize(loss)).reduction == "mean_with_sample_weight"

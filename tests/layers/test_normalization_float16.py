"""BatchNormalization, LayerNormalization and RMSNormalization on float16 inputs compute
in float32 and return float16, as Keras 3 does (in float16 the sums overflow: NaN, or 0
for RMSNormalization).

The fixed numbers were produced by Keras 3.15 on JAX with ``dtype="float16"`` layers on
X below; the test guarded by ``pytest.importorskip("keras")`` runs Keras itself."""

import os

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers
from deepgrad.tensor import raw_data

X = (1000 + np.arange(512)).astype(np.float16).reshape(2, 256)
COLUMNS = [0, 1, 255]
KERAS_LAYER_NORMALIZATION = [[-1.7255859375, -1.7119140625, 1.7255859375]] * 2
KERAS_RMS_NORMALIZATION = [
    [0.88525390625, 0.8857421875, 1.1103515625],
    [0.90673828125, 0.9072265625, 1.0908203125],
]


def test_layer_normalization():
    out = raw_data(layers.LayerNormalization(dtype="float16")(X))
    assert out.dtype == np.float16
    np.testing.assert_array_equal(out[:, COLUMNS], KERAS_LAYER_NORMALIZATION)


def test_rms_normalization():
    out = raw_data(layers.RMSNormalization(dtype="float16")(X))
    assert out.dtype == np.float16
    np.testing.assert_array_equal(out[:, COLUMNS], KERAS_RMS_NORMALIZATION)


def test_batch_normalization_in_training_and_its_moving_variance():
    norm = layers.BatchNormalization(dtype="float16")
    out = raw_data(norm(X.T.copy(), training=True))
    assert out.dtype == np.float16
    np.testing.assert_array_equal(out[COLUMNS].T, KERAS_LAYER_NORMALIZATION)
    # 0.99 · 1 + 0.01 · var(1000, ..., 1255) = 0.99 + 0.01 · 5461.25, updated in float32
    # and stored in float16 as Keras stores it (55.625 when updated in float16)
    assert raw_data(norm.moving_variance).dtype == np.float16
    np.testing.assert_array_equal(raw_data(norm.moving_variance), [55.59375, 55.59375])


def test_gradient_stays_float16():
    x = dg.tensor(X, requires_grad=True)
    layers.LayerNormalization(dtype="float16")(x).sum().backward()
    assert x.grad is not None and x.grad.dtype == np.float16


@pytest.mark.parametrize("name", ["LayerNormalization", "RMSNormalization", "BatchNormalization"])
def test_as_keras_runs_it(name):
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    x = (np.random.default_rng(0).normal(size=(8, 300)) * 100 + 1000).astype(np.float16)
    expected = np.asarray(getattr(keras.layers, name)(dtype="float16")(x, training=True))
    out = raw_data(getattr(layers, name)(dtype="float16")(x, training=True))
    np.testing.assert_allclose(out.astype(np.float32), expected.astype(np.float32), atol=1e-3)

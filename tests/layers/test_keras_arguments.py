"""Keras 3 layer arguments: those deepgrad lacks are refused by name, never ignored;
``ReLU``'s ``max_value``, ``negative_slope`` and ``threshold`` match Keras on JAX."""

import os

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers
from deepgrad.tensor import raw_data


@pytest.mark.parametrize(
    ("make", "argument"),
    [
        (lambda: layers.Dense(3, kernel_constraint="max_norm"), "kernel_constraint"),
        (lambda: layers.Dense(3, bias_constraint="non_neg"), "bias_constraint"),
        (lambda: layers.Embedding(5, 2, mask_zero=True), "mask_zero"),
        (lambda: layers.LayerNormalization(rms_scaling=True), "rms_scaling"),
        (lambda: layers.BatchNormalization(gamma_initializer="zeros"), "gamma_initializer"),
    ],
)
def test_a_keras_argument_deepgrad_lacks_is_refused_naming_the_layer(make, argument):
    with pytest.raises(TypeError) as error:
        make()
    message = str(error.value)
    layer_name = message.split(":")[0]
    assert layer_name in {"Dense", "Embedding", "LayerNormalization", "BatchNormalization"}
    assert argument in message and "it takes" in message


def test_a_constraint_is_refused_with_what_to_do_instead():
    with pytest.raises(TypeError, match="no weight constraints"):
        layers.Dense(3, kernel_constraint="max_norm")


RELU_CASES = [
    {},
    {"max_value": 6.0},
    {"max_value": 1.5},
    {"negative_slope": 0.1},
    {"threshold": 0.5},
    {"max_value": 2.0, "negative_slope": 0.2, "threshold": 0.5},
    {"negative_slope": 0.3, "threshold": 1.0},
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kwargs", RELU_CASES)
def test_relu_arguments_match_keras(dtype, kwargs):
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    x = np.linspace(-4, 8, 49).reshape(7, 7).astype(dtype)
    expected = np.asarray(keras.layers.ReLU(dtype=dtype.__name__, **kwargs)(x))
    layer = layers.ReLU(dtype=dtype, **kwargs)
    got = raw_data(layer(x))
    assert got.dtype == dtype
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)
    rebuilt = layers.ReLU.from_config(layer.get_config())
    np.testing.assert_allclose(raw_data(rebuilt(x)), expected, rtol=1e-6, atol=1e-6)


def test_relu_arguments_keep_the_gradient_and_refuse_negative_values():
    layer = layers.ReLU(max_value=2.0, negative_slope=0.2, threshold=0.5)
    x = np.array([-1.0, 0.25, 1.0, 3.0])
    np.testing.assert_allclose(raw_data(dg.elementwise_grad(layer)(x)), [0.2, 0.2, 1.0, 0.0])
    with pytest.raises(ValueError, match="ReLU: threshold"):
        layers.ReLU(threshold=-1.0)

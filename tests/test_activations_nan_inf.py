"""Activations at NaN and ±inf: Keras 3's values, NaN kept where Keras keeps it (relu6 and
hard_sigmoid turned NaN into 0), and the ReLU layer's arguments at NaN."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp
from deepgrad import activations as A
from deepgrad import layers

SPECIAL = np.array([np.nan, -np.inf, np.inf])
THRESHOLD_ARGUMENTS = {"threshold": 0.5, "default_value": -3.0}

# keras.activations.<name>(SPECIAL) from Keras 3.15 on JAX, float64.
KERAS_AT_SPECIAL = {
    "celu": [np.nan, -1.0, np.inf],
    "elu": [np.nan, -1.0, np.inf],
    "exponential": [np.nan, 0.0, np.inf],
    "gelu": [np.nan, np.nan, np.inf],
    "hard_shrink": [0.0, -np.inf, np.inf],
    "hard_sigmoid": [np.nan, 0.0, 1.0],
    "hard_silu": [np.nan, np.nan, np.inf],
    "hard_tanh": [np.nan, -1.0, 1.0],
    "leaky_relu": [np.nan, -np.inf, np.inf],
    "linear": [np.nan, -np.inf, np.inf],
    "log_sigmoid": [np.nan, -np.inf, -0.0],
    "mish": [np.nan, np.nan, np.inf],
    "relu": [np.nan, 0.0, np.inf],
    "relu6": [np.nan, 0.0, 6.0],
    "selu": [np.nan, -1.7580993408473766, np.inf],
    "sigmoid": [np.nan, 0.0, 1.0],
    "silu": [np.nan, np.nan, np.inf],
    "soft_shrink": [0.0, -np.inf, np.inf],
    "softplus": [np.nan, 0.0, np.inf],
    "softsign": [np.nan, np.nan, np.nan],
    "sparse_plus": [np.nan, 0.0, np.inf],
    "sparse_sigmoid": [np.nan, 0.0, 1.0],
    "squareplus": [np.nan, np.nan, np.inf],
    "tanh": [np.nan, -1.0, 1.0],
    "tanh_shrink": [np.nan, -np.inf, np.inf],
    "threshold": [-3.0, -3.0, np.inf],
}


def _ours(name):
    function = A.get(name)
    if name == "threshold":
        return lambda x: function(x, **THRESHOLD_ARGUMENTS)
    return function


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(KERAS_AT_SPECIAL))
def test_values_at_nan_and_inf_match_keras(name, dtype):
    with np.errstate(invalid="ignore", over="ignore"):
        actual = np.asarray(_ours(name)(SPECIAL.astype(dtype)))
    assert actual.dtype == dtype
    np.testing.assert_array_equal(actual, np.array(KERAS_AT_SPECIAL[name], dtype))


@pytest.mark.parametrize("name", ["relu6", "hard_sigmoid"])
def test_nan_keeps_a_zero_derivative_and_the_rest_is_unchanged(name):
    x = np.array([np.nan, -4.0, -3.0, 0.0, 1.0, 3.0, 6.0, 7.0])
    gradient = dg.grad(lambda v: dnp.sum(_ours(name)(v)))(x)
    slope = 1.0 if name == "relu6" else 1 / 6
    inside = (-3.0 < x) & (x < 3.0) if name == "hard_sigmoid" else (0.0 < x) & (x < 6.0)
    np.testing.assert_array_equal(gradient, np.where(inside, slope, 0.0))


def test_against_keras_run_here():
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "jax":
        pytest.skip("the table above is Keras on JAX")
    for name, expected in KERAS_AT_SPECIAL.items():
        arguments = THRESHOLD_ARGUMENTS if name == "threshold" else {}
        theirs = np.asarray(getattr(keras.activations, name)(SPECIAL, **arguments))
        # without JAX's x64 mode Keras computes in float32
        np.testing.assert_allclose(theirs, np.array(expected), rtol=1e-7, err_msg=name)


RELU_POINTS = np.array([np.nan, -np.inf, -1.0, 0.25, 3.0, 9.0, np.inf], np.float32)

# keras.layers.ReLU(**arguments)(RELU_POINTS) from Keras 3.15 on JAX: NaN stays NaN but
# with a threshold > 0 and no negative slope (where(x > threshold, x, 0) gives 0).
KERAS_RELU_LAYER = [
    ({}, [np.nan, 0.0, 0.0, 0.25, 3.0, 9.0, np.inf]),
    ({"max_value": 6.0}, [np.nan, 0.0, 0.0, 0.25, 3.0, 6.0, 6.0]),
    ({"max_value": 0.0}, [np.nan, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]),
    ({"max_value": 2.0}, [np.nan, 0.0, 0.0, 0.25, 2.0, 2.0, 2.0]),
    ({"threshold": 0.5}, [0.0, 0.0, 0.0, 0.0, 3.0, 9.0, np.inf]),
    ({"threshold": 0.5, "max_value": 2.0}, [0.0, 0.0, 0.0, 0.0, 2.0, 2.0, 2.0]),
    ({"negative_slope": 0.1}, [np.nan, -np.inf, -0.1, 0.25, 3.0, 9.0, np.inf]),
    (
        {"negative_slope": 0.1, "threshold": 0.5, "max_value": 2.0},
        [np.nan, -np.inf, -0.15, -0.025, 2.0, 2.0, 2.0],
    ),
]


@pytest.mark.parametrize(("arguments", "expected"), KERAS_RELU_LAYER)
def test_relu_layer_at_nan_and_inf_matches_keras(arguments, expected):
    layer = layers.ReLU(**arguments)
    actual = np.asarray(layer(RELU_POINTS))
    assert actual.dtype == np.float32
    np.testing.assert_allclose(actual, np.array(expected, np.float32), rtol=1e-6)
    if not arguments.get("negative_slope"):  # a constant NaN: derivative 0, as Keras'
        assert dg.grad(lambda v: dnp.sum(layer(v)))(RELU_POINTS)[0] == 0.0

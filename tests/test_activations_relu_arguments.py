"""activations.relu with Keras 3's negative_slope, max_value and threshold: Keras' numbers
away from the kinks, deepgrad's derivative at them, dtypes, and the argument checks."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import activations as A
from deepgrad import layers

POINTS = np.array([-7.0, -1.5, -0.2, 0.3, 0.9, 1.7, 4.0, 7.5])

# keras.activations.relu(POINTS, **arguments) and its derivative (jax.grad) from Keras
# 3.15 on JAX in float64.
KERAS = [
    (
        {"negative_slope": 0.5},
        [-3.5, -0.75, -0.1, 0.3, 0.9, 1.7, 4.0, 7.5],
        [0.5, 0.5, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0],
    ),
    (
        {"max_value": 6.0},
        [0.0, 0.0, 0.0, 0.3, 0.9, 1.7, 4.0, 6.0],
        [0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0],
    ),
    (
        {"max_value": 1.0},
        [0.0, 0.0, 0.0, 0.3, 0.9, 1.0, 1.0, 1.0],
        [0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0],
    ),
    (
        {"threshold": 0.5},
        [0.0, 0.0, 0.0, 0.0, 0.9, 1.7, 4.0, 7.5],
        [0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0],
    ),
    (
        {"negative_slope": 0.1, "max_value": 2.0, "threshold": 0.5},
        [-0.75, -0.2, -0.07, -0.02, 0.9, 1.7, 2.0, 2.0],
        [0.1, 0.1, 0.1, 0.1, 1.0, 1.0, 0.0, 0.0],
    ),
    (
        {"negative_slope": -0.3, "threshold": 1.0},
        [2.4, 0.75, 0.36, 0.21, 0.03, 1.7, 4.0, 7.5],
        [-0.3, -0.3, -0.3, -0.3, -0.3, 1.0, 1.0, 1.0],
    ),
    (
        {"negative_slope": 0.2, "max_value": 0.5, "threshold": 1.2},
        [-1.64, -0.54, -0.28, -0.18, -0.06, 0.5, 0.5, 0.5],
        [0.2, 0.2, 0.2, 0.2, 0.2, 0.0, 0.0, 0.0],
    ),
]


@pytest.mark.parametrize(("arguments", "values", "derivatives"), KERAS)
def test_matches_keras_away_from_the_kinks(arguments, values, derivatives):
    np.testing.assert_allclose(A.relu(POINTS, **arguments), values, rtol=1e-14, atol=1e-16)
    derivative = dg.elementwise_grad(lambda x: A.relu(x, **arguments))(POINTS)
    np.testing.assert_array_equal(derivative, derivatives)
    as_float32 = A.relu(POINTS.astype(np.float32), **arguments)
    assert as_float32.dtype == np.float32


@pytest.mark.parametrize(("arguments", "values", "derivatives"), KERAS)
def test_the_layer_gives_the_same(arguments, values, derivatives):
    if arguments.get("negative_slope", 0) < 0:
        pytest.skip("the layer refuses a negative slope, as Keras' does")
    layer = layers.ReLU(**arguments, dtype="float64")
    np.testing.assert_allclose(layer(POINTS), values, rtol=1e-14, atol=1e-16)


def test_derivative_at_the_kinks():
    # x ≤ threshold is the negative side (slope there), x ≥ max_value the flat part: the
    # convention of relu and relu6. Keras on JAX gives 1 at 0 for a slope alone and ½ at
    # max_value (its clip).
    x = np.array([0.5, 2.0])
    derivative = dg.elementwise_grad(
        lambda v: A.relu(v, negative_slope=0.1, max_value=2.0, threshold=0.5)
    )(x)
    np.testing.assert_array_equal(derivative, [0.1, 0.0])


def test_against_keras_run_here():
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "jax":
        pytest.skip("the numbers above are Keras on JAX")
    for arguments, _, _ in KERAS:
        expected = np.asarray(keras.activations.relu(POINTS.astype(np.float32), **arguments))
        actual = A.relu(POINTS.astype(np.float32), **arguments)
        np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-7)


def test_argument_checks():
    with pytest.raises(ValueError, match="relu: max_value must be a number >= 0, got max_value=-1"):
        A.relu(POINTS, max_value=-1.0)
    with pytest.raises(ValueError, match="relu: threshold must be a number >= 0"):
        A.relu(POINTS, threshold=-0.5)
    with pytest.raises(ValueError, match="relu: threshold must be a number >= 0"):
        A.relu(POINTS, threshold=float("nan"))
    with pytest.raises(
        TypeError, match="relu: negative_slope must be a number, got negative_slope=None"
    ):
        A.relu(POINTS, negative_slope=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="relu: max_value must be a number"):
        A.relu(POINTS, max_value="6")  # type: ignore[arg-type]

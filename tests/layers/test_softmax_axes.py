"""``Softmax(axis=(1, 2))``: one softmax over several axes, as Keras 3's; deepgrad's
layer raised a bare ``int()`` TypeError. Numbers printed by Keras 3.15 (JAX)."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers

X = (np.arange(12, dtype=np.float32).reshape(1, 3, 4) / 10 - 0.3).astype(np.float32)
KERAS_OUTPUT = [
    0.04533001, 0.0500974, 0.0553662, 0.06118911, 0.06762442, 0.07473655,
    0.08259666, 0.09128343, 0.10088379, 0.11149382, 0.12321974, 0.13617887,
]  # fmt: skip
# the gradient of sum(softmax(x) * w), w = linspace(-1, 1, 12)
KERAS_GRADIENT = [
    -0.05492201, -0.05158959, -0.04694874, -0.04076108, -0.03275261, -0.02260877,
    -0.00996898, 0.00557956, 0.02450887, 0.04735809, 0.07474238, 0.1073629,
]  # fmt: skip


def test_softmax_over_two_axes_matches_keras_values_and_gradient():
    layer = layers.Softmax(axis=(1, 2))
    np.testing.assert_allclose(np.asarray(layer(X)).ravel(), KERAS_OUTPUT, rtol=1e-5)
    w = np.linspace(-1, 1, 12, dtype=np.float32).reshape(1, 3, 4)
    x = dg.tensor(X, requires_grad=True)
    (layer(x) * w).sum().backward()
    np.testing.assert_allclose(np.asarray(x.grad).ravel(), KERAS_GRADIENT, atol=1e-6)


def test_a_softmax_over_several_axes_saves_and_loads():
    layer = layers.Softmax(axis=(1, 2))
    config = layer.get_config()
    assert config["axis"] == [1, 2]  # JSON, as Keras writes it
    assert layers.Softmax.from_config(config).axis == (1, 2)


@pytest.mark.parametrize("axis", [1.5, "1", (), (1, "2"), True])
def test_a_bad_axis_is_named(axis):
    with pytest.raises(TypeError, match="Softmax: axis must be an int or a tuple of ints"):
        layers.Softmax(axis=axis)

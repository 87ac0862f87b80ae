"""PReLU's Keras 3 arguments: shared_axes, alpha_regularizer and alpha_constraint match
Keras on JAX on the same weights; what Keras gets wrong (a negative axis) is refused."""

import os

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers
from deepgrad import numpy as dnp
from deepgrad.tensor import raw_data

RNG = np.random.default_rng(0)


def _keras():
    os.environ["KERAS_BACKEND"] = "jax"
    return pytest.importorskip("keras")


@pytest.mark.parametrize(
    ("input_shape", "shared_axes", "alpha_shape"),
    [
        ((4, 5, 3), None, (4, 5, 3)),
        ((4, 5, 3), [1, 2], (1, 1, 3)),
        ((4, 5, 3), 1, (1, 5, 3)),
        ((4, 5, 3), (3,), (4, 5, 1)),
        ((6,), [1], (1,)),
    ],
)
def test_shared_axes_matches_keras_on_the_same_weights(input_shape, shared_axes, alpha_shape):
    keras = _keras()
    x = RNG.standard_normal((7, *input_shape)).astype(np.float32)
    reference = keras.layers.PReLU(shared_axes=shared_axes)
    reference.build((None, *input_shape))
    alpha = RNG.standard_normal(alpha_shape).astype(np.float32)
    reference.set_weights([alpha])
    layer = layers.PReLU(shared_axes=shared_axes)
    layer.build((None, *input_shape))
    assert layer.alpha.shape == tuple(reference.alpha.shape) == alpha_shape
    layer.set_weights([alpha])
    expected = np.asarray(reference(x))
    np.testing.assert_allclose(raw_data(layer(x)), expected, rtol=1e-6, atol=1e-7)
    assert layer.get_config()["shared_axes"] == reference.get_config()["shared_axes"]
    rebuilt = layers.PReLU.from_config(layer.get_config())
    rebuilt.build((None, *input_shape))
    rebuilt.set_weights([alpha])
    np.testing.assert_allclose(raw_data(rebuilt(x)), expected, rtol=1e-6, atol=1e-7)


def test_shared_axes_may_change_size_and_learn_one_slope_per_channel():
    layer = layers.PReLU(shared_axes=[1, 2], alpha_initializer="ones")
    layer(np.ones((1, 4, 4, 2), np.float32))
    x = dg.tensor(-np.ones((2, 6, 3, 2), np.float32))  # other spatial sizes, as in Keras
    layer(x).sum().backward()
    expected = np.full((1, 1, 2), -36.0)  # per channel, 2 · 6 · 3 inputs of -1
    np.testing.assert_allclose(raw_data(layer.alpha.grad), expected)


def test_an_input_not_matching_alpha_on_an_unshared_axis_is_refused():
    """Broadcasting α (3, 5) over an input (2, 1, 5) gave an output (2, 3, 5)."""
    layer = layers.PReLU()
    layer(np.ones((2, 3, 5), np.float32))
    with pytest.raises(ValueError, match=r"input of shape \(2, 1, 5\).*\(batch, 3, 5\)"):
        layer(np.ones((2, 1, 5), np.float32))
    with pytest.raises(ValueError, match=r"input of shape \(2, 15\)"):
        layer(np.ones((2, 15), np.float32))


@pytest.mark.parametrize("shared_axes", [-1, [0], [1, -2], "1", 1.0])
def test_shared_axes_outside_1_to_rank_are_refused(shared_axes):
    """Keras takes -1 and sets α's size to 1 on the wrong axis (param_shape[-2])."""
    with pytest.raises(ValueError, match="PReLU: shared_axes must be axes counted from"):
        layers.PReLU(shared_axes=shared_axes)


def test_a_shared_axis_beyond_the_input_or_an_unknown_size_is_refused():
    with pytest.raises(ValueError, match=r"shared_axes=\[3\] names an axis"):
        layers.PReLU(shared_axes=[3])(np.ones((2, 3, 5), np.float32))
    with pytest.raises(ValueError, match="unknown size on an axis that is not shared"):
        layers.PReLU().build((None, None, 4))
    shared = layers.PReLU(shared_axes=[1])
    shared.build((None, None, 4))  # an unknown size on a shared axis is fine
    assert shared.alpha.shape == (1, 4)


def test_alpha_regularizer_adds_keras_penalty():
    keras = _keras()
    x = RNG.standard_normal((3, 4)).astype(np.float32)
    alpha = RNG.standard_normal(4).astype(np.float32)
    reference = keras.layers.PReLU(alpha_regularizer=keras.regularizers.L2(0.1))
    reference.build((None, 4))
    reference.set_weights([alpha])
    reference(x)
    layer = layers.PReLU(alpha_regularizer=dg.regularizers.L2(0.1))
    layer.build((None, 4))
    layer.set_weights([alpha])
    layer(x)
    (penalty,) = layer.losses
    np.testing.assert_allclose(raw_data(penalty), np.asarray(reference.losses[0]), rtol=1e-6)
    rebuilt = layers.PReLU.from_config(layer.get_config())
    assert rebuilt.get_config() == layer.get_config()
    assert layer.get_config()["alpha_regularizer"] is not None


def test_alpha_constraint_is_kerass():
    """Keras 3.15, alpha_initializer=Constant(-0.5), alpha_constraint="non_neg", on
    [[-2, 3]]: an SGD step of rate 0.1 on sum(PReLU(x)) moves α to -0.5 + 0.2 = -0.3 and
    the constraint, after the step, to 0; the output is then [[0, 3]]."""
    layer = layers.PReLU(dg.initializers.Constant(-0.5), alpha_constraint="non_neg")
    model = dg.Sequential([layer])
    model.compile(optimizer=dg.optimizers.SGD(0.1), loss=lambda y, p: dnp.sum(p))
    x = np.array([[-2.0, 3.0]], np.float32)
    model.train_on_batch(x, np.zeros_like(x))
    np.testing.assert_array_equal(raw_data(layer.alpha), [0.0, 0.0])
    np.testing.assert_array_equal(model.predict(x, verbose=0), [[0.0, 3.0]])
    config = layer.get_config()
    assert config["alpha_constraint"] == {"class_name": "NonNeg", "config": {}}
    assert isinstance(layers.PReLU.from_config(config).alpha_constraint, dg.constraints.NonNeg)

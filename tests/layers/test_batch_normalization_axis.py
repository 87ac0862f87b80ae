"""BatchNormalization's ``axis`` checked as Keras 3 checks it. deepgrad took the axis
modulo the rank, so ``axis=-4`` on (batch, 3, 5) inputs normalized the last axis and
``axis=4`` the middle one without a word (Keras refuses both), and a layer built for one
rank, called on inputs of another, normalized whichever axis its averages broadcast
against (Keras' input spec refuses it)."""

import os

import numpy as np
import pytest

from deepgrad import layers

RNG = np.random.default_rng(0)
X = (2 * RNG.standard_normal((4, 3, 5)) + 1).astype(np.float32)


@pytest.mark.parametrize("axis", [3, 4, -4, -5])
def test_an_axis_the_inputs_lack_is_refused_naming_the_layer(axis):
    with pytest.raises(ValueError, match=rf"BatchNormalization .*axis={axis} names an axis"):
        layers.BatchNormalization(axis=axis)(X, training=True)


@pytest.mark.parametrize("axis", [3, -4])
def test_keras_refuses_those_axes_too(axis):
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    with pytest.raises((ValueError, IndexError)):
        keras.layers.BatchNormalization(axis=axis)(X, training=True)


@pytest.mark.parametrize("axis", [0, -3])
def test_the_batch_axis_is_refused_by_name_not_with_a_bare_type_error(axis):
    with pytest.raises(ValueError, match="names the batch axis or an axis of unknown size"):
        layers.BatchNormalization(axis=axis)(X)


@pytest.mark.parametrize("first, second", [(X[:, 0], X), (X, X[:, 0]), (X, X[:, :2])])
@pytest.mark.parametrize("training", [False, True])
def test_inputs_of_another_rank_or_feature_count_are_refused(first, second, training):
    layer = layers.BatchNormalization(axis=1)
    layer(first)
    with pytest.raises(ValueError, match=r"BatchNormalization .* but the layer was built for"):
        layer(second, training=training)


@pytest.mark.parametrize("axis", [1, -2, 2, -1])
@pytest.mark.parametrize("training", [False, True])
def test_every_axis_in_range_matches_keras(axis, training):
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    theirs = keras.layers.BatchNormalization(axis=axis, momentum=0.5)
    ours = layers.BatchNormalization(axis=axis, momentum=0.5)
    theirs.build(X.shape)
    ours(X)
    weights = [RNG.standard_normal(w.shape).astype(np.float32) for w in theirs.get_weights()]
    weights[3] = np.abs(weights[3]) + 0.5  # a variance
    theirs.set_weights(weights)
    ours.set_weights(weights)
    expected = np.asarray(theirs(X, training=training))
    np.testing.assert_allclose(ours(X, training=training).numpy(), expected, rtol=1e-5, atol=1e-6)
    for mine, keras_weight in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(mine, keras_weight, rtol=1e-5, atol=1e-6)

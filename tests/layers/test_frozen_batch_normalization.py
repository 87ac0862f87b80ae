"""A frozen BatchNormalization (``trainable=False``, or inside a frozen model) runs in
inference mode even in training, as in Keras 3. deepgrad normalized a frozen layer by the
batch and moved its averages, so fine-tuning a head on a frozen base changed the base's
statistics without a word (Keras' transfer-learning guide relies on it)."""

import os

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers

RNG = np.random.default_rng(0)
X = (RNG.normal(size=(32, 3)) * 3 + 1).astype(np.float32)
Y = RNG.normal(size=(32, 1)).astype(np.float32)


def _trained_statistics(bn):
    bn(X, training=True)
    return [w.copy() for w in bn.get_weights()]


def test_a_frozen_layer_uses_its_moving_averages_and_keeps_them():
    bn = layers.BatchNormalization(momentum=0.5)
    before = _trained_statistics(bn)
    bn.trainable = False
    out = bn(X, training=True).numpy()
    np.testing.assert_allclose(out, bn(X, training=False).numpy())
    for a, b in zip(before, bn.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("jit", [False, True])
def test_fine_tuning_a_head_on_a_frozen_base_keeps_the_base_statistics(jit):
    dg.random.seed(0)
    base = dg.Sequential([layers.Dense(4), layers.BatchNormalization()])
    base(X, training=True)
    statistics = [w.copy() for w in base.layers[1].get_weights()]
    base.trainable = False
    model = dg.Sequential([base, layers.Dense(1)])
    model.compile(optimizer=dg.optimizers.SGD(0.01), loss="mse", jit=jit)
    model.fit(X, Y, epochs=2, batch_size=8, verbose=0)
    for a, b in zip(statistics, base.layers[1].get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_matches_keras():
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    theirs = keras.layers.BatchNormalization(momentum=0.5)
    ours = layers.BatchNormalization(momentum=0.5)
    theirs(X, training=True)
    ours(X, training=True)
    np.testing.assert_allclose(ours.get_weights()[2], theirs.get_weights()[2], rtol=1e-5)
    theirs.trainable = ours.trainable = False
    np.testing.assert_allclose(
        ours(X, training=True).numpy(), np.asarray(theirs(X, training=True)), rtol=1e-5
    )
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)

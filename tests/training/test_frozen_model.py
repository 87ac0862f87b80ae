"""``fit`` of a model with every layer frozen (``model.trainable = False``) logs the loss
and metrics and changes nothing, as in Keras 3, whose optimizer takes no step
(``iterations`` stays 0). deepgrad raised ``RuntimeError: backward: this tensor does not
require grad``."""

import os

import numpy as np
import pytest

import deepgrad as dg

RNG = np.random.default_rng(0)
X = RNG.standard_normal((37, 3)).astype(np.float32)
Y = X @ np.array([[1.0], [2.0], [-1.0]], np.float32)


def frozen_fit(module, optimizer, jit):
    if module is dg:
        model = dg.Sequential([dg.layers.Dense(4, input_shape=(3,)), dg.layers.Dense(1)])
    else:
        model = module.Sequential(
            [module.Input((3,)), module.layers.Dense(4), module.layers.Dense(1)]
        )
    model.set_weights([np.full(w.shape, 0.1, np.float32) for w in model.get_weights()])
    model.trainable = False
    if module is dg:
        model.compile(optimizer, "mse", metrics=["mae"], jit=jit)
    else:
        model.compile(optimizer, "mse", metrics=["mae"], jit_compile=jit)
    history = model.fit(X, Y, epochs=2, batch_size=16, verbose=0, shuffle=False)
    return history.history, model.get_weights(), int(np.asarray(model.optimizer.iterations))


@pytest.mark.parametrize("jit", [True, False])
@pytest.mark.parametrize("optimizer", ["sgd", "adam", "rmsprop"])
def test_a_frozen_model_fits_without_changing(optimizer, jit):
    logs, weights, iterations = frozen_fit(dg, optimizer, jit)
    assert iterations == 0
    assert all(np.array_equal(w, np.full(w.shape, 0.1, np.float32)) for w in weights)
    assert logs["loss"][0] == logs["loss"][1] == pytest.approx(5.33431, abs=1e-5)  # Keras'


@pytest.mark.parametrize("jit", [True, False])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_a_frozen_model_fits_as_in_keras(optimizer, jit):
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    ours, our_weights, our_iterations = frozen_fit(dg, optimizer, jit)
    theirs, their_weights, their_iterations = frozen_fit(keras, optimizer, jit)
    assert sorted(ours) == sorted(theirs) and our_iterations == their_iterations == 0
    for name in ours:
        np.testing.assert_allclose(ours[name], theirs[name], rtol=1e-6)
    for mine, keras_weight in zip(our_weights, their_weights, strict=True):
        np.testing.assert_array_equal(mine, keras_weight)

"""``fit`` with validation data of a model without trainable weights (a BatchNormalization
with neither γ nor β: only its moving statistics change) raised an IndexError in the
optimizer; it trains and validates as Keras 3 does."""

import numpy as np
import pytest

import deepgrad as dg

RNG = np.random.default_rng(0)
X = (2 * RNG.standard_normal((8, 4)) + 1).astype(np.float32)
Y = RNG.standard_normal((8, 4)).astype(np.float32)

# Keras 3.15 on JAX: the same model and fit
KERAS_LOSS = [2.5124008655548096, 2.5124008655548096]
KERAS_VAL_LOSS = [3.4084153175354004, 3.430431842803955]
KERAS_MOVING_MEAN = [0.5686071, 1.2198803, -0.15904748, 0.57482]
KERAS_MOVING_VARIANCE = [2.1510339, 0.95481855, 0.9454676, 0.9973161]


@pytest.mark.parametrize("jit", [False, True])
def test_fit_validates_a_model_without_trainable_weights_as_keras(jit):
    norm = dg.layers.BatchNormalization(momentum=0.5, center=False, scale=False)
    model = dg.Sequential([norm])
    model.build((None, 4))
    model.compile(dg.optimizers.SGD(0.1), "mse", jit=jit)
    history = model.fit(
        X, Y, epochs=2, batch_size=3, verbose=0, shuffle=False, validation_data=(X, Y)
    )
    np.testing.assert_allclose(history.history["loss"], KERAS_LOSS, rtol=1e-6)
    np.testing.assert_allclose(history.history["val_loss"], KERAS_VAL_LOSS, rtol=1e-6)
    mean, variance = model.get_weights()
    np.testing.assert_allclose(mean, KERAS_MOVING_MEAN, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(variance, KERAS_MOVING_VARIANCE, rtol=1e-6)

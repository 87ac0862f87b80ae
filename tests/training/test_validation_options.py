"""``fit``'s validation options as Keras 3 reads them: ``validation_batch_size`` and
``validation_freq`` (an int, or a list of epochs counted from 1), compared with Keras
itself (on JAX) from the same weights."""

import os

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers


def data(n=30):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 3)).astype(np.float32)
    return x, (x @ np.array([[1.0], [-2.0], [0.5]]) + 0.1).astype(np.float32)


def validation_run(module, weights, **options):
    """The history and the validation batches each epoch saw, for a linear model."""
    if module is dg:
        model = dg.Sequential([layers.Dense(1)])
        model.build((None, 3))
    else:
        model = module.Sequential([module.Input((3,)), module.layers.Dense(1)])
    model.set_weights(weights)
    model.compile(optimizer=module.optimizers.SGD(0.1), loss="mse")
    batches = []
    counter = module.callbacks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: batches.append(0),
        on_test_batch_end=lambda batch, logs: batches.__setitem__(-1, batches[-1] + 1),
    )
    x, y = data()
    history = model.fit(
        x, y, batch_size=8, shuffle=False, verbose=0, callbacks=[counter], **options
    )
    return history.history, batches


@pytest.mark.parametrize(
    "options",
    [
        {"validation_batch_size": 3},
        {"validation_freq": 2},
        {"validation_freq": [1, 4], "validation_batch_size": 4},
    ],
)
def test_validation_options_match_keras(options):
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    weights = [np.array([[0.3], [-0.2], [0.1]], np.float32), np.zeros(1, np.float32)]
    options = {"validation_split": 0.3, "epochs": 4, **options}
    history, batches = validation_run(dg, weights, **options)
    keras_history, keras_batches = validation_run(keras, weights, **options)
    assert batches == keras_batches
    assert history.keys() == keras_history.keys()
    for key, values in history.items():
        np.testing.assert_allclose(values, keras_history[key], rtol=1e-5)


def test_validation_freq_counts_epochs_from_one():
    weights = [np.ones((3, 1), np.float32), np.zeros(1, np.float32)]
    history, batches = validation_run(
        dg, weights, validation_split=0.3, epochs=3, validation_freq=3
    )
    assert batches == [0, 0, 2] and len(history["val_loss"]) == 1


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "epoch"])
def test_validation_freq_checked(bad):
    model = dg.Sequential([layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="validation_freq must be"):
        model.fit(*data(), validation_split=0.3, validation_freq=bad, verbose=0)

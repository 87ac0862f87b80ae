"""The learning rate ``LearningRateScheduler`` and ``ReduceLROnPlateau`` log, pass to a
schedule and reduce is the one Keras 3 reads back from its float32 variable: a Python
float of the float32 rate (``SGD(0.01)`` logs 0.009999999776482582, not 0.01)."""

import os

import numpy as np
import pytest

import deepgrad as dg

RNG = np.random.default_rng(0)
X = RNG.standard_normal((16, 3)).astype(np.float32)
Y = X.sum(axis=1, keepdims=True)


def one_unit_net(module):
    if module is dg:
        return dg.Sequential([dg.layers.Dense(1)])
    return module.Sequential([module.Input((3,)), module.layers.Dense(1)])


def logged_rates(module, make_callback, rate=0.01, epochs=4):
    """``history.history["learning_rate"]``, and what a later callback saw in its logs."""
    seen = []
    model = one_unit_net(module)
    model.compile(optimizer=module.optimizers.SGD(learning_rate=rate), loss="mse")
    spy = module.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: seen.append(logs["learning_rate"])
    )
    history = model.fit(X, Y, epochs=epochs, verbose=0, callbacks=[make_callback(module), spy])
    return history.history["learning_rate"], seen


def shrinking_schedule(module):
    return module.callbacks.LearningRateScheduler(lambda epoch, rate: rate * 0.3)


def plateau(module):  # a reduction after every epoch; the last one down to min_lr
    return module.callbacks.ReduceLROnPlateau(
        monitor="loss", patience=0, factor=0.1, min_delta=10.0, min_lr=2e-5
    )


EXPECTED = {  # Keras 3.15 (JAX) with SGD(0.01); deepgrad logged 0.003, 0.0009, ... and 0.01, ...
    "schedule": [
        0.003000000026077032,
        0.0008999999845400453,
        0.0002699999895412475,
        8.099999831756577e-05,
        2.429999949526973e-05,
    ],
    "plateau": [
        0.009999999776482582,
        0.009999999776482582,
        0.0009999999310821295,
        9.99999901978299e-05,
        1.9999999494757503e-05,  # min_lr
    ],
}


@pytest.mark.parametrize(
    ("name", "make_callback"), [("schedule", shrinking_schedule), ("plateau", plateau)]
)
def test_logged_learning_rate_is_keras_float32_rate(name, make_callback):
    history, seen = logged_rates(dg, make_callback, epochs=5)
    assert history == EXPECTED[name]  # exactly: the same float32 steps as Keras
    assert seen == history
    assert all(type(rate) is float for rate in history)


@pytest.mark.parametrize("make_callback", [shrinking_schedule, plateau])
def test_logged_learning_rate_matches_keras(make_callback):
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    ours, ours_seen = logged_rates(dg, make_callback, rate=0.1, epochs=5)
    theirs, theirs_seen = logged_rates(keras, make_callback, rate=0.1, epochs=5)
    assert ours == theirs and ours_seen == theirs_seen
    assert [type(rate) for rate in ours] == [type(rate) for rate in theirs]

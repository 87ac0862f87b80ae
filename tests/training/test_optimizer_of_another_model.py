"""An optimizer built on one model's weights, compiled into another model (or into the
same model after a layer was frozen): its state belongs to the weights it was built on,
so fit refuses it, as Keras 3 does, and says to compile with a new optimizer (the advice
was "call compile() again", which with the same optimizer object refused again)."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers, optimizers


def _model():
    model = dg.Sequential([layers.Dense(4, activation="tanh"), layers.Dense(1)])
    model.build((None, 3))
    return model


def _data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((16, 3)), rng.standard_normal((16, 1))


def test_an_optimizer_that_trained_another_model_is_refused_with_what_to_do():
    x, y = _data()
    optimizer = optimizers.Adam(learning_rate=0.01)
    first = _model()
    first.compile(optimizer=optimizer, loss="mse")
    first.fit(x, y, verbose=0)
    second = _model()
    second.compile(optimizer=optimizer, loss="mse")
    with pytest.raises(RuntimeError, match=r"Adam trained another model.*with a new optimizer"):
        second.fit(x, y, verbose=0)
    second.compile(optimizer=optimizers.Adam(learning_rate=0.01), loss="mse")
    second.fit(x, y, verbose=0)


def test_compiling_again_with_the_same_optimizer_after_freezing_says_to_make_a_new_one():
    x, y = _data()
    optimizer = optimizers.SGD(learning_rate=0.01, momentum=0.9)
    model = _model()
    model.compile(optimizer=optimizer, loss="mse")
    model.fit(x, y, verbose=0)
    model.layers[0].trainable = False
    model.compile(optimizer=optimizer, loss="mse")
    with pytest.raises(RuntimeError, match=r"weights \(2\) are not the ones .* built on \(4\)"):
        model.fit(x, y, verbose=0)
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, verbose=0)

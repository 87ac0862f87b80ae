"""Evaluation data that gives no batch: ``evaluate`` returned ``[]`` (``{}`` with
``return_dict``), and a generator as ``fit``'s ``validation_data``, used up by the first
epoch's validation, left ``val_loss`` out of every later epoch's logs (a history of 3
losses and 1 ``val_loss``), with no error. Keras 3 refuses an empty generator; deepgrad
now raises, naming the epoch, and says what to pass instead."""

import numpy as np
import pytest

import deepgrad as dg

RNG = np.random.default_rng(0)
X = RNG.normal(size=(10, 3)).astype(np.float32)
Y = RNG.normal(size=(10, 1)).astype(np.float32)


def batches():
    for start in range(0, 10, 4):
        yield X[start : start + 4], Y[start : start + 4]


def used_up():
    generator = batches()
    list(generator)
    return generator


def linear():
    model = dg.Sequential([dg.layers.Dense(1)])
    model.compile(optimizer=dg.optimizers.SGD(learning_rate=0.1), loss="mse")
    return model


@pytest.mark.parametrize("return_dict", [False, True])
def test_evaluate_on_a_used_up_generator_raises(return_dict):
    with pytest.raises(ValueError, match="evaluate: the data gave no batches"):
        linear().evaluate(used_up(), verbose=0, return_dict=return_dict)


def test_keras_refuses_an_empty_generator_too():
    keras = pytest.importorskip("keras")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="at least one batch"):
        model.evaluate(used_up(), verbose=0)


def test_a_generator_as_validation_data_is_used_up_after_one_epoch():
    with pytest.raises(ValueError, match="validation_data in epoch 2: the data gave no batches"):
        linear().fit(X, Y, epochs=3, validation_data=batches(), verbose=0)


def test_a_generator_validates_one_epoch_and_a_list_of_batches_every_epoch():
    history = linear().fit(X, Y, epochs=1, validation_data=batches(), verbose=0)
    assert len(history.history["val_loss"]) == 1
    history = linear().fit(X, Y, epochs=3, validation_data=list(batches()), verbose=0)
    assert len(history.history["val_loss"]) == 3

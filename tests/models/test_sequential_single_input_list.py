"""Keras 3 takes a Sequential model's input as a list or tuple of one array too
(``predict([x])``, ``predict((x,))``, ``fit((x,), y)``); deepgrad raised Python's bare
"'list' object has no attribute 'dtype'"."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers

X = np.arange(12, dtype=np.float32).reshape(4, 3)
Y = np.ones((4, 2), np.float32)


def model():
    dg.random.seed(0)
    net = dg.Sequential([layers.Dense(2)])
    net.compile(optimizer="sgd", loss="mse")
    net(X[:1])  # built now: the same initial weights in every model made here
    return net


@pytest.mark.parametrize("wrap", [list, tuple])
def test_a_list_or_tuple_of_one_input_is_that_input(wrap):
    net = model()
    expected = net.predict(X, verbose=0)
    np.testing.assert_array_equal(net.predict(wrap([X]), verbose=0), expected)
    assert net.evaluate(wrap([X]), Y, verbose=0) == net.evaluate(X, Y, verbose=0)
    np.testing.assert_array_equal(net(wrap([X])).numpy(), expected)


def test_fit_takes_a_tuple_of_one_input_and_trains_as_on_the_array():
    ours, theirs = model(), model()
    ours.fit((X,), Y, epochs=2, shuffle=False, verbose=0)
    theirs.fit(X, Y, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)

"""``History.params`` (and every callback's ``params``) in ``fit`` are Keras 3's:
``verbose`` as given, ``"auto"`` included, then ``epochs`` and ``steps``, in that order.
deepgrad gave the resolved ``verbose`` (2 for ``"auto"`` in a pipe) and listed it last."""

import os

import numpy as np
import pytest

import deepgrad as dg

RNG = np.random.default_rng(0)
X = RNG.standard_normal((37, 3)).astype(np.float32)
Y = X.sum(axis=1, keepdims=True)


def fit_params(module, verbose):
    if module is dg:
        model = dg.Sequential([dg.layers.Dense(1)])
    else:
        model = module.Sequential([module.Input((3,)), module.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    seen = []
    spy = module.callbacks.LambdaCallback(on_train_begin=lambda logs: seen.append(spy.params))
    history = model.fit(X, Y, epochs=2, batch_size=16, verbose=verbose, callbacks=[spy])
    return [list(history.params.items()), list(seen[0].items())]


@pytest.mark.parametrize("verbose", [0, 2, "auto"])
def test_fit_params_are_the_arguments_in_keras_order(capsys, verbose):
    expected = [("verbose", verbose), ("epochs", 2), ("steps", 3)]
    assert fit_params(dg, verbose) == [expected, expected]


@pytest.mark.parametrize("verbose", [0, 2, "auto"])
def test_fit_params_match_keras(capsys, verbose):
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    assert fit_params(dg, verbose) == fit_params(keras, verbose)

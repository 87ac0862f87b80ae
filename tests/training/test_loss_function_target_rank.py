"""A loss function of one's own in ``compile`` got targets of shape (n,) against
predictions (n, 1) as they were, so ``y_true - y_pred`` broadcast to an (n, n) matrix and
the model trained on the mean over every pair of samples, with no error (first epoch's
loss 1.938612 where Keras 3 gives 2.128994). Keras' ``LossFunctionWrapper`` brings the
two to one rank first (``squeeze_or_expand_to_same_rank``); deepgrad now does too."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import numpy as dnp

RNG = np.random.default_rng(1)
X = RNG.normal(size=(10, 3)).astype(np.float32)
Y = RNG.normal(size=(10, 1)).astype(np.float32)
WEIGHTS = [w.astype(np.float32) for w in (RNG.normal(size=(3, 1)) * 0.5, np.zeros(1))]


def squared_error(y_true, y_pred):
    return dnp.mean(dnp.square(y_true - y_pred), axis=-1)


def trained(module, loss, y):
    if module is dg:
        model = dg.Sequential([dg.layers.Dense(1)])
    else:
        model = module.Sequential([module.Input((3,)), module.layers.Dense(1)])
    model.build((None, 3))
    model.set_weights(WEIGHTS)
    model.compile(optimizer=module.optimizers.SGD(learning_rate=0.1), loss=loss)
    history = model.fit(X, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    return history.history["loss"], model.evaluate(X, y, verbose=0), model.get_weights()


@pytest.mark.parametrize("y", [Y[:, 0], Y], ids=["(n,)", "(n, 1)"])
def test_a_loss_function_gets_targets_and_predictions_of_one_rank(y):
    losses, evaluated, _ = trained(dg, squared_error, y)
    # Keras 3.15 (JAX), for (n,) and (n, 1) alike: deepgrad gave [1.938612, 1.460857]
    # and 1.373790 for (n,)
    assert losses == pytest.approx([2.1289940, 1.4376395], rel=1e-5)
    assert evaluated == pytest.approx(1.2160318, rel=1e-5)


def test_a_loss_function_matches_keras():
    keras = pytest.importorskip("keras")

    def keras_squared_error(y_true, y_pred):
        return keras.ops.mean(keras.ops.square(y_true - y_pred), axis=-1)

    ours = trained(dg, squared_error, Y[:, 0])
    theirs = trained(keras, keras_squared_error, Y[:, 0])
    assert ours[0] == pytest.approx(theirs[0], rel=1e-5)
    assert ours[1] == pytest.approx(theirs[1], rel=1e-5)
    for weight, reference in zip(ours[2], theirs[2], strict=True):
        np.testing.assert_allclose(weight, reference, rtol=1e-5, atol=1e-6)


def test_labels_against_probabilities_are_left_as_they_are():
    def sparse_nll(y_true, y_pred):
        rows = np.arange(len(y_pred))
        return -dnp.log(y_pred[rows, np.asarray(y_true, int)])

    model = dg.Sequential([dg.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss=sparse_nll)
    labels = np.array([0, 1, 2, 1] * 2 + [0, 0])
    expected = dg.losses.SparseCategoricalCrossentropy()(labels, model.predict(X, verbose=0))
    assert model.evaluate(X, labels, verbose=0) == pytest.approx(float(expected), rel=1e-5)

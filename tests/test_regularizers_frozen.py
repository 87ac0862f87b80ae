"""A frozen weight's regularizer adds nothing to the objective, as in Keras 3 (which sums
the regularizers of ``trainable_weights`` only): deepgrad counted it in ``model.losses``,
``evaluate`` and the loss ``fit`` logged (48.24 where Keras gives 47.28 below)."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers, regularizers

X = np.array([[1.0, 2.0, -1.0], [0.5, -1.0, 2.0], [-1.5, 0.5, 1.0], [2.0, 1.0, 0.0]], np.float32)
Y = np.array([[1.0], [-1.0], [0.5], [2.0]], np.float32)
WEIGHTS = [
    np.array([[0.5, -1.0], [2.0, 0.25], [-0.75, 1.5]], np.float32),
    np.array([0.5, -0.25], np.float32),
    np.array([[1.0], [-2.0]], np.float32),
    np.array([0.1], np.float32),
]


def _model_with_first_layer_frozen() -> dg.Sequential:
    model = dg.Sequential(
        [
            dg.Input((3,)),
            layers.Dense(
                2, kernel_regularizer=regularizers.L2(0.1), bias_regularizer=regularizers.L1(0.2)
            ),
            layers.Dense(1, kernel_regularizer=regularizers.L1(0.05)),
        ]
    )
    model.set_weights(WEIGHTS)
    model.layers[0].trainable = False
    model.compile(optimizer=dg.optimizers.SGD(learning_rate=0.01), loss="mse")
    return model


def test_a_frozen_layers_regularizers_are_left_out_of_losses_evaluate_and_fit():
    model = _model_with_first_layer_frozen()
    # Keras 3.15's numbers for the same model, weights, data and steps
    assert [float(np.asarray(loss)) for loss in model.losses] == pytest.approx([0.15])
    assert model.evaluate(X, Y, verbose=0) == pytest.approx(47.28187942504883, rel=1e-6)
    history = model.fit(X, Y, batch_size=2, epochs=1, verbose=0, shuffle=False)
    assert history.history["loss"] == pytest.approx([38.41436767578125], rel=1e-6)
    assert model.evaluate(X, Y, verbose=0) == pytest.approx(11.181292533874512, rel=1e-6)


def test_a_non_trainable_weight_of_a_trainable_layer_adds_no_penalty():
    layer = layers.Dense(2)
    layer.build((None, 3))
    layer.add_weight("frozen", (2,), initializer="ones", regularizer="l1", trainable=False)
    layer.add_weight("free", (2,), initializer="ones", regularizer=regularizers.L1(0.5))
    assert [float(np.asarray(loss)) for loss in layer.losses] == [1.0]


def test_unfreezing_counts_the_penalty_again():
    model = _model_with_first_layer_frozen()
    model.layers[0].trainable = True
    # 0.1 * sum(W0^2) + 0.2 * sum(|b0|) and 0.05 * sum(|W1|), as Keras lists them
    assert sorted(float(np.asarray(loss)) for loss in model.losses) == pytest.approx(
        [0.15, 0.15, 0.8125]
    )

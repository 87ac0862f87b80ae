"""Keras 3's ``initializers.get`` and ``regularizers.get`` take a class (made with its
defaults) and any function (kept as it is), so ``Dense(kernel_initializer=f,
kernel_regularizer=g)`` works with functions of your own; deepgrad refused both with
"unknown initializer" / "unknown regularizer". A regularizer's ``from_config`` exists
as Keras' does."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import initializers, layers, regularizers
from deepgrad import numpy as dnp

X = np.array([[1.0, 2.0, -1.0], [0.5, -1.0, 2.0], [-1.5, 0.5, 1.0], [2.0, 1.0, 0.0]], np.float32)
Y = np.array([[1.0], [-1.0], [0.5], [2.0]], np.float32)


def ramp(shape, dtype=None):
    return (
        np.arange(np.prod(shape), dtype="float64").reshape(shape) / 10 - 0.25
    )  # no zero: |w| has no derivative there


def test_functions_as_initializer_and_regularizer_train_as_in_keras():
    dense = layers.Dense(
        1, kernel_initializer=ramp, kernel_regularizer=lambda w: 0.5 * dnp.sum(dnp.abs(w))
    )
    model = dg.Sequential([dg.Input((3,)), dense])
    model.compile(optimizer=dg.optimizers.SGD(learning_rate=0.05), loss="mse")
    # Keras 3.15's numbers for the same model, data and steps; the float64 draw is cast
    # to the layer's float32, as Keras casts it
    assert dense.kernel.dtype == np.float32
    assert [float(np.asarray(loss)) for loss in model.losses] == pytest.approx([0.225])
    history = model.fit(X, Y, batch_size=2, epochs=2, verbose=0, shuffle=False)
    assert history.history["loss"] == pytest.approx([2.2934711, 1.0640593], rel=1e-6)
    np.testing.assert_allclose(
        np.asarray(dense.kernel).ravel(), [0.1197207, 0.2773204, -0.1612528], rtol=1e-5
    )


def test_an_initializer_function_of_the_wrong_shape_is_refused():
    dense = layers.Dense(2, kernel_initializer=lambda shape, dtype=None: np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"returned shape \(2, 2\) for a weight of shape \(3, 2\)"):
        dense.build((None, 3))


def test_classes_are_made_with_their_defaults():
    assert type(initializers.get(initializers.HeNormal)) is initializers.HeNormal
    assert regularizers.get(regularizers.L2).get_config() == {"l2": 0.01}
    assert layers.Dense(2, kernel_regularizer=regularizers.L1).kernel_regularizer.l1 == 0.01


@pytest.mark.parametrize(
    ("cls", "config"),
    [
        (regularizers.L1, {"l1": 0.3}),
        (regularizers.L2, {"l2": 0.2}),
        (regularizers.L1L2, {"l1": 0.1, "l2": 0.4}),
        (regularizers.OrthogonalRegularizer, {"factor": 0.5, "mode": "columns"}),
    ],
)
def test_a_regularizer_round_trips_through_its_config(cls, config):
    restored = cls.from_config(cls(**config).get_config())
    assert type(restored) is cls and restored.get_config() == config


def test_a_name_that_is_not_known_is_still_refused():
    with pytest.raises(ValueError, match="unknown initializer 'glorot'"):
        initializers.get("glorot")
    with pytest.raises(ValueError, match="unknown regularizer 3"):
        regularizers.get(3)

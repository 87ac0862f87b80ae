"""``model.losses`` lists its terms in Keras 3's order: the losses layers added (activity
penalties among them), in Keras' ``_flatten_layers`` order, then the penalties of the
trainable weights. deepgrad put the weights' penalties first and the nested model's
added losses in another order ([0.6, 0.004, 40.0, 3.3, 2640.0, 0.066, 0.264] below)."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers
from deepgrad.regularizers import L1


def _dense(units: int, activity: float, kernel: float | None = None) -> layers.Dense:
    return layers.Dense(
        units,
        kernel_initializer="ones",
        activity_regularizer=L1(activity),
        kernel_regularizer=None if kernel is None else L1(kernel),
    )


def test_model_losses_come_in_kerass_order():
    inner = dg.Sequential([dg.Input((2,)), _dense(2, 0.01, 0.001), _dense(2, 0.02)])
    model = dg.Sequential([dg.Input((3,)), _dense(2, 1.0, 0.1), inner, _dense(2, 100.0, 10.0)])
    model(np.arange(12, dtype=np.float32).reshape(4, 3) / 10)
    # Keras 3.15's model.losses for the same model and input
    expected = [3.3, 0.264, 0.066, 2639.99976, 0.6, 0.004, 40.0]
    assert [float(np.asarray(loss)) for loss in model.losses] == pytest.approx(expected, rel=1e-6)


def test_a_shared_layers_added_losses_come_before_the_weights_penalties():
    shared = _dense(3, 0.5, 0.1)
    inputs = dg.Input((3,))
    model = dg.Model(inputs, shared(shared(inputs)))
    model(np.arange(12, dtype=np.float32).reshape(4, 3) / 10)
    # Keras 3.15: both calls' activity penalties, then the kernel's L1 once
    expected = [2.475, 7.425, 0.9]
    assert [float(np.asarray(loss)) for loss in model.losses] == pytest.approx(expected, rel=1e-6)

"""A ``sample_weight`` per time step, ``(n, t)`` against predictions ``(n, t, k)``, as
Keras 3 takes it for sequence outputs: the mean metrics reduce each step's values to
one and weigh it, the confusion metrics and AUC give the step's weight to each of its
predictions. deepgrad refused it ("give one weight per sample") in both kinds."""

import numpy as np
import pytest

from deepgrad import metrics

# Produced with Keras 3.15 (KERAS_BACKEND=jax): keras.metrics.<Name>(), then
# update_state(Y_TRUE, Y_PRED, sample_weight=WEIGHTS) and again with the first sample
# only (Y_TRUE[:1], Y_PRED[:1], WEIGHTS[:1]), then float(result()); float32 inputs.
Y_TRUE = np.array(
    [[[1, 1], [1, 1], [1, 1]], [[1, 0], [0, 0], [0, 1]]],
    np.float32,
)
Y_PRED = np.array(
    [
        [[0.005, 0.821], [0.797, 0.468], [0.303, 0.278]],
        [[0.255, 0.445], [0.505, 0.553], [0.996, 0.793]],
    ],
    np.float32,
)
WEIGHTS = np.array([[0.622, 0.989, 0.215], [0.160, 0.613, 0.044]], np.float32)
KERAS = {
    "BinaryAccuracy": 0.3833072781562805,
    "MeanAbsoluteError": 0.49410855770111084,
    "MeanSquaredError": 0.31949496269226074,
    "BinaryCrossentropy": 1.268926978111267,
    "Precision": 0.720017671585083,
    "AUC": 0.4510951638221741,
}


@pytest.mark.parametrize("name", sorted(KERAS))
def test_a_weight_per_time_step_matches_keras(name):
    metric = getattr(metrics, name)()
    metric.update_state(Y_TRUE, Y_PRED, sample_weight=WEIGHTS)
    metric.update_state(Y_TRUE[:1], Y_PRED[:1], sample_weight=WEIGHTS[:1])
    assert float(metric.result()) == pytest.approx(KERAS[name], rel=1e-5)


@pytest.mark.parametrize("name", ["BinaryAccuracy", "MeanAbsoluteError", "Precision"])
def test_the_same_as_a_trailing_axis_of_one(name):
    per_step, trailing = getattr(metrics, name)(), getattr(metrics, name)()
    per_step.update_state(Y_TRUE, Y_PRED, sample_weight=WEIGHTS)
    trailing.update_state(Y_TRUE, Y_PRED, sample_weight=WEIGHTS[..., None])
    assert float(per_step.result()) == pytest.approx(float(trailing.result()), rel=1e-12)


@pytest.mark.parametrize("name", ["BinaryAccuracy", "MeanAbsoluteError", "Precision"])
def test_weights_that_fit_no_leading_axes_are_refused_by_name(name):
    metric = getattr(metrics, name)()
    with pytest.raises(ValueError, match=rf"{metric.name}: sample_weight of shape \(3, 2\)"):
        metric.update_state(Y_TRUE, Y_PRED, sample_weight=np.ones((3, 2)))

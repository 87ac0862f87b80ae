"""A ``sample_weight`` per prediction, of the predictions' shape, as Keras 3 takes it in
the confusion metrics, AUC and R2Score (deepgrad reshaped it to one per sample and failed
with NumPy's reshape error); a shape that fits neither form is refused by name."""

import numpy as np
import pytest

from deepgrad import metrics

# Produced with Keras 3.15 (KERAS_BACKEND=jax): keras.metrics.<Name>() then
# update_state(Y_TRUE, Y_PRED, sample_weight=WEIGHTS) and float(result()), float32 inputs.
Y_TRUE = np.array([[1, 1, 0], [1, 0, 0], [1, 0, 1], [0, 1, 1], [0, 1, 0], [0, 0, 0]], np.float32)
Y_PRED = np.array(
    [
        [0.2035, 0.2623, 0.7504],
        [0.2804, 0.4852, 0.9807],
        [0.9617, 0.7248, 0.5412],
        [0.2769, 0.1607, 0.9699],
        [0.5161, 0.1159, 0.6235],
        [0.7767, 0.6130, 0.9173],
    ],
    np.float32,
)
WEIGHTS = np.array(
    [
        [0.0396, 0.5286, 0.4593],
        [0.0623, 0.6413, 0.8526],
        [0.5929, 0.2601, 0.8399],
        [0.5095, 0.5109, 0.7530],
        [0.1479, 0.8196, 0.6833],
        [0.7871, 0.1916, 0.8024],
    ],
    np.float32,
)
KERAS = {
    "Precision": 0.3431343138217926,
    "Recall": 0.5271052718162537,
    "AUC": 0.3227163851261139,
    "TruePositives": 2.185800075531006,
    "FalseNegatives": 1.9610000848770142,
    "R2Score": -0.9539794921875,
}


@pytest.mark.parametrize("name", sorted(KERAS))
def test_a_weight_per_prediction_gives_keras_numbers(name):
    metric = getattr(metrics, name)()
    metric.update_state(Y_TRUE, Y_PRED, sample_weight=WEIGHTS)
    assert float(metric.result()) == pytest.approx(KERAS[name], rel=2e-5)


@pytest.mark.parametrize(
    ("weights", "keras"),
    [(WEIGHTS[:, :1], 0.33588919043540955), (WEIGHTS[:1], 0.243705153465271)],
    ids=["per sample (6, 1)", "per class (1, 3)"],
)
def test_weights_that_broadcast_to_the_predictions_are_broadcast_as_in_keras(weights, keras):
    metric = metrics.Precision()
    metric.update_state(Y_TRUE, Y_PRED, sample_weight=weights)
    assert float(metric.result()) == pytest.approx(keras, rel=2e-5)


@pytest.mark.parametrize("shape", [(3,), (6, 2), (2, 6)])
def test_weights_that_fit_neither_form_are_refused_by_name(shape):
    with pytest.raises(ValueError, match=r"precision: sample_weight of shape .* does not fit"):
        metrics.Precision().update_state(Y_TRUE, Y_PRED, sample_weight=np.ones(shape))

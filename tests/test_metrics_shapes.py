"""Labels and predictions are brought to one shape as Keras 3 brings them ((n,) against
(n, 1), (n, k) against (n, k, 1)); any other pair of shapes is refused by name. deepgrad
reshaped the labels to the predictions' shape whenever the sizes agreed: a (2, 6) against
a (3, 4) paired the wrong elements without a word, and CosineSimilarity over (n, k)
against (n, k, 1) measured the angle along the axis of length 1."""

import numpy as np
import pytest

from deepgrad import metrics

Y_TRUE = np.array([[1, 0, 1, 0], [0, 1, 1, 0], [1, 1, 0, 0]], np.float32)
Y_PRED = np.array([[0.2, 0.7, 0.9, 0.1], [0.6, 0.3, 0.8, 0.4], [0.5, 0.9, 0.2, 0.3]], np.float32)[
    ..., None
]

# Keras 3.15 (KERAS_BACKEND=jax): keras.metrics.<Name>(), update_state(Y_TRUE, Y_PRED),
# float(result()).
KERAS = {
    "CosineSimilarity": 0.7575416564941406,
    "MeanSquaredError": 0.21583335101604462,
    "BinaryAccuracy": 0.5833333134651184,
    "Precision": 0.6000000238418579,
}


@pytest.mark.parametrize("name", sorted(KERAS))
def test_predictions_with_a_trailing_axis_of_one_are_squeezed_as_in_keras(name):
    metric = getattr(metrics, name)()
    metric.update_state(Y_TRUE, Y_PRED)
    assert float(metric.result()) == pytest.approx(KERAS[name], rel=1e-6)


@pytest.mark.parametrize(
    "name",
    [
        "MeanSquaredError",
        "MeanAbsoluteError",
        "MeanAbsolutePercentageError",
        "CosineSimilarity",
        "BinaryAccuracy",
        "Accuracy",
        "Precision",
        "AUC",
        "R2Score",
    ],
)
def test_labels_of_another_shape_of_the_same_size_are_refused(name):
    metric = getattr(metrics, name)()
    labels, predictions = np.arange(12.0).reshape(2, 6) % 2, np.full((3, 4), 0.5)
    with pytest.raises(ValueError, match=r"labels of shape \(2, 6\) do not match predictions"):
        metric.update_state(labels, predictions)

"""y_pred with a trailing axis of length 1 that y_true lacks ((n, k, 1) against (n, k):
a Dense(1) over 3-D inputs, say) is squeezed, as Keras 3's losses do
(``squeeze_or_expand_to_same_rank``), so a loss is one value per sample. deepgrad
expanded y_true instead, and gave one value per element: "sum" and "none" four times
Keras' numbers and shape here, and CategoricalCrossentropy 0."""

import numpy as np
import pytest

from deepgrad import losses

Y_TRUE = np.array([[1, 0, 1, 0], [0, 1, 1, 0], [1, 1, 0, 0]], np.float32)
Y_PRED = np.array([[0.2, 0.7, 0.9, 0.1], [0.6, 0.3, 0.8, 0.4], [0.5, 0.9, 0.2, 0.3]], np.float32)[
    ..., None
]

# Keras 3.15 (KERAS_BACKEND=jax): keras.losses.<Name>(reduction="sum")(Y_TRUE, Y_PRED), and
# the same with reduction="none".
KERAS = {
    "MeanSquaredError": (
        0.64750004,
        [0.2874999940395355, 0.26249998807907104, 0.09749999642372131],
    ),
    "MeanAbsoluteError": (1.175, [0.42500001192092896, 0.4749999940395355, 0.2750000059604645]),
    "BinaryCrossentropy": (
        1.8141727,
        [0.7560330033302307, 0.7135581970214844, 0.34458160400390625],
    ),
    "Huber": (0.32375002, [0.14374999701976776, 0.13124999403953552, 0.04874999821186066]),
    "LogCosh": (0.30313736, [0.13200180232524872, 0.12380679696798325, 0.047328799962997437]),
    "Poisson": (2.4601052, [0.9036993980407715, 0.8817790150642395, 0.6746268272399902]),
    "Hinge": (2.675, [0.925000011920929, 0.9750000238418579, 0.7749999761581421]),
    "SquaredHinge": (3.2975001, [1.1875, 1.2625000476837158, 0.8475000262260437]),
    "MeanSquaredLogarithmicError": (
        0.3181209,
        [0.13855600357055664, 0.13269789516925812, 0.0468670018017292],
    ),
    "KLDivergence": (3.9404137, [1.7147955894470215, 1.4271132946014404, 0.7985048294067383]),
    "CategoricalCrossentropy": (
        7.9917126,
        [2.9985060691833496, 2.9109911918640137, 2.0822155475616455],
    ),
    "CosineSimilarity": (
        -2.272625,
        [-0.6694387197494507, -0.6957011222839355, -0.9074851870536804],
    ),
    "CategoricalHinge": (1.0999999, [0.6000000238418579, 0.5, 0.0]),
}


@pytest.mark.parametrize("name", sorted(KERAS))
def test_a_trailing_axis_of_one_on_y_pred_is_squeezed_as_in_keras(name):
    total, per_sample = KERAS[name]
    loss = getattr(losses, name)
    got = np.asarray(loss(reduction="none")(Y_TRUE, Y_PRED))
    assert got.shape == (3,)
    np.testing.assert_allclose(got, per_sample, rtol=2e-6, atol=1e-7)
    assert float(loss(reduction="sum")(Y_TRUE, Y_PRED)) == pytest.approx(total, rel=2e-6)


def test_the_squeezed_prediction_still_gets_its_gradient():
    import deepgrad as dg

    y_pred = dg.tensor(Y_PRED.astype(np.float64), requires_grad=True)
    losses.MeanSquaredError(reduction="sum")(Y_TRUE, y_pred).backward()
    expected = 2 * (Y_PRED[..., 0] - Y_TRUE) / 4  # d/dŷ of Σ_n mean_k (ŷ − y)²
    np.testing.assert_allclose(y_pred.grad.numpy()[..., 0], expected, rtol=1e-6)

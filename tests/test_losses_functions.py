"""Keras 3's loss function forms (``losses.hinge``, ``losses.huber``, ...) and
``losses.deserialize``, against Keras' numbers."""

from __future__ import annotations

import numpy as np
import pytest

from deepgrad import losses
from deepgrad.tensor import raw_data

Y_TRUE = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
Y_PRED = np.array([[0.2, 0.6, 0.9], [0.7, 0.4, 0.1]])
REG_TRUE = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]])
REG_PRED = np.array([[1.5, 1.0, 4.0], [0.0, -2.0, 2.5]])

# (function, y_true, y_pred, keyword arguments)
CASES = {
    "hinge": (Y_TRUE, Y_PRED, {}),
    "squared_hinge": (Y_TRUE, Y_PRED, {}),
    "categorical_hinge": (Y_TRUE, Y_PRED, {}),
    "huber": (REG_TRUE, REG_PRED, {"delta": 0.7}),
    "log_cosh": (REG_TRUE, REG_PRED, {}),
    "kl_divergence": (
        Y_TRUE / Y_TRUE.sum(1, keepdims=True),
        Y_PRED / Y_PRED.sum(1, keepdims=True),
        {},
    ),
    "poisson": (np.abs(REG_TRUE), np.abs(REG_PRED) + 0.1, {}),
    "cosine_similarity": (REG_TRUE, REG_PRED, {"axis": 0}),
    "mean_absolute_percentage_error": (REG_TRUE, REG_PRED, {}),
    "mean_squared_logarithmic_error": (np.abs(REG_TRUE), np.abs(REG_PRED), {}),
}

# keras.losses.<name>(*CASES[name]) with Keras 3.15 on JAX (float32), one value per sample
# (one per column for cosine_similarity along axis 0)
KERAS = {
    "hinge": [0.5666667222976685, 0.9333333969116211],
    "squared_hinge": [0.5366666913032532, 1.0866667032241821],
    "categorical_hinge": [0.0, 0.7000000476837158],
    "huber": [0.3449999988079071, 0.23499999940395355],
    "log_cosh": [0.32922542095184326, 0.22466999292373657],
    "kl_divergence": [0.1455727070569992, 0.5389936566352844],
    "poisson": [0.6354717016220093, 1.0994439125061035],
    "cosine_similarity": [-0.8944271802902222, -0.7999999523162842, -0.9995677471160889],
    "mean_absolute_percentage_error": [44.4444465637207, 75.0],
    "mean_squared_logarithmic_error": [0.08799602836370468, 0.11752208322286606],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_function_forms_give_keras_values_per_sample(name):
    y_true, y_pred, kwargs = CASES[name]
    values = np.asarray(getattr(losses, name)(y_true, y_pred, **kwargs))
    np.testing.assert_allclose(values, KERAS[name], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(CASES))
def test_function_forms_match_keras(name):
    keras = pytest.importorskip("keras")
    y_true, y_pred, kwargs = CASES[name]
    expected = np.asarray(getattr(keras.losses, name)(y_true, y_pred, **kwargs))
    values = np.asarray(getattr(losses, name)(y_true, y_pred, **kwargs))
    np.testing.assert_allclose(values, expected, rtol=1e-5, atol=1e-6)


def test_function_forms_are_differentiable():
    import deepgrad as dg

    y_pred = dg.Tensor(REG_PRED, requires_grad=True)
    dg.numpy.sum(losses.huber(REG_TRUE, y_pred, delta=0.7)).backward()
    # ∂/∂ŷ of the mean over 3 columns: e/3 inside δ, ±δ/3 beyond
    error = REG_PRED - REG_TRUE
    expected = np.where(np.abs(error) <= 0.7, error, 0.7 * np.sign(error)) / 3
    np.testing.assert_allclose(np.asarray(raw_data(y_pred.grad)), expected)


def test_deserialize_reads_keras_saved_configs():
    # keras.losses.serialize(keras.losses.BinaryCrossentropy(from_logits=True,
    # label_smoothing=0.1)) and keras.losses.serialize(keras.losses.huber), Keras 3.15
    saved = {
        "module": "keras.losses",
        "class_name": "BinaryCrossentropy",
        "config": {
            "name": "binary_crossentropy",
            "reduction": "sum_over_batch_size",
            "from_logits": True,
            "label_smoothing": 0.1,
            "axis": -1,
        },
        "registered_name": None,
    }
    loss = losses.deserialize(saved)
    assert isinstance(loss, losses.BinaryCrossentropy)
    assert (loss.from_logits, loss.label_smoothing, loss.reduction) == (True, 0.1, "mean")
    function = {
        "module": "builtins",
        "class_name": "function",
        "config": "huber",
        "registered_name": "function",
    }
    assert losses.deserialize(function) is losses.huber


def test_deserialize_round_trips_serialize_and_names():
    loss = losses.deserialize(losses.serialize(losses.Huber(delta=2.5, reduction="sum")))
    assert isinstance(loss, losses.Huber)
    assert (loss.delta, loss.reduction) == (2.5, "sum")
    assert isinstance(losses.deserialize("CategoricalHinge"), losses.CategoricalHinge)
    assert losses.deserialize("kl_divergence") is losses.kl_divergence


def test_deserialize_custom_objects():
    class Doubled(losses.MeanSquaredError):
        pass

    def my_loss(y_true, y_pred):
        return y_pred - y_true

    config = {"class_name": "Doubled", "config": {"reduction": "sum"}}
    loss = losses.deserialize(config, custom_objects={"Doubled": Doubled})
    assert isinstance(loss, Doubled) and loss.reduction == "sum"
    assert losses.deserialize("my_loss", custom_objects={"my_loss": my_loss}) is my_loss


@pytest.mark.parametrize(
    ("config", "error", "match"),
    [
        ({"class_name": "Nope", "config": {}}, ValueError, "unknown loss 'Nope'"),
        ("nope", ValueError, "unknown loss 'nope'"),
        ({"config": {}}, ValueError, "needs 'class_name'"),
        ({"class_name": "huber", "config": {}}, ValueError, "is a function"),
        (5, TypeError, "expected a config dict or a name, got 5"),
    ],
)
def test_deserialize_refuses_what_it_cannot_read(config, error, match):
    with pytest.raises(error, match=match):
        losses.deserialize(config)


def test_deserialize_matches_keras_for_a_keras_config():
    keras = pytest.importorskip("keras")
    saved = keras.losses.serialize(keras.losses.CategoricalCrossentropy(label_smoothing=0.2))
    expected = float(keras.losses.deserialize(saved)(Y_TRUE, Y_PRED))
    assert float(losses.deserialize(saved)(Y_TRUE, Y_PRED)) == pytest.approx(expected, rel=1e-5)

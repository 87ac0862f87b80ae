"""``compile`` takes the strings Keras 3 takes: a metric's or a loss's class name
(``metrics=["AUC"]``, ``loss="Huber"``) and Keras' upper-case aliases (``"MSE"``), each
metric logged under the string given. deepgrad raised ``unknown metric 'AUC'``."""

import os

import numpy as np
import pytest

import deepgrad as dg

RNG = np.random.default_rng(0)
X = RNG.standard_normal((37, 3)).astype(np.float32)
Y = np.eye(2, dtype=np.float32)[(X.sum(axis=1) > 0.3).astype(np.int64)]
KERNEL = np.array([[0.5, -0.2], [0.2, 0.1], [-0.1, 0.3]], np.float32)
BIAS = np.array([0.3, -0.1], np.float32)

METRIC_LISTS = [
    ["MeanSquaredError", "MSE"],
    ["Precision", "Recall", "AUC"],
    ["CategoricalAccuracy", "TopKCategoricalAccuracy"],
    ["MeanAbsoluteError", "RootMeanSquaredError", "MAE"],
    ["KLDivergence", "CategoricalCrossentropy"],
]
LOSS_NAMES = ["MeanSquaredError", "MSE", "Huber", "MAE", "MSLE", "KLD", "LogCosh", "Poisson"]


def evaluated(module, loss, metrics=()):
    if module is dg:
        model = dg.Sequential([dg.layers.Dense(2, activation="softmax", input_shape=(3,))])
    else:
        model = module.Sequential(
            [module.Input((3,)), module.layers.Dense(2, activation="softmax")]
        )
    model.set_weights([KERNEL, BIAS])
    model.compile(optimizer="sgd", loss=loss, metrics=list(metrics))
    return model.evaluate(X, Y, verbose=0, return_dict=True)


SNAKE = {  # deepgrad's own names for the same metrics and losses
    "MeanSquaredError": "mse",
    "MSE": "mse",
    "Precision": "precision",
    "Recall": "recall",
    "AUC": "auc",
    "CategoricalAccuracy": "categorical_accuracy",
    "TopKCategoricalAccuracy": "top_k_categorical_accuracy",
    "MeanAbsoluteError": "mae",
    "MAE": "mae",
    "RootMeanSquaredError": "rmse",
    "KLDivergence": "kl_divergence",
    "CategoricalCrossentropy": "categorical_crossentropy",
    "Huber": "huber",
    "MSLE": "msle",
    "KLD": "kl_divergence",
    "LogCosh": "log_cosh",
    "Poisson": "poisson",
}


@pytest.mark.parametrize("metrics", METRIC_LISTS, ids="-".join)
def test_metric_class_names_are_logged_under_the_string_given(metrics):
    logs = evaluated(dg, "categorical_crossentropy", metrics)
    assert sorted(logs) == sorted(["loss", *metrics])
    by_snake_name = evaluated(dg, "categorical_crossentropy", [SNAKE[m] for m in metrics])
    for name in metrics:
        assert logs[name] == by_snake_name[SNAKE[name]]


@pytest.mark.parametrize("loss", LOSS_NAMES)
def test_loss_class_names_and_aliases(loss):
    assert evaluated(dg, loss) == evaluated(dg, SNAKE[loss])


def test_an_unknown_name_says_what_is_known():
    with pytest.raises(ValueError, match=r"unknown metric 'Accuracies'.*class name"):
        evaluated(dg, "mse", ["Accuracies"])
    with pytest.raises(ValueError, match=r"unknown loss 'Hubber'.*class name"):
        evaluated(dg, "Hubber")


@pytest.mark.parametrize("metrics", METRIC_LISTS, ids="-".join)
def test_metric_class_names_match_keras(metrics):
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    ours = evaluated(dg, "categorical_crossentropy", metrics)
    theirs = evaluated(keras, "categorical_crossentropy", metrics)
    assert sorted(ours) == sorted(theirs)
    atol = {"AUC": 1e-3}  # deepgrad's AUC is exact, Keras' a 200-threshold approximation
    for name in ours:
        assert ours[name] == pytest.approx(theirs[name], rel=1e-5, abs=atol.get(name, 1e-6))


@pytest.mark.parametrize("loss", LOSS_NAMES)
def test_loss_class_names_match_keras(loss):
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    assert evaluated(dg, loss)["loss"] == pytest.approx(evaluated(keras, loss)["loss"], rel=1e-5)

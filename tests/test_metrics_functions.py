"""Keras 3's metric functions (``metrics.binary_accuracy``, ...) and
``metrics.deserialize``, against Keras' numbers and shapes."""

from __future__ import annotations

import numpy as np
import pytest

from deepgrad import losses, metrics

PRED = np.array([[0.1, 0.2, 0.7], [0.5, 0.3, 0.2], [0.4, 0.35, 0.25]])
LABELS = np.array([2, 1, 0])
# np.random.RandomState(0).rand(2, 4, 3).round(4): a batch of sequences
PRED_3D = np.array(
    [
        [
            [0.5488, 0.7152, 0.6028],
            [0.5449, 0.4237, 0.6459],
            [0.4376, 0.8918, 0.9637],
            [0.3834, 0.7917, 0.5289],
        ],
        [
            [0.568, 0.9256, 0.071],
            [0.0871, 0.0202, 0.8326],
            [0.7782, 0.87, 0.9786],
            [0.7992, 0.4615, 0.7805],
        ],
    ]
)
LABELS_3D = np.array([[0, 1, 2, 0], [2, 2, 1, 0]])
BINARY_TRUE = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
BINARY_PRED = np.array([[0.6, 0.2, 0.4], [0.1, 0.9, 0.8]])

# (function, arguments, keyword arguments, what keras.metrics.<function> returns with
# Keras 3.15 on JAX: its shape and values)
CASES = [
    ("binary_accuracy", (BINARY_TRUE, BINARY_PRED), {}, [[1, 1, 0], [1, 0, 1]]),
    ("binary_accuracy", (BINARY_TRUE, BINARY_PRED), {"threshold": 0.3}, [[1, 1, 1], [1, 0, 1]]),
    ("binary_accuracy", (BINARY_TRUE[:, :1], BINARY_PRED[:, 0]), {}, [[1], [1]]),
    ("categorical_accuracy", (np.eye(3)[LABELS], PRED), {}, [1, 0, 1]),
    (
        "categorical_accuracy",
        (np.eye(3)[LABELS_3D], PRED_3D),
        {},
        [[0, 0, 1, 0], [0, 1, 0, 1]],
    ),
    ("sparse_categorical_accuracy", (LABELS, PRED), {}, [1, 0, 1]),
    ("sparse_categorical_accuracy", (LABELS[:, None], PRED), {}, [1, 0, 1]),
    ("sparse_categorical_accuracy", (LABELS_3D, PRED_3D), {}, [[0, 0, 1, 0], [0, 1, 0, 1]]),
    ("top_k_categorical_accuracy", (np.eye(3)[LABELS], PRED), {"k": 1}, [1, 0, 1]),
    (
        "top_k_categorical_accuracy",
        (np.eye(3)[LABELS_3D], PRED_3D),
        {"k": 2},
        [[0, 0, 1, 0], [0, 1, 1, 1]],
    ),
    ("sparse_top_k_categorical_accuracy", (LABELS, PRED), {"k": 1}, [1, 0, 1]),
    ("sparse_top_k_categorical_accuracy", (LABELS[:, None], PRED), {"k": 2}, [[1], [1], [1]]),
    (
        "sparse_top_k_categorical_accuracy",
        (LABELS_3D, PRED_3D),
        {"k": 2},
        [[0, 0, 1, 0], [0, 1, 1, 1]],
    ),
    (
        "sparse_top_k_categorical_accuracy",
        (np.array([2, 0]), np.array([[2, 1, 0], [1, 0, 2]])),
        {"k": 1, "from_sorted_ids": True},
        [1, 0],
    ),
]
IDS = [f"{name}-{i}" for i, (name, *_) in enumerate(CASES)]


@pytest.mark.parametrize(("name", "args", "kwargs", "expected"), CASES, ids=IDS)
def test_accuracy_functions_give_keras_values_and_shapes(name, args, kwargs, expected):
    values = getattr(metrics, name)(*args, **kwargs)
    assert values.shape == np.shape(expected)
    np.testing.assert_array_equal(values, expected)


@pytest.mark.parametrize(("name", "args", "kwargs", "expected"), CASES, ids=IDS)
def test_accuracy_functions_match_keras(name, args, kwargs, expected):
    keras = pytest.importorskip("keras")
    reference = np.asarray(getattr(keras.metrics, name)(*args, **kwargs))
    values = getattr(metrics, name)(*args, **kwargs)
    assert values.shape == reference.shape
    np.testing.assert_array_equal(values, reference)


LOSS_NAMED = [
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "binary_focal_crossentropy",
    "categorical_focal_crossentropy",
    "hinge",
    "squared_hinge",
    "categorical_hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_squared_error",
    "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error",
    "poisson",
]


@pytest.mark.parametrize("name", LOSS_NAMED)
def test_loss_named_metric_functions_are_the_loss_functions(name):
    # as in Keras 3, where keras.metrics.huber is keras.losses.huber
    assert getattr(metrics, name) is getattr(losses, name)


@pytest.mark.parametrize("name", LOSS_NAMED)
def test_loss_named_metric_functions_match_keras(name):
    keras = pytest.importorskip("keras")
    y_true = LABELS if name.startswith("sparse") else np.eye(3)[LABELS]
    reference = np.asarray(getattr(keras.metrics, name)(y_true, PRED))
    values = np.asarray(getattr(metrics, name)(y_true, PRED))
    np.testing.assert_allclose(values, reference, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("name", "args", "match"),
    [
        ("binary_accuracy", (np.array([[0.8]]), np.array([[0.9]])), "labels must be 0 or 1"),
        ("binary_accuracy", (np.array([[-1.0]]), np.array([[0.9]])), "labels must be 0 or 1"),
        (
            "categorical_accuracy",
            (np.eye(3), np.ones((3, 4))),
            r"one-hot labels of shape \(3, 3\) do not match predictions of shape \(3, 4\)",
        ),
        (
            "top_k_categorical_accuracy",
            (np.eye(3), np.ones((4, 3))),
            r"top_k_categorical_accuracy: one-hot labels of shape \(3, 3\)",
        ),
        (
            "sparse_categorical_accuracy",
            (np.zeros(4), PRED),
            r"labels of shape \(4,\) do not fit predictions of shape \(3, 3\)",
        ),
        (
            "sparse_top_k_categorical_accuracy",
            (np.zeros((3, 2)), PRED),
            r"expected \(3,\) or \(3, 1\)",
        ),
    ],
)
def test_accuracy_functions_refuse_what_they_cannot_pair(name, args, match):
    with pytest.raises(ValueError, match=match):
        getattr(metrics, name)(*args)


def test_deserialize_reads_keras_saved_configs():
    # keras.metrics.serialize(keras.metrics.TopKCategoricalAccuracy(k=3)), Keras 3.15
    saved = {
        "module": "keras.metrics",
        "class_name": "TopKCategoricalAccuracy",
        "config": {"name": "top_k_categorical_accuracy", "dtype": "float32", "k": 3},
        "registered_name": None,
    }
    metric = metrics.deserialize(saved)
    assert isinstance(metric, metrics.TopKCategoricalAccuracy) and metric.k == 3


def test_deserialize_round_trips_and_takes_names():
    metric = metrics.deserialize(metrics.serialize(metrics.BinaryAccuracy(threshold=0.3)))
    assert isinstance(metric, metrics.BinaryAccuracy) and metric.threshold == 0.3
    assert isinstance(metrics.deserialize("mse"), metrics.MeanSquaredError)
    assert isinstance(metrics.deserialize("BinaryAccuracy"), metrics.BinaryAccuracy)


def test_deserialize_custom_objects():
    class Twice(metrics.MeanSquaredError):
        pass

    saved = {"class_name": "Twice", "config": {"name": "twice"}}
    metric = metrics.deserialize(saved, custom_objects={"Twice": Twice})
    assert isinstance(metric, Twice) and metric.name == "twice"


@pytest.mark.parametrize(
    ("config", "error", "match"),
    [
        ({"class_name": "Nope", "config": {}}, ValueError, "unknown metric class 'Nope'"),
        ("nope", ValueError, "unknown metric 'nope'"),
        (5, TypeError, "expected a config dict or a name, got 5"),
    ],
)
def test_deserialize_refuses_what_it_cannot_read(config, error, match):
    with pytest.raises(error, match=match):
        metrics.deserialize(config)


def test_deserialize_matches_keras_for_a_keras_config():
    keras = pytest.importorskip("keras")
    saved = keras.metrics.serialize(keras.metrics.BinaryAccuracy(threshold=0.3))
    reference = keras.metrics.deserialize(saved)
    reference.update_state(BINARY_TRUE, BINARY_PRED)
    metric = metrics.deserialize(saved)
    metric.update_state(BINARY_TRUE, BINARY_PRED)
    assert metric.result() == pytest.approx(float(reference.result()))

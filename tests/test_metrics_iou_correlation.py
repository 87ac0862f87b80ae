"""The IoU metrics (``IoU``, ``BinaryIoU``, ``MeanIoU``, ``OneHotIoU``, ``OneHotMeanIoU``)
and the correlation metrics (``PearsonCorrelation``, ``ConcordanceCorrelation``) against
Keras 3: fixed numbers Keras 3.15 on JAX gave for the same batches (produced by running
the same constructor over ``batches(kind)`` in Keras and printing ``result()`` after each
batch), Keras itself on random data where it is installed, the degenerate states, the
names, the configs and the inputs refused."""

import os

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers, metrics


def batches(kind):
    """Three batches of (labels, predictions, sample_weight) of one kind: class ids of 4
    classes ("ids", with whole weights "ids_whole" or fractional ones "ids_frac"), binary
    labels and scores ("binary", "binary_weighted"), one-hot labels and scores
    ("one_hot", "one_hot_weighted"), or regression targets and noisy predictions
    ("regression", "regression_weighted")."""
    rng = np.random.default_rng(7)
    out = []
    for _ in range(3):
        ids = rng.integers(0, 4, (6, 2))
        pred_ids = rng.integers(0, 4, (6, 2))
        whole = rng.integers(0, 4, (6, 2)).astype(np.float32)
        frac = rng.random((6, 2)).astype(np.float32)
        bits = rng.integers(0, 2, (8, 1))
        scores = rng.random((8, 1)).astype(np.float32)
        w8 = rng.random(8).astype(np.float32)
        one_hot = np.eye(4, dtype=np.float32)[rng.integers(0, 4, 6)]
        probs = rng.random((6, 4)).astype(np.float32)
        w6 = rng.random(6).astype(np.float32)
        y = rng.random((4, 5)).astype(np.float32)
        p = (y + rng.normal(0, 0.3, (4, 5))).astype(np.float32)
        w4 = rng.random(4).astype(np.float32)
        out.append(
            {
                "ids": (ids, pred_ids, None),
                "ids_whole": (ids, pred_ids, whole),
                "ids_frac": (ids, pred_ids, frac),
                "binary": (bits, scores, None),
                "binary_weighted": (bits, scores, w8),
                "one_hot": (one_hot, probs, None),
                "one_hot_weighted": (one_hot, probs, w6),
                "regression": (y, p, None),
                "regression_weighted": (y, p, w4),
            }[kind]
        )
    return out


CASES = [
    ("IoU", {"num_classes": 4, "target_class_ids": [0, 3]}, "ids", [0.25, 0.2727273, 0.2598039]),
    ("IoU", {"num_classes": 4, "target_class_ids": [2]}, "ids_whole", [0, 0.3333333, 0.15]),
    (
        "IoU",
        {"num_classes": 4, "target_class_ids": [0, 1, 2], "ignore_class": 3, "dtype": "float32"},
        "ids_frac",
        [0.2264195, 0.2353626, 0.1987998],
    ),
    ("MeanIoU", {"num_classes": 4}, "ids", [0.225, 0.2863636, 0.2291083]),
    ("MeanIoU", {"num_classes": 4}, "ids_whole", [0.2113095, 0.3041288, 0.2211209]),
    (
        "MeanIoU",
        {"num_classes": 4, "dtype": "float32"},
        "ids_frac",
        [0.2506617, 0.2712796, 0.2257724],
    ),
    # classes 4 and 5 never seen: left out of the mean
    ("MeanIoU", {"num_classes": 6}, "ids", [0.225, 0.2863636, 0.2291083]),
    (
        "MeanIoU",
        {"num_classes": 4, "sparse_y_true": False, "sparse_y_pred": False},
        "one_hot",
        [0.125, 0.20625, 0.1651786],
    ),
    ("BinaryIoU", {}, "binary", [0.5238096, 0.3611111, 0.4097222]),
    (
        "BinaryIoU",
        {"target_class_ids": [1], "threshold": 0.3},
        "binary",
        [0.25, 0.1666667, 0.3157894],
    ),
    (
        "BinaryIoU",
        {"target_class_ids": [0], "dtype": "float32"},
        "binary_weighted",
        [0.7035364, 0.5410923, 0.4711441],
    ),
    (
        "OneHotIoU",
        {"num_classes": 4, "target_class_ids": [1, 2]},
        "one_hot",
        [0.25, 0.25, 0.2053571],
    ),
    (
        "OneHotIoU",
        {"num_classes": 4, "target_class_ids": [0, 3], "dtype": "float32"},
        "one_hot_weighted",
        [0, 0.08843133, 0.08424369],
    ),
    ("OneHotMeanIoU", {"num_classes": 4}, "one_hot", [0.125, 0.20625, 0.1651786]),
    (
        "OneHotMeanIoU",
        {"num_classes": 4, "ignore_class": 0, "dtype": "float32"},
        "one_hot_weighted",
        [0.2655368, 0.252571, 0.2227005],
    ),
    ("PearsonCorrelation", {}, "regression", [0.8933928, 0.8840563, 0.8550166]),
    ("PearsonCorrelation", {}, "regression_weighted", [0.9062219, 0.9017293, 0.8673564]),
    ("PearsonCorrelation", {"axis": 0}, "regression", [0.7858366, 0.7409883, 0.6707176]),
    ("PearsonCorrelation", {"axis": (0, 1)}, "regression", [0.8673691, 0.8679724, 0.848106]),
    ("ConcordanceCorrelation", {}, "regression", [0.7995152, 0.7716278, 0.7584855]),
    ("ConcordanceCorrelation", {}, "regression_weighted", [0.8028856, 0.7744766, 0.760754]),
    ("ConcordanceCorrelation", {"axis": 0}, "regression", [0.661365, 0.6343719, 0.6030232]),
]


@pytest.mark.parametrize(
    "name, kwargs, data, expected",
    CASES,
    ids=[f"{name}-{kwargs}-{data}" for name, kwargs, data, _ in CASES],
)
def test_matches_keras_numbers(name, kwargs, data, expected):
    metric = getattr(metrics, name)(**kwargs)
    for (y_true, y_pred, weight), keras_result in zip(batches(data), expected, strict=True):
        metric.update_state(y_true, y_pred, weight)
        assert metric.result() == pytest.approx(keras_result, rel=2e-6, abs=1e-7)
    metric.reset_state()
    assert metric.result() == 0.0  # Keras: 0.0 for no data, for all seven


# Keras 3's own examples and edge cases, each number from running the same call in Keras
IOU_BY_HAND = [
    (metrics.IoU(2, [0]), [0, 0, 1, 1], [0, 1, 0, 1], None, 0.3333333),
    (
        metrics.MeanIoU(2, dtype="float32"),
        [0, 0, 1, 1],
        [0, 1, 0, 1],
        [0.3, 0.3, 0.3, 0.1],
        0.2380952,
    ),
    (metrics.MeanIoU(2), [0, 0, 1, 1], [0, 1, 0, 1], [2, 1, 1, 3], 0.55),
    (metrics.MeanIoU(1), [0, 0], [0, 0], None, 0.9999999),  # 2 / (2 + ε) / (1 + ε)
    (metrics.MeanIoU(3, ignore_class=255), [0, 255, 1, 1], [0, 1, 0, 1], None, 0.5),
    (metrics.MeanIoU(3, ignore_class=-1), [0, -1, 1, 1], [0, 1, 0, 1], None, 0.5),
    (metrics.MeanIoU(3, ignore_class=2), [0, 2, 1, 1], [0, 1, 0, 1], None, 0.5),
    (metrics.IoU(3, [1, 1, 0]), [0, 1, 1], [0, 1, 2], None, 0.6666666),  # ids repeat
    (metrics.MeanIoU(3), [[0, 1], [1, 2]], [0, 1, 1, 2], None, 0.99999994),  # flattened
    (
        metrics.MeanIoU(3, dtype="float32"),
        [[0, 1], [1, 2]],
        [[0, 1], [1, 1]],
        [[1, 2], [3, 4]],
        0.5185185,
    ),
    (metrics.MeanIoU(3, dtype="float32"), [[0, 1], [1, 2]], [[0, 1], [1, 1]], 2.5, 0.5555556),
    (metrics.BinaryIoU([0, 1], 0.3), [0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7], None, 0.33333334),
    (
        metrics.BinaryIoU([0, 1], 0.3, dtype="float32"),
        [0, 1, 0, 1],
        [0.1, 0.2, 0.4, 0.7],
        [0.2, 0.3, 0.4, 0.1],
        0.17361109,
    ),
    (metrics.BinaryIoU([1]), [0, 1], [0.5, 0.5], None, 0.49999994),  # at the threshold: 1
    (
        metrics.OneHotIoU(3, [0, 2], dtype="float32"),
        np.eye(3)[[2, 0, 1, 0]],
        [[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]],
        [0.1, 0.2, 0.3, 0.4],
        0.07142855,
    ),
    (
        metrics.OneHotMeanIoU(3, dtype="float32"),
        np.eye(3)[[2, 0, 1, 0]],
        [[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]],
        [0.1, 0.2, 0.3, 0.4],
        0.047619034,
    ),
    (
        metrics.OneHotIoU(3, [0, 2], sparse_y_pred=True),
        np.eye(3)[[2, 0, 1, 0]],
        [2, 0, 1, 0],
        None,
        0.99999994,
    ),
]


@pytest.mark.parametrize("metric, y_true, y_pred, weight, keras_result", IOU_BY_HAND)
def test_iou_cases_by_hand_match_keras(metric, y_true, y_pred, weight, keras_result):
    metric.update_state(np.array(y_true), np.array(y_pred), weight)
    assert metric.result() == pytest.approx(keras_result, rel=1e-6)


def test_iou_of_a_class_absent_from_both_counts_in_no_mean():
    """Keras 3: class 2 never seen, (1/3 + 1/3) / 2 = 0.33333334 (not a third of it)."""
    metric = metrics.MeanIoU(3)
    metric.update_state(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]))
    assert metric.result() == pytest.approx(0.33333334, rel=1e-7)
    assert metrics.IoU(3, [2]).result() == 0.0  # no data: Keras 0.0


def test_iou_state_adds_over_batches_and_resets():
    metric = metrics.IoU(3, [0, 1])
    metric.update_state(np.array([0, 1]), np.array([0, 0]))
    metric.update_state(np.array([2, 1]), np.array([2, 1]))
    assert metric.total_cm.value.tolist() == [[1, 0, 0], [1, 1, 0], [0, 0, 1]]
    assert metric.result() == pytest.approx((1 / 2 + 1 / 2) / 2, rel=1e-6)
    metric.reset_state()
    assert not metric.total_cm.value.any() and metric.result() == 0.0


CORRELATION_BY_HAND = [
    # Keras 3's docstring example: 0.9966996 (Pearson), 0.9816316 (concordance)
    (
        "PearsonCorrelation",
        {},
        [[0, 1, 0.5], [1, 1, 0.2]],
        [[0.1, 0.9, 0.5], [1, 0.9, 0.2]],
        None,
        0.9966996,
    ),
    (
        "ConcordanceCorrelation",
        {},
        [[0, 1, 0.5], [1, 1, 0.2]],
        [[0.1, 0.9, 0.5], [1, 0.9, 0.2]],
        None,
        0.9816316,
    ),
    (
        "PearsonCorrelation",
        {},
        [[0, 1, 0.5], [1, 1, 0.2]],
        [[0.1, 0.9, 0.5], [1, 0.9, 0.2]],
        [1, 3],
        0.9950495,
    ),
    (
        "ConcordanceCorrelation",
        {},
        [[0, 1, 0.5], [1, 1, 0.2]],
        [[0.1, 0.9, 0.5], [1, 0.9, 0.2]],
        [1, 3],
        0.9846427,
    ),
    (
        "PearsonCorrelation",
        {},
        [[0, 1, 0.5], [1, 1, 0.2]],
        [[0.1, 0.9, 0.5], [1, 0.9, 0.2]],
        2.0,
        0.9966996,
    ),
    # one vector: one value
    ("PearsonCorrelation", {}, [1, 2, 3, 5], [1, 3, 2, 4], None, 0.8315217),
    ("ConcordanceCorrelation", {}, [1, 2, 3, 5], [1, 3, 2, 4], None, 0.7857143),
    # a constant row: Pearson 0/0 is NaN in Keras, concordance 0 (its ε)
    ("PearsonCorrelation", {}, [[1, 1, 1]], [[1, 2, 3]], None, np.nan),
    ("ConcordanceCorrelation", {}, [[1, 1, 1]], [[1, 2, 3]], None, 0.0),
    ("ConcordanceCorrelation", {}, [[1, 1, 1]], [[2, 2, 2]], None, 0.0),
    # (n, 1) labels against (n,) predictions: rows of one value, as Keras pairs them
    ("PearsonCorrelation", {}, [[1], [2], [3]], [1, 3, 2], None, np.nan),
    ("ConcordanceCorrelation", {}, [[1], [2], [3]], [1, 3, 2], None, 0.0),
    # a NaN row weighed 0 stays NaN (0 · NaN), as in Keras
    ("PearsonCorrelation", {}, [[1, 1, 1], [1, 2, 3]], [[1, 2, 3], [1, 2, 4]], [0, 1], np.nan),
    (
        "ConcordanceCorrelation",
        {},
        [[1, 1, 1], [1, 2, 3]],
        [[1, 2, 3], [1, 2, 4]],
        [0, 1],
        0.8571429,
    ),
]


@pytest.mark.parametrize("name, kwargs, y_true, y_pred, weight, keras_result", CORRELATION_BY_HAND)
def test_correlation_cases_by_hand_match_keras(name, kwargs, y_true, y_pred, weight, keras_result):
    metric = getattr(metrics, name)(**kwargs)
    metric.update_state(np.array(y_true, float), np.array(y_pred, float), weight)
    assert metric.result() == pytest.approx(keras_result, rel=1e-6, abs=1e-7, nan_ok=True)


@pytest.mark.parametrize(
    "name, keras_result", [("PearsonCorrelation", 0.4977997), ("ConcordanceCorrelation", 0.4877544)]
)
def test_correlation_is_the_mean_of_per_sample_values_over_batches(name, keras_result):
    """Keras averages each sample's coefficient over all the batches' samples (a
    ``MeanMetricWrapper``), it does not pool the data: (2 · 0.9967 − 0.5) / 3 here."""
    metric = getattr(metrics, name)()
    metric.update_state(
        np.array([[0, 1, 0.5], [1, 1, 0.2]]), np.array([[0.1, 0.9, 0.5], [1, 0.9, 0.2]])
    )
    metric.update_state(np.array([[1.0, 2.0, 3.0]]), np.array([[3.0, 1.0, 2.0]]))
    assert metric.result() == pytest.approx(keras_result, rel=1e-6)
    metric.reset_state()
    assert metric.result() == 0.0


CONFIGS = [
    metrics.IoU(3, (0, 2), name="iou", ignore_class=1, dtype="float32"),
    metrics.BinaryIoU([1], 0.2),
    metrics.MeanIoU(4, sparse_y_pred=False, axis=1),
    metrics.OneHotIoU(3, [1], ignore_class=0),
    metrics.OneHotMeanIoU(3, sparse_y_pred=True),
    metrics.PearsonCorrelation(axis=(1, 2)),
    metrics.ConcordanceCorrelation(name="ccc", axis=0),
]


@pytest.mark.parametrize("metric", CONFIGS, ids=lambda m: type(m).__name__)
def test_config_round_trips_and_holds_keras_keys(metric):
    keras_keys = {
        "IoU": {
            "num_classes",
            "target_class_ids",
            "ignore_class",
            "sparse_y_true",
            "sparse_y_pred",
            "axis",
        },
        "BinaryIoU": {"target_class_ids", "threshold"},
        "MeanIoU": {"num_classes", "ignore_class", "sparse_y_true", "sparse_y_pred", "axis"},
        "OneHotIoU": {"num_classes", "target_class_ids", "ignore_class", "sparse_y_pred", "axis"},
        "OneHotMeanIoU": {"num_classes", "ignore_class", "sparse_y_pred", "axis"},
        "PearsonCorrelation": {"axis"},
        "ConcordanceCorrelation": {"axis"},
    }[type(metric).__name__] | {"name", "dtype"}
    config = metric.get_config()
    assert set(config) == keras_keys
    assert type(metric).from_config(config).get_config() == config
    restored = metrics.get(metrics.serialize(metric))
    assert type(restored) is type(metric) and restored.get_config() == config


def test_iou_default_dtype_is_keras_integer_one():
    assert metrics.MeanIoU(2).get_config()["dtype"] == "int32"  # Keras: 'int32'
    assert metrics.IoU(2, (1,)).target_class_ids == [1]


@pytest.mark.parametrize(
    "name, cls",
    [
        ("IoU", "IoU"),
        ("BinaryIoU", "BinaryIoU"),
        ("binary_io_u", "BinaryIoU"),
        ("PearsonCorrelation", "PearsonCorrelation"),
        ("pearson_correlation", "PearsonCorrelation"),
        ("ConcordanceCorrelation", "ConcordanceCorrelation"),
        ("concordance_correlation", "ConcordanceCorrelation"),
        ("mean_io_u", "MeanIoU"),
        ("OneHotMeanIoU", "OneHotMeanIoU"),
        ("one_hot_io_u", "OneHotIoU"),
    ],
)
def test_names_keras_get_takes(name, cls):
    """Keras' ``metrics.get`` takes the class names and their snake case; like Keras, the
    ones that need ``num_classes`` fail without it, naming it."""
    if cls in ("BinaryIoU", "PearsonCorrelation", "ConcordanceCorrelation"):
        metric = metrics.get(name)
        assert (type(metric).__name__, metric.name) == (cls, name)
    else:
        with pytest.raises(TypeError, match=f"{cls}.*num_classes"):
            metrics.get(name)


def test_default_names_are_keras():
    assert [
        m.name
        for m in (
            metrics.IoU(2, [0]),
            metrics.BinaryIoU(),
            metrics.MeanIoU(2),
            metrics.OneHotIoU(2, [0]),
            metrics.OneHotMeanIoU(2),
            metrics.PearsonCorrelation(),
            metrics.ConcordanceCorrelation(),
        )
    ] == [
        "io_u",
        "binary_io_u",
        "mean_io_u",
        "one_hot_io_u",
        "one_hot_mean_io_u",
        "pearson_correlation",
        "concordance_correlation",
    ]


@pytest.mark.parametrize(
    "make, message",
    [
        # Keras: "Target class id 3 is out of range, which is [0, 3)."
        (lambda: metrics.IoU(3, [3]), r"IoU: target class id 3 is out of range, which is \[0, 3\)"),
        (lambda: metrics.IoU(3, [-1]), r"target class id -1 is out of range"),
        (lambda: metrics.IoU(3, []), "target_class_ids is empty"),  # Keras: max() of empty
        (
            lambda: metrics.IoU(3, 1),  # pyright: ignore[reportArgumentType]
            "target_class_ids must be a list",  # Keras: not iterable
        ),
        (lambda: metrics.BinaryIoU([2]), r"BinaryIoU: target class id 2 .* \[0, 2\)"),
        (lambda: metrics.MeanIoU(0), "MeanIoU: num_classes must be at least 1, got 0"),
        (
            lambda: metrics.MeanIoU(2.0),  # pyright: ignore[reportArgumentType]
            "MeanIoU: num_classes must be an int",
        ),
        (lambda: metrics.MeanIoU(2, dtype="complex64"), "integer or float dtype"),
    ],
)
def test_iou_refuses_bad_arguments(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


@pytest.mark.parametrize(
    "metric, y_true, y_pred, weight, message",
    [
        # Keras drops a label or prediction out of [0, num_classes) without a word
        (
            metrics.MeanIoU(2),
            [0, 0, 1, 2],
            [0, 1, 0, 1],
            None,
            r"mean_io_u: label 2 is not a class id in \[0, 2\)",
        ),
        (metrics.MeanIoU(2), [0, -1, 1, 1], [0, 1, 0, 1], None, r"label -1 is not a class id"),
        (metrics.IoU(2, [0]), [0, 1], [0, 5], None, r"io_u: prediction 5 is not a class id"),
        (metrics.BinaryIoU(), [0, 2, 0, 1], [0.1, 0.2, 0.4, 0.7], None, "binary_io_u: label 2"),
        (
            metrics.OneHotMeanIoU(3),
            np.eye(4)[[0, 3]],
            np.eye(4)[[0, 1]],
            None,
            "label 3 is not a class id in",
        ),
        # Keras truncates (0.7 as class 0, 0.9 as class 0)
        (
            metrics.MeanIoU(2),
            [0, 0.7, 1, 1],
            [0, 1, 0, 1],
            None,
            "labels must be class ids .* got 0.7",
        ),
        (
            metrics.MeanIoU(2),
            [0, 0, 1, 1],
            [0.2, 0.9, 0.4, 0.6],
            None,
            "predictions must be class ids .* sparse_y_pred=False",
        ),
        (metrics.BinaryIoU(), [0, 0.7], [0.1, 0.2], None, "binary_io_u: labels must be class ids"),
        # Keras casts the weights to its integer dtype: 0.3 weighs 0 (its result 0.0)
        (
            metrics.IoU(2, [0]),
            [0, 0, 1, 1],
            [0, 1, 0, 1],
            [0.3, 0.3, 0.3, 0.1],
            "sample_weight 0.3 is not a whole number .* dtype='float32'",
        ),
        # shapes Keras cannot broadcast either
        (metrics.MeanIoU(3), [0, 1, 1], [0, 1], None, "3 labels but 2 predictions"),
        (
            metrics.MeanIoU(3, dtype="float32"),
            [[0, 1], [1, 2]],
            [[0, 1], [1, 1]],
            [1, 2],
            r"sample_weight of shape \(2,\) for 4 labels",
        ),
        (
            metrics.MeanIoU(3, sparse_y_true=False),
            1,
            [1],
            None,
            "sparse_y_true=False takes labels of scores along axis -1",
        ),
    ],
)
def test_iou_refuses_bad_input(metric, y_true, y_pred, weight, message):
    with pytest.raises(ValueError, match=message):
        metric.update_state(np.array(y_true), np.array(y_pred), weight)


def test_iou_ignore_class_may_lie_outside_the_classes_and_whole_float_weights_pass():
    metric = metrics.MeanIoU(2, ignore_class=255)
    metric.update_state(np.array([0.0, 255.0, 1.0]), np.array([0, 7, 1]), np.array([1.0, 0.5, 2.0]))
    assert metric.result() == pytest.approx(1.0, rel=1e-6)  # Keras 3: 0.99999994


@pytest.mark.parametrize("name", ["PearsonCorrelation", "ConcordanceCorrelation"])
def test_correlation_refuses_bad_input(name):
    metric = getattr(metrics, name)()
    snake = metric.name
    with pytest.raises(
        ValueError,
        match=rf"{snake}: labels of shape \(2, 3\) do not match predictions of shape \(1, 2\)",
    ):
        metric.update_state(np.ones((2, 3)), np.ones((1, 2)))
    with pytest.raises(ValueError, match=rf"{snake}: sample_weight of shape \(2, 3\)"):
        metric.update_state(np.ones((2, 3)), np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match=rf"{snake}: axis=2 does not fit"):
        getattr(metrics, name)(axis=2).update_state(np.ones((2, 3)), np.ones((2, 3)))


def test_fit_logs_the_metrics_under_keras_names():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((24, 4)).astype(np.float32)
    labels = rng.integers(0, 3, 24)
    classifier = dg.Sequential([layers.Dense(3, activation="softmax")])
    classifier.compile(
        optimizer="sgd",
        loss="sparse_categorical_crossentropy",
        metrics=[metrics.MeanIoU(3, sparse_y_pred=False)],
    )
    regressor = dg.Sequential([layers.Dense(2)])
    regressor.compile(optimizer="sgd", loss="mse", metrics=["pearson_correlation"])
    targets = x[:, :2] + rng.standard_normal((24, 2)).astype(np.float32)
    for model, y, name, expected in (
        (classifier, labels, "mean_io_u", metrics.MeanIoU(3, sparse_y_pred=False)),
        (regressor, targets, "pearson_correlation", metrics.PearsonCorrelation()),
    ):
        history = model.fit(x, y, epochs=1, batch_size=24, verbose=0)
        assert name in history.history
        logs = model.evaluate(x, y, batch_size=24, verbose=0, return_dict=True)
        expected.update_state(y, model.predict(x, verbose=0))
        assert logs[name] == pytest.approx(expected.result())


# Keras itself, where installed, on random data over several batches


def _random_batches(kind, rng):
    def one():
        if kind == "ids":
            return rng.integers(0, 5, (7, 3)), rng.integers(0, 5, (7, 3)), rng.random((7, 3))
        if kind == "binary":
            return rng.integers(0, 2, (9, 1)), rng.random((9, 1)), rng.random(9)
        if kind == "one_hot":
            return np.eye(5)[rng.integers(0, 5, (4, 3))], rng.random((4, 3, 5)), rng.random((4, 3))
        y = rng.standard_normal((6, 8))
        return y, 0.5 * y + rng.standard_normal((6, 8)), rng.random(6)

    return [one() for _ in range(4)]


KERAS_RUNS = [
    ("MeanIoU", {"num_classes": 5}, "ids"),  # Keras' integer dtype: unweighted only
    ("BinaryIoU", {}, "binary"),
    ("IoU", {"num_classes": 5, "target_class_ids": [0, 2, 4], "dtype": "float32"}, "ids"),
    (
        "IoU",
        {"num_classes": 5, "target_class_ids": [1], "ignore_class": 3, "dtype": "float32"},
        "ids",
    ),
    ("MeanIoU", {"num_classes": 5, "dtype": "float32"}, "ids"),
    ("MeanIoU", {"num_classes": 7, "ignore_class": 0, "dtype": "float32"}, "ids"),
    ("BinaryIoU", {"dtype": "float32"}, "binary"),
    ("BinaryIoU", {"target_class_ids": [0], "threshold": 0.7, "dtype": "float32"}, "binary"),
    ("OneHotIoU", {"num_classes": 5, "target_class_ids": [3, 1], "dtype": "float32"}, "one_hot"),
    ("OneHotMeanIoU", {"num_classes": 5, "dtype": "float32"}, "one_hot"),
    (
        "MeanIoU",
        {"num_classes": 5, "sparse_y_true": False, "sparse_y_pred": False, "dtype": "float32"},
        "one_hot",
    ),
    ("PearsonCorrelation", {}, "regression"),
    ("PearsonCorrelation", {"axis": 0}, "regression"),
    ("ConcordanceCorrelation", {}, "regression"),
    ("ConcordanceCorrelation", {"axis": (0, 1)}, "regression"),
]


KERAS_CASES = [
    (name, kwargs, kind, weighted)
    for name, kwargs, kind in KERAS_RUNS
    for weighted in (False, True)
    # weighted: a weight per sample (so not with one value per column or per batch), and
    # fractional, so a float dtype for the IoUs
    if not (weighted and (kwargs.get("axis") in (0, (0, 1)) or kwargs == {"num_classes": 5}))
    if not (weighted and name == "BinaryIoU" and not kwargs)
]


@pytest.mark.parametrize(
    "index, name, kwargs, kind, weighted",
    [(index, *case) for index, case in enumerate(KERAS_CASES)],
    ids=[f"{n}-{k}-{'weighted' if w else 'unweighted'}" for n, k, _, w in KERAS_CASES],
)
def test_matches_keras_on_random_batches(index, name, kwargs, kind, weighted):
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(100 + index)
    ours, theirs = getattr(metrics, name)(**kwargs), getattr(keras.metrics, name)(**kwargs)
    for y_true, y_pred, weight in _random_batches(kind, rng):
        weight = weight if weighted else None
        ours.update_state(y_true, y_pred, weight)
        theirs.update_state(y_true, y_pred, sample_weight=weight)
        assert ours.result() == pytest.approx(float(theirs.result()), rel=1e-5, abs=1e-6)

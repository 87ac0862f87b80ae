"""Metrics against the numbers Keras 3 (on JAX) gives for the same three batches, kept as
fixed numbers so that the comparison runs without Keras: each row is a metric, its
arguments, the data (see ``batches``) and Keras' result after each batch."""

import numpy as np
import pytest

from deepgrad import metrics


def batches(kind):
    """Three batches of (labels, predictions, sample_weight) of one kind: "binary"
    (probabilities of shape (8, 1)), "weighted" (the same with weights), "logits",
    "ties" (scores on a coarse grid), "one_class" (the second batch all positive),
    "multi" (one-hot labels of 4 classes, softmax predictions) or "multi_weighted"."""
    rng = np.random.default_rng(11)
    out = []
    for index in range(3):
        y = rng.integers(0, 2, (8, 1)).astype(np.float32)
        p = rng.random((8, 1)).astype(np.float32)
        w = rng.random(8).astype(np.float32)
        z = rng.standard_normal((8, 4)).astype(np.float32)
        one_hot = np.eye(4, dtype=np.float32)[rng.integers(0, 4, 8)]
        softmax = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        out.append(
            {
                "binary": (y, p, None),
                "weighted": (y, p, w),
                "logits": (y, 3 * z[:, :1], w),
                "ties": (y, np.round(p * 4) / 4, None),
                "one_class": (np.ones_like(y) if index == 1 else y, p, None),
                "multi": (one_hot, softmax, None),
                "multi_weighted": (one_hot, softmax, w),
            }[kind]
        )
    return out


CASES = [
    ("AUC", {}, "binary", [0.5625, 0.4833334, 0.4928572]),
    ("AUC", {}, "weighted", [0.7679989, 0.6819938, 0.6399714]),
    ("AUC", {}, "ties", [0.4375, 0.425, 0.4428572]),
    ("AUC", {}, "one_class", [0.5625, 0.46875, 0.5195312]),
    ("AUC", {"num_thresholds": 5}, "weighted", [0.7406802, 0.6644422, 0.6040635]),
    ("AUC", {"num_thresholds": 5}, "ties", [0.5, 0.4833333, 0.4642857]),
    ("AUC", {"curve": "PR"}, "weighted", [0.7787458, 0.6497394, 0.5938117]),
    ("AUC", {"curve": "PR", "num_thresholds": 5}, "ties", [0.5, 0.3797377, 0.3939979]),
    (
        "AUC",
        {"curve": "PR", "summation_method": "minoring"},
        "weighted",
        [0.4252865, 0.4018506, 0.4135225],
    ),
    ("AUC", {"summation_method": "majoring"}, "weighted", [0.7679989, 0.6819938, 0.6399714]),
    ("AUC", {"curve": "PRGAIN"}, "weighted", [0.4985471, 0.2523971, 0.203357]),
    ("AUC", {"thresholds": [0.3, 0.5, 0.6]}, "weighted", [0.7841077, 0.6917385, 0.6405737]),
    ("AUC", {"thresholds": [0.25, 0.5, 0.75]}, "ties", [0.5, 0.4833333, 0.4642857]),
    ("AUC", {"from_logits": True}, "logits", [0.7932012, 0.629692, 0.4791856]),
    ("AUC", {"multi_label": True}, "multi_weighted", [0.5146267, 0.5298574, 0.4346687]),
    (
        "AUC",
        {"multi_label": True, "label_weights": [1.0, 2.0, 0.0, 1.0]},
        "multi",
        [0.4888393, 0.6245491, 0.4784609],
    ),
    (
        "AUC",
        {"label_weights": [1.0, 2.0, 0.0, 1.0]},
        "multi_weighted",
        [0.416429, 0.5265353, 0.4125035],
    ),
    ("AUC", {}, "multi", [0.4192708, 0.5013021, 0.4649884]),
    ("Precision", {"thresholds": 0.3}, "weighted", [0.7080652, 0.6265958, 0.5632443]),
    ("Recall", {"thresholds": 0.3}, "weighted", [0.9354519, 0.8668103, 0.7844086]),
    (
        "Precision",
        {"thresholds": [0.25, 0.5, 0.8]},
        "weighted",
        [
            [0.7080652, 0.5892716, 0.7088741],
            [0.6265958, 0.4144037, 0.6892368],
            [0.5632443, 0.3624578, 0.6892368],
        ],
    ),
    (
        "Recall",
        {"thresholds": [0.25, 0.5, 0.8]},
        "ties",
        [[0.5, 0.25, 0.25], [0.5, 0.1666667, 0.1666667], [0.5, 0.1, 0.1]],
    ),
    ("Precision", {"thresholds": [0.5]}, "binary", [0.5, 0.2857143, 0.3]),
    ("TruePositives", {"thresholds": [0.5]}, "weighted", [1.1827428, 1.1827428, 1.5348089]),
    ("Precision", {"top_k": 2}, "multi_weighted", [0.3214556, 0.3798631, 0.3127506]),
    ("Recall", {"top_k": 2}, "multi_weighted", [0.6429112, 0.7597262, 0.6255012]),
    ("Precision", {"top_k": 1, "thresholds": 0.3}, "multi", [0.125, 0.1875, 0.1666667]),
    (
        "Recall",
        {"top_k": 3, "thresholds": [0.1, 0.3]},
        "multi",
        [[0.625, 0.125], [0.6875, 0.3125], [0.7083333, 0.2916667]],
    ),
    ("Precision", {"class_id": 2}, "multi_weighted", [0.0, 0.0, 0.0]),
    (
        "Recall",
        {"class_id": 1, "thresholds": [0.1, 0.4]},
        "multi",
        [[1.0, 0.0], [1.0, 0.0], [0.6, 0.0]],
    ),
    ("Precision", {"class_id": 0, "top_k": 2}, "multi", [0.6666667, 0.5, 0.3636364]),
    (
        "R2Score",
        {"class_aggregation": "variance_weighted_average"},
        "multi_weighted",
        [-0.596212, -0.3151626, -0.229405],
    ),
    (
        "R2Score",
        {"class_aggregation": None},
        "multi",
        [
            [-0.4202285, -0.2624799, -0.7442311, -0.3230947],
            [-0.3418596, -0.1207573, -0.7179382, -0.1370647],
            [-0.1847601, -0.1800926, -0.3136574, -0.128878],
        ],
    ),
    ("R2Score", {"num_regressors": 3}, "multi_weighted", [-1.0869889, -0.358279, -0.2658592]),
    ("R2Score", {"num_regressors": 2}, "weighted", [-0.1788836, -0.1016135, -0.1015898]),
    ("MeanSquaredLogarithmicError", {}, "multi_weighted", [0.1165766, 0.1110556, 0.1143928]),
    ("SquaredHinge", {}, "logits", [3.4174778, 7.0643997, 10.770421]),
    ("CategoricalHinge", {}, "multi_weighted", [1.2516592, 1.239604, 1.2324675]),
    (
        "F1Score",
        {},
        "multi_weighted",
        [
            [0.0, 0.0, 0.3160425, 0.0],
            [0.0069024, 0.0, 0.2341288, 0.0691268],
            [0.0060357, 0.0, 0.1896868, 0.0900963],
        ],
    ),
    ("F1Score", {"average": "micro", "threshold": 0.3}, "multi", [0.117647, 0.2702702, 0.2413793]),
    ("F1Score", {"average": "macro"}, "multi", [0.0714286, 0.1625, 0.1515567]),
    (
        "F1Score",
        {"average": "weighted", "threshold": 0.2},
        "multi_weighted",
        [0.3798739, 0.4332632, 0.3783923],
    ),
    (
        "FBetaScore",
        {"beta": 2.0, "threshold": 0.25},
        "multi_weighted",
        [
            [0.3082927, 0.0, 0.5360054, 0.0],
            [0.4298667, 0.5405009, 0.2943818, 0.2326228],
            [0.392372, 0.3818157, 0.2236598, 0.1989062],
        ],
    ),
    ("FBetaScore", {"average": "macro", "beta": 0.5}, "multi", [0.05, 0.1760835, 0.1515086]),
    # the searches over thresholds (num_thresholds=1: one threshold, 0.5; 2: just 0 and 1)
    ("PrecisionAtRecall", {"recall": 0.5}, "binary", [0.6666667, 0.4444444, 0.5]),
    ("PrecisionAtRecall", {"recall": 0.8}, "weighted", [0.7080652, 0.6265958, 0.5722856]),
    (
        "PrecisionAtRecall",
        {"recall": 0.7, "num_thresholds": 5},
        "ties",
        [0.4285714, 0.0, 0.3888889],
    ),
    (
        "PrecisionAtRecall",
        {"recall": 0.6, "class_id": 2},
        "multi_weighted",
        [0.2948421, 0.3252424, 0.3382564],
    ),
    ("RecallAtPrecision", {"precision": 0.6}, "binary", [0.75, 0.1666667, 0.1]),
    ("RecallAtPrecision", {"precision": 0.7}, "weighted", [0.9354519, 0.3655452, 0.345806]),
    ("RecallAtPrecision", {"precision": 0.5, "num_thresholds": 5}, "ties", [0.5, 0.1666667, 0.1]),
    ("RecallAtPrecision", {"precision": 0.3, "class_id": 1}, "multi", [0.0, 1.0, 0.6]),
    ("RecallAtPrecision", {"precision": 1.0}, "one_class", [0.25, 0.0833333, 0.0625]),
    ("SensitivityAtSpecificity", {"specificity": 0.5}, "binary", [0.75, 0.6666667, 0.7]),
    (
        "SensitivityAtSpecificity",
        {"specificity": 0.8},
        "weighted",
        [0.5533436, 0.3655452, 0.345806],
    ),
    (
        "SensitivityAtSpecificity",
        {"specificity": 0.75, "num_thresholds": 5},
        "ties",
        [0.25, 0.1666667, 0.1],
    ),
    (
        "SensitivityAtSpecificity",
        {"specificity": 0.9, "class_id": 0},
        "multi_weighted",
        [0.2628406, 0.0, 0.0],
    ),
    ("SpecificityAtSensitivity", {"sensitivity": 0.5}, "binary", [0.75, 0.5, 0.5]),
    (
        "SpecificityAtSensitivity",
        {"sensitivity": 0.9},
        "weighted",
        [0.6376758, 0.2119579, 0.2984706],
    ),
    (
        "SpecificityAtSensitivity",
        {"sensitivity": 0.5, "num_thresholds": 5},
        "ties",
        [0.5, 0.5, 0.5],
    ),
    (
        "SpecificityAtSensitivity",
        {"sensitivity": 0.7, "class_id": 3},
        "multi",
        [0.0, 0.0, 0.3529412],
    ),
    ("SpecificityAtSensitivity", {"sensitivity": 0.6}, "one_class", [0.5, 0.5, 0.5]),
    ("PrecisionAtRecall", {"recall": 0.5, "num_thresholds": 1}, "weighted", [0.5892716, 0.0, 0.0]),
    (
        "SensitivityAtSpecificity",
        {"specificity": 0.5, "num_thresholds": 2},
        "ties",
        [0.0, 0.0, 0.0],
    ),
]


@pytest.mark.parametrize(
    "name, kwargs, data, expected",
    CASES,
    ids=[f"{name}-{kwargs}-{data}" for name, kwargs, data, _ in CASES],
)
def test_matches_keras(name, kwargs, data, expected):
    metric = getattr(metrics, name)(**kwargs)
    for (y_true, y_pred, weight), keras_result in zip(batches(data), expected, strict=True):
        metric.update_state(y_true, y_pred, weight)
        np.testing.assert_allclose(metric.result(), keras_result, rtol=1e-5, atol=1e-6)
    metric.reset_state()
    empty = np.nan if name == "R2Score" else 0.0  # Keras: R² of no data is nan
    np.testing.assert_allclose(metric.result(), np.full_like(expected[-1], empty, dtype=float))


def test_auc_takes_keras_positional_order_and_keeps_its_settings():
    metric = metrics.AUC(5, "PR", "minoring", "pr_auc")
    assert (metric.num_thresholds, metric.curve, metric.summation_method, metric.name) == (
        5,
        "PR",
        "minoring",
        "pr_auc",
    )
    restored = metrics.get(metrics.serialize(metric))
    assert restored.get_config() == metric.get_config()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"curve": "DET"}, "curve"),
        ({"summation_method": "simpson"}, "summation_method"),
        ({"num_thresholds": 1}, "num_thresholds"),
        ({"num_labels": 3}, "num_labels"),
    ],
)
def test_auc_refuses_what_keras_refuses(kwargs, message):
    with pytest.raises(ValueError, match=message):
        metrics.AUC(**kwargs)


def test_precision_keeps_deepgrad_s_older_threshold_name():
    """``threshold=`` (one threshold), the name deepgrad's Precision and Recall took
    before Keras' ``thresholds``, still reads as before: models saved with it load."""
    old = metrics.get({"class_name": "Recall", "config": {"name": "r", "threshold": 0.0}})
    old.update_state(np.array([1.0, 1.0]), np.array([-0.5, 0.5]))
    assert (old.name, old.result()) == ("r", 0.5)
    with pytest.raises(ValueError, match="thresholds or threshold"):
        metrics.Precision(0.3, threshold=0.5)


def test_precision_class_id_wants_a_column_per_class():
    with pytest.raises(ValueError, match=r"class_id=1 .* shape \(3,\)"):
        metrics.Precision(class_id=1).update_state(np.ones(3), np.ones(3))


def test_accuracy_counts_predictions_equal_to_labels_as_keras():
    """Keras 3's ``Accuracy()`` compares the values themselves (0.75, 0.8, 0.7916667
    here), where deepgrad's picked binary, sparse or categorical accuracy by the shapes."""
    metric = metrics.Accuracy()
    metric.update_state(np.array([[1], [2], [3], [0]]), np.array([1, 2, 0, 0]))
    assert metric.result() == pytest.approx(0.75)
    metric.update_state(np.array([1.0, 0.0, 1.0]), np.array([0.9, 0.0, 1.0]), [1.0, 2.0, 3.0])
    assert metric.result() == pytest.approx(0.8)
    metric.update_state(np.array([[1, 2], [3, 4]]), np.array([[1, 2], [0, 4]]))
    assert metric.result() == pytest.approx(0.7916667)
    with pytest.raises(ValueError, match=r"accuracy: labels of shape \(2,\)"):
        metric.update_state(np.ones(2), np.ones(3))


@pytest.mark.parametrize("name", ["Accuracy", "ACC"])
def test_accuracy_string_in_any_case_is_keras_compile_s_accuracy(name):
    from deepgrad.losses import BinaryCrossentropy

    metric = metrics.get(name, loss=BinaryCrossentropy())
    assert (type(metric).__name__, metric.name) == ("BinaryAccuracy", name)


def test_r2_score_adjusted_with_too_few_points_warns_and_stays_unadjusted():
    """Three values and three regressors: Keras warns and gives the plain R², 0.7321429."""
    metric = metrics.R2Score(num_regressors=3)
    metric.update_state(np.array([[1.0], [2.0], [4.0]]), np.array([[1.5], [2.0], [3.0]]))
    with pytest.warns(UserWarning, match="more independent predictors"):
        assert metric.result() == pytest.approx(0.7321429)


@pytest.mark.parametrize("kwargs", [{"class_aggregation": "raw_values"}, {"num_regressors": -1}])
def test_r2_score_refuses_what_keras_refuses(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        metrics.R2Score(**kwargs)


@pytest.mark.parametrize(
    "name, cls",
    [
        ("msle", "MeanSquaredLogarithmicError"),
        ("MSLE", "MeanSquaredLogarithmicError"),
        ("mean_squared_logarithmic_error", "MeanSquaredLogarithmicError"),
        ("squared_hinge", "SquaredHinge"),
        ("categorical_hinge", "CategoricalHinge"),
    ],
)
def test_keras_metric_strings_for_the_hinges_and_msle(name, cls):
    metric = metrics.get(name)
    assert (type(metric).__name__, metric.name) == (cls, name)
    assert metrics.get(metrics.serialize(metric)).get_config() == metric.get_config()


TOP_SCORES = np.array([[0.2, 0.3, 0.5], [0.5, 0.5, 0.0], [0.6, 0.3, 0.1]])


def test_sparse_top_k_takes_keras_class_and_from_sorted_ids():
    """Keras 3: 0.6666667 for both (the tie in the second row counts for the label)."""
    sorted_ids = metrics.SparseTopKCategoricalAccuracy(k=2, from_sorted_ids=True)
    sorted_ids.update_state(
        np.array([[2], [0], [1]]), np.array([[2, 1, 0], [1, 2, 0], [0, 1, 2]]), [1.0, 2.0, 3.0]
    )
    assert sorted_ids.result() == pytest.approx(2 / 3)
    scores = metrics.SparseTopKCategoricalAccuracy(1)
    scores.update_state(np.array([2, 0, 1]), TOP_SCORES)
    assert scores.result() == pytest.approx(2 / 3)
    assert metrics.get("sparse_top_k_categorical_accuracy").get_config() == {
        "name": "sparse_top_k_categorical_accuracy",
        "k": 5,
        "from_sorted_ids": False,
    }


def test_accuracy_metrics_take_keras_positional_dtype():
    """``TopKCategoricalAccuracy(1, "t", "float32")`` read the dtype as ``sparse`` (true,
    so integer labels were expected) and ``BinaryAccuracy("b", "float32", 0.7)`` was a
    TypeError; Keras 3 gives 0.6666667 for both."""
    top_k = metrics.TopKCategoricalAccuracy(1, "t", "float32")
    top_k.update_state(np.eye(3)[[2, 0, 1]], TOP_SCORES)
    assert (top_k.name, top_k.result()) == ("t", pytest.approx(2 / 3))
    binary = metrics.BinaryAccuracy("b", "float32", 0.7)
    binary.update_state(np.array([1.0, 1.0, 0.0]), np.array([0.8, 0.6, 0.1]))
    assert binary.result() == pytest.approx(2 / 3)


VALUES = np.arange(12.0).reshape(4, 3)
SAMPLE_WEIGHTS = np.array([1.0, 0.0, 2.0, 3.0])


@pytest.mark.parametrize(
    "weight, keras_mean, keras_sum",
    [
        (SAMPLE_WEIGHTS, 6.714286, 141.0),
        (SAMPLE_WEIGHTS.reshape(4, 1), 6.714286, 141.0),
        (SAMPLE_WEIGHTS[:, None] * np.array([1.0, 2.0, 3.0]), 7.047619, 296.0),
        (np.float64(2.0), 4.5, 174.0),
        (None, 4.833333, 87.0),
    ],
    ids=["per-sample", "column", "per-value", "batch", "none"],
)
def test_mean_and_sum_of_several_axes_match_keras(weight, keras_mean, keras_sum):
    """A weight per sample over values of several axes raised a broadcasting error in
    ``Mean`` (Keras averages each sample's values first); ``Sum`` was missing."""
    for metric, expected in ((metrics.Mean(), keras_mean), (metrics.Sum(), keras_sum)):
        metric.update_state(VALUES, sample_weight=weight)
        second = None if weight is None else weight[:2] if np.ndim(weight) else weight
        metric.update_state(VALUES[:2] + 1, sample_weight=second)
        assert metric.result() == pytest.approx(expected, rel=1e-6)


def test_mean_metric_wrapper_matches_keras():
    metric = metrics.MeanMetricWrapper(lambda y, p: np.abs(y - p), name="abs")
    metric.update_state(VALUES, VALUES[::-1], SAMPLE_WEIGHTS)
    assert (metric.name, metric.result()) == ("abs", 7.0)  # Keras 3: 7.0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"average": "samples"}, "average"),
        ({"beta": 0.0}, "beta"),
        ({"threshold": 1.5}, "threshold"),
    ],
)
def test_fbeta_score_refuses_what_keras_refuses(kwargs, message):
    with pytest.raises(ValueError, match=message):
        metrics.FBetaScore(**kwargs)


# Soft labels: Keras casts labels to bool, so 0.3 counts as a positive (0.5 split them).
# The numbers are Keras 3.15's (JAX) for these arrays, e.g.
# m = keras.metrics.Precision(); m.update_state(SOFT_LABELS, SCORES); float(m.result())
SCORES = np.array([0.2, 0.6, 0.4, 0.9, 0.8, 0.1, 0.7])
SOFT_LABELS = np.array([0.0, 0.3, 0.7, 1.0, 0.0, 1.0, 0.0])
MASKED_LABELS = np.array([0.0, 0.3, 0.7, 1.0, -1.0, 2.0, 0.0])  # weighed 0 where not in [0, 1]
MASK = np.array([1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 1.0])


@pytest.mark.parametrize(
    "name, kwargs, keras_soft, keras_masked",
    [
        ("Precision", {}, 0.5, 0.6666667),
        ("Recall", {}, 0.5, 0.6666667),
        ("Recall", {"thresholds": [0.15, 0.5]}, [0.75, 0.5], [1.0, 0.6666667]),
        ("TruePositives", {}, 2.0, 2.0),
        ("FalseNegatives", {}, 2.0, 1.0),
        ("TrueNegatives", {}, 1.0, 1.0),
        ("AUC", {}, 0.4166667, 0.6666667),
        ("AUC", {"thresholds": [0.3, 0.55]}, 0.4583333, 0.6666667),
        ("AUC", {"curve": "PR"}, 0.6289742, 0.7689509),
    ],
)
def test_confusion_metrics_count_nonzero_labels_as_positive_as_keras(
    name, kwargs, keras_soft, keras_masked
):
    """A soft label of 0.3 counted as a negative (the rule was label > 0.5): Precision
    gave 0.25 where Keras gives 0.5, TruePositives 1 where Keras gives 2."""
    soft = getattr(metrics, name)(**kwargs)
    soft.update_state(SOFT_LABELS, SCORES)
    np.testing.assert_allclose(soft.result(), keras_soft, rtol=1e-6)
    masked = getattr(metrics, name)(**kwargs)
    masked.update_state(MASKED_LABELS, SCORES, MASK)
    np.testing.assert_allclose(masked.result(), keras_masked, rtol=1e-6)


@pytest.mark.parametrize("name", ["Precision", "Recall", "TruePositives", "AUC"])
@pytest.mark.parametrize("label", [-1.0, 2.0, np.nan])
def test_confusion_metrics_refuse_labels_outside_0_1(name, label):
    """Keras counts a label of -1 (of ±1 labels) or 2 as a positive; deepgrad counted -1
    as a negative. Both are numbers no one means: a weighed label outside [0, 1] raises."""
    labels = np.array([0.0, 1.0, label])
    with pytest.raises(ValueError, match=r"binary labels must be in \[0, 1\].*shape \(3,\)"):
        getattr(metrics, name)().update_state(labels, np.array([0.2, 0.7, 0.9]))


def test_precision_checks_only_the_class_id_column_s_labels():
    """Keras reads only the class_id column's labels: the other columns may hold anything."""
    labels = np.array([[1.0, -1.0], [0.0, 5.0]])
    metric = metrics.Precision(class_id=0)
    metric.update_state(labels, np.array([[0.9, 0.1], [0.6, 0.4]]))
    assert metric.result() == 0.5  # Keras 3: 0.5

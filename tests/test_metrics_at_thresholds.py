"""PrecisionAtRecall, RecallAtPrecision, SensitivityAtSpecificity and
SpecificityAtSensitivity against Keras 3. The fixed numbers are Keras 3.15's (JAX) for the
same arguments and data: ``m = keras.metrics.<name>(**kwargs); m.update_state(y_true,
y_pred, sample_weight); float(m.result())``. The three batches of random data are in
``test_metrics_keras_numbers.py``'s table."""

import numpy as np
import pytest

from deepgrad import metrics

TIES_LABELS = [0, 0, 1, 1, 0, 1]
TIES_SCORES = [0.1, 0.5, 0.5, 0.9, 0.7, 0.2]
ENDS_SCORES = [0.0, 0.5, 0.5, 1.0, 1.0, 0.0]  # on the thresholds 0, 0.5 and 1

CASES = [
    # (name, kwargs, labels, scores, sample_weight, Keras' result)
    ("SensitivityAtSpecificity", {"specificity": 0.5, "num_thresholds": 3}, TIES_LABELS,
     ENDS_SCORES, None, 0.3333333432674408),
    ("SpecificityAtSensitivity", {"sensitivity": 1.0, "num_thresholds": 3}, TIES_LABELS,
     ENDS_SCORES, None, 0.0),
    # a ratio equal to the target qualifies: 2/3 in float32 is 0.6666667 too
    ("PrecisionAtRecall", {"recall": 2 / 3}, TIES_LABELS, TIES_SCORES, None,
     0.6000000238418579),
    ("PrecisionAtRecall", {"recall": 0.6666667}, TIES_LABELS, TIES_SCORES, None,
     0.6000000238418579),
    ("RecallAtPrecision", {"precision": 0.6666667}, TIES_LABELS, TIES_SCORES, None,
     0.3333333432674408),
    # targets no threshold reaches: 0.0
    ("RecallAtPrecision", {"precision": 0.9}, [0, 1, 1, 0], [0.9, 0.3, 0.2, 0.1], None, 0.0),
    ("PrecisionAtRecall", {"recall": 1.0}, [0, 1, 1, 0], [0.9, 0.3, 0.0, 0.1], None, 0.0),
    ("SensitivityAtSpecificity", {"specificity": 1.0}, [0, 1, 1, 0], [0.9, 0.3, 0.2, 0.1],
     None, 0.0),
    ("RecallAtPrecision", {"precision": 0.0}, [0, 0], [0.3, 0.7], None, 0.0),
    ("SpecificityAtSensitivity", {"sensitivity": 0.0}, [1, 1], [0.3, 0.7], None, 0.0),
    # sample weights; a soft label (0.3) is a positive
    ("SpecificityAtSensitivity", {"sensitivity": 0.5}, [0, 0.3, 1, 0], [0.9, 0.3, 0.2, 0.1],
     [1, 2, 0.5, 3], 0.75),
    ("PrecisionAtRecall", {"recall": 0.5}, [0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8],
     [2, 2, 2, 1, 1], 0.3333333432674408),
    ("RecallAtPrecision", {"precision": 0.8}, [0, 0, 1, 1], [0, 0.5, 0.3, 0.9], [1, 0, 0, 1],
     1.0),
    # scores outside [0, 1] are clipped
    ("PrecisionAtRecall", {"recall": 0.5}, [0, 1], [-0.5, 1.7], None, 1.0),
]  # fmt: skip


@pytest.mark.parametrize(
    "name, kwargs, labels, scores, weights, expected",
    CASES,
    ids=[f"{case[0]}-{case[1]}" for case in CASES],
)
def test_matches_keras_on_ties_ends_and_unreachable_targets(
    name, kwargs, labels, scores, weights, expected
):
    metric = getattr(metrics, name)(**kwargs)
    metric.update_state(np.array(labels, float), np.array(scores, float), weights)
    assert metric.result() == expected


DEFAULT_NAMES = {
    "PrecisionAtRecall": "precision_at_recall",
    "RecallAtPrecision": "recall_at_precision",
    "SensitivityAtSpecificity": "sensitivity_at_specificity",
    "SpecificityAtSensitivity": "specificity_at_sensitivity",
}


@pytest.mark.parametrize(
    "name, target",
    [
        ("PrecisionAtRecall", "recall"),
        ("RecallAtPrecision", "precision"),
        ("SensitivityAtSpecificity", "specificity"),
        ("SpecificityAtSensitivity", "sensitivity"),
    ],
)
def test_keras_arguments_config_and_state(name, target):
    cls = getattr(metrics, name)
    metric = cls(0.25, 7, 1, "mine")  # Keras' positional order
    config = {"name": "mine", target: 0.25, "num_thresholds": 7, "class_id": 1}
    assert (metric.get_config(), getattr(metric, target), metric.direction) == (config, 0.25, "up")
    assert cls.from_config(config).get_config() == config
    assert metrics.get(metrics.serialize(metric)).get_config() == config
    metric.update_state(np.eye(3)[[0, 1, 2, 1]], np.eye(3)[[0, 1, 1, 2]] * 0.8)
    assert metric.result() > 0
    metric.reset_state()
    assert metric.result() == 0.0
    assert cls(0.5).name == DEFAULT_NAMES[name]  # Keras' default name


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"recall": 1.5}, ValueError, r"PrecisionAtRecall: recall must be in \[0, 1\], got 1.5"),
        ({"recall": -0.1}, ValueError, r"recall must be in \[0, 1\]"),
        ({"recall": float("nan")}, ValueError, r"recall must be in \[0, 1\], got nan"),
        ({"recall": "0.5"}, TypeError, "recall must be a number"),
        ({"recall": 0.5, "num_thresholds": 0}, ValueError, "num_thresholds must be an integer > 0"),
        ({"recall": 0.5, "num_thresholds": 2.5}, TypeError, "num_thresholds must be an integer"),
    ],
)
def test_refuses_what_keras_refuses(kwargs, error, message):
    """Keras' checks (a NaN target, which Keras takes and answers 0.0 to, refused too)."""
    with pytest.raises(error, match=message):
        metrics.PrecisionAtRecall(**kwargs)


def test_class_id_wants_one_of_the_columns():
    with pytest.raises(ValueError, match=r"class_id=1 takes predictions of shape \(samples"):
        metrics.RecallAtPrecision(0.5, class_id=1).update_state(np.zeros(2), np.zeros(2))
    # Keras (on JAX) reads the last column for class_id=5 of 3 and gives a number
    for metric in (metrics.RecallAtPrecision(0.5, class_id=5), metrics.Precision(class_id=5)):
        with pytest.raises(ValueError, match=r"class_id=5 is not a column of .* \(3, 3\)"):
            metric.update_state(np.eye(3), np.eye(3))


@pytest.mark.parametrize("name", ["PrecisionAtRecall", "precision_at_recall"])
def test_a_string_alone_names_the_missing_target(name):
    """Keras' ``metrics.get`` finds the class by either name, then fails calling it without
    its target (a TypeError): the same error, saying what to pass."""
    with pytest.raises(TypeError, match=r"needs its target recall.*PrecisionAtRecall\(recall="):
        metrics.get(name)


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("PrecisionAtRecall", {"recall": 0.7}),
        ("RecallAtPrecision", {"precision": 0.6, "num_thresholds": 50}),
        ("SensitivityAtSpecificity", {"specificity": 0.8}),
        ("SpecificityAtSensitivity", {"sensitivity": 0.4, "num_thresholds": 1}),
        ("SpecificityAtSensitivity", {"sensitivity": 0.9, "class_id": 2}),
    ],
)
def test_matches_keras_on_random_batches(name, kwargs):
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(5)
    reference, metric = getattr(keras.metrics, name)(**kwargs), getattr(metrics, name)(**kwargs)
    for _ in range(3):
        labels = rng.integers(0, 2, (40, 3)).astype(np.float32)
        # a coarse grid makes scores fall on thresholds too
        scores = np.round(rng.random((40, 3)), 2).astype(np.float32)
        weights = rng.random(40).astype(np.float32)
        reference.update_state(labels, scores, weights)
        metric.update_state(labels, scores, weights)
        np.testing.assert_allclose(metric.result(), float(reference.result()), rtol=1e-5)


# Keras 3's model.evaluate of the same model, weights, data and metrics
KERAS_EVALUATE = [0.7058823704719543, 0.46666666865348816, 0.8666666746139526, 0.8636363744735718]


def test_evaluate_logs_each_under_its_name_with_keras_numbers():
    """Compiled into a model, each logs under Keras' default name (or its own) with Keras'
    numbers: these are Keras 3's evaluate on the same weights and data."""
    import deepgrad as dg

    rng = np.random.default_rng(0)
    x = rng.standard_normal((37, 3)).astype(np.float32)
    y = (x.sum(axis=1, keepdims=True) > 0.3).astype(np.float32)
    model = dg.Sequential([dg.layers.Dense(1, activation="sigmoid", input_shape=(3,))])
    model.set_weights([np.array([[0.5], [-0.2], [0.3]], np.float32), np.array([0.1], np.float32)])
    chosen = [
        metrics.PrecisionAtRecall(0.8),
        metrics.RecallAtPrecision(0.9, name="r_at_p"),
        metrics.SensitivityAtSpecificity(0.7),
        metrics.SpecificityAtSensitivity(0.6),
    ]
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=chosen)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    expected = {
        "precision_at_recall": KERAS_EVALUATE[0],
        "r_at_p": KERAS_EVALUATE[1],
        "sensitivity_at_specificity": KERAS_EVALUATE[2],
        "specificity_at_sensitivity": KERAS_EVALUATE[3],
    }
    assert {key: logs[key] for key in expected} == pytest.approx(expected, rel=1e-6)

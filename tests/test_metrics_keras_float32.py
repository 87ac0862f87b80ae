"""Threshold and confusion-matrix metrics against Keras 3.15 (JAX backend): scores compared
with thresholds in float32 as Keras' float32 state compares them, counts that rounding
must not make negative, NaN predictions, AUC's label arguments and top_k. The expected
numbers are Keras' for the same calls; where Keras fails or counts by accident, deepgrad
raises naming the metric."""

import warnings

import numpy as np
import pytest

import deepgrad.metrics as dm


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("TruePositives", [1.0, 0.0]),
        ("FalsePositives", [0.0, 0.0]),
        ("TrueNegatives", [2.0, 2.0]),
        ("FalseNegatives", [1.0, 2.0]),
    ],
)
def test_confusion_counts_compare_in_float32(name, expected):
    # a float32 score of 0.3 is not above a threshold of 0.3 in Keras (both float32)
    metric = getattr(dm, name)(thresholds=[0.3, 0.7])
    metric.update_state(np.array([1.0, 0, 1, 0]), np.array([0.3, 0.3, 0.7, 0.1], np.float32))
    np.testing.assert_array_equal(metric.result(), expected)


@pytest.mark.parametrize(
    ("average", "expected"),
    [
        (None, [0.0, 0.0, 0.8333331942558289, 0.0]),
        ("micro", 0.2777777910232544),
        ("macro", 0.20833329856395721),
        ("weighted", 0.20833329856395721),
    ],
)
def test_fbeta_threshold_compares_in_float32(average, expected):
    metric = dm.FBetaScore(average=average, beta=2.0, threshold=0.3)
    labels = np.array([[1.0, 0, 1, 0], [1, 1, 0, 0]])
    scores = np.array([[0.3, 0.3, 0.7, 0.1], [0.3, 0.3, 0.7, 0.1]], np.float32)
    metric.update_state(labels, scores)
    np.testing.assert_allclose(metric.result(), expected, rtol=1e-6)


def test_sensitivity_at_specificity_zero_is_not_lost_to_rounding():
    # the true negatives at the lowest threshold are 0: a total less a count rounded them
    # to -4e-16, a specificity below 0 that no threshold reached (0.5296 instead of ~1)
    batches = [
        (
            [0.0, 1, 0, 0, 0, 1, 0],
            [
                0.6821418404579163,
                0.788353443145752,
                0.33543023467063904,
                0.44121652841567993,
                0.06730397790670395,
                0.36680716276168823,
                0.9469578862190247,
            ],
            [
                0.5021780253920162,
                0.5571904533793476,
                0.6061164859959558,
                0.5671791062584203,
                0.8044566252955159,
                0.259576439617769,
                0.316581419227307,
            ],
        ),
        (
            [1.0, 1, 1, 0, 0, 1, 0],
            [
                0.7831586003303528,
                0.47301599383354187,
                0.4738501310348511,
                0.881075382232666,
                0.13064506649971008,
                0.5144471526145935,
                0.24957634508609772,
            ],
            [
                0.34282893083647337,
                0.8173229478374829,
                0.3981608154465375,
                0.7844124379078989,
                0.013489317883091267,
                0.9993380546122823,
                0.9552663931260582,
            ],
        ),
        (
            [0.0, 0, 1, 0, 0, 1, 1],
            [
                0.19022563099861145,
                0.3734138011932373,
                0.03497752174735069,
                0.07023100554943085,
                0.15773683786392212,
                0.181855246424675,
                0.838448703289032,
            ],
            [
                0.2440519411669485,
                0.8254251571932038,
                0.006191901818383805,
                0.057875518376584556,
                0.060891945295428074,
                0.9316419669378844,
                0.817267630809628,
            ],
        ),
    ]
    metric = dm.SensitivityAtSpecificity(0.0, num_thresholds=3)
    for labels, scores, weights in batches:
        metric.update_state(np.array(labels), np.array(scores, np.float32), np.array(weights))
    assert metric.result() == pytest.approx(0.9999998807907104, abs=1e-6)  # Keras 3.15
    assert np.all(metric.sums["true_negatives"] >= 0)


NAN_LABELS = np.array([1.0, 0, 1, 0, 1])
NAN_SCORES = np.array([0.2, 0.6, 0.7, 0.1, np.nan], np.float32)


@pytest.mark.parametrize(
    "make",
    [
        lambda: dm.AUC(num_thresholds=5),
        lambda: dm.AUC(thresholds=[0.3, 0.55]),
        lambda: dm.PrecisionAtRecall(0.5, num_thresholds=5),
        lambda: dm.SpecificityAtSensitivity(0.5, num_thresholds=5),
    ],
)
def test_a_weighted_nan_score_is_refused_by_name(make):
    # it raised NumPy's "'list' argument must have no negative elements" from bincount
    metric = make()
    with pytest.raises(ValueError, match=rf"{metric.name}: predictions must not be NaN"):
        metric.update_state(NAN_LABELS, NAN_SCORES)


@pytest.mark.parametrize(
    "make",
    [
        lambda: dm.AUC(num_thresholds=5),
        lambda: dm.AUC(thresholds=[0.3, 0.55]),
        lambda: dm.PrecisionAtRecall(0.5, num_thresholds=5),
    ],
)
def test_a_nan_score_of_weight_0_counts_nowhere(make):
    metric = make()
    metric.update_state(NAN_LABELS, NAN_SCORES, np.array([1.0, 1, 1, 1, 0]))
    assert metric.result() == pytest.approx(0.5)  # Keras 3.15's value for each


def test_a_nan_score_of_weight_0_counts_nowhere_in_multi_label_auc():
    metric = dm.AUC(num_thresholds=5, multi_label=True)
    labels, scores = np.stack([NAN_LABELS] * 2, 1), np.stack([NAN_SCORES] * 2, 1)
    metric.update_state(labels, scores, np.array([1.0, 1, 1, 1, 0]))
    assert metric.result() == pytest.approx(0.5)  # Keras 3.15's value


ML_LABELS = np.array([[1.0, 0, 1, 0], [0, 1, 1, 0], [1, 1, 0, 1]])
ML_SCORES = np.array([[0.9, 0.2, 0.6, 0.3], [0.4, 0.7, 0.2, 0.1], [0.8, 0.3, 0.5, 0.6]])


def test_auc_refuses_predictions_of_another_num_labels():
    # num_labels=3 was ignored: 4 columns gave an area (Keras fails on the shapes)
    metric = dm.AUC(multi_label=True, num_labels=3)
    with pytest.raises(ValueError, match=r"auc: multi_label=True counts 3 labels.*\(3, 4\)"):
        metric.update_state(ML_LABELS, ML_SCORES)


def test_multi_label_auc_refuses_a_batch_of_other_columns():
    # a second batch of one column was broadcast over the first's four
    metric = dm.AUC(multi_label=True)
    metric.update_state(ML_LABELS, ML_SCORES)
    with pytest.raises(ValueError, match=r"auc: multi_label=True counts 4 labels.*\(3, 1\)"):
        metric.update_state(ML_LABELS[:, :1], ML_SCORES[:, :1])


@pytest.mark.parametrize("multi_label", [False, True])
def test_auc_refuses_label_weights_of_another_length_by_name(multi_label):
    metric = dm.AUC(multi_label=multi_label, label_weights=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"auc: label_weights has 3 values.*have 4"):
        metric.update_state(ML_LABELS, ML_SCORES)


@pytest.mark.parametrize("top_k", [-1, 1.5, "2"])
def test_precision_refuses_a_top_k_that_is_not_a_count(top_k):
    # top_k=-1 kept all but each row's lowest prediction as its "top k"; Keras refuses it
    with pytest.raises(ValueError, match=r"Precision: top_k must be an integer >= 0"):
        dm.Precision(top_k=top_k)


@pytest.mark.parametrize("make", [dm.Precision, dm.Recall])
def test_a_top_k_above_the_columns_is_refused(make):
    # it counted every prediction as in the top k; Keras' top_k refuses k=5 of 4
    metric = make(top_k=5, class_id=1)
    with pytest.raises(ValueError, match=r"top_k=5 is more than the 4 predictions per sample"):
        metric.update_state(ML_LABELS, ML_SCORES)


def test_auc_from_logits_takes_very_negative_logits_without_a_warning():
    metric = dm.AUC(from_logits=True)
    # NumPy's "overflow encountered in exp" came out (the tests quiet NumPy: not here)
    with np.errstate(over="warn"), warnings.catch_warnings():
        warnings.simplefilter("error")
        metric.update_state(np.array([0.0, 1, 1]), np.array([-1000.0, 3, 1000]))
    assert metric.result() == pytest.approx(1.0)  # Keras 3.15's value


@pytest.mark.parametrize("make", [dm.Precision, dm.Recall, dm.TruePositives, dm.FalseNegatives])
def test_an_empty_thresholds_list_is_refused(make):
    # it gave an empty result; Keras fails with a ZeroDivisionError
    with pytest.raises(ValueError, match=r"thresholds must hold at least one value, got \[\]"):
        make(thresholds=[])

"""Metrics against scikit-learn (a test dependency through the datasets extra), over
several batches, with and without sample weights."""

import numpy as np
import pytest

from deepgrad import metrics

sklearn_metrics = pytest.importorskip("sklearn.metrics")

rng = np.random.default_rng(0)
N = 90
BINARY = (rng.random(N) < 0.4).astype(float)
SCORES = np.round(rng.random(N) * 0.6 + 0.4 * BINARY, 1)  # rounded: many ties
WEIGHTS = rng.uniform(0.5, 2.0, N)
LABELS = rng.integers(0, 6, N)
LOGITS = rng.standard_normal((N, 6))


def _batched(metric, y_true, y_pred, weights=None, batch=32):
    for start in range(0, len(y_true), batch):
        part = slice(start, start + batch)
        metric.update_state(y_true[part], y_pred[part], None if weights is None else weights[part])
    return metric.result()


@pytest.mark.parametrize("weights", [None, WEIGHTS], ids=["unweighted", "weighted"])
def test_auc_precision_recall_match_sklearn(weights):
    auc = _batched(metrics.get("auc"), BINARY, SCORES, weights)
    assert auc == pytest.approx(
        sklearn_metrics.roc_auc_score(BINARY, SCORES, sample_weight=weights)
    )
    predicted = SCORES > 0.5
    precision = _batched(metrics.get("precision"), BINARY, SCORES, weights)
    assert precision == pytest.approx(
        sklearn_metrics.precision_score(BINARY, predicted, sample_weight=weights)
    )
    recall = _batched(metrics.get("recall"), BINARY, SCORES, weights)
    assert recall == pytest.approx(
        sklearn_metrics.recall_score(BINARY, predicted, sample_weight=weights)
    )


def test_auc_from_logits_is_auc_of_the_sigmoid():
    logits = np.log(SCORES + 1e-3) - np.log(1 - SCORES + 1e-3)
    sigmoid = 1 / (1 + np.exp(-logits))
    assert _batched(metrics.AUC(from_logits=True), BINARY, logits) == pytest.approx(
        _batched(metrics.AUC(), BINARY, sigmoid)
    )
    # one class only: Keras' divide_no_nan makes the false-positive rate 0, so the area 0
    assert _batched(metrics.AUC(), np.ones(N), SCORES) == 0.0


@pytest.mark.parametrize("weights", [None, WEIGHTS], ids=["unweighted", "weighted"])
def test_r2_score_matches_sklearn(weights):
    y_true = rng.standard_normal((N, 2))
    y_pred = y_true + 0.5 * rng.standard_normal((N, 2))
    ours = _batched(metrics.get("r2_score"), y_true, y_pred, weights)
    assert ours == pytest.approx(sklearn_metrics.r2_score(y_true, y_pred, sample_weight=weights))


@pytest.mark.parametrize("k", [1, 3])
def test_top_k_accuracy_matches_sklearn(k):
    expected = sklearn_metrics.top_k_accuracy_score(LABELS, LOGITS, k=k, labels=range(6))
    sparse = metrics.TopKCategoricalAccuracy(k=k, sparse=True)
    assert _batched(sparse, LABELS, LOGITS) == pytest.approx(expected)
    one_hot = metrics.TopKCategoricalAccuracy(k=k)
    assert _batched(one_hot, np.eye(6)[LABELS], LOGITS) == pytest.approx(expected)
    assert metrics.get("top_k_categorical_accuracy").k == 5  # Keras' default


def test_reset_and_names():
    precision = metrics.get("precision")
    precision.update_state(np.array([1.0, 0.0]), np.array([0.9, 0.8]))
    assert precision.result() == 0.5
    precision.reset_state()
    assert precision.result() == 0.0
    assert [metrics.get(n).name for n in ("auc", "recall", "r2_score")] == [
        "auc",
        "recall",
        "r2_score",
    ]
    with pytest.raises(ValueError, match=r"precision: labels of shape \(3,\) do not match"):
        precision.update_state(np.ones(3), np.ones(2))


def test_metrics_in_fit():
    import deepgrad as dg
    from deepgrad import layers, optimizers

    x = rng.standard_normal((80, 3)).astype(np.float32)
    y = (x[:, :1] > 0).astype(np.float32)
    dg.random.seed(0)
    model = dg.Sequential([layers.Dense(1)])
    model.compile(
        optimizer=optimizers.Adam(learning_rate=0.05),
        loss=dg.losses.BinaryCrossentropy(from_logits=True),
        metrics=["accuracy", "auc", metrics.Precision(threshold=0.0), metrics.Recall(0.0)],
    )
    history = model.fit(x, y, epochs=20, batch_size=16, verbose=0)
    assert history.history["auc"][-1] > 0.95
    results = model.evaluate(x, y, verbose=0, return_dict=True)
    assert set(results) == {"loss", "accuracy", "auc", "precision", "recall"}
    assert results["precision"] > 0.8 and results["recall"] > 0.8


def test_metric_settings_survive_saving(tmp_path):
    import deepgrad as dg
    from deepgrad import layers

    x = rng.standard_normal((20, 3)).astype(np.float32)
    y = (x[:, :1] > 0).astype(np.float32)
    model = dg.Sequential([layers.Dense(1)])
    model.compile(
        loss=dg.losses.BinaryCrossentropy(from_logits=True),
        metrics=["auc", metrics.Precision(threshold=0.0, name="p0")],
    )
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "m.dg")
    restored = dg.load_model(tmp_path / "m.dg")
    assert [m.name for m in restored.compiled_metrics] == ["auc", "p0"]
    assert restored.compiled_metrics[1].thresholds == 0.0
    assert restored.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)

    class Custom(metrics.Metric):
        def values(self, y_true, y_pred):
            return y_pred

    model.compile(loss="mse", metrics=[Custom()])
    with pytest.raises(ValueError, match="'custom' is not a built-in metric and cannot be saved"):
        model.save(tmp_path / "custom.dg")
    assert not (tmp_path / "custom.dg").exists()


@pytest.mark.parametrize(
    "make", [metrics.SparseCategoricalAccuracy, metrics.MeanSquaredError, metrics.Mean]
)
def test_no_weights_is_bit_for_bit_weights_of_one(make):
    # The unweighted update skips the weights of one; the running sums must not move a bit.
    values = rng.standard_normal(N) * 1e3
    targets = (LABELS, LOGITS) if make is metrics.SparseCategoricalAccuracy else (values, SCORES)
    unweighted, ones = make(), make()
    for start in range(0, N, 32):
        part = slice(start, start + 32)
        arguments = (values[part],) if make is metrics.Mean else (t[part] for t in targets)
        arguments = tuple(arguments)
        unweighted.update_state(*arguments)
        ones.update_state(*arguments, sample_weight=np.ones(len(arguments[0])))
    assert (unweighted._total, unweighted._count) == (ones._total, ones._count)
    assert unweighted.result() == ones.result()


def test_r2_score_of_a_constant_target_is_zero_as_in_sklearn_and_keras():
    """SS_tot = 0: scikit-learn's r2_score (force_finite) and Keras give 0, not -inf."""
    y_true = np.ones((7, 2))
    y_pred = y_true + 0.1 * rng.standard_normal((7, 2))
    ours = _batched(metrics.get("r2_score"), y_true, y_pred)
    assert ours == sklearn_metrics.r2_score(y_true, y_pred) == 0.0


def test_r2_score_of_no_data_is_nan_as_kerass_after_a_reset():
    """Keras 3.15: R2Score after update_state and reset_state gives nan (nan per output
    with class_aggregation=None); deepgrad gave 0.0, a plausible score of nothing."""
    metric = metrics.R2Score()
    assert np.isnan(metric.result())
    metric.update_state(np.array([[1.0], [2.0], [3.0]]), np.array([[1.1], [1.9], [3.2]]))
    assert metric.result() == pytest.approx(0.97, abs=1e-6)
    metric.reset_state()
    assert np.isnan(metric.result())
    per_output = metrics.R2Score(class_aggregation=None)
    per_output.update_state(np.array([[1.0, 2.0], [2.0, 3.0]]), np.array([[1.0, 2.5], [2.0, 3.0]]))
    per_output.reset_state()
    assert per_output.result().shape == (2,) and np.isnan(per_output.result()).all()


# Keras 3.15 on JAX, these labels and probabilities: SparseCategoricalCrossentropy
# (ignore_class=1) 0.2168751358985901 (the ignored labels count as 0 in the mean over all),
# without it 0.5736542344093323, and CategoricalCrossentropy(axis=0) of the transposed
# one-hot labels and probabilities 0.5736542344093323. deepgrad refused both arguments.
CE_LABELS = np.array([0, 1, 2, 1])
CE_PROBABILITIES = np.array(
    [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6], [0.3, 0.3, 0.4]], np.float32
)


@pytest.mark.parametrize(
    ("metric", "y_true", "y_pred", "keras"),
    [
        (
            lambda: metrics.SparseCategoricalCrossentropy(ignore_class=1),
            CE_LABELS,
            CE_PROBABILITIES,
            0.2168751358985901,
        ),
        (metrics.SparseCategoricalCrossentropy, CE_LABELS, CE_PROBABILITIES, 0.5736542344093323),
        (
            lambda: metrics.CategoricalCrossentropy(axis=0),
            np.eye(3)[CE_LABELS].T,
            CE_PROBABILITIES.T,
            0.5736542344093323,
        ),
        (  # the classes along axis 0 of the predictions (Keras on JAX refuses this shape)
            lambda: metrics.SparseCategoricalCrossentropy(axis=0),
            CE_LABELS,
            CE_PROBABILITIES.T,
            0.5736542344093323,
        ),
    ],
)
def test_cross_entropy_metrics_take_kerass_ignore_class_and_axis(metric, y_true, y_pred, keras):
    m = metric()
    m.update_state(y_true, y_pred)
    assert m.result() == pytest.approx(keras, rel=1e-6)
    assert metrics.get(metrics.serialize(m)).get_config() == m.get_config()


@pytest.mark.parametrize("labels_shape", [(-1,), (-1, 1)])
def test_ignored_labels_weigh_nothing_when_sample_weights_are_given(labels_shape):
    """Keras 3.15 masks the weights of the ignored labels (only when weights are given):
    0.8628723621368408 with these weights, 0.49933215975761414 without them. deepgrad
    gave 0.37966 with the weights: the ignored labels' zeros were averaged in."""
    labels = np.array([0, 2, 1, 2, 0, 1]).reshape(labels_shape)
    logits = np.array(
        [
            [0.3, -1.2, 0.5],
            [1.1, 0.2, -0.4],
            [-0.7, 0.9, 0.1],
            [0.0, 0.4, 1.3],
            [2.0, -0.5, 0.3],
            [-0.2, -0.1, 0.6],
        ],
        np.float32,
    )
    weights = np.array([0.5, 1.5, 1.0, 2.0, 0.25, 1.0], np.float32)
    weighted = metrics.SparseCategoricalCrossentropy(ignore_class=2, from_logits=True)
    weighted.update_state(labels, logits, sample_weight=weights)
    assert weighted.result() == pytest.approx(0.8628723621368408, rel=1e-6)
    unweighted = metrics.SparseCategoricalCrossentropy(ignore_class=2, from_logits=True)
    unweighted.update_state(labels, logits)
    assert unweighted.result() == pytest.approx(0.49933215975761414, rel=1e-6)

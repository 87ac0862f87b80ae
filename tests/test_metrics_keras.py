"""Metrics as Keras 3 names and computes them: the names ``fit`` logs for the same compile
arguments (compared with Keras itself on JAX), ``metrics_names``, the confusion counts,
MAPE, cosine similarity and a custom ``Metric`` that creates its state after
``super().__init__()`` (the one from Keras' "Training & evaluation with the built-in
methods" guide, its ``ops`` calls written with NumPy)."""

import os
import re

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers, metrics


def data(n=16, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4)).astype(np.float32)
    return x, rng.integers(0, classes, n)


LOSSES = [
    "mse",
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
]


def metric_list(module, sparse):
    if sparse:
        return [
            "accuracy",
            "acc",
            "sparse_categorical_accuracy",
            module.SparseCategoricalAccuracy(),
            "sparse_top_k_categorical_accuracy",
        ]
    return [
        "accuracy",
        "acc",
        "mae",
        "mse",
        "categorical_accuracy",
        module.CategoricalAccuracy(),
        module.BinaryAccuracy(),
        module.MeanSquaredError(),
        module.MeanAbsoluteError(),
        module.RootMeanSquaredError(),
        module.TruePositives(),
        module.FalseNegatives(),
        module.MeanAbsolutePercentageError(),
        module.CosineSimilarity(),
        module.Precision(),
        module.AUC(),
    ]


def deepgrad_names(loss):
    x, labels = data()
    y = labels if loss.startswith("sparse") else np.eye(3)[labels]
    model = dg.Sequential([layers.Dense(3, activation="softmax")])
    model.compile(
        optimizer="sgd", loss=loss, metrics=metric_list(metrics, loss.startswith("sparse"))
    )
    history = model.fit(x, y, epochs=1, verbose=0)
    return list(history.history), model.metrics_names


@pytest.mark.parametrize("loss", LOSSES)
def test_logged_names_match_keras(loss):
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    x, labels = data()
    y = labels if loss.startswith("sparse") else np.eye(3)[labels]
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(
        optimizer="sgd", loss=loss, metrics=metric_list(keras.metrics, loss.startswith("sparse"))
    )
    history = model.fit(x, y, epochs=1, verbose=0)
    # Keras numbers a second instance of a class anywhere in the process (auc_1, ...)
    keras_names = sorted(re.sub(r"_\d+$", "", name) for name in history.history)
    names, _ = deepgrad_names(loss)
    assert sorted(re.sub(r"_\d+$", "", name) for name in names) == keras_names


def test_metrics_names_are_the_logged_names_in_compile_order():
    names, metrics_names = deepgrad_names("sparse_categorical_crossentropy")
    assert sorted(metrics_names) == names  # the history is by name, as in Keras 3
    assert metrics_names[:3] == ["loss", "accuracy", "acc"]
    assert metrics_names[3:] == [
        "sparse_categorical_accuracy",
        "sparse_categorical_accuracy_1",
        "sparse_top_k_categorical_accuracy",
    ]


@pytest.mark.parametrize("loss", LOSSES)
def test_accuracy_string_with_each_loss(loss):
    """ "accuracy" logs as "accuracy" and agrees with the explicit metric of its kind."""
    x, labels = data()
    y = labels if loss.startswith("sparse") else np.eye(3)[labels]
    model = dg.Sequential([layers.Dense(3, activation="softmax")])
    explicit = (
        metrics.SparseCategoricalAccuracy()
        if loss.startswith("sparse")
        else metrics.BinaryAccuracy()
        if loss.startswith("binary")
        else metrics.CategoricalAccuracy()
    )
    model.compile(optimizer="sgd", loss=loss, metrics=["accuracy", explicit])
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert logs["accuracy"] == pytest.approx(logs[explicit.name])


def keras_metric(name, *args, **kwargs):
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    return getattr(keras.metrics, name)(*args, **kwargs)


def compare(name, y_true, y_pred, sample_weight=None, **kwargs):
    ours = getattr(metrics, name)(**kwargs)
    theirs = keras_metric(name, **kwargs)
    for half in (slice(0, 10), slice(10, None)):  # two batches: the running state
        weight = None if sample_weight is None else sample_weight[half]
        ours.update_state(y_true[half], y_pred[half], weight)
        theirs.update_state(y_true[half], y_pred[half], weight)
    np.testing.assert_allclose(ours.result(), np.asarray(theirs.result()), rtol=1e-5)


@pytest.mark.parametrize(
    "name", ["TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives"]
)
@pytest.mark.parametrize("thresholds", [None, 0.3, [0.2, 0.5, 0.9]])
def test_confusion_counts_match_keras(name, thresholds):
    rng = np.random.default_rng(1)
    y_true = rng.integers(0, 2, (24, 1)).astype(np.float32)
    y_pred = rng.uniform(size=(24, 1)).astype(np.float32)
    weights = rng.uniform(size=24).astype(np.float32)
    compare(name, y_true, y_pred, thresholds=thresholds)
    compare(name, y_true, y_pred, weights, thresholds=thresholds)


def test_mape_and_cosine_similarity_match_keras():
    rng = np.random.default_rng(2)
    y_true = rng.standard_normal((24, 3)).astype(np.float32)
    y_pred = rng.standard_normal((24, 3)).astype(np.float32)
    weights = rng.uniform(size=24).astype(np.float32)
    compare("MeanAbsolutePercentageError", y_true, y_pred)
    compare("MeanAbsolutePercentageError", y_true, y_pred, weights)
    compare("CosineSimilarity", y_true, y_pred)
    compare("CosineSimilarity", y_true, y_pred, weights)


@pytest.mark.parametrize(
    "name", ["MeanSquaredError", "BinaryAccuracy", "BinaryCrossentropy", "Precision", "AUC"]
)
@pytest.mark.parametrize("shape", [(), (1,)])
def test_one_weight_for_the_batch_matches_keras(name, shape):
    # Keras reduces a mean metric's values to the weight's rank: a 0-d weight weighs the
    # batch's mean, counted once, and an array of one weighs each sample; counts take it
    # for each sample either way
    rng = np.random.default_rng(4)
    y_true = rng.integers(0, 2, (24, 1)).astype(np.float32)
    y_pred = rng.uniform(size=(24, 1)).astype(np.float32)
    ours, theirs = getattr(metrics, name)(), keras_metric(name)
    for part, weight in ((slice(0, 10), 2.0), (slice(10, None), 0.5)):
        weight = np.full(shape, weight, np.float32)
        ours.update_state(y_true[part], y_pred[part], weight)
        theirs.update_state(y_true[part], y_pred[part], weight)
    np.testing.assert_allclose(ours.result(), np.asarray(theirs.result()), rtol=1e-5)


@pytest.mark.parametrize("shape", [(), (1,)])
def test_mean_with_one_weight_for_the_batch_matches_keras(shape):
    ours, theirs = metrics.Mean(), keras_metric("Mean")
    for values, weight in (([1.0, 2.0, 3.0], 2.0), ([5.0], 1.0)):
        ours.update_state(np.array(values), np.full(shape, weight))
        theirs.update_state(np.array(values), np.full(shape, weight))
    assert ours.result() == pytest.approx(float(theirs.result()), rel=1e-6)


def test_confusion_counts_by_hand():
    counts = metrics.TruePositives(thresholds=[0.0, 0.5])
    counts.update_state(np.array([1, 1, 0, 1]), np.array([0.9, 0.2, 0.7, 0.6]))
    np.testing.assert_array_equal(counts.result(), [3.0, 2.0])
    counts.reset_state()
    np.testing.assert_array_equal(counts.result(), [0.0, 0.0])


class CategoricalTruePositives(metrics.Metric):
    """From Keras' guide, with keras.ops written as NumPy."""

    def __init__(self, name="categorical_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = np.reshape(np.argmax(y_pred, axis=1), (-1, 1))
        values = y_true.astype("int32") == y_pred.astype("int32")
        values = values.astype("float32")
        if sample_weight is not None:
            sample_weight = sample_weight.astype("float32")
            values = np.multiply(values, sample_weight)
        self.true_positives.assign_add(np.sum(values))

    def result(self):
        return self.true_positives.value

    def reset_state(self):
        # The state of the metric will be reset at the start of each epoch.
        self.true_positives.assign(0.0)


def test_custom_metric_from_the_keras_guide():
    x, labels = data(40)
    y = labels.reshape(-1, 1)
    model = dg.Sequential([layers.Dense(3)])
    model.compile(
        optimizer="adam",
        loss=dg.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[CategoricalTruePositives()],
    )
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    logged = history.history["categorical_true_positives"]
    assert len(logged) == 2
    predicted = np.argmax(model.predict(x), axis=1)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert float(logs["categorical_true_positives"]) == np.sum(predicted == labels)


def test_custom_metric_name_defaults_to_snake_case_and_add_weight():
    class MeanOfSquares(metrics.Metric):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.total = self.add_weight(name="total", shape=(2,), initializer="ones")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.total.assign_add(np.sum(np.square(y_pred), axis=0))

        def result(self):
            return self.total.value

    metric = MeanOfSquares()
    assert metric.name == "mean_of_squares"
    metric.update_state(None, np.array([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_array_equal(metric.result(), [11.0, 21.0])
    metric.reset_state()
    np.testing.assert_array_equal(metric.result(), [1.0, 1.0])
    with pytest.raises(ValueError, match="does not fit the variable's shape"):
        metric.total.assign_add(np.ones(3))


def test_a_result_returning_the_state_variable_is_logged_as_a_snapshot():
    """Keras' guide returns the variable itself from result(); the history must hold each
    epoch's value, not one object that every later update changes."""

    class Count(metrics.Metric):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seen = self.add_variable(shape=(), initializer="zeros")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.seen.assign_add(len(y_pred))

        def result(self):
            return self.seen

    x, labels = data(24)
    model = dg.Sequential([layers.Dense(3)])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=[Count()])
    counted = []
    spy = dg.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: counted.append(logs["count"])
    )
    history = model.fit(x, labels, batch_size=8, epochs=2, callbacks=[spy], verbose=0)
    assert counted == [8.0, 16.0, 24.0] * 2
    assert history.history["count"] == [24.0, 24.0]
    assert all(type(value) is float for value in counted)


def test_loss_named_metrics_match_keras():
    rng = np.random.default_rng(3)
    weights = rng.uniform(size=24).astype(np.float32)
    binary = rng.integers(0, 2, (24, 1)).astype(np.float32)
    probability = rng.uniform(0.05, 0.95, (24, 1)).astype(np.float32)
    logits = rng.normal(size=(24, 4)).astype(np.float32)
    labels = rng.integers(0, 4, 24)
    one_hot = np.eye(4, dtype=np.float32)[labels]
    softmax = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    for given in (None, weights):
        compare("BinaryCrossentropy", binary, probability, given)
        compare("BinaryCrossentropy", binary, logits[:, :1], given, from_logits=True)
        compare("BinaryCrossentropy", binary, probability, given, label_smoothing=0.1)
        compare("CategoricalCrossentropy", one_hot, softmax, given)
        compare("CategoricalCrossentropy", one_hot, logits, given, from_logits=True)
        compare("CategoricalCrossentropy", one_hot, softmax, given, label_smoothing=0.2)
        compare("SparseCategoricalCrossentropy", labels, softmax, given)
        compare("SparseCategoricalCrossentropy", labels, logits, given, from_logits=True)
        compare("KLDivergence", softmax[::-1].copy(), softmax, given)
        compare("Poisson", one_hot + 1.0, softmax + 0.5, given)
        compare("LogCoshError", logits[::-1].copy(), logits, given)
        compare("Hinge", binary, logits[:, :1], given)


@pytest.mark.parametrize(
    "name",
    [
        "binary_crossentropy",
        "categorical_crossentropy",
        "sparse_categorical_crossentropy",
        "kl_divergence",
        "poisson",
        "hinge",
    ],
)
def test_loss_named_metrics_by_string_log_under_it(name):
    metric = metrics.get(name)
    assert metric.name == name
    assert metrics.get(metrics.serialize(metric)).get_config() == metric.get_config()

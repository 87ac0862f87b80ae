"""``sample_weight`` and ``class_weight`` weigh the loss and the ``weighted_metrics``
only, as in Keras 3. deepgrad weighed every metric: with weights given, ``fit`` and
``evaluate`` logged an "accuracy" that Keras, on the same model and data, does not give;
and ``compile`` had no ``weighted_metrics``."""

import os

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers

RNG = np.random.default_rng(0)
X = RNG.normal(size=(64, 4)).astype(np.float32)
Y = (X[:, 0] + 0.5 * RNG.normal(size=64) > 0).astype(np.float32)
WEIGHTS = np.linspace(0.1, 2.0, 64).astype(np.float32)
KERNEL = np.array([[0.8], [-0.3], [0.1], [0.5]], np.float32)
BIAS = np.array([0.2], np.float32)


def _model(**compile_options):
    model = dg.Sequential([layers.Dense(1, activation="sigmoid")])
    model.build_for((None, 4))
    model.set_weights([KERNEL, BIAS])
    model.compile(optimizer=dg.optimizers.SGD(0.0), loss="binary_crossentropy", **compile_options)
    return model


def _accuracy(weights=None):
    hits = ((X @ KERNEL + BIAS)[:, 0] > 0) == (Y > 0.5)
    return float(np.average(hits, weights=weights))


def test_metrics_are_unweighted_and_weighted_metrics_weighted():
    model = _model(metrics=["accuracy"], weighted_metrics=["accuracy"])
    logs = model.evaluate(X, Y, sample_weight=WEIGHTS, verbose=0, return_dict=True)
    assert list(logs) == ["accuracy", "loss", "weighted_accuracy"]
    assert logs["accuracy"] == pytest.approx(_accuracy())
    assert logs["weighted_accuracy"] == pytest.approx(_accuracy(WEIGHTS))
    assert _accuracy() != pytest.approx(_accuracy(WEIGHTS))  # else the test shows nothing


def test_class_weight_reaches_only_the_weighted_metrics():
    class_weight = {0: 1.0, 1: 3.0}
    per_sample = np.where(Y > 0.5, 3.0, 1.0)
    model = _model(metrics=["accuracy"], weighted_metrics=["accuracy"])
    history = model.fit(X, Y, class_weight=class_weight, batch_size=64, verbose=0).history
    assert history["accuracy"][0] == pytest.approx(_accuracy())
    assert history["weighted_accuracy"][0] == pytest.approx(_accuracy(per_sample))


def test_a_weighted_metric_alone_keeps_its_name():
    model = _model(weighted_metrics=["accuracy", "mae"])
    logs = model.evaluate(X, Y, sample_weight=WEIGHTS, verbose=0, return_dict=True)
    assert list(logs) == ["accuracy", "loss", "mae"]
    assert logs["accuracy"] == pytest.approx(_accuracy(WEIGHTS))
    assert model.metrics_names == ["loss", "accuracy", "mae"]


def test_repeated_weighted_names_are_numbered_as_keras_numbers_them():
    model = _model(metrics=["accuracy", "accuracy"], weighted_metrics=["accuracy", "accuracy"])
    assert model.metrics_names == [
        "loss",
        "accuracy",
        "accuracy_1",
        "weighted_accuracy",
        "weighted_accuracy_1",
    ]


def test_several_outputs_are_prefixed_before_weighted():
    inputs = dg.Input((4,))
    first = layers.Dense(1, activation="sigmoid", name="a")(inputs)
    second = layers.Dense(1, activation="sigmoid", name="b")(inputs)
    model = dg.Model(inputs, [first, second])
    model.compile(
        optimizer="sgd",
        loss=["binary_crossentropy", "binary_crossentropy"],
        metrics=[["accuracy"], ["accuracy"]],
        weighted_metrics={"a": ["accuracy"]},
    )
    logs = model.evaluate(X, [Y, Y], sample_weight=WEIGHTS, verbose=0, return_dict=True)
    assert {"a_accuracy", "a_weighted_accuracy", "b_accuracy"} <= set(logs)


def test_weighted_metrics_are_saved_and_loaded(tmp_path):
    model = _model(metrics=["accuracy"], weighted_metrics=["accuracy"])
    model.save(tmp_path / "model.dg")
    restored = dg.load_model(tmp_path / "model.dg")
    assert restored.evaluate(
        X, Y, sample_weight=WEIGHTS, verbose=0, return_dict=True
    ) == pytest.approx(model.evaluate(X, Y, sample_weight=WEIGHTS, verbose=0, return_dict=True))
    assert restored.metrics_names == ["loss", "accuracy", "weighted_accuracy"]


@pytest.mark.parametrize("jit", [False, True])
def test_logs_match_keras(jit):
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    theirs = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
    theirs.set_weights([KERNEL, BIAS])
    options = {
        "loss": "binary_crossentropy",
        "metrics": ["accuracy", "mae"],
        "weighted_metrics": ["accuracy", "mse"],
    }
    theirs.compile(optimizer=keras.optimizers.SGD(0.0), **options)
    ours = _model(metrics=options["metrics"], weighted_metrics=options["weighted_metrics"])
    ours.jit = jit
    for given in ({"sample_weight": WEIGHTS}, {}):
        expected = theirs.evaluate(X, Y, verbose=0, return_dict=True, batch_size=16, **given)
        got = ours.evaluate(X, Y, verbose=0, return_dict=True, batch_size=16, **given)
        assert sorted(got) == sorted(expected)
        for name, value in expected.items():
            assert got[name] == pytest.approx(float(value), rel=1e-5), name
    history = {"class_weight": {0: 1.0, 1: 3.0}, "batch_size": 64, "verbose": 0}
    expected = theirs.fit(X, Y, **history).history
    got = ours.fit(X, Y, **history).history
    for name, value in expected.items():
        assert got[name][0] == pytest.approx(float(value[0]), rel=1e-5), name

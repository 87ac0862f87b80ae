"""Every built-in metric class serializes in Keras 3's layout: Mean, Sum and
MeanMetricWrapper of a built-in function included, in ``metrics.serialize`` and in a
saved compiled model; a wrapped function of one's own is refused (no code in files)."""

import json

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers, metrics
from deepgrad.metrics.names import FUNCTIONS

FN = {"module": "builtins", "class_name": "function", "registered_name": "function"}

# What Keras 3.15's keras.metrics.serialize writes (module and registered_name aside)
KERAS_CONFIGS = [
    {"class_name": "Mean", "config": {"name": "mm", "dtype": "float32"}},
    {"class_name": "Sum", "config": {"name": "sum", "dtype": "float32"}},
    {
        "class_name": "MeanMetricWrapper",
        "config": {"name": "w", "dtype": "float32", "fn": {**FN, "config": "mean_squared_error"}},
    },
    {
        "class_name": "MeanMetricWrapper",
        "config": {
            "name": "mean_metric_wrapper",
            "dtype": "float32",
            "fn": {**FN, "config": "binary_crossentropy"},
            "from_logits": True,
        },
    },
]


def _round_trip(metric):
    return metrics.deserialize(json.loads(json.dumps(metrics.serialize(metric))))


def _same_results(first, second, *arguments):
    first.update_state(*arguments)
    second.update_state(*arguments)
    assert second.result() == pytest.approx(first.result())
    assert second.name == first.name


def test_mean_and_sum_round_trip():
    values, weights = np.array([1.0, 2.0, 6.0]), np.array([1.0, 0.5, 2.0])
    for metric in [metrics.Mean(name="m"), metrics.Sum()]:
        _same_results(metric, _round_trip(metric), values, weights)


@pytest.mark.parametrize(
    ("fn", "kwargs"),
    [
        (metrics.mean_squared_error, {}),
        (metrics.binary_accuracy, {"threshold": 0.3}),
        (metrics.top_k_categorical_accuracy, {"k": 1}),
        (dg.losses.huber, {"delta": 0.5}),  # the loss function is the metric function
    ],
)
def test_a_wrapper_of_a_built_in_function_round_trips(fn, kwargs):
    metric = metrics.MeanMetricWrapper(fn, name="wrapped", **kwargs)
    saved = metrics.serialize(metric)
    assert saved["config"]["fn"] == {**FN, "config": fn.__name__}
    loaded = _round_trip(metric)
    assert isinstance(loaded, metrics.MeanMetricWrapper)
    assert loaded.fn is fn and loaded.fn_kwargs == kwargs
    y_true = np.array([[0.0, 1.0], [1.0, 0.0]])
    y_pred = np.array([[0.2, 0.8], [0.4, 0.6]])
    _same_results(metric, loaded, y_true, y_pred)


@pytest.mark.parametrize("config", KERAS_CONFIGS, ids=lambda c: c["config"]["name"])
def test_keras_configs_load(config):
    metric = metrics.deserialize(config)
    assert type(metric).__name__ == config["class_name"]
    assert metric.name == config["config"]["name"]
    if isinstance(metric, metrics.MeanMetricWrapper):
        assert metric.fn is FUNCTIONS[config["config"]["fn"]["config"]]
    described = dg.utils.serialize_keras_object(metric)  # deepgrad's module, Keras' layout
    assert described["config"].get("fn") == config["config"].get("fn")
    assert type(dg.utils.deserialize_keras_object(described)) is type(metric)


def test_the_layout_matches_keras_run_here():
    keras = pytest.importorskip("keras")
    pairs = [
        (metrics.Sum(name="s"), keras.metrics.Sum(name="s")),
        (
            metrics.MeanMetricWrapper(metrics.mean_absolute_error, name="w"),
            keras.metrics.MeanMetricWrapper(keras.metrics.mean_absolute_error, name="w"),
        ),
    ]
    for ours, theirs in pairs:
        described, expected = metrics.serialize(ours), keras.metrics.serialize(theirs)
        assert described["class_name"] == expected["class_name"]
        assert described["config"].get("fn") == expected["config"].get("fn")
        assert set(described["config"]) <= set(expected["config"]) | {"dtype"}


def test_a_wrapper_of_ones_own_function_is_refused_on_save_and_load():
    def mine(y_true, y_pred):
        return np.abs(y_true - y_pred)

    metric = metrics.MeanMetricWrapper(mine)
    with pytest.raises(ValueError, match=r"MeanMetricWrapper 'mine' wraps .* a saved file"):
        metrics.serialize(metric)
    named_like_a_built_in = metrics.MeanMetricWrapper(mine, name="m")
    named_like_a_built_in.fn.__name__ = "mean_squared_error"  # a name is not enough
    with pytest.raises(ValueError, match="not one of deepgrad's metric functions"):
        metrics.serialize(named_like_a_built_in)
    config = {
        "class_name": "MeanMetricWrapper",
        "config": {"name": "m", "fn": {**FN, "config": "f"}},
    }
    with pytest.raises(ValueError, match=r"fn .* custom_objects"):
        metrics.deserialize(config)
    loaded = metrics.deserialize(config, custom_objects={"f": mine})
    assert isinstance(loaded, metrics.MeanMetricWrapper) and loaded.fn is mine


def _compiled(metric_list):
    model = dg.Sequential([layers.Input((3,)), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse", metrics=metric_list)
    return model


def test_a_compiled_model_saves_and_loads_its_wrapper_and_sum_metrics(tmp_path):
    wrapper = metrics.MeanMetricWrapper(metrics.mean_absolute_error, name="mae_w")
    model = _compiled([wrapper, metrics.Sum(name="total")])
    model.save(tmp_path / "m.dg")
    restored = dg.load_model(tmp_path / "m.dg")
    names = [type(m).__name__ for m in restored.compiled_metrics]
    assert "MeanMetricWrapper" in names and "Sum" in names
    loaded = next(m for m in restored.compiled_metrics if m.name == "mae_w")
    assert loaded.fn is metrics.mean_absolute_error


def test_a_compiled_model_with_ones_own_wrapped_function_is_refused_on_save(tmp_path):
    model = _compiled([metrics.MeanMetricWrapper(lambda y, p: y - p, name="diff")])
    with pytest.raises(ValueError, match="MeanMetricWrapper 'diff' wraps"):
        model.save(tmp_path / "m.dg")

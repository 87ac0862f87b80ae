"""Keras-style positional calls bind each value to the parameter Keras binds it to."""

import re

import pytest

import deepgrad as dg


def test_metric_base_takes_dtype_first_as_keras():
    # keras.metrics.Metric("float64"): dtype "float64", name "metric"
    metric = dg.metrics.Metric("float64")
    assert (metric.name, metric.dtype) == ("metric", "float64")
    metric = dg.metrics.Metric("float64", "my_metric")
    assert (metric.name, metric.dtype) == ("my_metric", "float64")


def test_builtin_metrics_keep_name_first_as_keras():
    mean = dg.metrics.Mean("loss", "float64")
    assert (mean.name, mean.dtype) == ("loss", "float64")
    assert dg.metrics.MeanSquaredError("mse_metric").name == "mse_metric"


def test_loss_base_takes_name_first_as_keras():
    # keras.losses.Loss("my_loss", "sum"): name "my_loss", reduction "sum"
    loss = dg.losses.Loss("my_loss", "sum")
    assert (loss.name, loss.reduction) == ("my_loss", "sum")


def test_builtin_losses_keep_reduction_first_as_keras():
    loss = dg.losses.MeanSquaredError("sum", "my_mse")
    assert (loss.name, loss.reduction) == ("my_mse", "sum")


def test_metric_and_loss_match_keras_get_config():
    keras = pytest.importorskip("keras")
    for positional in [("float64",), ("float64", "my_metric")]:
        expected = keras.metrics.Metric(*positional)
        metric = dg.metrics.Metric(*positional)
        # Keras numbers a default name it has given before in the process ("metric_2")
        keras_name = re.sub(r"_\d+$", "", expected.name) if len(positional) == 1 else expected.name
        assert (metric.name, metric.dtype) == (keras_name, expected.dtype)
    expected = keras.losses.Loss("my_loss", "sum").get_config()
    loss = dg.losses.Loss("my_loss", "sum")
    assert (loss.name, loss.reduction) == (expected["name"], expected["reduction"])


def _model():
    model = dg.Sequential([dg.Input((3,)), dg.layers.Dense(1)])
    return model


def test_compile_takes_keras_order():
    # keras: compile(optimizer, loss, loss_weights, metrics, weighted_metrics, run_eagerly)
    model = _model()
    model.compile("sgd", "mse", None, ["mae"], ["mse"], True)
    assert model.metrics_names == ["loss", "mae", "mse"]
    assert model._compile_arguments["weighted_metrics"] == ["mse"]
    assert model.jit is False  # run_eagerly=True
    model.compile("sgd", "mse", [2.0])
    assert model._compile_arguments["loss_weights"] == [2.0]
    with pytest.raises(TypeError):
        model.compile("sgd", "mse", None, None, None, False, 1)  # Keras: steps_per_execution


def test_compile_loss_weight_positional_weighs_the_loss_as_keras():
    np = pytest.importorskip("numpy")
    x, y = np.ones((4, 3), np.float32), np.zeros((4, 1), np.float32)
    model = _model()
    model.set_weights([np.full((3, 1), 0.5, np.float32), np.zeros(1, np.float32)])
    model.compile("sgd", "mse", [2.0])
    # Keras 3 (same weights): 2 * mean((1.5 - 0)^2) = 4.5
    assert model.evaluate(x, y, verbose=0) == pytest.approx(4.5)


def test_summary_takes_keras_order():
    model = _model()
    lines = []
    model.summary(None, None, lines.append)  # Keras: (line_length, positions, print_fn)
    assert lines[0].startswith("Model:")
    with pytest.raises(TypeError, match="summary: line_length=80"):
        model.summary(80)


def test_input_name_is_keyword_only():
    # Keras' fourth argument is sparse: Input((3,), None, "float32", False) named the input False
    with pytest.raises(TypeError):
        dg.Input((3,), None, "float32", False)
    assert dg.Input((3,), None, "float32", name="features").name == "features"


def test_optimizer_positional_message_names_keras_parameters():
    # Keras' AdamW(0.01, 0.2) has weight_decay 0.2 (the message said beta_1=0.2)
    with pytest.raises(TypeError, match=r"AdamW\(0\.01, weight_decay=0\.2\)"):
        dg.optimizers.AdamW(0.01, 0.2)
    # Keras' SGD(0.1, 0.9, False, 0.01): weight_decay 0.01 (the message said dampening)
    with pytest.raises(TypeError, match=r"nesterov=False, weight_decay=0\.01\)"):
        dg.optimizers.SGD(0.1, 0.9, False, 0.01)


def test_optimizer_positional_message_follows_keras_signatures():
    import inspect

    keras = pytest.importorskip("keras")
    from deepgrad.optimizers import OPTIMIZERS, Optimizer
    from deepgrad.optimizers.base import keras_positional_names

    checked = 0
    for cls in [*OPTIMIZERS.values(), Optimizer]:
        reference = getattr(keras.optimizers, cls.__name__, None)
        if reference is None:
            continue
        names = [n for n in inspect.signature(reference.__init__).parameters if n != "self"]
        expected = names[names.index("learning_rate") + 1 :]
        ours = keras_positional_names(cls)
        assert ours == expected[: len(ours)], cls.__name__
        checked += 1
    assert checked == 15


def test_metric_names_in_the_loss_weights_place_get_a_clear_error():
    model = _model()
    with pytest.raises(TypeError, match=r"loss_weights holds 'accuracy'.*metrics=\["):
        model.compile("sgd", "mse", ["accuracy"])

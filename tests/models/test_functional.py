"""The functional API: Input, layers called on symbolic tensors, Model(inputs, outputs),
merge layers, shared layers, summary, saving, multi-output compile and fit."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers


def two_inputs_two_outputs():
    a, b = dg.Input((3,), name="a"), dg.Input((2,), name="b")
    hidden = layers.Dense(4, activation="tanh", name="h")(layers.concatenate([a, b], name="ab"))
    return dg.Model(
        [a, b], [layers.Dense(1, name="out1")(hidden), layers.Dense(2, name="out2")(hidden)]
    )


def data(n=16, seed=0):
    rng = np.random.default_rng(seed)
    x = [rng.standard_normal((n, 3)).astype(np.float32), rng.standard_normal((n, 2))]
    x[1] = x[1].astype(np.float32)
    y = [rng.standard_normal((n, 1)), rng.standard_normal((n, 2))]
    return x, y


def test_symbolic_tensors_carry_shape_dtype_and_history():
    inputs = dg.Input((4,), name="features")
    dense = layers.Dense(3, name="d")
    outputs = dense(inputs)
    assert inputs.shape == (None, 4) and outputs.shape == (None, 3)
    assert outputs.dtype == np.float32 and outputs._keras_history == (dense, 0, 0)
    assert dg.layers.Input is dg.Input
    with pytest.raises(TypeError, match="no values"):
        np.asarray(inputs)
    with pytest.raises(TypeError, match="cannot mix symbolic"):
        layers.add([inputs, np.ones((2, 4), np.float32)])


def test_model_graph_inputs_outputs_layers_and_get_layer():
    model = two_inputs_two_outputs()
    assert type(model).__name__ == "Functional" and isinstance(model, dg.Model)
    assert [layer.name for layer in model.layers] == ["a", "b", "ab", "h", "out1", "out2"]
    assert [t.shape for t in model.inputs] == [(None, 3), (None, 2)]
    assert [t.shape for t in model.outputs] == [(None, 1), (None, 2)]
    assert model.output_names == ["out1", "out2"]
    assert model.get_layer("h") is model.layers[3] and model.get_layer(index=-1).name == "out2"
    with pytest.raises(ValueError, match="no layer named 'nope'"):
        model.get_layer("nope")
    x, _ = data()
    y1, y2 = model(x)
    assert y1.shape == (16, 1) and y2.shape == (16, 2)
    # the same numbers as the layers applied by hand
    hand = model.get_layer("h")(np.concatenate(x, axis=1))
    np.testing.assert_allclose(model.get_layer("out1")(hand).numpy(), y1.numpy(), rtol=1e-6)
    # a dict of inputs is matched by the Input names
    np.testing.assert_array_equal(model({"b": x[1], "a": x[0]})[0].numpy(), y1.numpy())
    with pytest.raises(ValueError, match="expected 2 inputs"):
        model(x[0])


def test_dict_inputs_and_outputs():
    a, b = dg.Input((3,)), dg.Input((3,))
    model = dg.Model(
        {"left": a, "right": b}, {"sum": layers.Add()([a, b]), "max": layers.maximum([a, b])}
    )
    # a dict in sorted key order, as Keras 3 flattens it (and lists its outputs)
    assert model.output_names == ["max", "sum"] and model.input_names == ["left", "right"]
    left, right = np.ones((2, 3), np.float32), np.full((2, 3), 2.0, np.float32)
    out = model({"left": left, "right": right})
    np.testing.assert_array_equal(out["sum"].numpy(), 3.0)
    np.testing.assert_array_equal(out["max"].numpy(), 2.0)
    with pytest.raises(ValueError, match="missing"):
        model({"left": left})


@pytest.mark.parametrize(
    ("merge", "expected"),
    [
        (layers.Add, lambda a, b: a + b),
        (layers.Subtract, lambda a, b: a - b),
        (layers.Multiply, lambda a, b: a * b),
        (layers.Average, lambda a, b: (a + b) / 2),
        (layers.Maximum, np.maximum),
        (layers.Minimum, np.minimum),
        (layers.Concatenate, lambda a, b: np.concatenate([a, b], axis=-1)),
    ],
)
def test_merge_layers_forward_and_gradient(merge, expected):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    layer = merge(dtype="float64")
    np.testing.assert_allclose(layer([a, b]).numpy(), expected(a, b))

    def f(a, b):
        return (layer([a, b]) ** 2).sum()

    dg.check_grads(f, modes=("fwd", "rev"), order=1)(a, b)


def test_merge_layers_check_their_inputs():
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        layers.Subtract()([np.ones((2, 3))] * 3)
    with pytest.raises(ValueError, match="cannot be combined elementwise"):
        layers.Add()([np.ones((2, 3)), np.ones((2, 4))])
    with pytest.raises(ValueError, match="cannot be joined along axis"):
        layers.Concatenate()([np.ones((2, 3, 1)), np.ones((2, 4, 2))])
    with pytest.raises(ValueError, match="list of at least"):
        layers.Add()(np.ones((2, 3)))


def test_shared_layer_has_one_set_of_weights():
    a, b = dg.Input((3,)), dg.Input((3,))
    shared = layers.Dense(2, name="shared")
    model = dg.Model([a, b], layers.subtract([shared(a), shared(b)]))
    assert model.count_params() == 8 and len(model.trainable_weights) == 2
    lines = []
    model.summary(print_fn=lines.append)
    row = next(line for line in lines if line.startswith("shared (Dense)"))
    assert row.count("[0][0]") == 2  # connected to both inputs, one row
    x = np.ones((2, 3), np.float32)
    np.testing.assert_allclose(model([x, x]).numpy(), 0.0)


def test_summary_of_a_graph_model_lists_connections():
    lines = []
    two_inputs_two_outputs().summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Connected to" in text and "Total params: 39" in text
    assert [line.split()[-1] for line in lines if line.startswith(("out1", "out2"))] == [
        "h[0][0]",
        "h[0][0]",
    ]
    assert "a[0][0], b[0][0]" in text


def test_model_errors_name_the_cause():
    a = dg.Input((3,))
    hidden = layers.Dense(2)(a)
    with pytest.raises(TypeError, match="symbolic tensors"):
        dg.Model(a, np.ones(3))
    with pytest.raises(ValueError, match=r"not made by deepgrad\.Input"):
        dg.Model(hidden, layers.Dense(1)(hidden))
    other = dg.Input((3,))
    with pytest.raises(ValueError, match="not among the model's inputs"):
        dg.Model(a, layers.add([hidden, layers.Dense(2)(other)]))
    same_name = layers.Dense(2, name="twin")(layers.Dense(2, name="twin")(a))
    with pytest.raises(ValueError, match="must be unique"):
        dg.Model(a, same_name)


def test_functional_equals_sequential_in_fit(tmp_path):
    for jit in (False, True):
        rng = np.random.default_rng(2)
        x = rng.standard_normal((40, 3)).astype(np.float32)
        y = (x @ np.array([[1.0], [-2.0], [0.5]]) + 0.1).astype(np.float32)
        sequential = dg.Sequential([layers.Dense(5, activation="tanh"), layers.Dense(1)])
        sequential.build((None, 3))
        inputs = dg.Input((3,))
        functional = dg.Model(inputs, layers.Dense(1)(layers.Dense(5, activation="tanh")(inputs)))
        functional.set_weights(sequential.get_weights())
        histories = []
        for model in (sequential, functional):
            model.compile(optimizer=dg.optimizers.SGD(learning_rate=0.1), loss="mse", jit=jit)
            dg.random.seed(3)
            histories.append(model.fit(x, y, batch_size=8, epochs=3, verbose=0).history)
        assert histories[0]["loss"] == histories[1]["loss"]
        for left, right in zip(sequential.get_weights(), functional.get_weights(), strict=True):
            np.testing.assert_array_equal(left, right)
        assert histories[0]["loss"][-1] < histories[0]["loss"][0]


def test_multi_output_compile_logs_and_weights():
    model = two_inputs_two_outputs()
    x, y = data()
    model.compile("sgd", loss=["mse", "mae"], loss_weights=[1.0, 0.5], metrics=[["mae"], ["mse"]])
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "out1_loss", "out1_mae", "out2_loss", "out2_mse"]
    assert model.metrics_names == ["loss", "out1_loss", "out2_loss", "out1_mae", "out2_mse"]
    y1, y2 = model.predict(x)
    mse = float(np.mean((y1 - y[0]) ** 2))
    mae = float(np.mean(np.abs(y2 - y[1])))
    assert logs["out1_loss"] == pytest.approx(mse, rel=1e-5)
    assert logs["out2_loss"] == pytest.approx(mae, rel=1e-5)
    assert logs["loss"] == pytest.approx(mse + 0.5 * mae, rel=1e-5)
    # the same as a dict keyed by output name, and trained on dicts of arrays
    model.compile("sgd", loss={"out2": "mae", "out1": "mse"}, loss_weights={"out2": 0.5})
    x_dict, y_dict = {"a": x[0], "b": x[1]}, {"out1": y[0], "out2": y[1]}
    assert model.evaluate(x_dict, y_dict, verbose=0) == pytest.approx(
        [logs["loss"], logs["out1_loss"], logs["out2_loss"]], rel=1e-5
    )
    history = model.fit(x_dict, y_dict, epochs=5, batch_size=4, verbose=0).history
    assert set(history) == {"loss", "out1_loss", "out2_loss"}
    assert history["loss"][-1] < history["loss"][0]


def test_multi_output_compile_checks_its_arguments():
    model = two_inputs_two_outputs()
    with pytest.raises(ValueError, match="has 1 entries but the model has 2 outputs"):
        model.compile("sgd", loss=["mse"])
    with pytest.raises(ValueError, match=r"names outputs \['nope'\]"):
        model.compile("sgd", loss={"nope": "mse"})
    with pytest.raises(ValueError, match="one entry"):
        model.compile("sgd", loss=["mse", "mse"], metrics=["mae"])


def test_functional_model_saves_and_loads(tmp_path):
    model = two_inputs_two_outputs()
    model.compile("adam", loss={"out1": "mse", "out2": "mae"}, metrics={"out1": ["mae"]})
    x, y = data()
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    path = tmp_path / "graph.dg"
    model.save(path)
    assert b"pickle" not in path.read_bytes()[:200]
    restored = dg.models.load_model(path)
    assert type(restored).__name__ == "Functional"
    assert [layer.name for layer in restored.layers] == [layer.name for layer in model.layers]
    for before, after in zip(model.predict(x), restored.predict(x), strict=True):
        np.testing.assert_array_equal(before, after)
    assert restored.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0))
    # a shared layer survives the round trip as one layer called twice
    a, b = dg.Input((3,), name="p"), dg.Input((3,), name="q")
    shared = layers.Dense(2, name="tied")
    siamese = dg.Model([a, b], layers.concatenate([shared(a), shared(b)], name="both"))
    siamese.save(tmp_path / "siamese.dg")
    again = dg.load_model(tmp_path / "siamese.dg")
    assert again.count_params() == 8
    ones = np.ones((2, 3), np.float32)
    np.testing.assert_array_equal(again([ones, ones]).numpy(), siamese([ones, ones]).numpy())


def test_sequential_takes_an_input_first():
    model = dg.Sequential([dg.Input((4,)), layers.Dense(2)])
    assert model.built and model.count_params() == 10
    config = model.get_config()
    assert dg.Sequential.from_config(config).count_params() == 10


def _keras():
    import os

    os.environ.setdefault("KERAS_BACKEND", "jax")
    return pytest.importorskip("keras")


def test_same_predictions_losses_and_param_counts_as_keras():
    keras = _keras()
    if keras.backend.backend() != "jax":
        pytest.skip("Keras is already loaded with another backend")
    ka, kb = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    kh = keras.layers.Dense(4, activation="tanh", name="h")(keras.layers.concatenate([ka, kb]))
    kmodel = keras.Model(
        [ka, kb], [keras.layers.Dense(1, name="out1")(kh), keras.layers.Dense(2, name="out2")(kh)]
    )
    model = two_inputs_two_outputs()
    assert model.count_params() == kmodel.count_params() == 39
    ours = [layer.count_params() for layer in model.layers]  # the summary's Param # column
    assert ours == [layer.count_params() for layer in kmodel.layers] == [0, 0, 0, 24, 5, 10]
    model.set_weights([np.asarray(w) for w in kmodel.get_weights()])
    x, y = data()
    for ours, theirs in zip(model.predict(x), kmodel.predict(x, verbose=0), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    settings = {"loss": ["mse", "mae"], "loss_weights": [1.0, 0.5], "metrics": [["mae"], ["mse"]]}
    model.compile("sgd", **settings)
    kmodel.compile("sgd", **settings)
    ours = model.evaluate(x, y, verbose=0, return_dict=True, batch_size=16)
    theirs = kmodel.evaluate(x, y, verbose=0, return_dict=True, batch_size=16)
    assert set(ours) == set(theirs)
    for key in ours:
        assert ours[key] == pytest.approx(theirs[key], rel=1e-4), key
    # the list users unpack: loss, each output's loss, then the metrics
    ours = model.evaluate(x, y, verbose=0, batch_size=16)
    theirs = kmodel.evaluate(x, y, verbose=0, batch_size=16)
    np.testing.assert_allclose(ours, theirs, rtol=1e-4)


def test_evaluate_lists_a_multi_output_models_metrics_by_name_after_its_losses():
    # Keras 3's order: loss, each output's loss in output order, then the metrics by name
    inputs = dg.Input((3,))
    outputs = [layers.Dense(1, name=name, activation="sigmoid")(inputs) for name in "za"]
    model = dg.Model(inputs, outputs)
    model.compile("sgd", loss=["mse", "mae"], metrics=[["mae"], ["mse", "accuracy"]])
    x, y = data()[0][0], (data()[1][0] > 0).astype(np.float32)
    logs = model.evaluate(x, [y, y], verbose=0, return_dict=True)
    names = ["loss", "z_loss", "a_loss", "a_accuracy", "a_mse", "z_mae"]
    assert model.metrics_names == names
    assert model.evaluate(x, [y, y], verbose=0) == [logs[name] for name in names]


def test_arithmetic_on_symbolic_tensors_makes_operation_layers(tmp_path):
    x, w = dg.Input((3,), name="x"), dg.Input((3,), name="w")
    dense = layers.Dense(3, name="d")
    hidden = dense(x)
    out = (hidden + x) * w - 1.0 + (2.0 / (1.0 + x**2)) - (-hidden) @ np.ones((3, 3), np.float32)
    model = dg.Model([x, w], out)
    assert {type(layer).__name__ for layer in model.layers} == {"InputLayer", "Dense", "Operation"}
    rng = np.random.default_rng(4)
    xs, ws = (
        rng.standard_normal((5, 3)).astype(np.float32),
        rng.standard_normal((5, 3)).astype(np.float32),
    )
    h = dense(xs).numpy()
    expected = (h + xs) * ws - 1.0 + 2.0 / (1.0 + xs**2) - (-h) @ np.ones((3, 3), np.float32)
    np.testing.assert_allclose(model([xs, ws]).numpy(), expected, rtol=1e-5, atol=1e-6)
    model.save(tmp_path / "ops.dg")
    restored = dg.load_model(tmp_path / "ops.dg")
    np.testing.assert_array_equal(restored([xs, ws]).numpy(), model([xs, ws]).numpy())
    with pytest.raises(TypeError, match="symbolic tensor combines with"):
        x + "text"
    with pytest.raises(ValueError, match="unknown op"):
        layers.Operation("exec")


def test_models_are_callable_like_layers_and_nodes_can_be_reused(tmp_path):
    # Keras' functional API guide: an ensemble of models, each called on one input
    def get_model():
        inputs = dg.Input((8,))
        return dg.Model(inputs, layers.Dense(1)(inputs))

    members = [get_model() for _ in range(3)]
    assert len({m.name for m in members}) == 3  # functional, functional_1, ...
    inputs = dg.Input((8,))
    ensemble = dg.Model(inputs, layers.average([m(inputs) for m in members]))
    x = np.random.default_rng(5).standard_normal((4, 8)).astype(np.float32)
    expected = np.mean([m.predict(x) for m in members], axis=0)
    np.testing.assert_allclose(ensemble.predict(x), expected, rtol=1e-6)
    assert ensemble.count_params() == 27
    ensemble.save(tmp_path / "ensemble.dg")
    np.testing.assert_array_equal(
        dg.load_model(tmp_path / "ensemble.dg").predict(x), ensemble.predict(x)
    )
    # "extract and reuse nodes": a model over every layer's output
    base = two_inputs_two_outputs()
    features = dg.Model(base.input, [layer.output for layer in base.layers[2:]])
    assert [f.shape[1:] for f in features(data()[0])] == [(5,), (4,), (1,), (2,)]
    assert base.get_layer("h").input is base.get_layer("ab").output
    assert base.get_layer("a").input is base.get_layer("a").output
    shared = layers.Dense(2)
    shared(dg.Input((3,)))
    shared(dg.Input((3,)))
    with pytest.raises(ValueError, match="called 2 times"):
        _ = shared.output


def test_feature_extraction_from_a_sequential_model():
    # Keras' Sequential model guide: a functional model over a Sequential's layers
    initial = dg.Sequential(
        [dg.Input((250,)), layers.Dense(32, activation="relu"), layers.Dense(3, name="last")]
    )
    extractor = dg.Model(initial.inputs, [layer.output for layer in initial.layers])
    x = np.ones((1, 250), np.float32)
    hidden, last = extractor(x)
    assert hidden.shape == (1, 32)
    np.testing.assert_allclose(last.numpy(), initial(x).numpy(), rtol=1e-6)
    only_last = dg.Model(initial.inputs, initial.get_layer("last").output)
    np.testing.assert_allclose(only_last(x).numpy(), initial(x).numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="no defined input"):
        _ = dg.Sequential([layers.Dense(2)]).inputs


def test_model_from_config_rebuilds_a_functional_model_as_keras():
    """Keras 3's ``keras.Model.from_config(functional.get_config())`` rebuilds the graph
    (a Functional); deepgrad's raised "inputs must be symbolic tensors ... got ['list']"."""
    model = two_inputs_two_outputs()
    rebuilt = dg.Model.from_config(model.get_config())
    assert type(rebuilt) is type(model)
    rebuilt.set_weights(model.get_weights())
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal((4, 3)), rng.standard_normal((4, 2))]
    for got, expected in zip(rebuilt(inputs), model(inputs), strict=True):
        np.testing.assert_array_equal(got.numpy(), expected.numpy())


# Keras 3.15: Input((3, 4), batch_size=5) gives every layer's output batch size 5 (an
# input of unknown batch size beside it aside), and compute_output_shape keeps a given
# batch size; deepgrad gave None. Produced by keras.layers.X(...)(inputs).shape.
KERAS_SHAPES_WITH_BATCH_SIZE = [
    (lambda x, y: layers.Dense(2)(x), (5, 3, 2)),
    (lambda x, y: layers.Concatenate()([x, y]), (5, 3, 8)),
    (lambda x, y: layers.Add()([x, y]), (5, 3, 4)),
    (lambda x, y: layers.Dot(axes=2)([x, y]), (5, 3, 3)),
    (lambda x, y: layers.Flatten()(x), (5, 12)),
    (lambda x, y: layers.Reshape((-1, 2))(x), (5, 6, 2)),
    (lambda x, y: layers.Permute((2, 1))(x), (5, 4, 3)),
    (lambda x, y: layers.RepeatVector(2)(layers.Flatten()(x)), (5, 2, 12)),
    (lambda x, y: layers.RepeatVector(2)(layers.Flatten()(y)), (None, 2, 12)),
]


@pytest.mark.parametrize(("call", "expected"), KERAS_SHAPES_WITH_BATCH_SIZE)
def test_a_known_batch_size_reaches_the_outputs_as_in_keras(call, expected):
    x = dg.Input((3, 4), batch_size=5)
    y = dg.Input((3, 4))  # unknown batch size: the known one wins, as in Keras
    output = call(x, y)
    assert output.shape == expected
    assert dg.Model([x, y], output).output_shape == expected


def test_compute_output_shape_keeps_a_given_batch_size_as_keras():
    assert layers.Dense(2).compute_output_shape((5, 3)) == (5, 2)
    assert layers.Concatenate().compute_output_shape([(5, 3), (None, 3)]) == (5, 6)
    assert layers.Dot(axes=1).compute_output_shape([(5, 3), (5, 3)]) == (5, 1)
    assert layers.Flatten().compute_output_shape((None, 3, 2)) == (None, 6)
    assert layers.Add().compute_output_shape([(5, 3), (4, 3)]) == (None, 3)


# Keras 3.15's symbolic shapes of a Lambda on Input((3, 4)), from
# keras.layers.Lambda(f)(keras.Input((3, 4))).shape: an output that does not follow the
# batch keeps its sizes; deepgrad took its first axis for the batch axis, (None, 4).
KERAS_LAMBDA_SHAPES = [
    (lambda t: dg.numpy.sum(t, axis=0), (3, 4)),
    (lambda t: dg.numpy.mean(t), ()),
    (lambda t: dg.numpy.transpose(t, (1, 0, 2)), (3, None, 4)),
    (lambda t: dg.numpy.concatenate([t, t], axis=0), (None, 3, 4)),
    (lambda t: t[:, :1], (None, 1, 4)),
]


@pytest.mark.parametrize(("function", "expected"), KERAS_LAMBDA_SHAPES)
def test_symbolic_shape_of_an_output_not_batched_as_keras(function, expected):
    x = dg.Input((3, 4))
    output = layers.Lambda(function)(x)
    assert output.shape == expected
    values = dg.Model(x, output)(np.ones((2, 3, 4), np.float32))
    assert all(e is None or e == v for e, v in zip(expected, values.shape, strict=True))


@pytest.mark.parametrize(("function", "expected"), KERAS_LAMBDA_SHAPES)
def test_compute_output_shape_of_an_output_not_batched_as_keras(function, expected):
    """keras.layers.Lambda(f).compute_output_shape((None, 3, 4)) gives the same shapes."""
    assert layers.Lambda(function).compute_output_shape((None, 3, 4)) == expected

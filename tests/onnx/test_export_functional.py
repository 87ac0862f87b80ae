"""Functional models (``Model(inputs, outputs)``): several inputs and outputs, merge layers,
shared layers and nested Sequentials, run by ONNX Runtime with deepgrad's predictions."""

import numpy as np
import onnx
import onnxruntime
import pytest

import deepgrad as dg
from deepgrad import layers
from deepgrad.onnx import ExportError, export

from .conftest import BATCH_SIZES

RNG = np.random.default_rng(2)
MERGES = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate"]


def _run(path, feeds):
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


@pytest.mark.parametrize("merge", MERGES)
def test_two_inputs_merged(merge, onnx_path):
    left, right = dg.Input((4,), name="left"), dg.Input((4,), name="right")
    shared = layers.Dense(5, activation="tanh", name="shared")
    merged = getattr(layers, merge)(name="merge")([shared(left), shared(right)])
    model = dg.Model([left, right], layers.Dense(2, name="head")(merged))
    export(model, onnx_path)
    proto = onnx.load(str(onnx_path))
    onnx.checker.check_model(proto, full_check=True)
    assert [i.name for i in proto.graph.input] == ["left", "right"]
    for batch in BATCH_SIZES:
        a, b = (RNG.normal(size=(batch, 4)).astype(np.float32) for _ in range(2))
        (got,) = _run(onnx_path, {"left": a, "right": b})
        np.testing.assert_allclose(got, model.predict([a, b]), rtol=1e-5, atol=1e-5)


def test_three_inputs_added_in_deepgrads_order(onnx_path):
    inputs = [dg.Input((3,), name=f"x{i}") for i in range(3)]
    model = dg.Model(inputs, layers.Average()(inputs))
    export(model, onnx_path)
    xs = [RNG.normal(size=(6, 3)).astype(np.float32) for _ in range(3)]
    (got,) = _run(onnx_path, {f"x{i}": x for i, x in enumerate(xs)})
    np.testing.assert_allclose(got, model.predict(xs), rtol=1e-6, atol=1e-6)


def test_several_outputs_and_a_nested_sequential(onnx_path):
    inputs = dg.Input((6,), name="features")
    body = dg.Sequential([layers.Dense(8, activation="gelu"), layers.LayerNormalization()])
    hidden = body(inputs)
    outputs = {
        "label": layers.Dense(3, activation="softmax", name="label_head")(hidden),
        "value": layers.Dense(1, name="value_head")(hidden),
    }
    model = dg.Model(inputs, outputs)
    export(model, onnx_path)
    proto = onnx.load(str(onnx_path))
    assert [o.name for o in proto.graph.output] == ["label", "value"]
    for batch in BATCH_SIZES:
        x = RNG.normal(size=(batch, 6)).astype(np.float32)
        label, value = _run(onnx_path, {"features": x})
        expected = model.predict(x)
        np.testing.assert_allclose(label, expected["label"], rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(value, expected["value"], rtol=1e-5, atol=1e-5)


def test_integer_input_to_an_embedding(onnx_path):
    tokens = dg.Input((3,), dtype="int64", name="tokens")
    embedded = layers.Flatten()(layers.Embedding(10, 4)(tokens))
    model = dg.Model(tokens, layers.Dense(2)(embedded))
    export(model, onnx_path)
    x = RNG.integers(0, 10, size=(5, 3)).astype(np.int64)
    (got,) = _run(onnx_path, {"tokens": x})
    np.testing.assert_allclose(got, model.predict(x), rtol=1e-5, atol=1e-5)


def test_a_layer_without_an_onnx_form_is_named_in_a_functional_model(onnx_path):
    class Doubler(layers.Layer):
        def call(self, inputs, training=False):
            return inputs * 2.0

    inputs = dg.Input((3,))
    model = dg.Model(inputs, Doubler(name="twice")(inputs))
    with pytest.raises(ExportError, match=r"twice \(Doubler\)"):
        export(model, onnx_path)


def test_a_float64_functional_model(onnx_path):
    """float64 inputs and layers in a Model whose own dtype is the default float32: the
    graph computes in the layers' float64 (it was written with float32 constants, which
    onnx.checker refused as inconsistent types), after the cast to float32 that the Model
    applies to the arrays it is given."""
    left = dg.Input((4,), dtype="float64", name="left")
    right = dg.Input((4,), dtype="float64", name="right")
    merged = layers.Concatenate(dtype="float64")([left, right])
    model = dg.Model([left, right], layers.Dense(3, activation="selu", dtype="float64")(merged))
    export(model, onnx_path)
    for batch in BATCH_SIZES:
        a, b = (RNG.normal(size=(batch, 4)) for _ in range(2))
        (got,) = _run(onnx_path, {"left": a, "right": b})
        expected = model.predict([a, b])
        assert got.dtype == expected.dtype == np.float64
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_a_float32_input_to_float64_weights(onnx_path):
    """The input is cast to float64, as NumPy promotes it in deepgrad."""
    features = dg.Input((4,), name="features")  # float32
    model = dg.Model(features, layers.Dense(2, activation="tanh", dtype="float64")(features))
    export(model, onnx_path)
    x = RNG.normal(size=(7, 4)).astype(np.float32)
    (got,) = _run(onnx_path, {"features": x})
    expected = model.predict(x)
    assert got.dtype == expected.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("merge", ["Add", "Subtract", "Maximum"])
def test_inputs_of_different_ranks_merged_after_the_batch_axis(merge, onnx_path):
    """(batch, 3) with (batch, 2, 3): the first gets its new axis after the batch axis, as
    the layer (and Keras) align it, not before it as ONNX's broadcasting would."""
    flat, deep = dg.Input((3,), name="flat"), dg.Input((2, 3), name="deep")
    model = dg.Model([flat, deep], getattr(layers, merge)()([flat, deep]))
    export(model, onnx_path)
    a = RNG.normal(size=(2, 3)).astype(np.float32)
    b = RNG.normal(size=(2, 2, 3)).astype(np.float32)
    got = np.asarray(_run(onnx_path, {"flat": a, "deep": b})[0])
    np.testing.assert_allclose(got, model.predict([a, b]), rtol=1e-6, atol=1e-6)
    numpy_op = {"Add": np.add, "Subtract": np.subtract, "Maximum": np.maximum}[merge]
    np.testing.assert_allclose(got, numpy_op(a[:, None], b), rtol=1e-6, atol=1e-6)

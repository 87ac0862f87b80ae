"""ONNX's ``Shrink`` read by ``deepgrad.onnx.load``: as hard_shrink (bias 0), soft_shrink
(bias = lambd ≥ 0) or ONNX's formula itself, checked against ONNX's reference
implementation and ONNX Runtime in float32 and float64; deepgrad's own float32 exports of
the shrinks read back."""

import functools

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import activations, layers
from deepgrad.onnx import export, load
from deepgrad.onnx.read_activations import shrink

onnx = pytest.importorskip("onnx")
onnxruntime = pytest.importorskip("onnxruntime")
from onnx import helper, numpy_helper  # noqa: E402

# ±λ of every case (as float32 numbers, which the attributes are), their neighbours, 0
POINTS = np.array(
    [-2.0, -0.75, -0.5, -0.3, -0.25, -0.1, 0.0, 0.1, 0.25, 0.3, 0.5, 0.75, 2.0, -1.0, 1.0, 0.4]
).reshape(2, 8)


def _shrink_graph(tmp_path, dtype, **attributes):
    """x · I (a Dense layer that keeps x exactly, fixing the model's dtype), then Shrink."""
    tensor_type = helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["x", "w"], ["h"], name="dense"),
            helper.make_node("Shrink", ["h"], ["y"], name="shrink", **attributes),
        ],
        "g",
        [helper.make_tensor_value_info("x", tensor_type, ["batch", 8])],
        [helper.make_tensor_value_info("y", tensor_type, ["batch", 8])],
        [numpy_helper.from_array(np.eye(8, dtype=dtype), "w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path = tmp_path / "shrink.onnx"
    onnx.save(model, str(path))
    return path


def _reference(path, x):
    """ONNX's reference implementation: the spec's formula in the input's dtype."""
    from onnx.reference import ReferenceEvaluator

    return ReferenceEvaluator(str(path)).run(None, {"x": x})[0]


def _runtime(path, x):
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


F32 = float(np.float32(0.3))  # what an attribute of 0.3 holds
SHRINK_CASES = {
    # attributes: (the deepgrad function read, its options)
    "defaults": ({}, activations.hard_shrink, {"threshold": 0.5}),
    "hard_0.3": ({"lambd": 0.3}, activations.hard_shrink, {"threshold": F32}),
    "hard_negative": ({"lambd": -0.5, "bias": 0.0}, activations.hard_shrink, {"threshold": -0.5}),
    "soft_0.3": ({"lambd": 0.3, "bias": 0.3}, activations.soft_shrink, {"threshold": F32}),
    "soft_0": ({"lambd": 0.0, "bias": 0.0}, activations.hard_shrink, {"threshold": 0.0}),
    "other": ({"lambd": 0.75, "bias": 0.25}, shrink, {"lambd": 0.75, "bias": 0.25}),
    "bias_only": ({"bias": 0.25}, shrink, {"lambd": 0.5, "bias": 0.25}),
    # λ < 0: both tests hold between λ and −λ, and x < −λ wins, as in ONNX Runtime
    "negative_overlap": ({"lambd": -0.5, "bias": 0.25}, shrink, {"lambd": -0.5, "bias": 0.25}),
    "negative_soft": ({"lambd": -0.5, "bias": -0.5}, shrink, {"lambd": -0.5, "bias": -0.5}),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", sorted(SHRINK_CASES))
def test_shrink_is_read_with_onnx_semantics(case, dtype, tmp_path):
    attributes, function, options = SHRINK_CASES[case]
    path = _shrink_graph(tmp_path, dtype, **attributes)
    model = load(path)
    activation = model.layers[-1].activation
    assert isinstance(activation, functools.partial)
    assert activation.func is function and activation.keywords == options
    x = POINTS.astype(dtype)
    got = model.predict(x, verbose=0)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, _reference(path, x))
    # ONNX Runtime's float64 Shrink rounds its result to float32 (0.15 is 0.15000001); a
    # point on the wrong side of ±λ would be off by ≥ 0.05
    tolerance = 0.0 if dtype == np.float32 else 1e-7
    np.testing.assert_allclose(got, _runtime(path, x), rtol=tolerance, atol=tolerance)


def test_shrink_formula():
    x = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    np.testing.assert_array_equal(shrink(x, lambd=0.5, bias=0.25), [-0.75, 0, 0, 0, 0.75])
    # λ < 0: x + bias wherever x < −λ, even where x > λ too
    np.testing.assert_array_equal(
        shrink(x, lambd=-0.5, bias=0.25), [-0.75, -0.25, 0.25, 0.25, 0.75]
    )


ROUND_TRIPS = {
    "hard_shrink": (activations.hard_shrink, 0.5),
    "hard_shrink_0.3": (functools.partial(activations.hard_shrink, threshold=0.3), F32),
    "soft_shrink": (activations.soft_shrink, 0.5),
    "soft_shrink_0.3": (functools.partial(activations.soft_shrink, threshold=0.3), F32),
}


@pytest.mark.parametrize("name", sorted(ROUND_TRIPS))
def test_a_float32_export_of_the_shrinks_reads_back(name, tmp_path):
    activation, threshold = ROUND_TRIPS[name]
    model = dg.Sequential([layers.Dense(8, activation=activation, input_shape=(8,))])
    path = tmp_path / "model.onnx"
    export(model, path)
    loaded = load(path)
    read = loaded.layers[-1].activation
    function = activations.hard_shrink if name.startswith("hard") else activations.soft_shrink
    assert read.func is function and read.keywords == {"threshold": threshold}
    x = np.random.default_rng(0).normal(size=(5, 8)).astype(np.float32)
    x[0] = POINTS.reshape(-1)[:8]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))

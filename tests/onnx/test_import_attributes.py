"""``deepgrad.onnx.load`` on hand-written graphs whose attributes, optional inputs and
opset change what a node computes: ONNX Runtime's outputs are the reference, and what
deepgrad cannot represent is refused by name."""

import numpy as np
import pytest

from deepgrad.onnx import ImportGraphError, load

onnx = pytest.importorskip("onnx")
onnxruntime = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

RNG = np.random.default_rng(3)


def _write(tmp_path, nodes, initializers, features, opset=17):
    shape = ["batch", *features]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(v, k) for k, v in initializers.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 7  # read by ONNX Runtime at any of the opsets used here
    path = tmp_path / "g.onnx"
    onnx.save(model, str(path))
    return path


def _runtime(path, x):
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x})[0]


def _dense_then(op_type, **attributes):
    """MatMul and Add (a Dense layer on a rank-3 input), then ``op_type``."""
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["h"], name="dense"),
        helper.make_node("Add", ["h", "b"], ["z"], name="bias"),
        helper.make_node(op_type, ["z"], ["y"], name="last", **attributes),
    ]
    weights = {
        "w": RNG.normal(size=(4, 4)).astype(np.float32),
        "b": RNG.normal(size=(4,)).astype(np.float32),
    }
    return nodes, weights


@pytest.mark.parametrize("op_type", ["Softmax", "LogSoftmax"])
@pytest.mark.parametrize("axis", [1, -2, 2, -1])
def test_a_softmax_over_a_middle_axis(op_type, axis, tmp_path):
    """Opset 13 on: one axis, any of them but the batch axis (LogSoftmax over axis 1 of a
    rank-3 input was read as over the last axis)."""
    nodes, weights = _dense_then(op_type, axis=axis)
    path = _write(tmp_path, nodes, weights, (3, 4), opset=13)
    model = load(path)
    for batch in (1, 7):
        x = (2.0 * RNG.normal(size=(batch, 3, 4))).astype(np.float32)
        np.testing.assert_allclose(model.predict(x, verbose=0), _runtime(path, x), atol=1e-6)


@pytest.mark.parametrize("op_type", ["Softmax", "LogSoftmax"])
@pytest.mark.parametrize("attributes", [{}, {"axis": 1}], ids=["default_axis", "axis_1"])
def test_an_opset_11_softmax_over_several_axes_is_refused(op_type, attributes, tmp_path):
    """Before opset 13 the input is flattened from ``axis`` (default 1) on: over axes 1 and
    2 of a rank-3 input together, which no deepgrad softmax computes."""
    nodes, weights = _dense_then(op_type, **attributes)
    path = _write(tmp_path, nodes, weights, (3, 4), opset=11)
    with pytest.raises(ImportGraphError, match=rf"'last' \({op_type}, opset 11\) runs over axes"):
        load(path)


@pytest.mark.parametrize("attributes", [{}, {"axis": -1}, {"axis": 2}])
def test_an_opset_11_softmax_over_the_last_axis(attributes, tmp_path):
    nodes, weights = _dense_then("Softmax", **attributes)
    features = (4,) if not attributes else (3, 4)  # the default axis 1 is the last of rank 2
    path = _write(tmp_path, nodes, weights, features, opset=11)
    model = load(path)
    x = RNG.normal(size=(5, *features)).astype(np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), _runtime(path, x), atol=1e-6)


def test_a_softmax_over_the_batch_axis_is_refused(tmp_path):
    nodes, weights = _dense_then("Softmax", axis=0)
    with pytest.raises(ImportGraphError, match=r"'last' \(Softmax\) runs over axis 0"):
        load(_write(tmp_path, nodes, weights, (3, 4), opset=13))


def test_a_dropout_in_training_mode_is_refused(tmp_path):
    """training_mode=True draws random masks in ONNX Runtime; it was read as the identity."""
    nodes = [helper.make_node("Dropout", ["x", "ratio", "training"], ["y"], name="drop")]
    constants = {"ratio": np.array(0.5, np.float32), "training": np.array(True)}
    path = _write(tmp_path, nodes, constants, (4,), opset=13)
    x = np.ones((7, 4), np.float32)
    assert not np.array_equal(_runtime(path, x), x)  # the reference drops and scales
    with pytest.raises(ImportGraphError, match=r"'drop' \(Dropout\) is in training mode"):
        load(path)


def test_a_dropout_in_inference_mode_is_the_identity(tmp_path):
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["h"], name="dense"),
        helper.make_node("Dropout", ["h", "ratio", "training"], ["y"], name="drop"),
    ]
    constants = {
        "w": RNG.normal(size=(4, 4)).astype(np.float32),
        "ratio": np.array(0.5, np.float32),
        "training": np.array(False),
    }
    path = _write(tmp_path, nodes, constants, (4,), opset=13)
    x = RNG.normal(size=(7, 4)).astype(np.float32)
    np.testing.assert_allclose(load(path).predict(x, verbose=0), _runtime(path, x), atol=1e-6)


def test_a_gemm_bias_of_shape_1_by_n(tmp_path):
    """C of shape (1, n), broadcast over the batch as ONNX does (it raised a bare
    broadcasting ValueError)."""
    nodes = [helper.make_node("Gemm", ["x", "w", "c"], ["y"], name="g", transB=1, beta=0.5)]
    weights = {
        "w": RNG.normal(size=(3, 4)).astype(np.float32),
        "c": RNG.normal(size=(1, 3)).astype(np.float32),
    }
    path = _write(tmp_path, nodes, weights, (4,))
    x = RNG.normal(size=(7, 4)).astype(np.float32)
    np.testing.assert_allclose(load(path).predict(x, verbose=0), _runtime(path, x), atol=1e-6)


@pytest.mark.parametrize(
    "op_type, shape", [("Add", (3, 1)), ("Gemm", (3, 1)), ("Gemm", (7, 3)), ("Add", (1, 1, 3))]
)
def test_a_constant_that_is_not_a_bias_is_refused(op_type, shape, tmp_path):
    """An Add of shape (3, 1) to a (batch, 3) product is a sum per sample, not a bias: read
    as one (its 3 values), a batch of 3 got the wrong numbers without a word."""
    w = RNG.normal(size=(4, 3)).astype(np.float32)
    c = RNG.normal(size=shape).astype(np.float32)
    if op_type == "Add":
        nodes = [
            helper.make_node("MatMul", ["x", "w"], ["h"], name="dense"),
            helper.make_node("Add", ["h", "c"], ["y"], name="bias"),
        ]
    else:
        nodes = [helper.make_node("Gemm", ["x", "w", "c"], ["y"], name="bias")]
    path = _write(tmp_path, nodes, {"w": w, "c": c}, (4,))
    with pytest.raises(ImportGraphError, match=rf"'bias' \({op_type}\) adds a constant of shape"):
        load(path)


def test_a_matmul_by_a_constant_that_is_not_a_matrix_is_refused(tmp_path):
    nodes = [helper.make_node("MatMul", ["x", "w"], ["y"], name="dot")]
    path = _write(tmp_path, nodes, {"w": np.ones((4,), np.float32)}, (4,))
    with pytest.raises(ImportGraphError, match=r"'dot' \(MatMul\) multiplies by a constant"):
        load(path)


def _normalization(op_type, features, **attributes):
    weights = {
        name: RNG.normal(
            size=(features[0] if op_type == "BatchNormalization" else features[-1],)
        ).astype(np.float32)
        for name in ("scale", "bias", "mean", "variance")
    }
    weights["variance"] = np.abs(weights["variance"]) + 0.5
    inputs = ["x", "scale", "bias", "mean", "variance"]
    if op_type == "LayerNormalization":
        inputs = inputs[:3]
    return [helper.make_node(op_type, inputs, ["y"], name="norm", **attributes)], weights


@pytest.mark.parametrize("features", [(4,), (3, 4)])
@pytest.mark.parametrize("op_type", ["BatchNormalization", "LayerNormalization"])
def test_a_normalization_at_inference(op_type, features, tmp_path):
    nodes, weights = _normalization(op_type, features, epsilon=0.25)
    path = _write(tmp_path, nodes, weights, features, opset=17)
    model = load(path)
    for batch in (1, 7):
        x = (2.0 * RNG.normal(size=(batch, *features))).astype(np.float32)
        np.testing.assert_allclose(model.predict(x, verbose=0), _runtime(path, x), atol=1e-5)


def test_a_batch_normalization_in_training_mode_is_refused(tmp_path):
    nodes, weights = _normalization("BatchNormalization", (4,), training_mode=1)
    with pytest.raises(ImportGraphError, match=r"'norm' \(BatchNormalization\) is in training"):
        load(_write(tmp_path, nodes, weights, (4,), opset=17))


def test_a_layer_normalization_over_several_axes_is_refused(tmp_path):
    nodes, weights = _normalization("LayerNormalization", (3, 4), axis=1)
    with pytest.raises(ImportGraphError, match=r"'norm' \(LayerNormalization\) normalizes over"):
        load(_write(tmp_path, nodes, weights, (3, 4), opset=17))


@pytest.mark.parametrize(
    "attribute, value", [("value_float", 2.0), ("value_floats", [1.0, 2.0, 3.0])]
)
def test_a_constant_node_in_its_scalar_and_list_forms(attribute, value, tmp_path):
    """A Constant given as value_float(s) rather than a tensor (it raised a bare
    AttributeError)."""
    nodes = [
        helper.make_node("Constant", [], ["c"], name="bias_value", **{attribute: value}),
        helper.make_node("MatMul", ["x", "w"], ["h"], name="dense"),
        helper.make_node("Add", ["h", "c"], ["y"], name="bias"),
    ]
    path = _write(tmp_path, nodes, {"w": RNG.normal(size=(4, 3)).astype(np.float32)}, (4,))
    x = RNG.normal(size=(7, 4)).astype(np.float32)
    np.testing.assert_allclose(load(path).predict(x, verbose=0), _runtime(path, x), atol=1e-6)


def test_a_constant_node_of_another_form_is_refused(tmp_path):
    nodes = [
        helper.make_node("Constant", [], ["c"], name="words", value_strings=["a"]),
        helper.make_node("MatMul", ["x", "w"], ["h"], name="dense"),
        helper.make_node("Add", ["h", "c"], ["y"], name="bias"),
    ]
    path = _write(tmp_path, nodes, {"w": RNG.normal(size=(4, 3)).astype(np.float32)}, (4,))
    with pytest.raises(ImportGraphError, match=r"'words' \(Constant\) has attributes"):
        load(path)


def test_an_opset_6_add_along_a_middle_axis_is_refused(tmp_path):
    """Before opset 7 an ``Add``'s ``axis`` lines its constant up from that axis: b of
    shape (4,) at axis 1 of a (batch, 4, 4) product adds b[i] to row i, where it was read
    as a bias per output (column). No runtime here runs opset 6's Add, so the spec is the
    reference; at the last axis (or without ``axis``) it is a bias and is read."""
    nodes, weights = _dense_then("Relu")
    nodes[1] = helper.make_node("Add", ["h", "b"], ["z"], name="bias", broadcast=1, axis=1)
    path = _write(tmp_path, nodes, weights, (4, 4), opset=6)
    with pytest.raises(ImportGraphError, match=r"'bias' \(Add, opset 6\) has axis=1"):
        load(path)
    nodes[1] = helper.make_node("Add", ["h", "b"], ["z"], name="bias", broadcast=1, axis=-1)
    x = RNG.normal(size=(7, 4, 4)).astype(np.float32)
    expected = np.maximum(x @ weights["w"] + weights["b"], 0.0)
    got = load(_write(tmp_path, nodes, weights, (4, 4), opset=6)).predict(x, verbose=0)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


def test_a_gemm_of_a_rank_3_input_is_refused(tmp_path):
    """ONNX's Gemm takes matrices (ONNX Runtime refuses the file); it was read as a Dense
    over the last axis."""
    nodes = [helper.make_node("Gemm", ["x", "w", "b"], ["y"], name="gemm")]
    weights = {"w": np.eye(4, dtype=np.float32), "b": np.ones(4, np.float32)}
    with pytest.raises(ImportGraphError, match=r"'gemm' \(Gemm\) multiplies a rank-3 input"):
        load(_write(tmp_path, nodes, weights, (3, 4)))


def test_an_opset_4_reshape_takes_its_shape_as_an_attribute(tmp_path):
    """Before opset 5 the shape is an attribute (it failed with "not enough values to
    unpack"); ONNX Runtime is the reference."""
    nodes = [helper.make_node("Reshape", ["x"], ["y"], name="reshape", shape=[0, 12])]
    path = _write(tmp_path, nodes, {}, (3, 4), opset=4)
    model = load(path)
    for batch in (1, 7):
        x = RNG.normal(size=(batch, 3, 4)).astype(np.float32)
        np.testing.assert_array_equal(model.predict(x, verbose=0), _runtime(path, x))

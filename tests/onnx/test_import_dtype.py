"""A float64 ONNX graph without a Gemm or MatMul (activations alone) is read as a float64
model: deepgrad built it in float32, so it computed in float32 without a word (results
off by float32's rounding against ONNX Runtime's float64)."""

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper  # noqa: E402

from deepgrad.onnx import load  # noqa: E402


@pytest.mark.parametrize(
    ("elem_type", "dtype"), [(TensorProto.DOUBLE, np.float64), (TensorProto.FLOAT, np.float32)]
)
def test_a_graph_of_activations_keeps_its_inputs_dtype(tmp_path, elem_type, dtype):
    graph = helper.make_graph(
        [helper.make_node("Tanh", ["x"], ["y"])],
        "tanh",
        [helper.make_tensor_value_info("x", elem_type, [None, 3])],
        [helper.make_tensor_value_info("y", elem_type, [None, 3])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    path = tmp_path / "tanh.onnx"
    onnx.save(model, str(path))
    x = np.array([[0.1, 0.2, 0.3], [1.0 / 3.0, -2.0, 0.7]], dtype)
    session = ort.InferenceSession(str(path))
    (expected,) = session.run(None, {"x": x})
    got = load(path).predict(x, verbose=0)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, expected, rtol=1e-15 if dtype == np.float64 else 1e-6)

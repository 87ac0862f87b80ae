"""sparsemax of logits so large that 1 + z rounds to z (float32 logits of 1e8) gave all
zeros, a slice that does not sum to 1 (Keras 3.15 gives inf); sparsemax is invariant to a
shift, so deepgrad now computes it on the logits less their maximum, and so does its ONNX
export."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import activations

CASES = [
    (np.array([1e8, 1e8, 0.0], np.float32), [0.5, 0.5, 0.0]),
    (np.array([1e30, 0.0], np.float32), [1.0, 0.0]),
    (np.array([[3e9, 3e9 + 512, -4e9]], np.float32), [[0.0, 1.0, 0.0]]),
]


@pytest.mark.parametrize(("logits", "expected"), CASES)
def test_large_logits_project_onto_the_simplex(logits, expected):
    out = activations.sparsemax(logits)
    np.testing.assert_allclose(out, expected, atol=1e-7)
    np.testing.assert_allclose(out.sum(axis=-1), 1.0, rtol=1e-6)


def test_the_shift_leaves_ordinary_logits_and_their_gradient_as_they_were():
    x = np.array([0.1, 0.2, 0.3, -0.5])
    np.testing.assert_allclose(activations.sparsemax(x), [0.7 / 3, 1 / 3, 1.3 / 3, 0], rtol=1e-12)
    grad = dg.grad(lambda z: activations.sparsemax(z)[2])(x)
    np.testing.assert_allclose(grad, [-1 / 3, -1 / 3, 2 / 3, 0.0], atol=1e-12)


def test_the_onnx_export_shifts_too(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    from deepgrad.onnx import export

    model = dg.Sequential(
        [
            dg.Input((3,)),
            dg.layers.Dense(3, kernel_initializer="identity", use_bias=False),
            dg.layers.Activation("sparsemax"),
        ]
    )
    model.build_for((None, 3))
    path = tmp_path / "sparsemax.onnx"
    export(model, path)
    session = ort.InferenceSession(str(path))
    x = np.array([[1e8, 1e8, 0.0], [0.1, 0.2, 0.3]], np.float32)
    (out,) = session.run(None, {session.get_inputs()[0].name: x})
    np.testing.assert_allclose(out, model.predict(x, verbose=0), atol=1e-6)
    np.testing.assert_allclose(out[0], [0.5, 0.5, 0.0], atol=1e-7)

"""The casts of a model's input on its way to the first layers, exported as deepgrad makes
them: the model's dtype, an integer ``Input``'s dtype, then the reading layer's own dtype.
What one ONNX graph (one float type) cannot compute is refused naming the layer."""

import numpy as np
import onnxruntime
import pytest

import deepgrad as dg
from deepgrad import layers
from deepgrad.onnx import ExportError, export

from .conftest import BATCH_SIZES

RNG = np.random.default_rng(5)


def _run(path, feeds):
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def _inputs(batch, dtype=np.float32):
    return (3.0 * RNG.normal(size=(batch, 4))).astype(dtype)


def test_an_integer_input_of_a_sequential_is_an_integer_port(onnx_path):
    """deepgrad truncates float data to the ``Input``'s int32 before the Dense; the graph
    input was a float32 port with no truncation (x = 1.7 read as 1.7, not 1: outputs
    1.45 apart). It is an int32 port, cast to the Dense's dtype as deepgrad casts it."""
    model = dg.Sequential([dg.Input((4,), dtype="int32"), layers.Dense(3)])
    export(model, onnx_path)
    for batch in BATCH_SIZES:
        x = _inputs(batch)
        (got,) = _run(onnx_path, {"input": x.astype(np.int32)})  # the same truncation
        expected = model.predict(x, verbose=0)
        assert got.dtype == expected.dtype == np.float32
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


def test_an_integer_input_of_a_functional_model_reaches_a_dense(onnx_path):
    """A Dense casts integer data to its kernel's dtype; the export failed in the ONNX
    checker (a Gemm of int64 by float32)."""
    indices = dg.Input((4,), dtype="int64", name="counts")
    model = dg.Model(indices, layers.Dense(3, name="head")(indices))
    export(model, onnx_path)
    x = RNG.integers(-5, 5, size=(7, 4))
    (got,) = _run(onnx_path, {"counts": x})
    np.testing.assert_allclose(got, model.predict(x, verbose=0), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    "model_dtype, layer_dtype", [("float64", "float32"), ("float32", "float64")]
)
def test_a_model_without_weights_computes_in_its_first_layers_dtype(
    model_dtype, layer_dtype, onnx_path
):
    """The first layer casts the model's input to its own dtype: the graph was in the
    model's dtype (a float64 output where deepgrad gives float32, and the reverse)."""
    layer = layers.Activation("tanh", input_shape=(4,), dtype=layer_dtype)
    model = dg.Sequential([layer], dtype=model_dtype)
    export(model, onnx_path)
    x = _inputs(7, np.dtype(model_dtype))
    (got,) = _run(onnx_path, {"input": x})
    expected = model.predict(x, verbose=0)
    assert got.dtype == expected.dtype == np.dtype(layer_dtype)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("first_dtype", ["float16", "float64"])
def test_a_first_layer_in_another_dtype_than_the_weights_is_refused(first_dtype, onnx_path):
    """deepgrad computes a float16 first layer in float16 (rounding the input: 7.5e-4 off
    a float32 graph, which never rounded it) and a float64 one in float64 (a float64 output
    from a float32 graph): both were exported in the weights' float32 without a word."""
    first = layers.Activation("linear", input_shape=(4,), dtype=first_dtype, name="narrow")
    model = dg.Sequential([first, layers.Dense(3)])
    with pytest.raises(ExportError, match=rf"narrow \(Activation\).*{first_dtype}.*float32"):
        export(model, onnx_path)
    assert not onnx_path.exists()


def test_a_functional_layer_in_another_dtype_than_the_weights_is_refused(onnx_path):
    features = dg.Input((4,), name="features")
    narrow = layers.Activation("linear", dtype="float16", name="narrow")(features)
    model = dg.Model(features, layers.Dense(3)(narrow))
    with pytest.raises(ExportError, match=r"narrow \(Activation\).*'features'.*float16"):
        export(model, onnx_path)


def test_an_output_in_another_dtype_than_the_graph_is_refused(onnx_path):
    """It failed in the ONNX checker's type inference, naming no layer."""
    features = dg.Input((4,), name="features")
    wide = layers.Activation("tanh", dtype="float64", name="wide")
    model = dg.Model(features, wide(layers.Dense(3)(features)))
    with pytest.raises(ExportError, match=r"output 'wide' in float64 .* graph in float32"):
        export(model, onnx_path)


def test_an_integer_input_read_as_it_is_is_refused(onnx_path):
    """An Activation computes on int32 data with NumPy's promotion (float64 for tanh)."""
    model = dg.Sequential([dg.Input((4,), dtype="int32"), layers.Activation("tanh", name="act")])
    with pytest.raises(ExportError, match=r"act \(Activation\): reads the model's int32 input"):
        export(model, onnx_path)


def test_an_input_layer_in_a_sequential_casts_to_its_dtype(onnx_path):
    """An ``InputLayer`` among a Sequential's layers casts the data to its float32 and passes
    a tensor on, which the float64 layer after it does not cast: deepgrad computes in
    float32. The graph was float64 (the model's dtype), a float64 output."""
    last = layers.Activation("tanh", dtype="float64")
    model = dg.Sequential([layers.InputLayer((4,)), last], dtype="float64")
    export(model, onnx_path)
    x = _inputs(7, np.float64)
    (got,) = _run(onnx_path, {"input": x})
    expected = model.predict(x, verbose=0)
    assert got.dtype == expected.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


def test_an_integer_input_layer_truncates_float_data(onnx_path):
    """An int32 ``InputLayer`` truncates the model's float data toward zero (ONNX's Cast
    too); the Dense after it converts the integer tensor to its kernel's dtype."""
    model = dg.Sequential([layers.InputLayer((4,), dtype="int32"), layers.Dense(3)])
    export(model, onnx_path)
    x = _inputs(7)
    (got,) = _run(onnx_path, {"input": x})
    np.testing.assert_allclose(got, model.predict(x, verbose=0), rtol=1e-6, atol=1e-6)

"""Every layer and activation, exported and run by ONNX Runtime: the same predictions as
deepgrad to 1e-5 in float32, for two batch sizes through one file; onnx.checker passes."""

import functools

import numpy as np
import onnx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import deepgrad as dg
from deepgrad import activations, datasets, layers
from deepgrad.onnx import OPSET, ExportError, export
from deepgrad.onnx.activations import CONVERTERS as ACTIVATION_CONVERTERS
from deepgrad.onnx.activations import convert_activation
from deepgrad.onnx.graph import Graph
from deepgrad.onnx.layers import CONVERTERS, convert_layer
from deepgrad.onnx.merging import MERGE_CONVERTERS
from deepgrad.tensor import raw_data

from .conftest import BATCH_SIZES, run_onnx

RNG = np.random.default_rng(0)


def _randomize(model):
    """Non-default values in every weight (moving averages, γ, β, PReLU's α ...), so a
    converter that ignored one would be caught."""
    for path, weight, _, _ in model.named_weights():
        data = raw_data(weight)
        values = RNG.normal(size=data.shape)
        data[...] = np.abs(values) + 0.5 if "variance" in path else values


def _inputs(shape, batch, dtype=np.float32):
    return (2.0 * RNG.normal(size=(batch, *shape))).astype(dtype)


def assert_same_predictions(model, path, input_shape, integer_input=False):
    export(model, path)
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    for batch in BATCH_SIZES:
        if integer_input:
            x = RNG.integers(0, 10, size=(batch, *input_shape)).astype(np.int64)
        else:
            x = _inputs(input_shape, batch)
        expected = model.predict(x, verbose=0)
        got = run_onnx(path, x)
        assert got.dtype == np.float32 and got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


# Every registered activation that has an ONNX form (the others must be refused by name:
# test_every_activation_exports_or_is_refused_by_name).
EXPORTABLE = sorted(
    name for name, fn in activations.ACTIVATIONS.items() if fn in ACTIVATION_CONVERTERS
)
ACTIVATION_CASES = {
    **{name: name for name in EXPORTABLE if name != "threshold"},  # it needs its arguments
    "gelu_tanh": functools.partial(activations.gelu, approximate=True),
    "leaky_relu_0.05": functools.partial(activations.leaky_relu, negative_slope=0.05),
    "elu_0.5": functools.partial(activations.elu, alpha=0.5),
    "celu_2": functools.partial(activations.celu, alpha=2.0),
    "softmax_axis_1": functools.partial(activations.softmax, axis=1),
    "squareplus_1": functools.partial(activations.squareplus, b=1.0),
    "hard_shrink_0.2": functools.partial(activations.hard_shrink, threshold=0.2),
    "soft_shrink_0.3": functools.partial(activations.soft_shrink, threshold=0.3),
    # ONNX's Shrink would test x < 0.3 first where deepgrad tests x > −0.3: Where forms
    "soft_shrink_-0.3": functools.partial(activations.soft_shrink, threshold=-0.3),
    "threshold_0.1": functools.partial(activations.threshold, threshold=0.1, default_value=-0.5),
    "threshold_-0.2_int": functools.partial(activations.threshold, threshold=-0.2, default_value=2),
    "glu_axis_1": functools.partial(activations.glu, axis=1),
}
# In random stacks of Dense layers of any width: not threshold (it needs its arguments) or
# glu (an odd width is refused).
STACKABLE = [name for name in EXPORTABLE if name not in ("threshold", "glu")]


@pytest.mark.parametrize("name", sorted(ACTIVATION_CASES))
def test_every_activation_in_a_dense_layer(name, onnx_path):
    model = dg.Sequential(
        [layers.Dense(6, activation=ACTIVATION_CASES[name], input_shape=(5,)), layers.Dense(3)]
    )
    _randomize(model)
    assert_same_predictions(model, onnx_path, (5,))


@pytest.mark.parametrize("name", sorted(ACTIVATION_CASES))
def test_every_activation_as_a_layer(name, onnx_path):
    # (4, 6): glu halves either axis
    model = dg.Sequential([layers.Activation(ACTIVATION_CASES[name], input_shape=(4, 6))])
    assert_same_predictions(model, onnx_path, (4, 6))


# At every kink of the piecewise activations: ±0.5, ±1 and the thresholds of the cases.
KINK_POINTS = np.array(
    [[-3.0, -1.0, -0.7, -0.5, -0.25, -0.2, 0.0, 0.1], [0.2, 0.25, 0.3, 0.5, 0.7, 1.0, 3.0, -0.3]]
)
PIECEWISE = [
    "hard_shrink", "hard_shrink_0.2", "soft_shrink", "soft_shrink_0.3", "soft_shrink_-0.3",
    "threshold_0.1",
    "threshold_-0.2_int", "sparse_plus", "sparse_sigmoid", "squareplus", "tanh_shrink", "glu",
]  # fmt: skip


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", PIECEWISE)
def test_piecewise_activations_at_their_kinks(name, dtype, onnx_path):
    layer = layers.Activation(ACTIVATION_CASES[name], input_shape=(8,), dtype=dtype)
    model = dg.Sequential([layer], dtype=dtype)
    export(model, onnx_path)
    x = KINK_POINTS.astype(dtype)
    # Tolerances for the Tanh and Sigmoid of ONNX Runtime; a kink missed is off by ≥ 0.1.
    tolerance = 1e-6 if dtype == "float32" else 1e-14
    expected = model.predict(x, verbose=0)
    np.testing.assert_allclose(run_onnx(onnx_path, x), expected, rtol=tolerance, atol=tolerance)


# Slices with ties, one survivor, all equal and large values: exact sorts and sums matter.
SPARSEMAX_SLICES = np.array(
    [
        [[1.0, 1.0, 0.0, -1.0], [0.5, 0.5, 0.5, 0.2]],
        [[10.0, 0.0, -1.0, 2.0], [-5.0, 3.0, 0.0, 0.0]],
        [[2.0, 2.0, 2.0, 2.0], [0.0, 0.0, 0.0, 0.0]],
        [[1e6, 1e6 - 0.5, -1e6, 3e5], [-3e5, 3e5, 3e5 - 0.25, 0.0]],
    ]
)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("axis", [-1, 1, 2])
def test_sparsemax_along_its_axis(axis, dtype, onnx_path):
    sparsemax = functools.partial(activations.sparsemax, axis=axis)
    layer = layers.Activation(sparsemax, input_shape=(2, 4), dtype=dtype)
    model = dg.Sequential([layer], dtype=dtype)
    export(model, onnx_path)
    x = SPARSEMAX_SLICES.astype(dtype)
    expected = model.predict(x, verbose=0)
    np.testing.assert_allclose(expected.sum(axis=axis), 1.0, rtol=1e-6)
    tolerance = 1e-6 if dtype == "float32" else 1e-14
    np.testing.assert_allclose(run_onnx(onnx_path, x), expected, rtol=tolerance, atol=tolerance)


SOFTMAXES = {
    "layer": lambda axis, **kwargs: layers.Softmax(axis=axis, **kwargs),
    "softmax": lambda axis, **kwargs: layers.Activation(
        functools.partial(activations.softmax, axis=axis), **kwargs
    ),
    "log_softmax": lambda axis, **kwargs: layers.Activation(
        functools.partial(activations.log_softmax, axis=axis), **kwargs
    ),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("axis", [(1, 2), (-1, -3), (1, 2, 3), (2,)])
@pytest.mark.parametrize("form", sorted(SOFTMAXES))
def test_softmax_over_several_axes_together(form, axis, dtype, onnx_path):
    """Keras 3's Softmax(axis=(1, 2)): one softmax over the axes together. The layer's
    tuple was written as a list attribute (refused by onnx.checker) and the activation's
    as int(axis) (refused as an option its ONNX form does not take)."""
    layer = SOFTMAXES[form](axis, input_shape=(3, 4, 2), dtype=dtype)
    model = dg.Sequential([layer], dtype=dtype)
    export(model, onnx_path)
    tolerance = 1e-6 if dtype == "float32" else 1e-13
    for batch in BATCH_SIZES:
        x = (4.0 * RNG.normal(size=(batch, 3, 4, 2))).astype(dtype)
        expected = model.predict(x, verbose=0)
        assert expected.dtype == np.dtype(dtype)
        np.testing.assert_allclose(run_onnx(onnx_path, x), expected, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("name", sorted(activations.ACTIVATIONS))
def test_every_activation_exports_or_is_refused_by_name(name, onnx_path):
    """An activation added to deepgrad later is never exported silently wrong."""
    if name in EXPORTABLE:
        return
    activation = activations.get(name)
    if name == "threshold":  # it has no defaults for its two arguments
        activation = functools.partial(activation, threshold=0.5, default_value=0.0)
    model = dg.Sequential([layers.Activation(activation, input_shape=(4, 6))])
    with pytest.raises(ExportError, match=f"the activation '{name}' cannot be exported"):
        export(model, onnx_path)


def _normalization_adapted():
    norm = layers.Normalization(input_shape=(5,))
    norm.adapt(_inputs((5,), 50) * 3.0 + 1.0)
    return [norm, layers.Dense(3)]


def _normalization_axis_1(invert=False):
    """Axis 1 of (batch, 3, 3): the means laid on axis 1, not on the last axis."""
    norm = layers.Normalization(axis=1, invert=invert, input_shape=(3, 3))
    norm.adapt(_inputs((3, 3), 50) * np.array([1.0, 2.0, 3.0])[:, None] + 1.0)
    return [norm]


LAYER_CASES = {
    # name: (layers, input shape)
    "Dense": (lambda: [layers.Dense(4, input_shape=(5,))], (5,)),
    "Dense_no_bias": (lambda: [layers.Dense(4, use_bias=False, input_shape=(5,))], (5,)),
    "Dense_rank3": (lambda: [layers.Dense(4, activation="tanh", input_shape=(3, 5))], (3, 5)),
    "ReLU": (lambda: [layers.ReLU(input_shape=(5,))], (5,)),
    "ReLU_max_value": (lambda: [layers.ReLU(max_value=1.5, input_shape=(5,))], (5,)),
    "ReLU_negative_slope": (lambda: [layers.ReLU(negative_slope=0.1, input_shape=(5,))], (5,)),
    "ReLU_threshold": (lambda: [layers.ReLU(threshold=0.5, input_shape=(5,))], (5,)),
    "ReLU_all_arguments": (
        lambda: [layers.ReLU(max_value=2.0, negative_slope=0.1, threshold=0.5, input_shape=(5,))],
        (5,),
    ),
    "LeakyReLU": (lambda: [layers.LeakyReLU(0.1, input_shape=(5,))], (5,)),
    "PReLU": (lambda: [layers.PReLU(input_shape=(3, 5))], (3, 5)),
    "PReLU_shared_axes": (lambda: [layers.PReLU(shared_axes=[1], input_shape=(3, 5))], (3, 5)),
    "ELU": (lambda: [layers.ELU(0.7, input_shape=(5,))], (5,)),
    "Softmax": (lambda: [layers.Softmax(input_shape=(5,))], (5,)),
    "Softmax_axis_1": (lambda: [layers.Softmax(axis=1, input_shape=(3, 5))], (3, 5)),
    "Dropout": (lambda: [layers.Dense(4, input_shape=(5,)), layers.Dropout(0.5)], (5,)),
    "GaussianNoise": (lambda: [layers.GaussianNoise(0.3, input_shape=(5,))], (5,)),
    "Dropout_noise_shape": (
        lambda: [layers.Dropout(0.5, noise_shape=(None, 1, None), input_shape=(3, 5))],
        (3, 5),
    ),
    "GaussianDropout": (lambda: [layers.GaussianDropout(0.3, input_shape=(5,))], (5,)),
    "AlphaDropout": (
        lambda: [layers.Dense(4, input_shape=(5,)), layers.AlphaDropout(0.2, seed=1)],
        (5,),
    ),
    "BatchNormalization": (lambda: [layers.BatchNormalization(input_shape=(5,))], (5,)),
    "BatchNormalization_axis_1": (
        lambda: [layers.BatchNormalization(axis=1, input_shape=(3, 5))],
        (3, 5),
    ),
    "BatchNormalization_unscaled": (
        lambda: [layers.BatchNormalization(center=False, scale=False, input_shape=(5,))],
        (5,),
    ),
    "LayerNormalization": (lambda: [layers.LayerNormalization(input_shape=(5,))], (5,)),
    "LayerNormalization_axis_1": (
        lambda: [layers.LayerNormalization(axis=1, input_shape=(3, 5))],
        (3, 5),
    ),
    "LayerNormalization_two_axes": (
        lambda: [layers.LayerNormalization(axis=[1, 2], input_shape=(3, 5))],
        (3, 5),
    ),
    "LayerNormalization_rms_scaling": (
        lambda: [layers.LayerNormalization(rms_scaling=True, input_shape=(3, 5))],
        (3, 5),
    ),
    "Normalization": (_normalization_adapted, (5,)),
    "Normalization_axis_1": (_normalization_axis_1, (3, 3)),
    "Normalization_axis_1_invert": (lambda: _normalization_axis_1(invert=True), (3, 3)),
    "Flatten": (lambda: [layers.Flatten(input_shape=(3, 5)), layers.Dense(2)], (3, 5)),
    "Flatten_channels_first": (
        lambda: [layers.Flatten(data_format="channels_first", input_shape=(2, 3, 5))],
        (2, 3, 5),
    ),
    "Reshape": (lambda: [layers.Reshape((5, -1), input_shape=(3, 5)), layers.Dense(2)], (3, 5)),
    "Reshape_None": (lambda: [layers.Reshape((None, 3), input_shape=(3, 5))], (3, 5)),
    "Permute": (
        lambda: [layers.Permute((3, 1, 2), input_shape=(2, 3, 5)), layers.Dense(2)],
        (2, 3, 5),
    ),
    "nested_Sequential": (
        lambda: [
            dg.Sequential([layers.Dense(4, activation="mish", input_shape=(5,))]),
            layers.Dense(2),
        ],
        (5,),
    ),
}


@pytest.mark.parametrize("name", sorted(LAYER_CASES))
def test_every_layer(name, onnx_path):
    make, input_shape = LAYER_CASES[name]
    model = dg.Sequential(make())
    _randomize(model)
    assert_same_predictions(model, onnx_path, input_shape)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_relus_arguments_at_their_corners(dtype, onnx_path):
    """ReLU(max_value, negative_slope, threshold) in both dtypes, at and around the
    threshold and the cap, where the pieces meet."""
    layer = layers.ReLU(max_value=2.0, negative_slope=0.25, threshold=0.5, dtype=dtype)
    model = dg.Sequential([layer], dtype=dtype)
    model.build_for((None, 8))
    export(model, onnx_path)
    x = np.array([[-3.0, 0.0, 0.5, 0.75, 2.0, 2.5, 9.0, np.nan]], dtype)
    expected = model.predict(x, verbose=0)
    np.testing.assert_array_equal(expected[0, :7], [-0.875, -0.125, 0.0, 0.75, 2.0, 2.0, 2.0])
    np.testing.assert_allclose(run_onnx(onnx_path, x), expected, rtol=1e-12, atol=1e-12)


def test_a_sequential_computes_in_its_layers_dtype(onnx_path):
    """``Sequential(..., dtype="float64")`` of layers built in float32 predicts in float32:
    the graph is float32 too, after the model's cast of its input to float64 (it was a
    float64 graph, a model deepgrad does not compute)."""
    model = dg.Sequential([layers.Dense(3, activation="tanh", input_shape=(4,))], dtype="float64")
    export(model, onnx_path)
    x = _inputs((4,), 7, np.float64)
    expected = model.predict(x, verbose=0)
    got = run_onnx(onnx_path, x)
    assert got.dtype == expected.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


def test_weights_of_several_dtypes_are_refused(onnx_path):
    model = dg.Sequential(
        [layers.Dense(3, input_shape=(4,)), layers.Dense(2, dtype="float64", name="wide")]
    )
    with pytest.raises(ExportError, match=r"weights of several dtypes, float32 .*float64"):
        export(model, onnx_path)


def test_a_normalization_of_a_constant_feature(onnx_path):
    """A feature of variance 0 is divided by deepgrad's floor of the deviation (1e-7), not
    by the square root of a floor on the variance."""
    norm = layers.Normalization(input_shape=(3,))
    data = RNG.normal(size=(50, 3)).astype(np.float32)
    data[:, 1] = 2.0
    norm.adapt(data)
    model = dg.Sequential([norm])
    export(model, onnx_path)
    x = np.array([[0.0, 2.5, 0.0]], np.float32)
    expected = model.predict(x, verbose=0)
    assert expected[0, 1] == pytest.approx(5e6, rel=1e-6)
    np.testing.assert_allclose(run_onnx(onnx_path, x), expected, rtol=1e-6)


def test_embedding_reads_integer_indices(onnx_path):
    model = dg.Sequential(
        [layers.Embedding(10, 4, input_shape=(3,)), layers.Flatten(), layers.Dense(2)]
    )
    assert_same_predictions(model, onnx_path, (3,), integer_input=True)
    graph_input = onnx.load(str(onnx_path)).graph.input[0]
    assert graph_input.type.tensor_type.elem_type == onnx.TensorProto.INT64


def test_the_digits_model(onnx_path):
    (x_train, y_train), (x_test, _) = datasets.load_digits()
    model = dg.Sequential(
        [
            layers.Normalization(input_shape=(64,)),
            layers.Dense(32, activation="relu"),
            layers.Dropout(0.1),
            layers.Dense(10),
            layers.Softmax(),
        ]
    )
    model.layers[0].adapt(x_train)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=3, batch_size=64, verbose=0)
    export(model, onnx_path)
    for x in (x_test[:1], x_test):
        got = run_onnx(onnx_path, x)
        np.testing.assert_allclose(got, model.predict(x), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(
        run_onnx(onnx_path, x_test).argmax(1), model.predict(x_test).argmax(1)
    )


def test_the_opset_and_the_dynamic_batch_dimension_are_in_the_file(onnx_path):
    model = dg.Sequential([layers.Dense(3, input_shape=(4,))])
    export(model, onnx_path)
    proto = onnx.load(str(onnx_path))
    assert [(o.domain, o.version) for o in proto.opset_import] == [("", OPSET)] == [("", 17)]
    for value in (*proto.graph.input, *proto.graph.output):
        dims = value.type.tensor_type.shape.dim
        assert dims[0].dim_param == "batch" and not dims[0].HasField("dim_value")
    assert [d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim[1:]] == [4]
    assert [d.dim_value for d in proto.graph.output[0].type.tensor_type.shape.dim[1:]] == [3]


class _Doubler(layers.Layer):
    def call(self, inputs, training=False):
        return inputs * 2.0


class _MyDense(layers.Dense):
    pass


def test_a_layer_without_an_onnx_form_is_named(onnx_path):
    model = dg.Sequential([layers.Dense(3, input_shape=(4,)), _Doubler(name="doubler")])
    with pytest.raises(ExportError, match=r"doubler \(_Doubler\): this layer cannot be exported"):
        export(model, onnx_path)
    assert not onnx_path.exists()


def test_a_subclass_of_a_layer_is_not_taken_for_its_parent(onnx_path):
    model = dg.Sequential([_MyDense(3, input_shape=(4,), name="mine")])
    with pytest.raises(ExportError, match=r"mine \(_MyDense\)"):
        export(model, onnx_path)


def test_an_activation_without_an_onnx_form_is_named(onnx_path):
    def cube(x):
        return x * x * x

    model = dg.Sequential([layers.Dense(3, activation=cube, input_shape=(4,), name="d")])
    with pytest.raises(ExportError, match=r"d: the activation 'cube' cannot be exported"):
        export(model, onnx_path)


def test_unknown_options_of_an_activation_are_refused():
    odd = functools.partial(activations.relu, threshold=1.0)
    with pytest.raises(ExportError, match=r"d: the activation 'relu' was given options"):
        convert_activation(odd, Graph(np.dtype(np.float32)), "x", "d")


def test_a_subclassed_model_and_an_unbuilt_model_are_refused(onnx_path):
    class Net(dg.Model):
        def __init__(self):
            super().__init__(name="net")
            self.dense = layers.Dense(2)

        def call(self, x, training=False):
            return self.dense(x)

    with pytest.raises(ExportError, match=r"net \(Net\): only Sequential"):
        export(Net(), onnx_path)
    with pytest.raises(ExportError, match="not built"):
        export(dg.Sequential([layers.Dense(2)]), onnx_path)


def test_a_failed_export_leaves_an_existing_file_untouched(onnx_path):
    onnx_path.write_bytes(b"previous")
    with pytest.raises(ExportError):
        export(dg.Sequential([_Doubler(input_shape=(3,))]), onnx_path)
    assert onnx_path.read_bytes() == b"previous"


@pytest.mark.parametrize("name", [n for n in layers.__all__ if n not in {"Layer"}])
def test_every_layer_class_exports_or_is_refused_by_name(name, onnx_path):
    """A layer added to deepgrad.layers later is never exported silently wrong: either it
    has a converter (and the cases above test it) or export names it."""
    cls = getattr(layers, name)
    if not (isinstance(cls, type) and issubclass(cls, layers.Layer)) or cls in CONVERTERS:
        return
    if cls in MERGE_CONVERTERS:  # exported in functional models: test_export_functional.py
        return
    assert name not in LAYER_CASES
    layer = cls.__new__(cls)  # its own __init__ may need arguments: only its class matters
    layers.Layer.__init__(layer, name="new")
    with pytest.raises(ExportError, match=rf"new \({name}\): this layer cannot be exported"):
        convert_layer(layer, Graph(np.dtype(np.float32)), "input")


@pytest.mark.parametrize("name", sorted(ACTIVATION_CASES))
def test_every_activation_in_float64(name, onnx_path):
    """float64 models export in float64 (the ops ONNX Runtime has only in float32 are
    written from elementary ops), and agree to float64 precision."""
    model = dg.Sequential(
        [layers.Dense(6, activation=ACTIVATION_CASES[name], input_shape=(5,), dtype="float64")],
        dtype="float64",
    )
    export(model, onnx_path)  # valid ONNX (onnx.checker passes) in every case
    if name == "gelu":  # exact GELU needs Erf, which ONNX Runtime has only in float32
        with pytest.raises(Exception, match=r"NOT_IMPLEMENTED.*Erf"):
            run_onnx(onnx_path, _inputs((5,), 1, np.float64))
        return
    for batch in BATCH_SIZES:
        x = _inputs((5,), batch, np.float64)
        got = run_onnx(onnx_path, x)
        assert got.dtype == np.float64
        np.testing.assert_allclose(got, model.predict(x, verbose=0), rtol=1e-12, atol=1e-12)


@settings(deadline=None)
@given(
    widths=st.lists(st.integers(1, 12), min_size=1, max_size=4),
    names=st.lists(st.sampled_from(STACKABLE), min_size=4, max_size=4),
    features=st.integers(1, 6),
    batch=st.integers(1, 9),
    seed=st.integers(0, 2**16),
)
def test_random_stacks_of_dense_layers(widths, names, features, batch, seed, tmp_path_factory):
    dg.random.seed(seed)
    model = dg.Sequential(
        [
            layers.Dense(width, activation=name)
            for width, name in zip(widths, names[: len(widths)], strict=True)
        ]
    )
    model.build_for((None, features))
    path = tmp_path_factory.mktemp("random") / "model.onnx"
    export(model, path)
    x = np.random.default_rng(seed).normal(size=(batch, features)).astype(np.float32)
    np.testing.assert_allclose(run_onnx(path, x), model.predict(x), rtol=1e-5, atol=1e-5)

"""Merge layers against Keras 3.15: inputs of different ranks are aligned after their
batch axis (Keras' expand_dims at axis 1), and different batch sizes are refused.

The fixed numbers were produced by Keras 3.15 on JAX (float32),
``np.asarray(keras.layers.X()([a, b]))``; the test guarded by
``pytest.importorskip("keras")`` runs Keras itself."""

import os

import numpy as np
import pytest

from deepgrad import layers
from deepgrad.tensor import raw_data

A = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)  # (batch 2, 2)
B = np.arange(8, dtype=np.float32).reshape(2, 2, 2)  # (batch 2, 2, 2)
C = np.array([10.0, 20.0], np.float32)  # (batch 2,): one number per sample

KERAS_A_WITH_B = {
    "Add": [[[1.0, 3.0], [3.0, 5.0]], [[7.0, 9.0], [9.0, 11.0]]],
    "Subtract": [[[1.0, 1.0], [-1.0, -1.0]], [[-1.0, -1.0], [-3.0, -3.0]]],
    "Multiply": [[[0.0, 2.0], [2.0, 6.0]], [[12.0, 20.0], [18.0, 28.0]]],
    "Average": [[[0.5, 1.5], [1.5, 2.5]], [[3.5, 4.5], [4.5, 5.5]]],
    "Maximum": [[[1.0, 2.0], [2.0, 3.0]], [[4.0, 5.0], [6.0, 7.0]]],
    "Minimum": [[[0.0, 1.0], [1.0, 2.0]], [[3.0, 4.0], [3.0, 4.0]]],
}
ELEMENTWISE = sorted(KERAS_A_WITH_B)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_lower_rank_input_gets_axes_after_its_batch_axis(name):
    """(2, 2) with (2, 2, 2): sample i of A meets sample i of B (NumPy's broadcasting
    would pair A's rows with B's inner axis)."""
    out = raw_data(getattr(layers, name)()([A, B]))
    np.testing.assert_array_equal(out, np.array(KERAS_A_WITH_B[name], np.float32))


def test_three_ranks_added_as_keras():
    out = raw_data(layers.Add()([C, A, B]))
    expected = [[[11.0, 13.0], [13.0, 15.0]], [[27.0, 29.0], [29.0, 31.0]]]
    np.testing.assert_array_equal(out, np.array(expected, np.float32))


@pytest.mark.parametrize("name", [*ELEMENTWISE, "Concatenate"])
def test_different_batch_sizes_are_refused(name):
    with pytest.raises(ValueError, match=rf"{name} .*different batch sizes.*\(1, 2\), \(2, 2\)"):
        getattr(layers, name)()([A[:1], A])


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_different_ranks_as_keras_runs_them(name):
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal(shape).astype(np.float32) for shape in [(3, 5), (3, 3, 5)]]
    expected = np.asarray(getattr(keras.layers, name)()(inputs))
    out = raw_data(getattr(layers, name)()(inputs))
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)


# Keras 3.15 promotes an integer merged with a float to the float's dtype (its
# result_type: int32 with float32 is float32, int64 with float16 float16); NumPy's rules
# would give float64. Produced by np.asarray(keras.layers.X(dtype=d)([ints, floats])).
KERAS_MIXED_DTYPES = [
    ("Add", "int32", "float32", "float32"),
    ("Subtract", "float32", "int32", "float32"),
    ("Multiply", "int64", "float32", "float32"),
    ("Maximum", "int32", "float32", "float32"),
    ("Minimum", "int32", "float64", "float32"),
    ("Concatenate", "int32", "float32", "float32"),
    ("Dot", "int32", "float32", "float32"),
    ("Add", "int32", "float16", "float16"),
]


@pytest.mark.parametrize(("name", "first", "second", "expected"), KERAS_MIXED_DTYPES)
def test_integer_with_float_inputs_take_the_float_dtype(name, first, second, expected):
    x = np.arange(6).reshape(2, 3).astype(first)
    y = np.linspace(-1.0, 1.0, 6).reshape(2, 3).astype(second)
    arguments = {"axes": 1} if name == "Dot" else {}
    dtype = "float16" if expected == "float16" else "float32"  # the layer's dtype
    layer = getattr(layers, name)(**arguments, dtype=dtype)
    out = raw_data(layer([x, y]))
    assert out.dtype == np.dtype(expected)
    if name == "Add":  # the values too: the integers' exact sum in the float dtype
        np.testing.assert_allclose(out, x.astype(expected) + y.astype(expected), rtol=1e-3)


def test_mixed_dtypes_in_a_functional_model_as_keras_runs_them():
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    from deepgrad import Input, Model

    x = np.arange(6).reshape(2, 3).astype(np.int32)
    y = np.linspace(-1.0, 1.0, 6).reshape(2, 3).astype(np.float32)
    for name in [*ELEMENTWISE, "Concatenate"]:
        expected = np.asarray(getattr(keras.layers, name)()([x, y]))
        ints, floats = Input((3,), dtype="int32"), Input((3,), dtype="float32")
        model = Model([ints, floats], getattr(layers, name)()([ints, floats]))
        out = raw_data(model([x, y]))
        assert out.dtype == expected.dtype, name
        np.testing.assert_allclose(out, expected, rtol=1e-6, err_msg=name)


@pytest.mark.parametrize("axis", [1.5, 1.0, "1", None, True])
def test_concatenate_refuses_an_axis_that_is_not_an_integer(axis):
    """Keras 3.15 raises a TypeError for axis=1.5, "1" and None; int() made 1.5 and "1"
    axis 1 silently."""
    expected = rf"Concatenate: axis must be an integer, got axis={axis!r}"
    with pytest.raises(TypeError, match=expected):
        layers.Concatenate(axis=axis)


def test_concatenate_takes_numpy_integer_axes():
    out = raw_data(layers.Concatenate(axis=np.int64(1))([A, A]))
    np.testing.assert_array_equal(out, np.concatenate([A, A], axis=1))

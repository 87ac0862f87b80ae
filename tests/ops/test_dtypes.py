"""Casting and dtype rules."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp
from deepgrad import losses


def test_astype_between_floats_is_differentiable():
    x = dg.tensor(np.array([1.5, 2.5]), requires_grad=True)  # float64
    y = dnp.astype(x, np.float32)
    assert y.dtype == np.float32
    (y * y).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 5.0])
    _, tangent = dg.jvp(lambda x: dnp.astype(x, np.float32), (np.array([1.0]),), (np.array([2.0]),))
    assert tangent.dtype == np.float32 and tangent[0] == 2.0


def test_astype_to_integer_is_a_constant():
    x = dg.tensor([1.7, 2.2], requires_grad=True)
    i = x.astype("int64")
    assert i.dtype == np.int64 and not i.requires_grad


@pytest.mark.parametrize("x", [[1, 2], [1.5, -2.5], (1, 2), 3, 2.5, True], ids=repr)
@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "int64"])
def test_astype_of_a_list_or_a_python_number_is_numpys_cast(x, dtype):
    # float64 came back as the list or number itself (NumPy takes None == np.dtype("float64")
    # as True), float32 and float16 raised an AttributeError
    expected = np.asarray(x).astype(dtype)
    got = dnp.astype(x, dtype)
    assert type(got) is np.ndarray and got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("x", [np.float32(2.5), np.float64(-1.5), np.int64(3), np.bool_(True)])
@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int8", "bool"])
def test_astype_of_a_numpy_scalar_is_a_numpy_scalar(x, dtype):
    # to an integer or boolean dtype it was a 0-d array
    expected = x.astype(dtype)  # np.astype's
    got = dnp.astype(x, dtype)
    assert type(got) is type(expected) and got == expected
    tensor = dnp.astype(dg.tensor(x), dtype)
    assert isinstance(tensor, dg.Tensor) and tensor.dtype == expected.dtype


def test_a_loss_takes_sample_weight_as_a_list_on_float32_predictions():
    y_true = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    y_pred = np.array([[0.8, 0.2], [0.3, 0.7]], dtype=np.float32)
    expected = losses.MeanSquaredError()(y_true, y_pred, sample_weight=np.array([1.0, 2.0]))
    got = losses.MeanSquaredError()(y_true, y_pred, sample_weight=[1, 2])
    assert got.dtype == np.float32 and got == expected


def test_default_dtype():
    assert dg.tensor([1.0]).dtype == np.float32
    dg.set_default_dtype("float64")
    try:
        assert dg.tensor([1.0]).dtype == np.float64
    finally:
        dg.set_default_dtype("float32")
    assert dg.tensor(np.ones(1)).dtype == np.float64
    assert dg.tensor([1, 2]).dtype == np.int64


def test_mixed_precision_gradient_takes_the_leaf_dtype():
    x = dg.tensor([1.0, 2.0], requires_grad=True)  # float32
    y = (x * np.array([1.0, 2.0])).sum()  # promoted to float64
    assert y.dtype == np.float64
    y.backward()
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize("name", ["atleast_1d", "atleast_2d", "atleast_3d"])
@pytest.mark.parametrize("value", [[1, 2], [[1.5], [2.5]], 3.0, np.float32(2), [[[1]]]])
def test_atleast_nd_of_a_list_or_a_number_is_numpy_s_array(name, value):
    """A list that already had enough dimensions came back as the list itself."""
    got, expected = getattr(dnp, name)(value), getattr(np, name)(value)
    assert type(got) is np.ndarray and got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)

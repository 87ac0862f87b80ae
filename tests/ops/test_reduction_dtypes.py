"""``sum(x, dtype=int)`` recorded a node and gave every element a gradient of 1, and
``mean(x, dtype=int)`` returned 1.5 where NumPy returns 1 (its mean truncates in the
integer dtype). An integer or boolean reduction is a constant, as ``astype(int)`` is, and
``grad`` of a function whose output is an integer raises (as JAX's does) instead of
returning zeros."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp

A = np.array([[1.5, 2.6], [-3.7, 0.2]])
DTYPES = [None, int, np.int32, np.uint8, bool, np.float32, np.float64]
AXES = [None, 0, 1]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("wrap", [np.asarray, dg.tensor], ids=["array", "tensor"])
def test_sum_matches_numpy_in_value_and_dtype(dtype, axis, keepdims, wrap):
    expected = np.sum(A, axis=axis, dtype=dtype, keepdims=keepdims)
    got = np.asarray(dnp.sum(wrap(A), axis=axis, dtype=dtype, keepdims=keepdims))
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("dtype", [d for d in DTYPES if d is not bool])
@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("wrap", [np.asarray, dg.tensor], ids=["array", "tensor"])
def test_mean_matches_numpy_in_value_and_dtype(dtype, axis, wrap):
    expected = np.mean(A, axis=axis, dtype=dtype)
    got = np.asarray(dnp.mean(wrap(A), axis=axis, dtype=dtype))
    assert got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=1e-6)


@pytest.mark.parametrize(
    ("reduce", "dtype"),
    [(dnp.sum, int), (dnp.sum, bool), (dnp.sum, np.int32), (dnp.mean, int), (dnp.mean, np.int32)],
)
def test_an_integer_reduction_is_a_constant_on_the_tape(reduce, dtype):
    x = dg.tensor(A, requires_grad=True)
    total = reduce(x, dtype=dtype)
    assert not total.requires_grad
    with pytest.raises(RuntimeError, match="does not require grad"):
        total.backward()


@pytest.mark.parametrize(
    "f",
    [
        lambda x: dnp.sum(x, dtype=int),
        lambda x: dnp.mean(x, dtype=np.int64),
        lambda x: x.astype(int).sum(),
        lambda x: (x > 1).sum(),
    ],
    ids=["sum-int", "mean-int", "astype-int", "count"],
)
def test_grad_of_an_integer_output_raises(f):
    with pytest.raises(TypeError, match="grad requires a function with a floating-point output"):
        dg.grad(f)(np.array([1.5, 2.5]))


def test_a_floating_dtype_keeps_the_gradient_in_the_inputs_dtype():
    x = np.array([1.5, 2.5])
    g = dg.grad(lambda x: dnp.sum(x * x, dtype=np.float32))(x)
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, 2 * x)
    np.testing.assert_allclose(dg.grad(lambda x: dnp.mean(x, dtype=np.float32))(x), [0.5, 0.5])

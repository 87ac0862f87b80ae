"""``tril`` and ``triu`` multiplied by a 0/1 mask, so a NaN or ∞ outside the triangle
stayed NaN (0 · ∞) where NumPy's are 0; a boolean array became int64 and a 1-D array
raised, where NumPy keeps the dtype and repeats the row."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp

INPUTS = {
    "nan and inf": np.array([[1.0, np.nan, 3.0], [np.inf, np.nan, -np.inf]], dtype=np.float32),
    "bool": np.array([[True, True], [True, False]]),
    "int8": np.arange(6, dtype=np.int8).reshape(2, 3),
    "1-d": np.array([1.0, np.nan, 3.0]),
    "3-d": np.arange(24.0).reshape(2, 3, 4),
}


@pytest.mark.parametrize("name", ["tril", "triu"])
@pytest.mark.parametrize("k", [-1, 0, 1])
@pytest.mark.parametrize("x", INPUTS.values(), ids=INPUTS.keys())
def test_triangles_are_numpys(name, k, x):
    expected = getattr(np, name)(x, k)
    got = getattr(dnp, name)(x, k)
    assert type(got) is type(expected) and got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(getattr(dnp, name)(dg.tensor(x), k).numpy(), expected)


@pytest.mark.parametrize("name", ["tril", "triu"])
def test_triangle_gradient_is_the_mask(name):
    x = np.array([[1.0, np.nan], [np.inf, 2.0]])
    g = dg.grad(lambda a: dnp.sum(getattr(dnp, name)(a)))(x)
    np.testing.assert_array_equal(g, getattr(np, name)(np.ones((2, 2))))


@pytest.mark.parametrize("name", ["tril", "triu"])
def test_triangle_of_a_number_is_refused_with_the_ops_name(name):
    with pytest.raises(ValueError, match=name):
        getattr(dnp, name)(np.float64(2.0))

"""Functions of ``deepgrad.numpy`` called positionally as NumPy's are: each argument binds to
the parameter NumPy binds it to. ``reshape(a, shape, order)`` read the order as a size
(``reshape(x, (3, 2), 'F')`` raised "int() argument must be ... not 'tuple'"), and the
third argument of ``full_like`` and ``empty_like`` was ``shape`` where NumPy's is
``order`` (``full_like(x, 7, None, 'C')`` raised "'str' object cannot be interpreted as an
integer"); ``zeros_like`` and ``ones_like`` took ``(a, dtype)`` only."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp

X = np.array([[3.0, -1.5, 2.5], [0.5, 4.0, -2.0]])


def assert_same(got, expected):
    got = np.asarray(got.numpy() if isinstance(got, dg.Tensor) else got)
    assert got.dtype == expected.dtype
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("wrap", [np.asarray, dg.tensor], ids=["array", "tensor"])
@pytest.mark.parametrize(
    "args",
    [((3, 2), "F"), ((-1, 3), "F"), (6, "F"), ((3, 2), "C"), ((3, 2), "f"), ((3, 2), None)],
)
def test_reshape_order_is_the_third_argument(args, wrap):
    # np.reshape(X, (3, 2), "F"): [[3.0, 4.0], [0.5, 2.5], [-1.5, -2.0]]
    expected = np.reshape(X, *args)
    assert_same(dnp.reshape(wrap(X), *args), expected)
    if wrap is dg.tensor:  # through NumPy's dispatch to deepgrad
        assert_same(np.reshape(wrap(X), *args), expected)


def test_reshape_order_keyword_and_a_fortran_array():
    assert_same(dnp.reshape(X, (3, 2), order="F"), np.reshape(X, (3, 2), order="F"))
    fortran = np.asfortranarray(X)
    assert_same(dnp.reshape(fortran, 6, "A"), np.reshape(fortran, 6, "A"))
    assert_same(dnp.reshape(X, 3, 2), X.reshape(3, 2))  # the sizes one by one, as before


def test_reshape_fortran_order_gradient():
    weights = np.arange(6.0).reshape(3, 2)
    grad = dg.grad(lambda t: (dnp.reshape(t, (3, 2), "F") * weights).sum())(X)
    np.testing.assert_array_equal(grad, np.reshape(weights, (2, 3), "F"))


def test_reshape_refuses_an_order_it_cannot_read():
    with pytest.raises(ValueError, match="reshape: order must be 'C', 'F' or 'A', got 'K'"):
        dnp.reshape(X, (3, 2), "K")
    with pytest.raises(TypeError, match="reshape: order 'F' must come right after the shape"):
        dnp.reshape(X, 3, "F", 2)


@pytest.mark.parametrize("wrap", [np.asarray, dg.tensor], ids=["array", "tensor"])
@pytest.mark.parametrize(
    ("name", "front"),
    [("full_like", (7,)), ("zeros_like", ()), ("ones_like", ())],
)
@pytest.mark.parametrize(
    "rest", [(None, "C"), (np.int32, "F", True), (np.int64, "K", True, (4,)), (None, "K", False)]
)
def test_like_functions_take_numpys_order(name, front, rest, wrap):
    # np.full_like(X, 7, np.int64, "K", True, (4,)): int64 [7, 7, 7, 7]
    expected = getattr(np, name)(X, *front, *rest)
    assert_same(getattr(dnp, name)(wrap(X), *front, *rest), expected)
    if wrap is dg.tensor:
        assert_same(getattr(np, name)(wrap(X), *front, *rest), expected)


def test_empty_like_takes_numpys_order():
    for rest in [(None, "C"), (np.int32, "F", True, (4, 1))]:
        expected = np.empty_like(X, *rest)
        got = dnp.empty_like(dg.tensor(X), *rest)
        assert (got.dtype, got.shape) == (expected.dtype, expected.shape)


def test_full_like_of_a_tensor_fill_value():
    fill = dg.tensor(2.0)
    expected = np.full_like(X, 2.0, None, "K", True, (2,))
    assert_same(dnp.full_like(X, fill, None, "K", True, (2,)), expected)
    assert dg.grad(lambda v: dnp.full_like(X, v, None, "K", True, (4,)).sum())(1.0) == 4.0
    with pytest.raises(TypeError, match=r"full_like: the arguments \['order'\] are not"):
        dnp.full_like(X, fill, None, "C")


def test_reshape_refuses_sizes_after_a_tuple():
    with pytest.raises(TypeError, match=r"reshape: the shape \(3, 2\) is followed by \(1,\)"):
        dnp.reshape(X, (3, 2), 1)

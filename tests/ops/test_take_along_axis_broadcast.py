"""``take_along_axis`` broadcasts ``arr`` and ``indices`` against each other on the axes
other than ``axis``, as NumPy's and JAX's: an index array of shape (1, 2) on a (3, 4)
array picks from every row. deepgrad built its index grid from the index array's shape,
so it picked from the first row only (shape (1, 2)), and an index array of fewer
dimensions than ``arr`` was taken without complaint."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp

X = np.arange(12.0).reshape(3, 4)
ONE_ROW = np.array([[3, 1]])
WEIGHTS = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])


def test_an_index_row_broadcasts_over_the_rows_of_arr():
    got = dnp.take_along_axis(dg.tensor(X), ONE_ROW, axis=1)
    np.testing.assert_array_equal(got.numpy(), [[3.0, 1.0], [7.0, 5.0], [11.0, 9.0]])
    np.testing.assert_array_equal(dnp.take_along_axis(X, ONE_ROW, 1), [[3, 1], [7, 5], [11, 9]])


def test_a_single_row_of_arr_broadcasts_over_the_index_rows():
    got = dnp.take_along_axis(dg.tensor(X[:1]), np.array([[0], [2]]), axis=1)
    np.testing.assert_array_equal(got.numpy(), [[0.0], [2.0]])


def test_gradient_of_a_broadcast_index_row():
    """jax.grad of sum(take_along_axis(x, [[3, 1]], 1) * WEIGHTS) gives these."""

    def picked(x):
        return dnp.sum(dnp.take_along_axis(x, ONE_ROW, axis=1) * WEIGHTS)

    expected = [[0.0, 2.0, 0.0, 1.0], [0.0, 4.0, 0.0, 3.0], [0.0, 6.0, 0.0, 5.0]]
    np.testing.assert_array_equal(dg.grad(picked)(X), expected)
    np.testing.assert_array_equal(dg.jacfwd(picked)(X), expected)


def test_matches_jax_on_broadcast_shapes():
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    arr = np.arange(24.0).reshape(2, 3, 4)
    indices = np.array([[[0, 3]], [[2, 2]]])  # shape (2, 1, 2): broadcast on axis 1

    def loss(module, a):
        return module.sum(module.take_along_axis(a, indices, axis=2) ** 2)

    np.testing.assert_allclose(
        dnp.take_along_axis(arr, indices, 2), jnp.take_along_axis(arr, indices, axis=2)
    )
    np.testing.assert_allclose(
        dg.grad(lambda a: loss(dnp, a))(arr), jax.grad(lambda a: loss(jnp, a))(arr)
    )


def test_refuses_indices_of_another_rank():
    with pytest.raises(ValueError, match=r"take_along_axis: .* shape \(3,\) .* shape \(3, 4\)"):
        dnp.take_along_axis(dg.tensor(X), np.array([0, 1, 2]), axis=0)

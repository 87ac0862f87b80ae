"""NumPy's ``einsum`` broadcasts an axis of length 1 against the same index elsewhere
(``einsum("ij,ij->i", a, b)`` with ``a`` of shape (3, 1) and ``b`` of shape (3, 4)).
The values were NumPy's, but the gradient with respect to the longer operand raised
"reshape: cannot reshape array of size 3 into shape (3,4)": the rule returned the
gradient at the length of the other operand's axis."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp

SHORT = np.array([[1.0], [2.0], [-1.0]])  # shape (3, 1): j broadcast
LONG = np.arange(12.0).reshape(3, 4)
WEIGHTS = np.array([0.5, -1.0, 2.0])


def _row_products(short, long):
    return dnp.sum(dnp.einsum("ij,ij->i", short, long) * WEIGHTS)


def test_gradient_in_the_longer_operand():
    """jax.grad gives WEIGHTS[i] * SHORT[i, 0] on every element of row i."""
    expected = [[0.5] * 4, [-2.0] * 4, [-2.0] * 4]
    np.testing.assert_array_equal(dg.grad(_row_products, argnums=1)(SHORT, LONG), expected)
    np.testing.assert_array_equal(dg.jacfwd(_row_products, argnums=1)(SHORT, LONG), expected)


def test_gradient_in_the_length_one_operand():
    expected = [[0.5 * 6.0], [-1.0 * 22.0], [2.0 * 38.0]]  # WEIGHTS[i] * sum(LONG[i])
    np.testing.assert_array_equal(dg.grad(_row_products, argnums=0)(SHORT, LONG), expected)


def test_gradient_when_the_broadcast_index_is_summed_away():
    """``einsum("ij,kj->i")``: j is broadcast in the first operand and summed in the
    output; jax.grad in the second operand is sum(SHORT) = 2 everywhere."""

    def loss(long):
        return dnp.sum(dnp.einsum("ij,kj->i", SHORT, long))

    np.testing.assert_array_equal(dg.grad(loss)(LONG), np.full((3, 4), 2.0))


def test_matches_jax_and_second_order():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 1, 4)), rng.standard_normal((2, 3, 1))
    out_weights = rng.standard_normal((2, 3))

    def loss(module, a, b):
        return module.sum(module.einsum("bij,bij->bi", a, b) ** 2 * out_weights)

    for argnum in (0, 1):
        got = dg.grad(lambda a, b: loss(dnp, a, b), argnums=argnum)(a, b)
        want = jax.grad(lambda a, b: loss(jnp, a, b), argnums=argnum)(a, b)
        np.testing.assert_allclose(got, want, rtol=1e-12)
    dg.check_grads(lambda a, b: loss(dnp, a, b), (a, b), order=2)

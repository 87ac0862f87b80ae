"""``solve(a, b)`` with a stack of matrices ``a`` (..., M, M) and a 1-D ``b`` (M,): NumPy 2
treats b as one vector, solved against every matrix, the result (..., M). The value was
NumPy's, but the derivative rules passed the batched cotangent (..., M) back to ``solve``,
which reads anything of more than one axis as matrices (..., M, K): for a (3, 3, 3) the
gradient was a finite wrong number (below, in b: [-1.439, -0.034, 1.797] where jax.grad
gives [0.216, 0.269, 0.632]), for a (2, 3, 3) it raised, and forward mode raised for both."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp

RNG = np.random.default_rng(0)
A = RNG.standard_normal((3, 3, 3)) + 3 * np.eye(3)  # three matrices, M = 3 (as the batch)
B = RNG.standard_normal(3)
WEIGHTS = RNG.standard_normal((3, 3))


def _loss(module, a, b):
    return module.sum(module.linalg.solve(a, b) * WEIGHTS)


def test_gradient_in_b_is_jaxs():
    want = [0.21599875, 0.26891199, 0.63181691]  # jax.grad, float64
    np.testing.assert_allclose(dg.grad(lambda b: _loss(dnp, A, b))(B), want, rtol=1e-7)


def test_gradient_against_finite_differences_to_second_order():
    dg.check_grads(lambda a, b: _loss(dnp, a, b), (A, B), order=2)


@pytest.mark.parametrize("batch", [(3,), (2,), (2, 4)])
def test_gradients_and_tangents_match_jax(batch):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    a = RNG.standard_normal((*batch, 3, 3)) + 3 * np.eye(3)
    b = RNG.standard_normal(3)
    weights = RNG.standard_normal((*batch, 3))

    def loss(module, a, b):
        return module.sum(module.linalg.solve(a, b) * weights)

    got = dg.grad(lambda a, b: loss(dnp, a, b), argnums=(0, 1))(a, b)
    want = jax.grad(lambda a, b: loss(jnp, a, b), argnums=(0, 1))(a, b)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-10)
    tangents = (RNG.standard_normal(a.shape), RNG.standard_normal(b.shape))
    _, got_tangent = dg.jvp(dnp.linalg.solve, (a, b), tangents)
    _, want_tangent = jax.jvp(jnp.linalg.solve, (a, b), tangents)
    np.testing.assert_allclose(got_tangent, want_tangent, rtol=1e-10)


def test_matrix_right_hand_side_keeps_its_rule():
    """b of shape (3, 3) beside a (3, 3, 3) is a matrix (M, K), broadcast over the batch."""
    b = RNG.standard_normal((3, 3))
    weights = RNG.standard_normal((3, 3, 3))
    dg.check_grads(lambda a, b: dnp.sum(dnp.linalg.solve(a, b) * weights), (A, b), order=2)

"""The derivative of det is the cofactor matrix adj(A)ᵀ, finite at singular matrices too, as
in PyTorch and JAX; log|det| has an infinite derivative there, and says so.

Fixed numbers are JAX's (``jax.grad(jnp.linalg.det)``, ``jax.hessian``, float64); the
tests guarded by importorskip run PyTorch and JAX themselves.
"""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp

la = dnp.linalg
RANK_2 = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
RANK_1 = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [3.0, 6.0, 9.0]])
INVERTIBLE = np.array([[2.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 4.0]])
SINGULAR = [RANK_2, RANK_1, np.zeros((3, 3)), np.zeros((2, 2)), np.zeros((1, 1))]


def _cofactors(a):
    """adj(A)ᵀ entry by entry, from the minors (exact for small integer matrices)."""
    n = a.shape[-1]
    out = np.zeros_like(a)
    for i in range(n):
        for j in range(n):
            minor = np.delete(np.delete(a, i, axis=-2), j, axis=-1)
            out[..., i, j] = (-1) ** (i + j) * (np.linalg.det(minor) if n > 1 else 1.0)
    return out


def test_the_gradient_at_a_matrix_of_rank_n_minus_one_is_the_adjugate():
    # JAX: [[-3, 6, -3], [6, -12, 6], [-3, 6, -3]]; deepgrad raised "inv: Singular matrix"
    expected = np.array([[-3.0, 6.0, -3.0], [6.0, -12.0, 6.0], [-3.0, 6.0, -3.0]])
    np.testing.assert_allclose(dg.grad(la.det)(RANK_2), expected, atol=1e-12)
    x = dg.tensor(RANK_2, requires_grad=True)
    la.det(x).backward()
    assert x.grad is not None
    np.testing.assert_allclose(x.grad.numpy(), expected, atol=1e-12)


@pytest.mark.parametrize("a", [RANK_1, np.zeros((3, 3))], ids=["rank_1", "zero"])
def test_the_gradient_at_a_matrix_of_rank_n_minus_two_is_zero(a):
    np.testing.assert_allclose(dg.grad(la.det)(a), np.zeros((3, 3)), atol=1e-12)


def test_a_batch_mixing_singular_and_invertible_matrices():
    batch = np.stack([RANK_2, RANK_1, INVERTIBLE])
    gradient = dg.grad(lambda a: dnp.sum(la.det(a)))(batch)
    np.testing.assert_allclose(gradient, _cofactors(batch), atol=1e-12)
    np.testing.assert_allclose(gradient[2], [[11, -4, 1], [-4, 8, -2], [1, -2, 5]], atol=1e-12)
    tangent = np.arange(27.0).reshape(3, 3, 3) / 10
    _, forward = dg.jvp(la.det, (batch,), (tangent,))
    expected = np.sum(_cofactors(batch) * tangent, axis=(-1, -2))
    np.testing.assert_allclose(forward, expected, atol=1e-12)


def test_the_hessian_at_singular_matrices_matches_jax():
    hessian = dg.hessian(la.det)(RANK_2)
    np.testing.assert_allclose(hessian[0, 0], [[0, 0, 0], [0, 9, -8], [0, -6, 5]], atol=1e-12)
    np.testing.assert_allclose(hessian[1, 2], [[-8, 7, 0], [0, 0, 0], [2, -1, 0]], atol=1e-12)
    hessian = dg.hessian(la.det)(RANK_1)
    np.testing.assert_allclose(hessian[0, 0], [[0, 0, 0], [0, 9, -6], [0, -6, 4]], atol=1e-12)
    np.testing.assert_allclose(hessian[1, 2], [[-6, 3, 0], [0, 0, 0], [2, -1, 0]], atol=1e-12)
    # at the zero matrix: 0 for n = 3 (JAX; PyTorch gives NaN), the constant one for n = 2
    np.testing.assert_allclose(dg.hessian(la.det)(np.zeros((3, 3))), np.zeros((3,) * 4))
    expected = np.zeros((2, 2, 2, 2))
    expected[0, 0, 1, 1] = expected[1, 1, 0, 0] = 1.0
    expected[0, 1, 1, 0] = expected[1, 0, 0, 1] = -1.0
    np.testing.assert_allclose(dg.hessian(la.det)(np.zeros((2, 2))), expected)


@pytest.mark.parametrize("a", SINGULAR, ids=["rank_2", "rank_1", "zero_3", "zero_2", "zero_1"])
def test_both_modes_to_second_order_against_central_differences(a):
    dg.check_grads(la.det, (a,), order=2)
    dg.check_grads(lambda b: la.det(b) ** 2, (a,), order=2)


def test_a_batch_to_second_order_and_the_third_at_invertible_matrices():
    dg.check_grads(la.det, (np.stack([RANK_2, RANK_1, INVERTIBLE]),), order=2)
    rng = np.random.default_rng(0)
    dg.check_grads(la.det, (rng.standard_normal((2, 4, 4)),), order=3)


def test_nearly_singular_matrices_get_the_cofactors_accurately():
    # condition numbers 1e1 to 1e16: the inverse's formula, then the SVD's
    batch = np.stack([RANK_2 + delta * np.eye(3) for delta in (1.0, 1e-3, 1e-9, 1e-15)])
    gradient = dg.grad(lambda a: dnp.sum(la.det(a)))(batch)
    np.testing.assert_allclose(gradient, _cofactors(batch), rtol=0, atol=1e-12)


def test_float32_stays_float32():
    gradient = dg.grad(la.det)(RANK_2.astype(np.float32))
    assert gradient.dtype == np.float32
    np.testing.assert_allclose(gradient, _cofactors(RANK_2), atol=1e-4)


def test_the_third_derivative_at_a_singular_matrix_refuses_clearly():
    with pytest.raises(np.linalg.LinAlgError, match=r"det: derivatives of order 3 .*singular"):
        dg.check_grads(la.det, (RANK_2,), order=3)


@pytest.mark.parametrize("a", SINGULAR[:3], ids=["rank_2", "rank_1", "zero"])
def test_matches_pytorch_and_jax(a):
    torch = pytest.importorskip("torch")
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    x = torch.tensor(a, requires_grad=True)
    (torch_grad,) = torch.autograd.grad(torch.linalg.det(x), x, create_graph=True)
    jax_grad = np.asarray(jax.grad(jax.numpy.linalg.det)(a))
    gradient = dg.grad(la.det)(a)
    np.testing.assert_allclose(gradient, torch_grad.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(gradient, jax_grad, atol=1e-12)
    jax_hessian = np.asarray(jax.hessian(jax.numpy.linalg.det)(a))
    np.testing.assert_allclose(dg.hessian(la.det)(a), jax_hessian, atol=1e-12)


def _logabsdet(a):
    return la.slogdet(a)[1]


def test_the_derivative_of_log_abs_det_at_a_singular_matrix_is_refused():
    # log|det| = -inf there: PyTorch and JAX give a mix of ±inf and NaN
    expected = r"^slogdet: log\|det\| is -inf at a singular matrix .*\(3, 3\)"
    with pytest.raises(np.linalg.LinAlgError, match=expected):
        dg.grad(_logabsdet)(RANK_2)
    with pytest.raises(np.linalg.LinAlgError, match=expected):
        dg.jvp(_logabsdet, (RANK_2,), (np.eye(3),))
    with pytest.raises(np.linalg.LinAlgError, match=r"^slogdet: .*\(2, 3, 3\)"):
        dg.grad(lambda a: dnp.sum(_logabsdet(a)))(np.stack([INVERTIBLE, RANK_1]))


def test_the_derivative_of_log_abs_det_elsewhere_is_the_inverse_transpose():
    gradient = dg.grad(_logabsdet)(INVERTIBLE)
    np.testing.assert_allclose(gradient, np.linalg.inv(INVERTIBLE).T, rtol=1e-14)

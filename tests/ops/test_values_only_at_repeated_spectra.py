"""A function of the eigenvalues (or singular values) alone, taken from ``eigh``, ``eig`` or
``svd``, has a finite gradient at a repeated value: the vectors' term F ∘ (Vᵀ V̄) has a zero
cotangent there, and it read 0 · ∞ = NaN (JAX and PyTorch give the finite gradient)."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp

REPEATED = np.diag([1.0, 1.0, 2.0])
TALL = np.eye(3, 2) * [1.0, 0.0]  # a zero singular value of a non-square matrix (S⁻¹)


@pytest.mark.parametrize(
    ("values", "matrix", "expected"),
    [
        (lambda a: dnp.linalg.eigh(a)[0], REPEATED, np.diag([2.0, 2.0, 4.0])),
        (lambda a: dnp.linalg.eig(a)[0], REPEATED, np.diag([2.0, 2.0, 4.0])),
        (lambda a: dnp.linalg.svd(a)[1], np.diag([2.0, 2.0, 1.0]), np.diag([4.0, 4.0, 2.0])),
        (lambda a: dnp.linalg.svd(a, full_matrices=False)[1], TALL, 2 * TALL),
        (lambda a: dnp.linalg.svd(a.T, full_matrices=False)[1], TALL, 2 * TALL),
    ],
)
def test_values_alone_have_a_finite_gradient(values, matrix, expected):
    def sum_of_squares(a):
        return dnp.sum(values(a) ** 2)

    np.testing.assert_allclose(dg.grad(sum_of_squares)(matrix), expected, atol=1e-12)
    np.testing.assert_allclose(dg.jacrev(sum_of_squares)(matrix), expected, atol=1e-12)
    batch = np.stack([matrix, 2 * matrix])
    per_matrix = np.stack([expected, 2 * expected])
    np.testing.assert_allclose(dg.vmap(dg.grad(sum_of_squares))(batch), per_matrix, atol=1e-12)
    replayed = dg.compile(dg.grad(sum_of_squares))
    for scale in (1.0, 2.0, 3.0):
        got = replayed(scale * matrix)
    np.testing.assert_allclose(np.asarray(got), scale * expected, atol=1e-12)


def test_values_and_vectors_still_agree_with_central_differences():
    a = np.random.default_rng(0).standard_normal((4, 4))
    a = a + a.T

    def gauge_invariant(x):
        w, v = dnp.linalg.eigh((x + x.T) / 2)
        return dnp.sum(w * v**2) + dnp.sum(dnp.linalg.svd(x)[0] ** 4)

    dg.check_grads(gauge_invariant, (a,), order=2)


def test_vectors_at_a_repeated_value_stay_undefined():
    gradient = dg.grad(lambda a: dnp.sum(dnp.linalg.svd(a)[0] ** 4))(np.diag([2.0, 2.0, 1.0]))
    assert not np.all(np.isfinite(gradient))

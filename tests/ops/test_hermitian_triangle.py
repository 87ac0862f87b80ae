"""``svd`` and ``pinv`` with ``hermitian=True`` read the lower triangle only, as NumPy's
(which call ``eigh``). ``svd`` ignored the argument (the general SVD of the whole matrix:
singular values [10.062, 8.808, 7.153] where NumPy gives [11.614, 8.474, 3.912] below);
``pinv`` had NumPy's value but the general rule's gradient, the derivative of another
function (the pseudo-inverse of the whole matrix)."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp

RNG = np.random.default_rng(0)
NONSYMMETRIC = np.array([[7.0, -2.0, 3.0], [1.0, 9.0, -3.0], [-2.0, 3.0, 8.0]])
BATCH = RNG.standard_normal((2, 3, 4, 4))
WEIGHTS = RNG.standard_normal((3, 3))


def _lower_mirrored(a):
    lower = np.tril(a)
    return lower + np.swapaxes(np.tril(a, -1), -1, -2)


def test_svd_values_are_numpys():
    np.testing.assert_allclose(
        dnp.linalg.svd(NONSYMMETRIC, hermitian=True)[1], [11.6143125915, 8.4737554448, 3.9119319637]
    )
    for a in (NONSYMMETRIC, BATCH):
        want = np.linalg.svd(a, hermitian=True, compute_uv=False)
        got_values = dnp.linalg.svd(a, hermitian=True, compute_uv=False)
        np.testing.assert_allclose(got_values, want, rtol=1e-12)
        u, s, vh = dnp.linalg.svd(a, hermitian=True)
        np.testing.assert_allclose(s, want, rtol=1e-12)
        np.testing.assert_allclose((u * s[..., None, :]) @ vh, _lower_mirrored(a), atol=1e-12)


def test_pinv_values_are_numpys():
    for a in (NONSYMMETRIC, BATCH):
        want = np.linalg.pinv(a, hermitian=True)
        np.testing.assert_allclose(dnp.linalg.pinv(a, hermitian=True), want, atol=1e-12)


def _numpy_gradient(f, a, step=1e-6):
    """Central differences of a NumPy function, entry by entry."""
    grad = np.zeros_like(a)
    for index in np.ndindex(a.shape):
        e = np.zeros_like(a)
        e[index] = step
        grad[index] = (f(a + e) - f(a - e)) / (2 * step)
    return grad


def test_pinv_gradient_is_that_of_numpys_function():
    def loss(a):
        return dnp.sum(dnp.linalg.pinv(a, hermitian=True) * WEIGHTS)

    want = _numpy_gradient(
        lambda a: np.sum(np.linalg.pinv(a, hermitian=True) * WEIGHTS), NONSYMMETRIC
    )
    got = dg.grad(loss)(NONSYMMETRIC)
    np.testing.assert_allclose(got, want, atol=1e-7)
    assert np.all(np.triu(got, 1) == 0)  # the upper triangle is not read
    dg.check_grads(loss, (NONSYMMETRIC,), order=2)


def test_svd_gradient_is_that_of_numpys_function():
    def loss(a):
        u, s, vh = dnp.linalg.svd(a, hermitian=True)
        return dnp.sum(s**3) + dnp.sum((u * s[..., None, :]) @ vh * WEIGHTS)

    def numpy_loss(a):
        u, s, vh = np.linalg.svd(a, hermitian=True)
        return np.sum(s**3) + np.sum((u * s[..., None, :]) @ vh * WEIGHTS)

    got = dg.grad(loss)(NONSYMMETRIC)
    np.testing.assert_allclose(got, _numpy_gradient(numpy_loss, NONSYMMETRIC), atol=1e-6)
    dg.check_grads(loss, (NONSYMMETRIC,), order=2)


@pytest.mark.parametrize("name", ["svd", "pinv"])
def test_non_square_is_refused_as_numpy(name):
    with pytest.raises(np.linalg.LinAlgError, match=f"{name}: hermitian=True needs square"):
        getattr(dnp.linalg, name)(np.ones((2, 3)), hermitian=True)

"""``cholesky(a, upper=True)``: NumPy 2's upper factor U (A = Uᵀ U), read from A's upper
triangle. It raised ``TypeError: cholesky() got an unexpected keyword argument 'upper'``."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp

RNG = np.random.default_rng(0)
_M = RNG.standard_normal((2, 3, 3))
SPD = _M @ np.swapaxes(_M, -1, -2) + 3 * np.eye(3)
WEIGHTS = RNG.standard_normal((2, 3, 3))


@pytest.mark.parametrize("upper", [False, True])
def test_values_are_numpys(upper):
    np.testing.assert_allclose(
        dnp.linalg.cholesky(SPD, upper=upper), np.linalg.cholesky(SPD, upper=upper), rtol=1e-12
    )


def test_upper_reads_the_upper_triangle():
    a = np.array([[4.0, 2.0], [-7.0, 5.0]])  # the lower triangle is not positive definite
    np.testing.assert_allclose(dnp.linalg.cholesky(a, upper=True), [[2.0, 1.0], [0.0, 2.0]])
    with pytest.raises(np.linalg.LinAlgError):
        dnp.linalg.cholesky(a)


def test_gradient_is_the_lower_factors_transposed():
    def loss(upper):
        return lambda a: dnp.sum(dnp.linalg.cholesky(a, upper=upper) * WEIGHTS)

    transposed = np.swapaxes(WEIGHTS, -1, -2)
    want = dg.grad(lambda a: dnp.sum(dnp.linalg.cholesky(a) * transposed))(SPD)
    np.testing.assert_allclose(dg.grad(loss(True))(SPD), want, rtol=1e-12)
    tangent = RNG.standard_normal((2, 3, 3))
    tangent = tangent + np.swapaxes(tangent, -1, -2)
    step = 1e-6  # central differences along a symmetric direction (the meaningful ones)
    upper_loss = loss(True)
    difference = (upper_loss(SPD + step * tangent) - upper_loss(SPD - step * tangent)) / (2 * step)
    np.testing.assert_allclose(np.sum(dg.grad(upper_loss)(SPD) * tangent), difference, rtol=1e-6)
    _, got = dg.jvp(lambda a: dnp.linalg.cholesky(a, upper=True), (SPD,), (tangent,))
    _, lower = dg.jvp(dnp.linalg.cholesky, (SPD,), (tangent,))
    np.testing.assert_allclose(got, np.swapaxes(lower, -1, -2), rtol=1e-12)

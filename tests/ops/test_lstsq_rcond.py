"""``lstsq``'s ``rcond`` as NumPy's reads it: LAPACK's gelsd replaces a ratio of 0 or less,
or of 1 or more, by the machine precision. deepgrad took it literally: ``rcond=-1`` (NumPy's
documented "use machine precision") or 0 kept every singular value of a rank-one matrix
(rank 2, x = [2.9e14, -1.5e14] where NumPy gives rank 1, x = [0.2429, 0.4857]), and
``rcond=1`` cut them all (rank 0, x = 0 where NumPy gives the full-rank solution)."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp

RANK_ONE = np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]])
B = np.array([1.0, 2.0, 4.0])
FULL_RANK = np.array([[1.0, 0.0], [0.0, 0.3], [0.0, 0.0]])


@pytest.mark.parametrize("rcond", [-1, 0, 1.0, 5.0, None])
def test_rank_deficient_matrix_as_numpy(rcond):
    x, residuals, rank, _ = dnp.linalg.lstsq(RANK_ONE, B, rcond=rcond)
    assert rank == 1
    np.testing.assert_allclose(x, [0.24285714, 0.48571429], rtol=1e-7)  # NumPy's
    assert residuals.shape == (0,)


@pytest.mark.parametrize("rcond", [-1, 0, 1.0, 2.0, 0.2, 0.5, 1e-20])
@pytest.mark.parametrize("small", [0.3, 1e-7, 1e-15, 1.5e-16, 1e-17])
def test_rank_and_solution_are_numpys(rcond, small):
    a = np.array([[1.0, 0.0], [0.0, small], [0.0, 0.0]])
    want = np.linalg.lstsq(a, B, rcond=rcond)
    got = dnp.linalg.lstsq(a, B, rcond=rcond)
    assert got[2] == want[2]
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12)


def test_gradient_keeps_numpys_rank():
    """With rcond=-1 the rank-one matrix keeps rank one: jax.grad of sum(x) with jax's own
    default cut-off (which also finds rank one) gives these numbers."""
    got = dg.grad(lambda a: dnp.sum(dnp.linalg.lstsq(a, B, rcond=-1)[0]))(RANK_ONE)
    want = [[-0.00530612, -0.02795918], [-0.01061224, -0.05591837], [-0.00734694, -0.06673469]]
    np.testing.assert_allclose(got, want, rtol=1e-5)

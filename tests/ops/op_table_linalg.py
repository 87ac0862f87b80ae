"""Rows of the op table for the linear-algebra decompositions (eigh, eigvalsh, eig, svd,
svdvals, qr, pinv, lstsq, matrix_power, the spectral norms).

Inputs have their spectrum kept apart (the derivative of eigenvectors and singular vectors
exists only there), and vectors enter through gauge-invariant functions (their squares):
their signs are LAPACK's choice. ``op_table.py`` imports ``linalg_rows`` at its end.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import deepgrad.numpy as dnp
from tests.ops.op_table import OpSpec, fixed

la = dnp.linalg


# ---- input makers -----------------------------------------------------------------------------


def _orthogonal(rng, batch, n):
    q, r = np.linalg.qr(rng.standard_normal((*batch, n, n)))
    return q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :]


def _apart(rng, batch, k, low):
    """k values at least 0.5 apart, shuffled."""
    values = low + np.cumsum(0.5 + rng.uniform(0, 0.3, (*batch, k)), axis=-1)
    return values[..., rng.permutation(k)]


def _singular(rng, shape):
    *batch, m, n = shape
    k = min(m, n)
    s = _apart(rng, batch, k, 0.5)
    u, v = _orthogonal(rng, batch, m)[..., :k], _orthogonal(rng, batch, n)[..., :k]
    return (u * s[..., None, :]) @ np.swapaxes(v, -1, -2)


def _symmetric(rng, shape):
    *batch, n, _ = shape
    v = _orthogonal(rng, batch, n)
    return (v * _apart(rng, batch, n, -2.0)[..., None, :]) @ np.swapaxes(v, -1, -2)


def singular_values_apart(rng, shapes):
    return (_singular(rng, shapes[0]), *(rng.standard_normal(s) for s in shapes[1:]))


def symmetric_apart(rng, shapes):
    return (_symmetric(rng, shapes[0]),)


def real_spectrum(rng, shapes):
    *batch, n, _ = shapes[0]
    s = np.eye(n) + 0.3 * rng.standard_normal((*batch, n, n)) / np.sqrt(n)
    return ((s * _apart(rng, batch, n, -1.5)[..., None, :]) @ np.linalg.inv(s),)


def invertible(rng, shapes):
    return (_symmetric(rng, shapes[0]) + 4 * np.eye(shapes[0][-1]),)


# ---- the functions of each row: one array out, gauge invariant ----------------------------


def _sym(a, xp):
    return 0.5 * (a + xp.swapaxes(a, -1, -2))


def eigh_vectors(a, UPLO: Any = "L"):
    # of (A + Aᵀ)/2, where deepgrad's triangle gradient and PyTorch's symmetric one agree
    return la.eigh(_sym(a, dnp), UPLO)[1] ** 2


def np_eigh_vectors(a, UPLO: Any = "L"):
    return np.linalg.eigh(_sym(a, np), UPLO)[1] ** 2


def _eigvalsh(a, UPLO: Any = "L"):
    return la.eigvalsh(_sym(a, dnp), UPLO)


def _np_eigvalsh(a, UPLO: Any = "L"):
    return np.linalg.eigvalsh(_sym(a, np), UPLO)


def eig_values(a):
    return dnp.sort(la.eig(a)[0])


def np_eig_values(a):
    return np.sort(np.linalg.eig(a)[0])


SQUARE = fixed(((3, 3),), ((2, 3, 3),))
MATRICES = fixed(((3, 2),), ((2, 3, 4),), ((2, 2),))


def _scipy_expm(a):
    """SciPy's expm when installed; else the Taylor series, exact enough for these inputs."""
    try:
        from scipy.linalg import expm
    except ImportError:
        term = result = np.broadcast_to(np.eye(a.shape[-1]), a.shape).copy()
        for k in range(1, 40):
            term = term @ a / k
            result = result + term
        return result
    return expm(a)


def linalg_rows() -> list[OpSpec]:
    return [
        OpSpec(
            "eigvalsh",
            _eigvalsh,
            _np_eigvalsh,
            SQUARE,
            make=symmetric_apart,
            kwargs=[{}, {"UPLO": "U"}],
        ),
        OpSpec("eigh_vectors", eigh_vectors, np_eigh_vectors, SQUARE, make=symmetric_apart,
               kwargs=[{}, {"UPLO": "U"}], atol=1e-4, rtol=1e-4),
        OpSpec("eig_values", eig_values, np_eig_values, SQUARE, make=real_spectrum),
        OpSpec("svdvals", la.svdvals, lambda a: np.linalg.svd(a, compute_uv=False), MATRICES,
               make=singular_values_apart),
        OpSpec("svd_u", lambda a: la.svd(a, full_matrices=False)[0] ** 2,
               lambda a: np.linalg.svd(a, full_matrices=False)[0] ** 2, MATRICES,
               make=singular_values_apart, atol=1e-4, rtol=1e-4),
        OpSpec("svd_vh", lambda a: la.svd(a, full_matrices=False)[2] ** 2,
               lambda a: np.linalg.svd(a, full_matrices=False)[2] ** 2, MATRICES,
               make=singular_values_apart, atol=1e-4, rtol=1e-4),
        OpSpec("qr_q", lambda a: la.qr(a)[0], lambda a: np.linalg.qr(a)[0], MATRICES,
               make=singular_values_apart, atol=1e-4, rtol=1e-4),
        OpSpec("qr_r", lambda a: la.qr(a, mode="r"), lambda a: np.linalg.qr(a, mode="r"),
               fixed(((3, 2),), ((2, 3, 3),)), make=singular_values_apart),
        OpSpec("pinv", la.pinv, np.linalg.pinv, MATRICES, make=singular_values_apart),
        OpSpec("lstsq", lambda a, b: la.lstsq(a, b)[0], lambda a, b: np.linalg.lstsq(a, b)[0],
               fixed(((4, 3), (4, 2)), ((5, 2), (5, 1))), make=singular_values_apart),
        OpSpec("matrix_power", la.matrix_power, np.linalg.matrix_power, SQUARE,
               make=invertible, kwargs=[{"n": 3}, {"n": -2}, {"n": 1}]),
        OpSpec("expm", la.expm, _scipy_expm, SQUARE),
        OpSpec("norm_spectral", la.norm, np.linalg.norm, fixed(((3, 2),), ((2, 3),)),
               make=singular_values_apart,
               kwargs=[{"ord": 2}, {"ord": -2}, {"ord": "nuc"}, {"ord": 2, "axis": (1, 0)}]),
    ]  # fmt: skip


def torch_ops(T) -> dict:
    """PyTorch's version of each row above that PyTorch has (not eig: complex in PyTorch)."""

    def eigvalsh(a, UPLO="L"):
        return T.linalg.eigvalsh(_sym(a, T), UPLO)

    def matrix_norm(a, ord, axis=(-2, -1)):
        return T.linalg.matrix_norm(a, ord, dim=axis)

    return {
        "eigvalsh": eigvalsh,
        "eigh_vectors": lambda a, UPLO="L": T.linalg.eigh(_sym(a, T), UPLO)[1] ** 2,
        "svdvals": T.linalg.svdvals,
        "svd_u": lambda a: T.linalg.svd(a, full_matrices=False)[0] ** 2,
        "svd_vh": lambda a: T.linalg.svd(a, full_matrices=False)[2] ** 2,
        "qr_q": lambda a: T.linalg.qr(a)[0],
        "qr_r": lambda a: T.linalg.qr(a)[1],
        "pinv": T.linalg.pinv,
        "matrix_power": T.linalg.matrix_power,
        "norm_spectral": matrix_norm,
        "expm": T.linalg.matrix_exp,
    }

"""The singular value decomposition A = U diag(s) Vᵀ, differentiable, and the singular
values alone.

With k = min(m, n), the reduced factors U (m×k), V (n×k), D = Uᵀ Ȧ V and
F[i, j] = 1 / (s[j]² − s[i]²) (Townsend, "Differentiating the singular value
decomposition", 2016; the rule JAX uses):

* ṡ = diag(D);
* U̇ = U (F ∘ (D S + S Dᵀ)) + (I − U Uᵀ) Ȧ V S⁻¹   (the second term when m > n);
* V̇ = V (F ∘ (S D + Dᵀ S)) + (I − V Vᵀ) Ȧᵀ U S⁻¹  (the second term when n > m);
* reverse, with J = F ∘ (Uᵀ Ū), K = F ∘ (Vᵀ V̄):
  Ā = U (diag(s̄) + (J + Jᵀ) S + S (K + Kᵀ)) Vᵀ + (I − U Uᵀ) Ū S⁻¹ Vᵀ + U S⁻¹ V̄ᵀ (I − V Vᵀ).

Repeated singular values make F infinite, and a zero singular value makes S⁻¹ infinite
(when m ≠ n): the derivative of the singular vectors is undefined there and comes out
inf or NaN, as in PyTorch and JAX. The singular values alone (``compute_uv=False``,
``svdvals``) have their own rule, Ā = U diag(s̄) Vᵀ, finite for repeated values; so does
``svd`` of a function that uses S and not U or Vh (the vectors' terms are left out).

``full_matrices=True`` with m ≠ n adds columns to U (or rows to Vᵀ) that are an arbitrary
basis of a complement: no function of them has a derivative unless it ignores them. The
reverse rule checks that their cotangent is zero (and raises otherwise); forward mode
raises. ``full_matrices=False`` has no such limit.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad.autodiff.primitive import Primitive
from deepgrad.backend import array_module
from deepgrad.ops.linalg import matmul
from deepgrad.ops.reductions import sum
from deepgrad.ops.selection import where
from deepgrad.ops.shape import reshape
from deepgrad.ops.spectral_tools import (
    as_row,
    diag_embed,
    diagonal_of,
    inverse_gaps,
    matrix_check,
    mT,
    pack,
    pack_raw,
    shape_of,
    symmetric_from,
    traceable,
    unpack,
    vectors_used,
)
from deepgrad.tensor import raw_data


def _parts(packed: Any, m: int, n: int, full: bool) -> list[Any]:
    """(s, U, Vᵀ) cut from a packed result."""
    k = min(m, n)
    return unpack(packed, [(k,), (m, m if full else k), (n if full else k, n)])


def _svd_impl(a, full_matrices):
    u, s, vh = array_module(a).linalg.svd(a, full_matrices=full_matrices)
    return pack_raw(s, u, vh, like=a)


def _gaps(s: Any, used: Any = None) -> Any:
    """F[i, j] = 1 / (s[j]² − s[i]²) off the diagonal, 0 on it (0 everywhere for the
    matrices whose vectors are not ``used``: see ``inverse_gaps``)."""
    return inverse_gaps(s * s, used)


def _reduced(ans: Any, a: Any, full: bool) -> tuple[Any, Any, Any]:
    """s, U (m×k) and V (n×k) from a packed result, full or reduced."""
    m, n = shape_of(a)[-2:]
    k = min(m, n)
    s, u, vh = _parts(ans, m, n, full)
    if full:
        u, vh = u[..., :k], vh[..., :k, :]
    return s, u, mT(vh)


def _reduced_cotangents(g: Any, a: Any, full: bool) -> tuple[Any, Any, Any]:
    m, n = shape_of(a)[-2:]
    k = min(m, n)
    gs, gu, gvh = _parts(g, m, n, full)
    if full and m != n:
        extra = raw_data(gu[..., k:]) if m > n else raw_data(gvh[..., k:, :])
        if np.any(extra != 0):
            raise NotImplementedError(
                f"svd: the result depends on the extra {'columns of U' if m > n else 'rows of Vh'} "
                f"of full_matrices=True for a {m}×{n} matrix: they are an arbitrary basis, with "
                "no derivative. Use full_matrices=False"
            )
    if full:
        gu, gvh = gu[..., :k], gvh[..., :k, :]
    return gs, gu, mT(gvh)


@traceable
def _svd_vjp(g, ans, a, full_matrices):
    m, n = shape_of(a)[-2:]
    s, u, v = _reduced(ans, a, full_matrices)
    gs, gu, gv = _reduced_cotangents(g, a, full_matrices)
    # A function of the singular values alone leaves U's and V's terms out: at a repeated
    # (or, for m ≠ n, a zero) singular value they would be 0 · ∞ = NaN.
    used = vectors_used(gu, gv)
    f = _gaps(s, used)
    j = f * matmul(mT(u), gu)
    kk = f * matmul(mT(v), gv)
    core = diag_embed(gs) + (j + mT(j)) * as_row(s) + (kk + mT(kk)) * _column(s)
    grad = matmul(matmul(u, core), mT(v))
    if m != n:
        divisor = where(used, as_row(s), 1.0)
    if m > n:
        gu_out = gu - matmul(u, matmul(mT(u), gu))
        grad = grad + matmul(gu_out / divisor, mT(v))
    if n > m:
        gv_out = gv - matmul(v, matmul(mT(v), gv))
        grad = grad + matmul(u / divisor, mT(gv_out))
    return grad


def _column(s: Any) -> Any:
    """Vectors (..., k) as columns (..., k, 1): ``_column(s) * X`` scales the rows."""
    return reshape(s, (*shape_of(s), 1))


@traceable
def _svd_jvp(t, ans, a, full_matrices):
    m, n = shape_of(a)[-2:]
    if full_matrices and m != n:
        raise NotImplementedError(
            f"svd: no forward-mode derivative for full_matrices=True of a {m}×{n} matrix (the "
            "extra singular vectors are an arbitrary basis); use full_matrices=False"
        )
    s, u, v = _reduced(ans, a, full_matrices)
    d = matmul(matmul(mT(u), t), v)
    f = _gaps(s)
    ds_mat = d * as_row(s)  # D S
    sd_mat = _column(s) * d  # S D
    du = matmul(u, f * (ds_mat + mT(ds_mat)))
    dv = matmul(v, f * (sd_mat + mT(sd_mat)))
    if m > n:
        tv = matmul(t, v)
        du = du + (tv - matmul(u, matmul(mT(u), tv))) / as_row(s)
    if n > m:
        tu = matmul(mT(t), u)
        dv = dv + (tu - matmul(v, matmul(mT(v), tu))) / as_row(s)
    return pack(diagonal_of(d), du, mT(dv), batch=shape_of(a)[:-2])


_svd = Primitive(_svd_impl, "svd")
_svd.defvjp(_svd_vjp)
_svd.defjvp(_svd_jvp)


@traceable
def _svdvals_vjp(g, ans, a):
    u, _, vh = svd(a, full_matrices=False)
    return matmul(u * as_row(g), vh)


@traceable
def _svdvals_jvp(t, ans, a):
    u, _, vh = svd(a, full_matrices=False)
    return sum(u * matmul(t, mT(vh)), axis=-2)


_svdvals = Primitive(lambda a: array_module(a).linalg.svd(a, compute_uv=False), "svdvals")
_svdvals.defvjp(_svdvals_vjp)
_svdvals.defjvp(_svdvals_jvp)


def svdvals(a: Any) -> Any:
    """Singular values (descending) of matrices; finite gradients even when repeated.

    >>> svdvals(np.array([[3.0, 0.0], [0.0, -4.0]]))
    array([4., 3.])
    """
    matrix_check("svdvals", a)
    return _svdvals(a)


def svd(
    a: Any, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False
) -> Any:
    """NumPy's ``linalg.svd``: ``(U, S, Vh)`` with A = U diag(S) Vh, or S alone.

    Batched over leading axes. ``hermitian=True`` reads the lower triangle only, as NumPy's
    (which calls ``eigh``): the SVD is that of the lower triangle mirrored, and the
    gradient lives in that triangle (as ``eigh``'s). See the module docstring for the
    derivative at repeated or zero singular values and for ``full_matrices=True``.

    >>> u, s, vh = svd(np.array([[3.0, 0.0], [0.0, 4.0]]))
    >>> s
    array([4., 3.])
    """
    m, n = matrix_check("svd", a)[-2:]
    if hermitian:
        if m != n:
            raise np.linalg.LinAlgError(
                f"svd: hermitian=True needs square matrices (..., n, n), got {m}×{n}"
            )
        a = symmetric_from(a, "L")
    if not compute_uv:
        return svdvals(a)
    full = bool(full_matrices) and m != n
    s, u, vh = _parts(_svd(a, full_matrices=full), m, n, full)
    return u, s, vh

"""The cofactor matrix C(A) = adj(A)ᵀ, the derivative of det, and its own derivative, on raw
arrays, finite for singular matrices too.

For an invertible A, C(A) = det A · A⁻ᵀ; but inv fails at a singular A, where the cofactors,
polynomials in A's entries, are still defined. Through the SVD A = U S Vᵀ (real),
C(A) = det U det V · U C(S) Vᵀ with C(S) = diag(∏_{j≠i} s_j), which no zero singular value
disturbs (PyTorch's rule for singular inputs; JAX's patches an LU factorisation instead).
For E' = Uᵀ E V, the derivative of C in the direction E is det U det V · U Ċ Vᵀ with

    Ċ[i, i] = Σ_{k≠i} p_ik E'[k, k],   Ċ[i, k] = −p_ik E'[k, i]  (i ≠ k),

p_ik = ∏_{j∉{i,k}} s_j: the second-order terms of det(S + E'). It is self-adjoint
(it is the Hessian of det), so one function serves forward and reverse mode.

The SVD costs several inverses, so the formulas through the inverse (LU) come first;
the SVD takes over for the matrices where they fail or lose accuracy (see ``_not_finite``
and ``_ill_conditioned``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from deepgrad.backend import array_module


def cofactor(a: Any) -> Any:
    """C(A) = adj(A)ᵀ over the last two axes of ``a``: det A · A⁻ᵀ, finite for singular A."""
    return _svd_where(_not_finite, _cofactor_from_inverse, _cofactor_from_svd, a)


def cofactor_derivative(a: Any, direction: Any) -> Any:
    """The derivative of C at ``a`` in ``direction`` (the Hessian of det applied to it)."""
    direction = array_module(a).broadcast_to(direction, a.shape)
    rules = (_ill_conditioned, _derivative_from_inverse, _derivative_from_svd)
    return _svd_where(*rules, a, direction)


def _svd_where(refused: Callable, from_inverse: Callable, from_svd: Callable, a: Any, *more):
    """``from_inverse(a, inverse, *more)``, replaced by ``from_svd`` for the matrices that
    ``refused(a, inverse, result)`` marks, and for all when inv fails on one."""
    xp = array_module(a)
    try:
        with np.errstate(all="ignore"):
            inverse = xp.linalg.inv(a)
            result = from_inverse(a, inverse, *more)
    except np.linalg.LinAlgError:  # an exact zero pivot somewhere in the batch
        return from_svd(a, *more)
    refuse = refused(a, inverse, result)
    if bool(refuse.any()):
        result[refuse] = from_svd(a[refuse], *(m[refuse] for m in more))
    return result


def _not_finite(a: Any, inverse: Any, result: Any) -> Any:
    """det A · A⁻ᵀ from one LU factorisation stays accurate relative to ‖A‖ⁿ⁻¹ however
    close A is to singular (Stewart, "On the adjugate matrix", 1998, and our tests with
    50-digit arithmetic): only where the inverse overflows is it lost."""
    return ~array_module(a).isfinite(result).all(axis=(-2, -1))


def _ill_conditioned(a: Any, inverse: Any, result: Any) -> Any:
    """The derivative's two terms from the inverse cancel as A nears singular, losing
    about cond₁(A) · eps: refused past cond₁ = eps^(-1/3) (1.6e5 in float64), keeping two
    thirds of the digits; the SVD's costs more for a typical larger matrix."""
    xp = array_module(a)
    condition = _norm1(a) * _norm1(inverse)
    limit = np.finfo(a.dtype).eps ** (-1 / 3)
    return ~(condition < limit) | ~xp.isfinite(result).all(axis=(-2, -1))


def _norm1(a: Any) -> Any:
    """The matrix 1-norm (largest column sum of magnitudes), per matrix."""
    return array_module(a).abs(a).sum(axis=-2).max(axis=-1)


def _mT(x: Any) -> Any:
    return array_module(x).swapaxes(x, -1, -2)


def _cofactor_from_inverse(a: Any, inverse: Any) -> Any:
    return array_module(a).linalg.det(a)[..., None, None] * _mT(inverse)


def _derivative_from_inverse(a: Any, inverse: Any, e: Any) -> Any:
    # d(det A · A⁻ᵀ) = det A · (tr(A⁻¹ E) A⁻ᵀ − A⁻ᵀ Eᵀ A⁻ᵀ)
    xp = array_module(a)
    trace = xp.einsum("...ij,...ji->...", inverse, e)[..., None, None]
    inner = trace * inverse - inverse @ e @ inverse
    return xp.linalg.det(a)[..., None, None] * _mT(inner)


def _svd_parts(a: Any) -> tuple[Any, Any, Any, Any]:
    """U, s, Vᵀ of the SVD of ``a`` with the sign det U · det V that C(A) carries.

    For complex matrices the factors enter conjugated: C(U) = det U · conj(U) for unitary U.
    """
    xp = array_module(a)
    u, s, vh = xp.linalg.svd(a)
    sign = xp.linalg.det(u) * xp.linalg.det(vh)
    return xp.conj(u), s.astype(a.dtype), xp.conj(vh), sign[..., None, None]


def _cofactor_from_svd(a: Any) -> Any:
    u, s, vh, sign = _svd_parts(a)
    return sign * (u * _products_without_one(s)[..., None, :]) @ vh


def _derivative_from_svd(a: Any, e: Any) -> Any:
    xp = array_module(a)
    u, s, vh, sign = _svd_parts(a)
    # E' = U⁻¹ E V⁻ᵀ: with u and vh conjugated above, U⁻¹ = uᵀ and (Vᵀ)⁻¹ = vhᵀ
    rotated = _mT(u) @ e @ _mT(vh)
    n = s.shape[-1]
    off_diagonal = 1 - xp.eye(n, dtype=a.dtype)
    pairs = _products_without_two(s) * off_diagonal
    diagonal = xp.einsum("...ik,...kk->...i", pairs, rotated)
    inner = diagonal[..., None] * xp.eye(n, dtype=a.dtype) - pairs * _mT(rotated)
    return sign * u @ inner @ vh


def _products_without_one(s: Any) -> Any:
    """p[..., i] = ∏_{j≠i} s[..., j], from running products (no division by a zero s)."""
    xp = array_module(s)
    ones = xp.ones_like(s[..., :1])
    before = xp.cumprod(xp.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)
    after = xp.flip(xp.cumprod(xp.flip(xp.concatenate([s[..., 1:], ones], axis=-1), -1), -1), -1)
    return before * after


def _products_without_two(s: Any) -> Any:
    """p[..., i, k] = ∏_{j∉{i,k}} s[..., j] for i ≠ k (the diagonal is ∏_{j≠i} s_j)."""
    xp = array_module(s)
    n = s.shape[-1]
    # row i: s with s_i replaced by 1; then the products without one entry, along the row
    rows = xp.where(xp.eye(n, dtype=bool), xp.ones_like(s)[..., None, :], s[..., None, :])
    return _products_without_one(rows)

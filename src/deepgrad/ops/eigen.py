"""Eigendecompositions: ``eigh``, ``eigvalsh`` (symmetric) and ``eig`` (real spectra).

Rules (Giles 2008; Magnus 1985; Boeddeker et al. 2017, arXiv:1701.00392), with the
eigenvalue gaps F[i, j] = 1 / (w[j] − w[i]):

* symmetric, A = V diag(w) Vᵀ, M = Vᵀ Ȧ V:  ẇ = diag(M),  V̇ = V (F ∘ M);
  reverse: Ā = V (diag(w̄) + F ∘ (Vᵀ V̄)) Vᵀ;
* general, A = V diag(w) V⁻¹, M = V⁻¹ Ȧ V:  ẇ = diag(M),  V̇₀ = V (F ∘ M), and the
  columns stay of unit length: V̇ = V̇₀ − V diag(diag(Vᵀ V̇₀));
  reverse: Ā = V⁻ᵀ (diag(w̄) + F ∘ (Vᵀ V̄')) Vᵀ with V̄' = V̄ − V diag(diag(Vᵀ V̄)).

``eigh`` reads one triangle of A (``UPLO``), as NumPy does, and its derivative is the
derivative of exactly that function: the gradient lives in that triangle, off-diagonal
entries counted twice. For symmetric changes of A it agrees with the symmetric gradient
PyTorch and JAX return.

Repeated eigenvalues make F infinite: the derivative of the eigenvectors is undefined
there (any rotation inside the eigenspace is as good) and comes out inf or NaN, as in
PyTorch and JAX. The eigenvalues alone (``eigvalsh``, or ``eigh`` of a function that does
not use the vectors) have no F-term, so their gradient stays finite for repeated
eigenvalues.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from deepgrad.autodiff.primitive import Primitive
from deepgrad.backend import array_module
from deepgrad.ops.indexing import tril, triu
from deepgrad.ops.linalg import matmul
from deepgrad.ops.matrix import inv
from deepgrad.ops.reductions import sum
from deepgrad.ops.spectral_tools import (
    as_row,
    diag_embed,
    diagonal_of,
    eye_like,
    inverse_gaps,
    mT,
    pack,
    pack_raw,
    shape_of,
    square_check,
    symmetric_from,
    traceable,
    unpack,
    vectors_used,
)

Triangle = Literal["L", "U"]


def _check_uplo(name: str, UPLO: Any) -> None:
    if UPLO not in ("L", "U"):
        raise ValueError(f"{name}: UPLO must be 'L' or 'U', got {UPLO!r}")


def _onto_triangle(g: Any, UPLO: Triangle) -> Any:
    """The adjoint of ``symmetric_from``: off-diagonal pairs summed into the triangle."""
    n = shape_of(g)[-1]
    both = g + mT(g)
    half_diagonal = 1 - 0.5 * eye_like(g, n)
    return (tril(both) if UPLO == "L" else triu(both)) * half_diagonal


# ---- eigh -----------------------------------------------------------------------------------


def _eigh_impl(a, UPLO):
    w, v = array_module(a).linalg.eigh(a, UPLO=UPLO)
    return pack_raw(w, v, like=a)


def _eigh_parts(packed: Any, n: int) -> list[Any]:
    return unpack(packed, [(n,), (n, n)])


@traceable
def _eigh_vjp(g, ans, a, UPLO):
    n = shape_of(a)[-1]
    w, v = _eigh_parts(ans, n)
    gw, gv = _eigh_parts(g, n)
    inner = diag_embed(gw) + inverse_gaps(w, vectors_used(gv)) * matmul(mT(v), gv)
    return _onto_triangle(matmul(matmul(v, inner), mT(v)), UPLO)


@traceable
def _eigh_jvp(t, ans, a, UPLO):
    n = shape_of(a)[-1]
    w, v = _eigh_parts(ans, n)
    m = matmul(matmul(mT(v), symmetric_from(t, UPLO)), v)
    return pack(diagonal_of(m), matmul(v, inverse_gaps(w) * m), batch=shape_of(a)[:-2])


_eigh = Primitive(_eigh_impl, "eigh")
_eigh.defvjp(_eigh_vjp)
_eigh.defjvp(_eigh_jvp)


def eigh(a: Any, UPLO: Triangle = "L") -> tuple[Any, Any]:
    """Eigenvalues (ascending) and orthonormal eigenvectors of symmetric matrices.

    Reads the lower (``UPLO='L'``) or upper triangle only, as NumPy does. Batched over
    leading axes. See the module docstring for repeated eigenvalues.

    >>> w, v = eigh(np.array([[2.0, 1.0], [1.0, 2.0]]))
    >>> w
    array([1., 3.])
    """
    _check_uplo("eigh", UPLO)
    n = square_check("eigh", a)[-1]
    w, v = _eigh_parts(_eigh(a, UPLO=UPLO), n)
    return w, v


# ---- eigvalsh -------------------------------------------------------------------------------


@traceable
def _eigvalsh_vjp(g, ans, a, UPLO):
    _, v = eigh(a, UPLO)
    return _onto_triangle(matmul(v * as_row(g), mT(v)), UPLO)


@traceable
def _eigvalsh_jvp(t, ans, a, UPLO):
    _, v = eigh(a, UPLO)
    return sum(v * matmul(symmetric_from(t, UPLO), v), axis=-2)


_eigvalsh = Primitive(lambda a, UPLO: array_module(a).linalg.eigvalsh(a, UPLO=UPLO), "eigvalsh")
_eigvalsh.defvjp(_eigvalsh_vjp)
_eigvalsh.defjvp(_eigvalsh_jvp)


def eigvalsh(a: Any, UPLO: Triangle = "L") -> Any:
    """Eigenvalues (ascending) of symmetric matrices; finite gradients even when repeated.

    >>> eigvalsh(np.array([[2.0, 0.0], [0.0, 2.0]]))
    array([2., 2.])
    """
    _check_uplo("eigvalsh", UPLO)
    square_check("eigvalsh", a)
    return _eigvalsh(a, UPLO=UPLO)


# ---- eig (real spectra) ---------------------------------------------------------------------


def _eig_impl(a):
    xp = array_module(a)
    if not hasattr(xp.linalg, "eig"):
        raise NotImplementedError(
            f"eig: {xp.__name__}.linalg has no eigendecomposition of general matrices (CuPy "
            "has eigh only); move the matrix to the host with deepgrad.backend.to_numpy"
        )
    w, v = xp.linalg.eig(a)
    if np.iscomplexobj(w) or np.iscomplexobj(v):
        raise ValueError(
            "eig: the matrix has complex eigenvalues; deepgrad works with real numbers only "
            "(for symmetric matrices use eigh, whose spectrum is always real)"
        )
    return pack_raw(w, v, like=a)


@traceable
def _eig_vjp(g, ans, a):
    n = shape_of(a)[-1]
    w, v = _eigh_parts(ans, n)
    gw, gv = _eigh_parts(g, n)
    used = vectors_used(gv)
    gv = gv - v * as_row(sum(v * gv, axis=-2))
    inner = diag_embed(gw) + inverse_gaps(w, used) * matmul(mT(v), gv)
    return matmul(matmul(mT(inv(v)), inner), mT(v))


@traceable
def _eig_jvp(t, ans, a):
    n = shape_of(a)[-1]
    w, v = _eigh_parts(ans, n)
    m = matmul(matmul(inv(v), t), v)
    dv = matmul(v, inverse_gaps(w) * m)
    dv = dv - v * as_row(sum(v * dv, axis=-2))
    return pack(diagonal_of(m), dv, batch=shape_of(a)[:-2])


_eig = Primitive(_eig_impl, "eig")
_eig.defvjp(_eig_vjp)
_eig.defjvp(_eig_jvp)


def eig(a: Any) -> tuple[Any, Any]:
    """Eigenvalues and unit-length eigenvectors of a real matrix with a real spectrum.

    Raises ``ValueError`` when an eigenvalue is complex (deepgrad is real-valued).
    Eigenvalues come in NumPy's (unsorted) order.

    >>> w, v = eig(np.array([[2.0, 0.0], [1.0, 3.0]]))
    >>> sorted(w.tolist())
    [2.0, 3.0]
    """
    n = square_check("eig", a)[-1]
    w, v = _eigh_parts(_eig(a), n)
    return w, v

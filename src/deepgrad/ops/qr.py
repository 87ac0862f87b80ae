"""The QR decomposition A = Q R (reduced), differentiable.

For m ≥ n (Walter & Lehmann 2018; the rule JAX uses), with X = Ȧ R⁻¹, C = Qᵀ X,
L = tril(C, −1) and Ω = L − Lᵀ:

* Q̇ = Q (Ω − C) + X,   Ṙ = (C − Ω) R;
* reverse, with P = Qᵀ Q̄ − R̄ Rᵀ and C̄ = tril(P − Pᵀ, −1) − P:  Ā = (Q̄ + Q C̄) R⁻ᵀ.

For m < n, A = [X | Y] with X square: Q R_X = X and R = [R_X | Qᵀ Y], so the rule of the
square case covers it. A singular leading block (R with a zero on its diagonal) has no
derivative: where R is exactly singular the rules raise ``LinAlgError`` naming qr
(PyTorch and JAX return inf or NaN); where it is nearly so, the result is huge.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from deepgrad.autodiff.primitive import Primitive
from deepgrad.backend import array_module
from deepgrad.ops.indexing import getitem, tril
from deepgrad.ops.linalg import matmul
from deepgrad.ops.matrix import solve
from deepgrad.ops.shape import concatenate
from deepgrad.ops.spectral_tools import (
    matrix_check,
    mT,
    pack,
    pack_raw,
    shape_of,
    traceable,
    unpack,
)

QRMode = Literal["reduced", "complete", "r"]


def _qr_impl(a):
    q, r = array_module(a).linalg.qr(a, mode="reduced")
    return pack_raw(q, r, like=a)


def _parts(packed: Any, m: int, n: int) -> list[Any]:
    return unpack(packed, [(m, n), (n, n)])


def _solve_r(r: Any, b: Any) -> Any:
    """solve(R, b) for the rules, refused with qr's name where R is singular."""
    try:
        return solve(r, b)
    except np.linalg.LinAlgError as error:
        raise np.linalg.LinAlgError(
            f"qr: no derivative where R (shape {shape_of(r)}) has a zero on its diagonal, "
            "i.e. the leading square block of A is singular (PyTorch and JAX return inf or "
            "NaN there)"
        ) from error


@traceable
def _qr_vjp(g, ans, a):
    m, n = shape_of(a)[-2:]
    q, r = _parts(ans, m, n)
    gq, gr = _parts(g, m, n)
    p = matmul(mT(q), gq) - matmul(gr, mT(r))
    gc = tril(p - mT(p), -1) - p
    gx = gq + matmul(q, gc)
    return mT(_solve_r(r, mT(gx)))  # (Q̄ + Q C̄) R⁻ᵀ


@traceable
def _qr_jvp(t, ans, a):
    m, n = shape_of(a)[-2:]
    q, r = _parts(ans, m, n)
    x = mT(_solve_r(mT(r), mT(t)))  # Ȧ R⁻¹
    c = matmul(mT(q), x)
    lower = tril(c, -1)
    omega = lower - mT(lower)
    return pack(matmul(q, omega - c) + x, matmul(c - omega, r), batch=shape_of(a)[:-2])


_qr_tall = Primitive(_qr_impl, "qr")
_qr_tall.defvjp(_qr_vjp)
_qr_tall.defjvp(_qr_jvp)


def qr(a: Any, mode: QRMode = "reduced") -> Any:
    """NumPy's ``linalg.qr``: ``(Q, R)`` with orthonormal columns in Q and R upper
    triangular; ``mode='r'`` returns R alone. Batched over leading axes.

    ``mode='complete'`` is the reduced decomposition when m ≤ n; for m > n the extra
    columns of Q are an arbitrary basis with no derivative, so it raises.

    >>> import numpy as np
    >>> q, r = qr(np.array([[3.0, 1.0], [4.0, 2.0]]))
    >>> np.allclose(q @ r, [[3.0, 1.0], [4.0, 2.0]])
    True
    """
    m, n = matrix_check("qr", a)[-2:]
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    if mode == "complete" and m > n:
        raise NotImplementedError(
            f"qr: mode='complete' for a {m}×{n} matrix (m > n) adds columns to Q that are an "
            "arbitrary basis with no derivative; use mode='reduced'"
        )
    if m >= n:
        q, r = _parts(_qr_tall(a), m, n)
    else:  # A = [X | Y]: QR of the square block X, then R = [R_X | Qᵀ Y]
        square = getitem(a, index=(Ellipsis, slice(None), slice(0, m)))
        rest = getitem(a, index=(Ellipsis, slice(None), slice(m, None)))
        q, r_square = _parts(_qr_tall(square), m, m)
        r = concatenate([r_square, matmul(mT(q), rest)], axis=-1)
    return r if mode == "r" else (q, r)

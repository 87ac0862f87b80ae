"""The Moore–Penrose pseudo-inverse and least squares, differentiable.

For P = A⁺ (Golub & Pereyra 1973; the rule PyTorch and JAX use):

* Ṗ = −P Ȧ P + P Pᵀ Ȧᵀ (I − A P) + (I − P A) Ȧᵀ Pᵀ P;
* reverse: Ā = −Pᵀ Ḡ Pᵀ + (I − A P) Ḡᵀ P Pᵀ + Pᵀ P Ḡᵀ (I − P A).

The pseudo-inverse is not continuous where the rank changes: the rule holds where the
rank is locally constant (singular values under the cutoff stay under it).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad.autodiff.primitive import Primitive
from deepgrad.backend import array_module, to_numpy
from deepgrad.ops.elementwise import subtract
from deepgrad.ops.linalg import matmul
from deepgrad.ops.reductions import sum
from deepgrad.ops.shape import reshape
from deepgrad.ops.spectral_tools import (
    eye_like,
    matrix_check,
    mT,
    shape_of,
    symmetric_from,
    traceable,
)
from deepgrad.ops.svd import svdvals
from deepgrad.tensor import raw_data, read_value


def _pinv_impl(a, rcond, hermitian):
    linalg = array_module(a).linalg
    if rcond is None:
        return linalg.pinv(a, hermitian=hermitian)
    return linalg.pinv(a, rcond=rcond, hermitian=hermitian)


def _projectors(a: Any, p: Any) -> tuple[Any, Any]:
    """(I − A P) and (I − P A): onto the complements of A's column and row spaces."""
    m, n = shape_of(a)[-2:]
    return eye_like(a, m) - matmul(a, p), eye_like(a, n) - matmul(p, a)


@traceable
def _pinv_vjp(g, ans, a, rcond, hermitian):
    p = ans
    out_cols, out_rows = _projectors(a, p)
    gt = mT(g)
    return (
        -matmul(matmul(mT(p), g), mT(p))
        + matmul(matmul(out_cols, gt), matmul(p, mT(p)))
        + matmul(matmul(mT(p), p), matmul(gt, out_rows))
    )


@traceable
def _pinv_jvp(t, ans, a, rcond, hermitian):
    p = ans
    out_cols, out_rows = _projectors(a, p)
    tt = mT(t)
    return (
        -matmul(matmul(p, t), p)
        + matmul(matmul(p, mT(p)), matmul(tt, out_cols))
        + matmul(matmul(out_rows, tt), matmul(mT(p), p))
    )


_pinv = Primitive(_pinv_impl, "pinv")
_pinv.defvjp(_pinv_vjp)
_pinv.defjvp(_pinv_jvp)


_UNSET: Any = object()  # NumPy's "rtol not given", which None cannot stand for


def pinv(a: Any, rcond: Any = None, hermitian: bool = False, *, rtol: Any = _UNSET) -> Any:
    """The pseudo-inverse A⁺ (NumPy's ``linalg.pinv``), batched over leading axes.

    Singular values up to ``rcond`` times the largest count as zero (NumPy's 1e-15 when
    None). ``rtol`` is NumPy 2's other name for it, with its own default: ``rtol=None``
    means max(M, N) · eps of the dtype; both at once raise ``ValueError``, as NumPy's.
    Differentiable where the rank does not change. ``hermitian=True`` reads the lower
    triangle only, as NumPy's (through ``eigh``); the gradient lives in that triangle (as
    ``eigh``'s).

    >>> pinv(np.array([[2.0, 0.0], [0.0, 0.0]]))
    array([[0.5, 0. ],
           [0. , 0. ]])
    >>> pinv(np.array([[1.0, 0.0], [0.0, 1e-3]]), rtol=1e-2)
    array([[1., 0.],
           [0., 0.]])
    """
    m, n = matrix_check("pinv", a)[-2:]
    if rtol is not _UNSET:
        if rcond is not None:
            raise ValueError(f"pinv: rtol={rtol!r} and rcond={rcond!r} given; set one, as NumPy")
        dtype = np.result_type(raw_data(a).dtype, np.float16)  # the dtype pinv computes in
        rcond = max(m, n) * np.finfo(dtype).eps if rtol is None else rtol
    if hermitian:
        if m != n:
            raise np.linalg.LinAlgError(
                f"pinv: hermitian=True needs square matrices (..., n, n), got {m}×{n}"
            )
        a = symmetric_from(a, "L")
    return _pinv(a, rcond=rcond, hermitian=bool(hermitian))


def _lstsq_cutoff(rcond: float | None, m: int, n: int) -> float:
    """The cut-off ratio NumPy's lstsq applies: its default eps · max(M, N) for None, else
    ``rcond`` as LAPACK's gelsd reads it, which replaces one outside (0, 1) by the machine
    precision 2⁻⁵³ (NumPy solves in double precision whatever the input's dtype)."""
    if rcond is None:
        return float(np.finfo(np.float64).eps) * max(m, n)
    if not 0 < rcond < 1:
        return float(np.finfo(np.float64).eps) / 2
    return float(rcond)


def lstsq(a: Any, b: Any, rcond: float | None = None) -> tuple[Any, Any, int, Any]:
    """Least squares, NumPy's ``linalg.lstsq``: ``(x, residuals, rank, s)``.

    x = A⁺ b minimises ‖b − A x‖; ``residuals`` are the squared norms of b − A x per column
    (empty unless A has full column rank N < M); ``rank`` is a number; ``s`` are A's
    singular values. Singular values up to ``rcond`` times the largest count as zero; an
    ``rcond`` of 0 or less, or of 1 or more, means the machine precision, as in NumPy
    (LAPACK's rule). x, residuals and s are differentiable (where the rank is constant).

    >>> x, res, rank, s = lstsq(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]),
    ...                         np.array([1.0, 2.0, 3.0]))
    >>> np.round(x, 6), rank
    (array([1., 2.]), 2)
    """
    a_shape, b_shape = shape_of(a), shape_of(b)
    if len(a_shape) != 2 or len(b_shape) not in (1, 2) or b_shape[0] != a_shape[0]:
        raise ValueError(
            f"lstsq: expected a matrix a (M, N) and b (M,) or (M, K) with the same M, got "
            f"a {a_shape} and b {b_shape} (for a batch of problems use pinv(a) @ b)"
        )
    m, n = a_shape
    cutoff = _lstsq_cutoff(rcond, m, n)
    s = svdvals(a)
    # The rank is a number and decides the residuals' shape: read in Python, so a compiled
    # function refuses it as it refuses float(x) (a replay kept the first call's rank).
    values = to_numpy(read_value(s, "lstsq's rank (for the solution alone, pinv(a) @ b)"))
    rank = int(np.sum(values > cutoff * values.max())) if values.size else 0
    x = matmul(pinv(a, rcond=cutoff), b)
    if rank == n and m > n:
        residual = subtract(b, matmul(a, x))  # (not b - ...: b may be a raw device array)
        residuals = reshape(sum(residual * residual, axis=0), (-1,))
    else:
        dtype = np.result_type(raw_data(a).dtype, raw_data(b).dtype)
        residuals = np.zeros((0,), dtype=dtype)
    return x, residuals, rank, s

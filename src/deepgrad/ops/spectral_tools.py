"""Helpers shared by the decompositions: packing several results into one array, matrix
transposes and diagonals, and the matrix of inverse eigenvalue gaps.

A primitive returns one array, so a decomposition with several results (the eigenvalues
and the eigenvectors) returns them *packed*: each result flattened over its own axes and
the pieces concatenated along a last axis, batch axes in front. ``unpack`` cuts them out
again with differentiable ops, so a derivative rule sees one packed cotangent (zeros
where a result was not used) and returns one packed tangent.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from deepgrad.backend import array_module
from deepgrad.ops.indexing import getitem, tril, triu
from deepgrad.ops.nondiff import any as any_of
from deepgrad.ops.nondiff import logical_or, not_equal
from deepgrad.ops.selection import where
from deepgrad.ops.shape import concatenate, reshape, swapaxes
from deepgrad.tensor import Tensor, raw_data


def shape_of(x: Any) -> tuple[int, ...]:
    return tuple(np.shape(raw_data(x)))


def mT(x: Any) -> Any:
    """The matrix transpose of the last two axes."""
    return swapaxes(x, -1, -2)


def eye_like(x: Any, n: int) -> Any:
    """An n×n identity of ``x``'s dtype, made by ``x``'s array module: a constant Tensor
    when ``x`` is a Tensor, so that ``eye - x`` is a deepgrad op whichever side it is on."""
    data = raw_data(x)
    eye = array_module(data).eye(n, dtype=data.dtype)
    return Tensor._make(eye, -1) if isinstance(x, Tensor) else eye


def symmetric_from(a: Any, UPLO: str) -> Any:
    """The symmetric matrix LAPACK's symmetric routines see (NumPy's ``eigh``, and ``svd``
    and ``pinv`` with ``hermitian=True``): A's lower (or upper) triangle mirrored."""
    if UPLO == "L":
        return tril(a) + mT(tril(a, -1))
    return triu(a) + mT(triu(a, 1))


def diagonal_of(x: Any) -> Any:
    """The diagonal of the last two axes (square matrices), as the last axis."""
    n = shape_of(x)[-1]
    return getitem(x, index=(Ellipsis, np.arange(n), np.arange(n)))


def as_row(v: Any) -> Any:
    """Vectors (..., n) as rows (..., 1, n): ``matrix * as_row(v)`` scales the columns."""
    shape = shape_of(v)
    return reshape(v, (*shape[:-1], 1, shape[-1]))


def diag_embed(v: Any) -> Any:
    """Vectors (..., n) as diagonal matrices (..., n, n)."""
    n = shape_of(v)[-1]
    return reshape(v, (*shape_of(v), 1)) * eye_like(v, n)


def inverse_gaps(w: Any, used: Any = None) -> Any:
    """F with F[i, j] = 1 / (w[j] − w[i]) off the diagonal and 0 on it.

    A repeated value makes an entry infinite: the derivative of the eigenvectors (or
    singular vectors) is undefined there, as in PyTorch and JAX. ``used`` (booleans of
    shape (..., 1, 1), from :func:`vectors_used`) makes F zero for the matrices whose
    vectors the function does not use: their F-term vanishes, where 0 · ∞ would make the
    gradient of the values alone NaN at a repeated value.
    """
    n = shape_of(w)[-1]
    eye = eye_like(w, n)
    gaps = reshape(w, (*shape_of(w)[:-1], 1, n)) - reshape(w, (*shape_of(w)[:-1], n, 1))
    if used is None:
        return 1.0 / (gaps + eye) - eye
    safe = where(used, gaps + eye, 1.0)  # no 1/0 in the unused branch, nor in its derivative
    return where(used, 1.0 / safe - eye, 0.0)


def vectors_used(*cotangents: Any) -> Any:
    """Whether any of the vectors' cotangents (..., m, n) is non-zero, per matrix, as
    booleans of shape (..., 1, 1): a function of the values alone gives zeros there."""
    used = None
    for g in cotangents:
        nonzero = any_of(not_equal(g, 0), axis=(-2, -1), keepdims=True)
        used = nonzero if used is None else logical_or(used, nonzero)
    return used


def pack_raw(*parts: Any, like: Any) -> Any:
    """Raw arrays flattened over their non-batch axes and joined along a last axis, by the
    array module of ``like`` (the decomposed matrix: its batch axes lead)."""
    xp = array_module(like)
    batch = np.shape(like)[:-2]  # (a nested list too: NumPy's linalg takes those)
    # each length spelled out: -1 is ambiguous in an empty batch
    pieces = [xp.asarray(p) for p in parts]
    flat = [p.reshape((*batch, math.prod(p.shape[len(batch) :]))) for p in pieces]
    return xp.concatenate(flat, axis=-1)


def pack(*parts: Any, batch: tuple[int, ...]) -> Any:
    """``pack_raw`` with differentiable ops (for tangents)."""
    return concatenate([reshape(p, (*batch, -1)) for p in parts], axis=-1)


def unpack(packed: Any, shapes: list[tuple[int, ...]]) -> list[Any]:
    """Cut a packed array back into results of the given (non-batch) shapes."""
    batch = shape_of(packed)[:-1]
    parts, start = [], 0
    for shape in shapes:
        size = math.prod(shape)
        piece = getitem(packed, index=(Ellipsis, slice(start, start + size)))
        parts.append(reshape(piece, (*batch, *shape)))
        start += size
    return parts


def traceable(rule: Callable) -> Callable:
    """Run a rule on constant Tensors rather than raw arrays, and hand back raw arrays.

    Python operators on raw arrays (``g * x``) are NumPy's own and escape an observer
    (``compile``, ``vmap``), freezing their result; on Tensors they are deepgrad ops.
    """

    @functools.wraps(rule)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        args = tuple(Tensor._make(a, -1) if _is_raw_array(a) else a for a in args)
        result = rule(*args, **kwargs)
        if isinstance(result, Tensor) and result._level < 0:
            return result._value
        return result

    return wrapped


def _is_raw_array(value: Any) -> bool:
    return hasattr(value, "shape") and hasattr(value, "dtype") and not isinstance(value, Tensor)


def square_check(name: str, a: Any) -> tuple[int, ...]:
    shape = matrix_check(name, a)
    if shape[-1] != shape[-2]:
        raise ValueError(f"{name}: expected square matrices (..., n, n), got shape {shape}")
    return shape


def matrix_check(name: str, a: Any) -> tuple[int, ...]:
    shape = shape_of(a)
    if len(shape) < 2:
        raise ValueError(f"{name}: expected matrices (..., m, n), got shape {shape}")
    dtype = getattr(raw_data(a), "dtype", None)
    if dtype is not None and np.issubdtype(dtype, np.complexfloating):
        raise TypeError(f"{name}: complex input (dtype {dtype}) is not supported; real only")
    return shape

"""Matrix powers and the norms that need singular values (ord=2, -2, 'nuc').

Both are composites of differentiable primitives: ``matrix_power`` of matmul (and inv
for negative powers), the spectral and nuclear norms of ``svdvals``. The 2-norm is the
largest singular value: where it is repeated, its gradient is shared between the tied
values, as ``max`` does.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from deepgrad.axes import axis_index
from deepgrad.ops.creation import integers_as_floats
from deepgrad.ops.linalg import matmul
from deepgrad.ops.matrix import inv, largest
from deepgrad.ops.matrix import norm as _basic_norm
from deepgrad.ops.reductions import min, sum
from deepgrad.ops.selection import where
from deepgrad.ops.shape import broadcast_to, moveaxis, reshape
from deepgrad.ops.spectral_tools import eye_like, shape_of, square_check
from deepgrad.ops.svd import svdvals


def matrix_power(a: Any, n: int) -> Any:
    """A raised to the integer power n (NumPy's ``linalg.matrix_power``), by repeated
    squaring; n < 0 inverts first, n = 0 gives the identity in A's dtype (whose derivative
    is zero), whatever A holds, as NumPy does.

    >>> matrix_power(np.array([[1.0, 1.0], [0.0, 1.0]]), 3)
    array([[1., 3.],
           [0., 1.]])
    """
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError(f"matrix_power: the exponent must be an integer, got {n!r}") from None
    shape = square_check("matrix_power", a)
    if n == 0:  # the identity, kept a function of A (a zero derivative) without reading
        # A's values: 0·A + I was NaN where A held an inf or a NaN, and float for integers
        identity = broadcast_to(eye_like(a, shape[-1]), shape)
        return where(np.ones(shape, dtype=bool), identity, a)
    base = inv(a) if n < 0 else a
    n = abs(n)
    result = None
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return result


_SPECTRAL = {2: largest, -2: min, "nuc": sum}


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    """NumPy's ``linalg.norm``, with the matrix orders 2, −2 and 'nuc' (from the singular
    values) besides those of :func:`deepgrad.ops.matrix.norm`.

    >>> float(norm(np.array([[3.0, 0.0], [0.0, 4.0]]), ord=2))
    4.0
    >>> float(norm(np.array([[3.0, 0.0], [0.0, 4.0]]), ord="nuc"))
    7.0
    >>> float(norm(np.array([200, 250], dtype=np.uint8)))  # in float64, as NumPy's
    320.1562118716424
    """
    x = integers_as_floats(x)  # NumPy's: x * x of uint8 200 would wrap around to 64
    if isinstance(ord, np.generic):  # np.int64(2) is not an int: as the Python number
        ord = ord.item()
    ndim = len(shape_of(x))
    is_spectral = isinstance(ord, str | int | float) and (ord in (2, -2) or ord == "nuc")
    pair = (0, 1) if axis is None and ndim == 2 else _axis_pair(axis)
    if not is_spectral or pair is None:
        return _basic_norm(x, ord=ord, axis=axis, keepdims=keepdims)
    rows, cols = (axis_index(pair[0], ndim, "norm"), axis_index(pair[1], ndim, "norm"))
    if rows == cols:
        raise ValueError(f"norm: axis must name two different axes, got {axis}")
    matrices = moveaxis(x, (rows, cols), (-2, -1))
    result = _SPECTRAL[ord](svdvals(matrices), axis=-1)
    if keepdims:
        shape = list(shape_of(x))
        shape[rows] = shape[cols] = 1
        result = reshape(result, tuple(shape))
    return result


def _axis_pair(axis: Any) -> tuple[int, int] | None:
    """``axis`` when it names two axes (a matrix norm), else None."""
    if axis is None or isinstance(axis, int | np.integer):
        return None
    axes = tuple(axis)
    return (int(axes[0]), int(axes[1])) if len(axes) == 2 else None

"""Finite differences: NumPy's ``diff`` and ``gradient``, linear in the array, so written
from slices and arithmetic and differentiable to any order."""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad.axes import axis_index, axis_tuple
from deepgrad.backend import array_module
from deepgrad.ops.creation import integers_as_floats
from deepgrad.ops.nondiff import not_equal
from deepgrad.ops.shape import astype, broadcast_to, concatenate, moveaxis
from deepgrad.tensor import Tensor, raw_data


def _shape(x: Any) -> tuple[int, ...]:
    return np.shape(raw_data(x))


def diff(a: Any, n: int = 1, axis: int = -1, prepend: Any = None, append: Any = None) -> Any:
    """The n-th discrete difference along ``axis``: out[i] = a[i+1] − a[i], n times.

    >>> diff(np.array([1.0, 4.0, 9.0, 16.0]), n=2)
    array([2., 2.])
    """
    if n < 0:
        raise ValueError(f"diff: order n must be non-negative, got {n}")
    if not hasattr(raw_data(a), "shape"):  # a list or a number, as NumPy takes it
        a = np.asarray(a)
    shape = _shape(a)
    if not shape:
        raise ValueError("diff: expected an array of at least 1 dimension, got a scalar")
    axis = axis_index(axis, len(shape), "diff")
    parts = []
    for extra in (prepend, None, append):
        if extra is None:
            continue
        if not _shape(extra):
            extra = _edge_value(a, extra)
            extra = broadcast_to(extra, (*shape[:axis], 1, *shape[axis + 1 :]))
        parts.append(extra)
    if prepend is not None or append is not None:
        parts.insert(0 if prepend is None else 1, a)
        a = concatenate(parts, axis=axis)
    lead = (slice(None),) * axis
    for _ in range(n):
        later, earlier = a[(*lead, slice(1, None))], a[(*lead, slice(None, -1))]
        if raw_data(a).dtype == np.bool_:  # NumPy's: booleans differ by not_equal
            a = not_equal(later, earlier)
        else:
            a = later - earlier
    return a


def _edge_value(a: Any, extra: Any) -> Any:
    """A scalar ``prepend`` or ``append``. On a Tensor a Python number takes the Tensor's
    dtype (NEP 50; a float32 Tensor stays float32). On a plain array it is an array of its
    own, as in NumPy's ``diff``: ``diff(uint8 [5, 3], prepend=0)`` is int64 [5, -2]."""
    if not isinstance(extra, int | float):
        return extra
    if isinstance(a, Tensor):
        return np.asarray(extra, dtype=np.result_type(raw_data(a).dtype, extra))
    return np.asarray(extra)


def gradient(f: Any, *varargs: Any, axis: Any = None, edge_order: int = 1) -> Any:
    """The gradient of sampled values by central differences inside and one-sided
    differences (first or second order) at the edges (NumPy's ``gradient``).

    ``varargs`` gives the spacing per axis: a scalar or the coordinates (constants).
    Linear in ``f``, so differentiable in ``f`` to any order.

    >>> gradient(np.array([1.0, 4.0, 9.0, 16.0]))
    array([3., 4., 6., 7.])
    """
    if not hasattr(raw_data(f), "shape"):  # a list or a number, as NumPy takes it
        f = np.asarray(f)
    # NumPy's: integers in float64, since their differences would wrap around (uint8
    # 10 − 250 is 16); booleans, which cannot be subtracted, raise as in NumPy
    f = integers_as_floats(f, kinds="iu")
    shape = _shape(f)
    ndim = len(shape)
    axes = list(range(ndim)) if axis is None else np.atleast_1d(axis).tolist()
    axes = list(axis_tuple(tuple(axes), ndim, "gradient"))
    if edge_order not in (1, 2):
        raise ValueError(f"gradient: edge_order must be 1 or 2, got {edge_order}")
    spacings = _spacings(varargs, [shape[ax] for ax in axes])
    out = [_gradient_along(f, ax, dx, edge_order) for ax, dx in zip(axes, spacings, strict=True)]
    return out[0] if len(out) == 1 else tuple(out)


def _spacings(varargs: tuple, lengths: list[int]) -> list[np.ndarray]:
    """The steps between samples along each differentiated axis: a 0-d array for a
    uniform step, else the n − 1 steps between the coordinates."""
    for v in varargs:
        if isinstance(v, Tensor):
            raise TypeError(
                "gradient: the spacing must be a constant (a number or NumPy array), got a "
                "Tensor; gradient is differentiable in f only"
            )
    if not varargs:
        varargs = (1.0,) * len(lengths)
    elif len(varargs) == 1 and len(lengths) > 1:
        varargs = varargs * len(lengths)
    if len(varargs) != len(lengths):
        raise TypeError(
            f"gradient: {len(varargs)} spacings for {len(lengths)} axes; expected one, or one "
            "per axis"
        )
    steps = []
    for v, n in zip(varargs, lengths, strict=True):
        v = np.asarray(v, dtype=float)
        if v.ndim == 0:  # one step: NumPy's uniform formulas, which skip the middle sample
            steps.append(v)
        elif v.shape == (n,):
            steps.append(np.diff(v))
        else:
            raise ValueError(
                f"gradient: coordinates of shape {v.shape} for an axis of length {n}; expected "
                "a scalar or a 1-D array of that length"
            )
    return steps


def _gradient_along(f: Any, axis: int, dx: np.ndarray, edge_order: int) -> Any:
    n = _shape(f)[axis]
    if n < edge_order + 1:
        raise ValueError(
            f"gradient: an axis of length {n} is too short for edge_order={edge_order}; "
            f"expected at least {edge_order + 1} samples"
        )
    g = moveaxis(f, axis, -1)
    if dx.ndim == 0:  # NumPy's formulas for one step, with a Python float as NumPy's
        return moveaxis(_uniform_gradient(g, float(dx), edge_order), -1, axis)
    # NumPy weighs in float64 (the coordinates' dtype), then rounds to the data's float
    dtype = raw_data(g).dtype
    out_dtype = dtype if np.issubdtype(dtype, np.floating) else np.dtype(np.float64)
    pieces = [_edge(g, dx, edge_order, first=True)]
    if n > 2:
        left, right = dx[:-1], dx[1:]
        xp = array_module(raw_data(g))  # the weights go where the samples are
        a = xp.asarray(-right / (left * (left + right)))
        b = xp.asarray((right - left) / (left * right))
        c = xp.asarray(left / (right * (left + right)))
        pieces.append(g[..., :-2] * a + g[..., 1:-1] * b + g[..., 2:] * c)
    pieces.append(_edge(g, dx, edge_order, first=False))
    return moveaxis(astype(concatenate(pieces, axis=-1), out_dtype), -1, axis)


def _uniform_gradient(g: Any, dx: float, edge_order: int) -> Any:
    """Along the last axis, samples ``dx`` apart: (f[i+1] − f[i−1]) / 2dx inside, so
    f[i] itself, even a NaN or ∞, does not enter (it would as 0 · f[i])."""
    if edge_order == 1:
        first = (g[..., 1:2] - g[..., 0:1]) / dx
        last = (g[..., -1:] - g[..., -2:-1]) / dx
    else:
        first = g[..., 0:1] * (-1.5 / dx) + g[..., 1:2] * (2.0 / dx) + g[..., 2:3] * (-0.5 / dx)
        last = g[..., -3:-2] * (0.5 / dx) + g[..., -2:-1] * (-2.0 / dx) + g[..., -1:] * (1.5 / dx)
    if _shape(g)[-1] == 2:
        return concatenate([first, last], axis=-1)
    inside = (g[..., 2:] - g[..., :-2]) / (2.0 * dx)
    return concatenate([first, inside, last], axis=-1)


def _edge(g: Any, dx: np.ndarray, edge_order: int, first: bool) -> Any:
    if edge_order == 1:
        if first:
            return (g[..., 1:2] - g[..., 0:1]) / dx[0]
        return (g[..., -1:] - g[..., -2:-1]) / dx[-1]
    if first:
        d1, d2 = dx[0], dx[1]
        a = -(2 * d1 + d2) / (d1 * (d1 + d2))
        b = (d1 + d2) / (d1 * d2)
        c = -d1 / (d2 * (d1 + d2))
        return g[..., 0:1] * a + g[..., 1:2] * b + g[..., 2:3] * c
    d1, d2 = dx[-2], dx[-1]
    a = d2 / (d1 * (d1 + d2))
    b = -(d2 + d1) / (d1 * d2)
    c = (2 * d2 + d1) / (d2 * (d1 + d2))
    return g[..., -3:-2] * a + g[..., -2:-1] * b + g[..., -1:] * c

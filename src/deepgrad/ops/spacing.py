"""Grids of points: ``linspace``, ``logspace``, ``geomspace`` and ``meshgrid``, recorded
when an endpoint (or a coordinate vector) is a Tensor.

``linspace`` follows NumPy's own formula, ``start + k · (stop − start)/div`` with the last
point set to ``stop``, so its values are NumPy's bit for bit and its derivative with
respect to ``start`` is ``1 − k/div`` and to ``stop`` ``k/div``. With no Tensor among the
arguments each function is NumPy's.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from deepgrad.backend import array_module
from deepgrad.ops.creation import _copy, asarray, placeholder
from deepgrad.ops.elementwise import log10, power
from deepgrad.ops.shape import (
    astype,
    broadcast_to,
    concatenate,
    expand_dims,
    moveaxis,
    reshape,
)
from deepgrad.tensor import Tensor, raw_data


def _any_tensor(*values: Any) -> bool:
    return any(isinstance(v, Tensor) for v in values)


def _with_endpoints(y: Any, first: Any, last: Any) -> Any:
    """``y`` (points along axis 0) with row 0 replaced by ``first`` and the last row by
    ``last`` (either may be None: kept), as NumPy's ``y[0] = first`` does, recorded."""
    rows = np.shape(raw_data(y))[0]
    row_shape = np.shape(raw_data(y))[1:]
    parts = []
    start, stop = (0, rows)
    if first is not None:
        parts.append(expand_dims(broadcast_to(first, row_shape), 0))
        start = 1
    if last is not None:
        stop = rows - 1
    if stop > start:
        parts.append(y[start:stop])
    if last is not None:
        parts.append(expand_dims(broadcast_to(last, row_shape), 0))
    return parts[0] if len(parts) == 1 else concatenate(parts, axis=0)


def linspace(
    start: Any,
    stop: Any,
    num: int = 50,
    endpoint: bool = True,
    retstep: bool = False,
    dtype: Any = None,
    axis: int = 0,
    **kwargs: Any,
) -> Any:
    """``num`` evenly spaced points from ``start`` to ``stop`` (NumPy's ``linspace``),
    differentiable in traced endpoints (scalars or arrays).

    >>> import deepgrad as dg
    >>> float(dg.grad(lambda x: linspace(0.0, x, 5)[2])(2.0))
    0.5
    """
    if not _any_tensor(start, stop):
        return np.linspace(start, stop, num, endpoint, retstep, dtype, axis, **kwargs)  # type: ignore[call-overload]
    num = operator.index(num)
    if num < 0:
        raise ValueError(f"linspace: number of samples, {num}, must be non-negative")
    if kwargs:
        raise TypeError(f"linspace: {sorted(kwargs)} not supported with Tensor endpoints")
    xp = array_module(raw_data(start), raw_data(stop))
    reference_dtype = np.linspace(placeholder(start), placeholder(stop), 0).dtype
    start, stop = _as_dtype(start, reference_dtype, xp), _as_dtype(stop, reference_dtype, xp)
    delta = stop - start
    div = (num - 1) if endpoint else num
    k = xp.arange(0, num, dtype=reference_dtype).reshape((-1,) + (1,) * np.ndim(raw_data(delta)))
    # NumPy takes y/div·delta instead when the step underflows to zero; here it is k·step
    # always (the same numbers unless |stop − start|/div is below the smallest float).
    step = delta / div if div > 0 else np.nan
    y = (step * k if div > 0 else delta * k) + start  # the Tensor on the left: its operator
    if endpoint and num > 1:
        y = _with_endpoints(y, None, stop)
    if axis != 0:
        y = moveaxis(y, 0, axis)
    if dtype is not None:
        y = astype(y, dtype)  # an integer dtype: a constant, as floor then cast would be
    return (y, step) if retstep else y


def _as_dtype(value: Any, dtype: Any, xp: Any) -> Any:
    """``value`` in ``dtype``: a Tensor cast (recorded), anything else an array of ``xp``."""
    return astype(value, dtype) if isinstance(value, Tensor) else xp.asarray(value, dtype)


def logspace(
    start: Any,
    stop: Any,
    num: int = 50,
    endpoint: bool = True,
    base: Any = 10.0,
    dtype: Any = None,
    axis: int = 0,
) -> Any:
    """``base ** linspace(start, stop)`` (NumPy's ``logspace``), differentiable in traced
    ``start``, ``stop`` and ``base``.

    >>> import deepgrad as dg
    >>> round(float(dg.grad(lambda s: logspace(s, 2.0, 3)[0])(0.0)), 6)  # d 10**s / ds
    2.302585
    """
    if not _any_tensor(start, stop, base):
        return np.logspace(start, stop, num, endpoint, base, dtype, axis)
    xp = array_module(*[raw_data(v) for v in (start, stop, base)])
    shapes = [np.shape(raw_data(v)) for v in (start, stop, base)]
    ndmax = len(np.broadcast_shapes(*shapes))
    start, stop, base = (
        reshape(asarray(v), (1,) * (ndmax - len(s)) + s)
        if isinstance(v, Tensor)
        else xp.asarray(v).reshape((1,) * (ndmax - len(s)) + s)
        for v, s in zip((start, stop, base), shapes, strict=True)
    )
    y = linspace(start, stop, num=num, endpoint=endpoint, axis=axis)
    result = power(expand_dims(base, axis), y)
    return result if dtype is None else astype(result, dtype)


def geomspace(
    start: Any, stop: Any, num: int = 50, endpoint: bool = True, dtype: Any = None, axis: int = 0
) -> Any:
    """Points evenly spaced on a log scale from ``start`` to ``stop`` (NumPy's
    ``geomspace``, real inputs), differentiable in traced endpoints.

    >>> import deepgrad as dg
    >>> round(float(dg.grad(lambda b: geomspace(1.0, b, 3)[1])(4.0)), 6)  # d √b / db
    0.25
    """
    if not _any_tensor(start, stop):
        return np.geomspace(start, stop, num, endpoint, dtype, axis)
    xp = array_module(raw_data(start), raw_data(stop))
    raw_start, raw_stop = xp.asarray(raw_data(start)), xp.asarray(raw_data(stop))
    if bool((raw_start == 0).any()) or bool((raw_stop == 0).any()):
        raise ValueError("geomspace: a geometric sequence cannot include zero")
    if raw_start.dtype.kind == "c" or raw_stop.dtype.kind == "c":
        raise TypeError("geomspace: complex endpoints are not supported (real inputs only)")
    reference_dtype = np.result_type(placeholder(start), placeholder(stop), float(num))
    start, stop = _as_dtype(start, reference_dtype, xp), _as_dtype(stop, reference_dtype, xp)
    sign = xp.sign(raw_start).astype(reference_dtype)  # a constant: the sign of start
    start, stop = start / sign, stop / sign
    result = logspace(log10(start), log10(stop), num=num, endpoint=endpoint)
    if num > 0:
        result = _with_endpoints(result, start, stop if (num > 1 and endpoint) else None)
    result = result * sign
    if axis != 0:
        result = moveaxis(result, 0, axis)
    return result if dtype is None else astype(result, dtype)


def meshgrid(*xi: Any, copy: bool = True, sparse: bool = False, indexing: str = "xy") -> Any:
    """Coordinate arrays from coordinate vectors (NumPy's ``meshgrid``), differentiable in
    traced vectors.

    >>> import deepgrad as dg, deepgrad.numpy as dnp
    >>> dg.grad(lambda x: dnp.sum(meshgrid(x, np.ones(3))[0]))(np.array([1.0, 2.0]))
    array([3., 3.])
    """
    if not _any_tensor(*xi):
        return np.meshgrid(*xi, copy=copy, sparse=sparse, indexing=indexing)  # type: ignore[arg-type]
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    ndim = len(xi)
    sizes = [int(np.size(raw_data(x))) for x in xi]
    grids = []
    for i, x in enumerate(xi):
        shape = [1] * ndim
        shape[i] = sizes[i]
        if indexing == "xy" and ndim > 1 and i < 2:
            shape[0], shape[1] = shape[1], shape[0]
        grids.append(reshape(asarray(x), tuple(shape)))
    if not sparse:
        full_shape = np.broadcast_shapes(*[np.shape(raw_data(g)) for g in grids])
        grids = [broadcast_to(g, full_shape) for g in grids]
    if copy:
        grids = [_copy(g) if isinstance(g, Tensor) else array_module(g).array(g) for g in grids]
    return tuple(grids)

"""The Kronecker product and the cross product, written from differentiable ops."""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad.backend import numpy_scalar
from deepgrad.ops.shape import moveaxis, reshape, stack
from deepgrad.tensor import raw_data


def _shape(x: Any) -> tuple[int, ...]:
    return np.shape(raw_data(x))


def kron(a: Any, b: Any) -> Any:
    """Kronecker product: blocks a[i, j] · b (NumPy's ``kron``, any number of dimensions).

    Written as a broadcast product of a reshaped to (a₀, 1, a₁, 1, ...) and b to
    (1, b₀, 1, b₁, ...), reshaped to (a₀b₀, a₁b₁, ...).

    >>> kron(np.array([1.0, 2.0]), np.array([1.0, 10.0]))
    array([ 1., 10.,  2., 20.])
    """
    # NumPy's arrays for numbers and lists: a product of Python numbers would stay one
    a, b = (v if hasattr(raw_data(v), "shape") else np.asarray(v) for v in (a, b))
    a_shape, b_shape = _shape(a), _shape(b)
    ndim = max(len(a_shape), len(b_shape))
    a_shape = (1,) * (ndim - len(a_shape)) + a_shape
    b_shape = (1,) * (ndim - len(b_shape)) + b_shape
    a_spread = reshape(a, [n for size in a_shape for n in (size, 1)])
    b_spread = reshape(b, [n for size in b_shape for n in (1, size)])
    product = reshape(a_spread * b_spread, [m * n for m, n in zip(a_shape, b_shape, strict=True)])
    return numpy_scalar(product)


def cross(
    a: Any, b: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: int | None = None
) -> Any:
    """Cross product of 3-vectors (NumPy's ``cross``); 2-vectors are taken with a zero third
    component, and two 2-vectors give the scalar z-component, as in NumPy.

    >>> cross(np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0]))
    array([0., 0., 1.])
    """
    if axis is not None:
        axisa = axisb = axisc = axis
    a = moveaxis(a, axisa, -1)
    b = moveaxis(b, axisb, -1)
    na, nb = _shape(a)[-1], _shape(b)[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError(
            f"cross: the vectors must have 2 or 3 components, got {na} (shape {_shape(a)}) "
            f"and {nb} (shape {_shape(b)})"
        )
    a0, a1 = a[..., 0], a[..., 1]
    b0, b1 = b[..., 0], b[..., 1]
    z = a0 * b1 - a1 * b0
    if na == 2 and nb == 2:
        return z
    a2 = a[..., 2] if na == 3 else None
    b2 = b[..., 2] if nb == 3 else None
    x = (a1 * b2 if b2 is not None else 0) - (a2 * b1 if a2 is not None else 0)
    y = (a2 * b0 if a2 is not None else 0) - (a0 * b2 if b2 is not None else 0)
    x, y = x * np.ones_like(raw_data(z)), y * np.ones_like(raw_data(z))
    result = stack([x, y, z], axis=-1)
    return moveaxis(result, -1, axisc)

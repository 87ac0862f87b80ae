"""Descriptive statistics: weighted ``average``, ``cov``, ``corrcoef`` and ``ptp``, written
from differentiable ops (sums, products, the diagonal), so they differentiate to any order
in the data and in the weights."""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad.axes import axis_index
from deepgrad.backend import array_module, to_numpy
from deepgrad.ops.elementwise import sqrt
from deepgrad.ops.indexing import diagonal
from deepgrad.ops.linalg import matmul
from deepgrad.ops.reductions import max, mean, min, refuse_numpy_extras, sum
from deepgrad.ops.selection import clip, where
from deepgrad.ops.shape import atleast_2d, broadcast_to, concatenate, reshape, squeeze, transpose
from deepgrad.tensor import Tensor, raw_data


def _shape(x: Any) -> tuple[int, ...]:
    return np.shape(raw_data(x))


def _as_array(x: Any) -> Any:
    return x if hasattr(x, "shape") else np.asarray(x, dtype=float)


def average(
    a: Any, axis: Any = None, weights: Any = None, returned: bool = False, keepdims: bool = False
) -> Any:
    """Weighted mean Σ wᵢaᵢ / Σ wᵢ over ``axis`` (NumPy's ``average``); differentiable in
    ``a`` and in ``weights``. 1-D weights go along a single ``axis``.

    >>> float(average(np.array([1.0, 2.0, 4.0]), weights=np.array([1.0, 1.0, 2.0])))
    2.75
    """
    a = _as_array(a)
    if weights is None:
        avg = mean(a, axis=axis, keepdims=keepdims)
        if not returned:
            return avg
        count = np.prod(_shape(a)) / np.prod(_shape(avg)) if _shape(avg) else np.prod(_shape(a))
        xp = array_module(raw_data(avg))
        return avg, xp.full(_shape(avg), count, dtype=raw_data(avg).dtype)
    weights = _as_array(weights)
    a_shape, w_shape = _shape(a), _shape(weights)
    if w_shape != a_shape:
        if axis is None:
            raise TypeError(
                f"average: weights of shape {w_shape} differ from a's shape {a_shape}; "
                "give the axis they apply along"
            )
        if len(w_shape) != 1 or np.ndim(axis) != 0:
            raise TypeError(f"average: weights of shape {w_shape} must be 1-D along one axis")
        axis = axis_index(axis, len(a_shape), "average")
        if w_shape[0] != a_shape[axis]:
            raise ValueError(f"average: {w_shape[0]} weights for an axis of length {a_shape[axis]}")
        weights = reshape(weights, [n if i == axis else 1 for i, n in enumerate(a_shape)])
    total_weight = sum(broadcast_to(weights, a_shape), axis=axis, keepdims=keepdims)
    if np.any(raw_data(total_weight) == 0):
        raise ZeroDivisionError("average: the weights sum to zero, the average is undefined")
    avg = sum(a * weights, axis=axis, keepdims=keepdims) / total_weight
    return (avg, total_weight) if returned else avg


def cov(
    m: Any,
    y: Any = None,
    rowvar: bool = True,
    bias: bool = False,
    ddof: int | None = None,
    fweights: Any = None,
    aweights: Any = None,
) -> Any:
    """Covariance matrix of the variables in the rows of ``m`` (columns when ``rowvar`` is
    False), NumPy's ``cov`` with its weights; differentiable in m, y and ``aweights``.

    >>> cov(np.array([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]]))
    array([[ 1., -1.],
           [-1.,  1.]])
    """
    if not isinstance(m, Tensor) and not isinstance(y, Tensor):
        # NumPy's dtype: float64 at least, even for float16 and float32 data (a Tensor
        # keeps its own dtype: float32 in, float32 out)
        xp = array_module(*(v for v in (m, y) if hasattr(v, "shape")))  # a device's arrays
        m, y = xp.asarray(m), None if y is None else xp.asarray(y)  # stay on it
        dtype = np.result_type(*(v.dtype for v in (m, y) if v is not None), np.float64)
        m, y = m.astype(dtype, copy=False), None if y is None else y.astype(dtype, copy=False)
    x = atleast_2d(_as_array(m))
    if not rowvar and len(_shape(m)) != 1:  # NumPy 2's rule: (1, n) with rowvar=False is n
        x = transpose(x)  # variables of one observation each
    if _shape(x)[0] == 0:
        raise ValueError(f"cov: no variables (m has shape {_shape(m)})")
    if y is not None:
        y = atleast_2d(_as_array(y))
        if not rowvar and _shape(y)[0] != 1:
            y = transpose(y)
        x = concatenate([x, y], axis=0)
    if ddof is None:
        ddof = 0 if bias else 1
    n = _shape(x)[1]
    w = None
    if fweights is not None:
        f = to_numpy(raw_data(fweights))  # read to check them: an explicit transfer
        if f.shape != (n,) or np.any(f < 0) or np.any(f != np.around(f)):
            raise ValueError(f"cov: fweights must be {n} non-negative integers, got {f}")
        # counts (exact in any floating dtype), on x's device
        w = array_module(raw_data(x)).asarray(f.astype(raw_data(x).dtype))
    if aweights is not None:
        aweights = _as_array(aweights)  # a list, as NumPy takes it
        if _shape(aweights) != (n,) or np.any(raw_data(aweights) < 0):
            raise ValueError(f"cov: aweights must be {n} non-negative numbers")
        w = aweights if w is None else aweights * w
    if w is None:
        avg, fact = mean(x, axis=1), n - ddof
    else:
        avg, w_sum = average(x, axis=1, weights=w, returned=True)
        w_sum = w_sum[0]
        if ddof == 0:
            fact = w_sum
        elif aweights is None:
            fact = w_sum - ddof
        else:
            fact = w_sum - ddof * sum(w * aweights) / w_sum
    # NumPy's: no degrees of freedom left divides by 0 (a NaN or ∞ variance), never by a
    # negative number (which would give a negative variance)
    if hasattr(fact, "shape"):  # a sum of weights: an array or a Tensor
        fact = where(raw_data(fact) <= 0, 0.0, fact)
    elif fact < 0:
        fact = 0
    centred = x - reshape(avg, (-1, 1))
    weighted = centred if w is None else centred * w
    return squeeze(matmul(centred, transpose(weighted)) / fact)


def corrcoef(x: Any, y: Any = None, rowvar: bool = True) -> Any:
    """Pearson correlation coefficients, cov / (σᵢσⱼ), clipped to [−1, 1] as in NumPy.

    >>> corrcoef(np.array([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]]))
    array([[ 1., -1.],
           [-1.,  1.]])
    """
    c = cov(x, y, rowvar)
    if not _shape(c):
        return c / c
    stddev = sqrt(diagonal(c))
    c = c / reshape(stddev, (-1, 1)) / reshape(stddev, (1, -1))
    return clip(c, -1, 1)


def ptp(a: Any, axis: Any = None, out: None = None, keepdims: bool = False) -> Any:
    """Range (peak to peak): max − min over ``axis``; ties split the gradient, as in max.
    NumPy's argument order; ``out`` is refused.

    >>> float(ptp(np.array([1.0, 5.0, 2.0])))
    4.0
    """
    refuse_numpy_extras("ptp", out)
    return max(a, axis=axis, keepdims=keepdims) - min(a, axis=axis, keepdims=keepdims)

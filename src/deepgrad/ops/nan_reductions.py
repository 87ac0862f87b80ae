"""Reductions that ignore NaN: ``nansum``, ``nanprod``, ``nanmean``, ``nanvar``, ``nanstd``,
``nanmax``, ``nanmin``, ``nancumsum``, ``nancumprod``.

Each replaces the NaNs by the reduction's neutral element with ``where`` (so their
gradient is exactly 0) and reduces what is left with the differentiable reductions.
A slice that is all NaN gives NaN for the mean, variance, max and min (NumPy also warns).
An integer or boolean array holds no NaN: it is reduced as it is, so the result has
NumPy's dtype (``nansum`` of int32 is int64, ``nanmax`` of bool is bool), not a float's.
The mean, variance and standard deviation of a float16 array are float16, as NumPy's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad.autodiff.effects import impure
from deepgrad.backend import array_module, numpy_scalar
from deepgrad.ops.elementwise import sqrt
from deepgrad.ops.real_parts import _require_real
from deepgrad.ops.reductions import (
    cumprod,
    cumsum,
    in_dtype,
    max,
    mean,
    min,
    prod,
    refuse_numpy_extras,
    require_floating_dtype,
    sum,
    var,
)
from deepgrad.ops.selection import where as select  # (where= is NumPy's mask argument)
from deepgrad.ops.shape import astype
from deepgrad.tensor import raw_data


def _data(a: Any) -> Any:
    """The array of ``a``; a list or a Python number as NumPy takes it."""
    data = raw_data(a)
    return data if hasattr(data, "dtype") else np.asarray(data)


def _holds_nan(a: Any) -> bool:
    return np.issubdtype(_data(a).dtype, np.inexact)


@impure
def _nan_mask(a: Any) -> np.ndarray:
    return np.isnan(raw_data(a))


@impure
def _count(a: Any, axis: Any, keepdims: bool, ddof: float = 0) -> np.ndarray:
    """How many elements are not NaN, less ``ddof`` (impure: read from the data)."""
    data = _data(a)
    count = np.sum(~np.isnan(data), axis=axis, keepdims=keepdims) - ddof
    return array_module(data).asarray(count, dtype=np.result_type(data.dtype, np.float32))


def _nan(a: Any) -> np.ndarray:
    # A 0-d array, not the float NaN: it keeps float32 (and float16) results in their dtype,
    # and a compiled plan compares array constants with NaN as equal to itself.
    data = _data(a)
    dtype = data.dtype if _holds_nan(data) else np.result_type(data.dtype, np.float32)
    return array_module(data).full((), np.nan, dtype=dtype)


def _in_input_dtype(a: Any, result: Any) -> Any:
    """``result`` in the dtype of ``a``'s floats. A float16 slice is divided by its count in
    float32 (a count above 2048 is not exact in float16), then rounded once, as NumPy
    divides by an exact integer count and returns float16."""
    return astype(result, _data(a).dtype) if _holds_nan(a) else result


@impure
def _no_degrees_of_freedom(a: Any, axis: Any, keepdims: bool, ddof: float) -> np.ndarray:
    """Where a slice has no element (or no more than ``ddof``) that is not NaN."""
    return _count.impl(a, axis, keepdims, ddof) <= 0


def _without_nan(a: Any, fill: float) -> Any:
    if not _holds_nan(a):  # a float fill would make an integer result float
        return a
    return select(_nan_mask(a), fill, a)


# Each takes NumPy's arguments in NumPy's order; ``out``, ``initial`` and ``where`` are
# refused, and ``dtype`` is the one NumPy accumulates in.


def nansum(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    out: None = None,
    keepdims: bool = False,
    initial: Any = None,
    where: Any = True,
) -> Any:
    """Sum treating NaN as 0.

    >>> float(nansum(np.array([1.0, np.nan, 2.0])))
    3.0
    """
    refuse_numpy_extras("nansum", out, initial, where)
    return sum(_without_nan(a, 0.0), axis=axis, dtype=dtype, keepdims=keepdims)


def nanprod(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    out: None = None,
    keepdims: bool = False,
    initial: Any = None,
    where: Any = True,
) -> Any:
    """Product treating NaN as 1.

    >>> float(nanprod(np.array([2.0, np.nan, 3.0])))
    6.0
    """
    refuse_numpy_extras("nanprod", out, initial, where)
    return prod(_without_nan(a, 1.0), axis=axis, dtype=dtype, keepdims=keepdims)


def nancumsum(a: Any, axis: int | None = None, dtype: Any = None, out: None = None) -> Any:
    """Cumulative sum treating NaN as 0.

    >>> nancumsum(np.array([1.0, np.nan, 2.0]))
    array([1., 1., 3.])
    """
    refuse_numpy_extras("nancumsum", out)
    return cumsum(_without_nan(a, 0.0), axis=axis, dtype=dtype)


def nancumprod(a: Any, axis: int | None = None, dtype: Any = None, out: None = None) -> Any:
    """Cumulative product treating NaN as 1.

    >>> nancumprod(np.array([2.0, np.nan, 3.0]))
    array([2., 2., 6.])
    """
    refuse_numpy_extras("nancumprod", out)
    return cumprod(_without_nan(a, 1.0), axis=axis, dtype=dtype)


def nanmean(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    out: None = None,
    keepdims: bool = False,
    *,
    where: Any = True,
) -> Any:
    """Mean of the non-NaN elements (NaN where a slice has none).

    >>> float(nanmean(np.array([1.0, np.nan, 2.0])))
    1.5
    """
    refuse_numpy_extras("nanmean", out, None, where)
    if dtype is not None and not _holds_nan(a):  # NumPy's: mean(a, dtype=dtype)
        return mean(a, axis=axis, dtype=dtype, keepdims=keepdims)
    _require_inexact_dtype("nanmean", dtype)
    a = in_dtype(a, dtype)  # NumPy's sum in dtype, divided by the count, in dtype
    return _in_input_dtype(a, nansum(a, axis=axis, keepdims=keepdims) / _count(a, axis, keepdims))


def _require_inexact_dtype(name: str, dtype: Any) -> None:
    """NumPy's rule for a float input: the mean of its non-NaN elements in an integer
    dtype is refused (``TypeError: If a is inexact, then dtype must be inexact``)."""
    if dtype is not None and not np.issubdtype(np.dtype(dtype), np.inexact):
        raise TypeError(
            f"{name}: dtype={np.dtype(dtype)} for a floating input; NumPy requires a "
            "floating dtype there too"
        )


def nanvar(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    out: None = None,
    ddof: float = 0,
    keepdims: bool = False,
    *,
    where: Any = True,
) -> Any:
    """Variance of the non-NaN elements, with ``ddof`` delta degrees of freedom (NaN where
    a slice has no more than ``ddof`` of them).

    >>> float(nanvar(np.array([1.0, np.nan, 3.0])))
    1.0
    """
    _require_real("nanvar", a)  # NumPy's is the mean of |x − mean|², not of (x − mean)²
    refuse_numpy_extras("nanvar", out, None, where)
    if dtype is not None and not _holds_nan(a):  # NumPy's: var(a, dtype=dtype)
        return var(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)
    require_floating_dtype("nanvar", dtype)
    # NumPy's: the mean in dtype, subtracted in a's dtype, the squares summed in dtype
    centred = a - nanmean(a, axis=axis, dtype=dtype, keepdims=True)
    if dtype is not None:
        centred = _in_input_dtype(a, centred)
    if _holds_nan(a):  # the NaNs of a, not of a − mean: an ∞ − ∞ there is NumPy's NaN
        centred = select(_nan_mask(a), 0.0, centred)
    squares = sum(centred * centred, axis=axis, dtype=dtype, keepdims=keepdims)
    empty = _no_degrees_of_freedom(a, axis, keepdims, ddof)
    dof = _count(a, axis, keepdims, ddof)
    variance = select(empty, _nan(a), squares / select(empty, 1, dof))  # NaN, as NumPy
    if dtype is not None:
        return numpy_scalar(astype(variance, dtype))
    return numpy_scalar(_in_input_dtype(a, variance))


def nanstd(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    out: None = None,
    ddof: float = 0,
    keepdims: bool = False,
    *,
    where: Any = True,
) -> Any:
    """Standard deviation of the non-NaN elements.

    >>> float(nanstd(np.array([1.0, np.nan, 3.0])))
    1.0
    """
    _require_real("nanstd", a)
    refuse_numpy_extras("nanstd", out, None, where)
    return sqrt(nanvar(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims))


def nanmax(
    a: Any,
    axis: Any = None,
    out: None = None,
    keepdims: bool = False,
    initial: Any = None,
    where: Any = True,
) -> Any:
    """Largest non-NaN element; ties split the gradient, as in max.

    >>> float(nanmax(np.array([1.0, np.nan, 2.0])))
    2.0
    """
    refuse_numpy_extras("nanmax", out, initial, where)
    largest = max(_without_nan(a, -np.inf), axis=axis, keepdims=keepdims)
    if not _holds_nan(a):
        return largest
    return numpy_scalar(select(_no_degrees_of_freedom(a, axis, keepdims, 0), _nan(a), largest))


def nanmin(
    a: Any,
    axis: Any = None,
    out: None = None,
    keepdims: bool = False,
    initial: Any = None,
    where: Any = True,
) -> Any:
    """Smallest non-NaN element; ties split the gradient, as in min.

    >>> float(nanmin(np.array([1.0, np.nan, 2.0])))
    1.0
    """
    refuse_numpy_extras("nanmin", out, initial, where)
    smallest = min(_without_nan(a, np.inf), axis=axis, keepdims=keepdims)
    if not _holds_nan(a):
        return smallest
    return numpy_scalar(select(_no_degrees_of_freedom(a, axis, keepdims, 0), _nan(a), smallest))

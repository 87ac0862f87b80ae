"""Order statistics: ``partition``, ``median``, ``quantile``, ``percentile`` and their
NaN-ignoring versions, as gathers from a sorted copy.

The derivative is a subgradient through the selected elements: the gradient of a
quantile goes to the one or two sorted elements it interpolates between, with weights
1 − frac and frac (NumPy's default method, 'linear'). Tied elements are ordered by a
stable sort, so among equal values the gradient goes to the ones that come first in the
array: for ``median([1, 2, 2, 3])`` each 2 gets ½; for ``median([2, 2, 2])`` the second
gets 1. The derivative in ``q`` is the slope between the two selected elements.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad.autodiff.effects import impure
from deepgrad.axes import axis_tuple
from deepgrad.backend import array_module, numpy_scalar, to_numpy
from deepgrad.ops.elementwise import subtract
from deepgrad.ops.indexing import take_along_axis
from deepgrad.ops.nondiff import (
    argsort,
    cast,
    floor,
    nondifferentiable,
)
from deepgrad.ops.real_parts import _require_real
from deepgrad.ops.selection import where
from deepgrad.ops.shape import astype, reshape, transpose
from deepgrad.tensor import Tensor, raw_data

_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")
_argpartition = nondifferentiable(np.argpartition)


def _shape(x: Any) -> tuple[int, ...]:
    return np.shape(raw_data(x))


def partition(a: Any, kth: Any, axis: int | None = -1) -> Any:
    """A copy with the k-th element in its sorted place, smaller ones before it and larger
    ones after (NumPy's ``partition``); the gradient follows each element to its place.

    >>> float(partition(np.array([3.0, 1.0, 2.0, 5.0]), 1)[1])
    2.0
    """
    if not hasattr(raw_data(a), "shape"):  # a list or a number, as NumPy takes it
        a = np.asarray(a)
    if axis is None:
        a, axis = reshape(a, (-1,)), -1
    order = _argpartition(raw_data(a), kth, axis=axis)
    return take_along_axis(a, order, axis)


def _rows(a: Any, axis: Any) -> tuple[Any, tuple[int, ...], tuple[int, ...]]:
    """``a`` with the reduced axes flattened into one last axis; the kept shape, and the
    shape with the reduced axes as 1 (for keepdims)."""
    shape = _shape(a)
    if axis is None:
        axes = tuple(range(len(shape)))
    else:
        axes = tuple(sorted(axis_tuple(tuple(np.atleast_1d(axis)), len(shape), "quantile")))
    kept = [i for i in range(len(shape)) if i not in axes]
    reduced = int(np.prod([shape[i] for i in axes]))  # not −1: ambiguous for an empty array
    rows = reshape(transpose(a, kept + list(axes)), (*(shape[i] for i in kept), reduced))
    keep_shape = tuple(1 if i in axes else n for i, n in enumerate(shape))
    return rows, tuple(shape[i] for i in kept), keep_shape


def _quantile(
    name: str, a: Any, q: Any, axis: Any, method: str, keepdims: bool, nan: bool, weak: bool
):
    """``weak``: q was a Python number, which NumPy's promotion leaves out of the dtype."""
    if method not in _METHODS:
        raise ValueError(f"{name}: method must be one of {_METHODS}, got {method!r}")
    if not hasattr(a, "shape"):
        a = np.asarray(a)
    _require_real(name, a)  # the cast to a float below would drop the imaginary part
    data_dtype = raw_data(a).dtype
    if not np.issubdtype(data_dtype, np.floating):
        wide = _float_for_integers(data_dtype, q, weak)
        a = a.astype(wide) if isinstance(a, Tensor) else np.asarray(a, wide)
    q_data = _checked_quantiles(q, name)
    rows, kept_shape, keep_shape = _rows(a, axis)
    if _shape(rows)[-1] == 0:
        raise ValueError(f"{name}: cannot take a quantile of an empty array (shape {_shape(a)})")
    # Every array computed from the data or from q (the order, the indices, the counts, the
    # fractions) comes from an impure call given q as passed, so a compiled plan computes it
    # again on new inputs (and checks q again, in _index); q_data (read once, here) only
    # checks q and gives its shape.
    ordered = take_along_axis(rows, argsort(raw_data(rows), axis=-1, kind="stable"), -1)
    target = q_data.shape + kept_shape
    spread = _broadcast_rows(ordered, target)
    lower = take_along_axis(spread, _index(rows, q, nan, method, "low", name), -1)[..., 0]
    if method in ("lower", "higher", "nearest"):
        result = lower
    else:
        upper = take_along_axis(spread, _index(rows, q, nan, method, "high", name), -1)[..., 0]
        if name in ("median", "nanmedian"):
            result = _middle(lower, upper, _ends(ordered, q, nan, method, "whole"))
        else:
            dtype = _result_dtype(a, q, weak)
            ends = tuple(
                _ends(ordered, q, nan, method, which)
                for which in ("from_upper", "alone", "upper_form", "lower_form")
            )
            fractions = _fractions(rows, q, nan, method, dtype, len(kept_shape))
            result = _interpolate(lower, upper, fractions, ends, dtype)
    # a 0-d array on the data's device, not the float NaN: see nan_reductions
    nan_value = array_module(raw_data(rows)).full((), np.nan, dtype=raw_data(rows).dtype)
    if nan:
        result = where(_all_nan(rows, q_data.shape), nan_value, result)
    else:  # NumPy's: a NaN anywhere in a slice makes its every quantile NaN
        result = where(_any_nan(rows, q_data.shape), nan_value, result)
    if keepdims:
        result = reshape(result, q_data.shape + keep_shape)
    if _an_element(method, data_dtype, q):
        result = cast(result, data_dtype)  # NumPy's: an element, in the data's dtype
    return numpy_scalar(result)  # NumPy's scalar for a plain 0-d result, as np.median's


def _an_element(method: str, data_dtype: np.dtype, q: Any) -> bool:
    """Whether NumPy returns an integer array's quantile in its dtype: a method that picks
    an element, or 'linear' at integer q (0 or 1: NumPy's interpolation by an integer
    fraction stays integer, or boolean)."""
    if data_dtype.kind not in "biu":
        return False
    if method in ("lower", "higher", "nearest"):
        return True
    return method == "linear" and _dtype_of(q).kind in "biu"


def _fractions(
    rows: Any, q: Any, nan: bool, method: str, dtype: Any, kept_ndim: int
) -> tuple[Any, Any]:
    """The fraction of the way from the lower end to the upper one, and 1 − fraction."""
    if method == "linear" and isinstance(q, Tensor):  # differentiable in q
        q_shape = _shape(q)
        position = reshape(q, q_shape + (1,) * kept_ndim) * _count_less_one(rows, q_shape, nan)
        fraction = position - floor(position)
        # 1 − fraction by a deepgrad op: NumPy's, on the raw fraction, would be frozen in a
        # plan
        return fraction, subtract(1.0, fraction)
    fraction = _fraction(rows, q, nan, method, "fraction", dtype)
    return fraction, _fraction(rows, q, nan, method, "complement", dtype)


def _result_dtype(a: Any, q: Any, weak: bool) -> np.dtype:
    """The dtype NumPy interpolates in: ``result_type(a, q)``, a Python q left out. A
    Tensor keeps its data's dtype (float32 in, float32 out); so does a q of integers,
    whose whole positions NumPy reads without interpolating."""
    dtype = raw_data(a).dtype
    if weak or isinstance(a, Tensor) or isinstance(q, Tensor):
        return dtype
    q_dtype = _dtype_of(q)
    return np.result_type(dtype, q_dtype) if np.issubdtype(q_dtype, np.floating) else dtype


def _float_for_integers(data_dtype: np.dtype, q: Any, weak: bool) -> np.dtype:
    """The float an integer or boolean array is interpolated in: NumPy's promotion with a
    float array q (int8 with float16 q: float16; int16 with float32 q: float32), which
    holds every such element exactly; float64 otherwise (a Python q, a Tensor q)."""
    if weak or isinstance(q, Tensor):
        return np.dtype(np.float64)
    q_dtype = _dtype_of(q)
    if not np.issubdtype(q_dtype, np.floating):
        return np.dtype(np.float64)
    return np.result_type(data_dtype, q_dtype)


def _dtype_of(q: Any) -> np.dtype:
    q = raw_data(q)
    return q.dtype if hasattr(q, "dtype") else np.asarray(q).dtype  # (no copy off a device)


def _middle(lower: Any, upper: Any, whole: Any) -> Any:
    """NumPy's median: the middle element, or the mean of the two middle ones, summed in
    float32 for float16 (as ``np.mean``) and halved; the gradient is ½ to each."""
    dtype = raw_data(lower).dtype
    wide = np.float32 if dtype == np.float16 else dtype
    mean = astype((astype(lower, wide) + astype(upper, wide)) / 2, dtype)
    return where(whole, lower, mean)  # an odd count: the middle element


def _host_quantiles(q: Any) -> np.ndarray:
    """The quantiles as float64 on the host (an explicit transfer)."""
    return np.asarray(to_numpy(raw_data(q)), dtype=float)


def _checked_quantiles(q: Any, name: str) -> np.ndarray:
    """``_host_quantiles``, refused outside [0, 1] or NaN, as NumPy refuses them.

    >>> _checked_quantiles(1.5, "quantile")
    Traceback (most recent call last):
    ...
    ValueError: quantile: quantiles must be in [0, 1] (percentiles in [0, 100]), got 1.5
    """
    q_data = _host_quantiles(q)
    if np.any((q_data < 0) | (q_data > 1)) or np.any(np.isnan(q_data)):
        shown = q_data * 100 if name.endswith("percentile") else q_data
        raise ValueError(
            f"{name}: quantiles must be in [0, 1] (percentiles in [0, 100]), got "
            f"{np.array2string(shown, threshold=6)}"
        )
    return q_data


def _weak(q: Any) -> bool:
    """A Python number, which NumPy's promotion leaves out of the result's dtype."""
    return type(q) in (int, float)


def _hundredths(q: Any) -> Any:
    """Percentiles as quantiles; a list of them as NumPy takes it."""
    return (np.asarray(q, dtype=float) if isinstance(q, list | tuple) else q) / 100


def _interpolate(
    lower: Any, upper: Any, fractions: tuple[Any, Any], ends: tuple[Any, ...], dtype: Any
) -> Any:
    """NumPy's linear interpolation between the two ends, in ``dtype``: the difference
    upper − lower in the data's dtype, then lower + difference·fraction, or, from a
    fraction of ½ on, upper − difference·(1 − fraction) (``fractions`` holds both, the
    complement computed before rounding, as NumPy's ``1 - t`` of a float64 t). The two
    forms round differently (by up to ~100 ulps in float16 near 0), not in value or slope.

    Infinite ends are taken as the limit (``ends``, from ``_ends``): from −∞ the line is
    drawn back from the upper end (−∞ + ∞·f would be NaN, not −∞), and where an end is
    infinite, an end read alone (fraction 0) or the same infinity at both ends is the
    answer. Only −∞ to ∞ is NaN, as NumPy's mean of the two is. Finite ends keep the
    line: the same numbers and gradients (tied elements share it, the slope in q is the
    one between the two ends) as without infinities."""
    from_upper, alone, upper_form, lower_form = ends
    fraction, complement = fractions
    difference = upper - lower  # the Tensor first: a raw device array would not defer to it
    if raw_data(difference).dtype != dtype:  # NumPy subtracts first, then promotes
        lower, upper, difference = (astype(v, dtype) for v in (lower, upper, difference))
    # Each form sees the difference only where it is the answer: elsewhere its cotangent is
    # 0, and 0·∞ there would make the slope in q NaN at an infinite end instead of ∞.
    line = where(
        from_upper,
        upper - where(upper_form, difference, 0) * complement,
        lower + where(lower_form, difference, 0) * fraction,
    )
    return where(alone, lower, line)


def _positions(rows: Any, q: np.ndarray, nan: bool) -> np.ndarray:
    """Virtual positions (count − 1)·q in the sorted rows, shape q.shape + rows' shape, on
    the host (the counts are an explicit transfer; the results go back with ``_on``)."""
    data = raw_data(rows)
    if nan:
        count = to_numpy(np.sum(~np.isnan(data), axis=-1))
    else:
        count = np.full(data.shape[:-1], data.shape[-1])
    return np.maximum(count - 1, 0) * q.reshape(q.shape + (1,) * (data.ndim - 1))


@impure
def _count_less_one(rows: Any, q_shape: tuple[int, ...], nan: bool) -> np.ndarray:
    return _on(rows, _positions(rows, np.ones(q_shape), nan).astype(raw_data(rows).dtype))


@impure
def _index(rows: Any, q: Any, nan: bool, method: str, which: str, name: str) -> np.ndarray:
    """The sorted position each quantile reads (``which``: the one below or above); q is
    checked here too, as a compiled plan calls this again with every new q."""
    q = _checked_quantiles(q, name)
    position = _positions(rows, q, nan)
    if method == "lower" or (method in ("linear", "midpoint") and which == "low"):
        index = np.floor(position)
    elif method == "higher":
        index = np.ceil(position)
    elif method == "nearest":
        index = np.around(position)  # halves to even, as NumPy
    else:
        index = np.floor(position) + 1
    top = _positions(rows, np.ones(q.shape), nan)
    return _on(rows, np.clip(index, 0, top).astype(np.intp)[..., None])


@impure
def _fraction(
    rows: Any, q: Any, nan: bool, method: str, which: str, dtype: Any = None
) -> np.ndarray:
    """The fraction of the way from the lower end to the upper one (``which``:
    ``"fraction"``), or 1 − fraction computed in float64 (``"complement"``), in ``dtype``
    (the data's by default)."""
    q = _host_quantiles(q)
    position = _positions(rows, q, nan)
    fraction = position - np.floor(position)
    if method == "midpoint":
        fraction = np.where(fraction == 0, 0.0, 0.5)
    if which == "complement":
        fraction = 1 - fraction
    return _on(rows, fraction.astype(dtype or raw_data(rows).dtype))


def _on(rows: Any, host: np.ndarray) -> Any:
    """A host array moved to the device of ``rows``."""
    return array_module(raw_data(rows)).asarray(host)


@impure
def _ends(ordered: Any, q: Any, nan: bool, method: str, which: str) -> np.ndarray:
    """Where ``_interpolate`` leaves the plain line (``which``): ``"from_upper"``, where
    the line is drawn from the upper end (NumPy's, from a fraction of ½ on, and from a
    lower end at −∞, the limit); ``"alone"``, where an end is infinite and the lower end
    is the answer (the position is a whole number, or both ends are the same infinity);
    ``"upper_form"`` and ``"lower_form"``, where the line from the upper or the lower end
    is the answer; ``"whole"``, where the position is a whole number. Found on the host
    from the rows already sorted (NaN last), so no call sorts them again."""
    q = _host_quantiles(q)
    position = _positions(ordered, q, nan)
    top = _positions(ordered, np.ones(q.shape), nan)
    host = to_numpy(raw_data(ordered))
    spread = np.broadcast_to(host, q.shape + host.shape)

    def end(index: np.ndarray) -> np.ndarray:
        index = np.clip(index, 0, top).astype(np.intp)[..., None]
        return np.take_along_axis(spread, index, -1)[..., 0]

    lower, upper = end(np.floor(position)), end(np.floor(position) + 1)
    fraction = position - np.floor(position)
    if method == "midpoint":
        fraction = np.where(fraction == 0, 0.0, 0.5)
    from_upper = (lower == -np.inf) | ((fraction >= 0.5) & np.isfinite(upper))
    # finite ends keep the line: the same numbers, and the slope in q, as before
    infinite = np.isinf(lower) | np.isinf(upper)
    alone = infinite & ((position == np.floor(position)) | (lower == upper))
    masks = {
        "from_upper": from_upper,
        "alone": alone,
        "upper_form": from_upper & ~alone,
        "lower_form": ~(from_upper | alone),
        "whole": position == np.floor(position),
    }
    return _on(ordered, masks[which])


@impure
def _any_nan(rows: Any, q_shape: tuple[int, ...]) -> np.ndarray:
    xp = array_module(raw_data(rows))
    found = xp.any(xp.isnan(raw_data(rows)), axis=-1)
    return xp.broadcast_to(found, q_shape + found.shape)


@impure
def _all_nan(rows: Any, q_shape: tuple[int, ...]) -> np.ndarray:
    empty = np.all(np.isnan(raw_data(rows)), axis=-1)
    return np.broadcast_to(empty, q_shape + empty.shape)


def _broadcast_rows(ordered: Any, target: tuple[int, ...]) -> Any:
    from_shape = _shape(ordered)
    lead = len(target) - (len(from_shape) - 1)
    if lead == 0:
        return ordered
    ones = array_module(raw_data(ordered)).ones(
        target + from_shape[-1:], dtype=raw_data(ordered).dtype
    )
    return reshape(ordered, (1,) * lead + from_shape) * ones


def _refuse_out(name: str, out: Any) -> None:
    """NumPy's ``out``, the fourth argument of ``quantile`` (third of ``median``): refused,
    so that a call written for NumPy does not read it as ``method`` or ``keepdims``.
    ``overwrite_input`` is NumPy's permission to use the input as scratch space; the input
    is never modified, which that allows."""
    if out is not None:
        raise TypeError(
            f"{name}: out= is not supported (got {type(out).__name__} of shape "
            f"{np.shape(raw_data(out))}): deepgrad's arrays are not written in place; use "
            "the returned value"
        )


def quantile(
    a: Any,
    q: Any,
    axis: Any = None,
    out: None = None,
    overwrite_input: bool = False,
    method: str = "linear",
    keepdims: bool = False,
) -> Any:
    """The q-th quantile(s) over ``axis`` (NumPy's ``quantile``, in NumPy's argument order;
    methods 'linear' (the default), 'lower', 'higher', 'midpoint', 'nearest'; ``out`` is
    refused). Differentiable in a and q.

    >>> float(quantile(np.array([1.0, 2.0, 4.0, 8.0]), 0.5))
    3.0
    """
    _refuse_out("quantile", out)
    return _quantile("quantile", a, q, axis, method, keepdims, False, _weak(q))


def percentile(
    a: Any,
    q: Any,
    axis: Any = None,
    out: None = None,
    overwrite_input: bool = False,
    method: str = "linear",
    keepdims: bool = False,
) -> Any:
    """The q-th percentile(s): ``quantile(a, q / 100)``.

    >>> float(percentile(np.array([1.0, 2.0, 4.0, 8.0]), 50))
    3.0
    """
    _refuse_out("percentile", out)
    return _quantile("percentile", a, _hundredths(q), axis, method, keepdims, False, _weak(q))


def median(
    a: Any,
    axis: Any = None,
    out: None = None,
    overwrite_input: bool = False,
    keepdims: bool = False,
) -> Any:
    """The median over ``axis``: the middle element, or the mean of the two middle ones.

    >>> float(median(np.array([3.0, 1.0, 2.0, 10.0])))
    2.5
    """
    _refuse_out("median", out)
    return _quantile("median", a, 0.5, axis, "linear", keepdims, False, True)


def nanquantile(
    a: Any,
    q: Any,
    axis: Any = None,
    out: None = None,
    overwrite_input: bool = False,
    method: str = "linear",
    keepdims: bool = False,
) -> Any:
    """``quantile`` ignoring NaNs (NaN where a slice is all NaN).

    >>> float(nanquantile(np.array([1.0, np.nan, 3.0]), 0.5))
    2.0
    """
    _refuse_out("nanquantile", out)
    return _quantile("nanquantile", a, q, axis, method, keepdims, True, _weak(q))


def nanpercentile(
    a: Any,
    q: Any,
    axis: Any = None,
    out: None = None,
    overwrite_input: bool = False,
    method: str = "linear",
    keepdims: bool = False,
) -> Any:
    """``percentile`` ignoring NaNs.

    >>> float(nanpercentile(np.array([1.0, np.nan, 3.0]), 50))
    2.0
    """
    _refuse_out("nanpercentile", out)
    return _quantile("nanpercentile", a, _hundredths(q), axis, method, keepdims, True, _weak(q))


def nanmedian(
    a: Any,
    axis: Any = None,
    out: None = None,
    overwrite_input: bool = False,
    keepdims: bool = False,
) -> Any:
    """``median`` ignoring NaNs.

    >>> float(nanmedian(np.array([3.0, np.nan, 1.0])))
    2.0
    """
    _refuse_out("nanmedian", out)
    return _quantile("nanmedian", a, 0.5, axis, "linear", keepdims, True, True)

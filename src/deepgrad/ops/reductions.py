"""Reductions: sum, prod, max/min, cumulative sums and products, and composites over them."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from deepgrad.autodiff.effects import impure
from deepgrad.autodiff.primitive import Primitive, _sum, reduced_axes, unreduce
from deepgrad.axes import axis_index
from deepgrad.backend import array_module
from deepgrad.ops.creation import integers_as_floats
from deepgrad.ops.elementwise import exp, log, sqrt
from deepgrad.ops.nondiff import cast, equal
from deepgrad.ops.real_parts import _require_real
from deepgrad.ops.shape import astype, concatenate, flip, reshape, transpose
from deepgrad.tensor import raw_data


def _shape(x: Any) -> tuple[int, ...]:
    return np.shape(raw_data(x))


# The engine owns sum (it sums cotangents down to their argument's shape) and the helpers
# that undo a reduction (reduced_axes, unreduce); this module builds NumPy's other
# reductions on them.


def refuse_numpy_extras(name: str, out: Any = None, initial: Any = None, where: Any = True) -> None:
    """NumPy's ``out``, ``initial`` and ``where``, which deepgrad's reductions do not take:
    refused, so that a call written for NumPy does not read them as other arguments."""
    if out is not None:
        raise TypeError(
            f"{name}: out= is not supported (got {type(out).__name__} of shape "
            f"{np.shape(raw_data(out))}): deepgrad's arrays are not written in place; use "
            f"the returned value (out[...] = {name}(...))"
        )
    if initial is not None:
        raise TypeError(
            f"{name}: the argument initial={initial!r} is not supported; combine it with "
            "the result instead"
        )
    if where is not True:
        raise TypeError(
            f"{name}: the argument where= is not supported (got {type(where).__name__} of shape "
            f"{np.shape(raw_data(where))}); select the elements first"
        )


def in_dtype(a: Any, dtype: Any) -> Any:
    """``a`` cast to ``dtype`` (when given) before a reduction: NumPy casts each element to
    ``dtype`` and accumulates in it (int8 summed in int64 does not wrap around)."""
    return a if dtype is None else astype(a, dtype)


def sum(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    out: None = None,
    keepdims: bool = False,
    initial: Any = None,
    where: Any = True,
) -> Any:
    """Sum of elements over ``axis`` (NumPy's ``sum``, in NumPy's argument order; ``out``,
    ``initial`` and ``where`` are refused).

    A ``dtype`` that is not floating (``int``, ``bool``) makes the sum a constant, as
    ``astype`` to it does: a count or a truncated total has no gradient.

    >>> sum(np.ones((2, 3)), axis=1)
    array([3., 3.])
    """
    refuse_numpy_extras("sum", out, initial, where)
    if dtype is not None and not np.issubdtype(np.dtype(dtype), np.inexact):
        a = cast(a, dtype)  # NumPy casts each element first, then adds in dtype
    return _sum(a, axis=_normal_axis(axis), keepdims=keepdims, dtype=dtype)


def _normal_axis(axis: Any) -> Any:
    if isinstance(axis, list):
        return tuple(axis)
    return axis


def mean(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    out: None = None,
    keepdims: bool = False,
    *,
    where: Any = True,
) -> Any:
    """Arithmetic mean over ``axis``; in ``dtype`` if given, truncated as NumPy's is when
    ``dtype`` is an integer type (and then a constant, with no gradient). NumPy's argument
    order; ``out`` and ``where`` are refused.

    >>> float(mean(np.array([1.0, 2.0, 3.0])))
    2.0
    """
    refuse_numpy_extras("mean", out, None, where)
    data = raw_data(a)
    if dtype is None and getattr(data, "dtype", None) == np.float16:
        # NumPy's: float16 summed in float32 and the mean cast back (a float16 sum of
        # ten 60000s is inf, their mean 60000)
        return astype(mean(a, axis=axis, dtype=np.float32, keepdims=keepdims), np.float16)
    shape = np.shape(data)
    count = math.prod(shape[i] for i in reduced_axes(_normal_axis(axis), len(shape)))
    average = sum(a, axis=axis, dtype=dtype, keepdims=keepdims) / count
    if dtype is not None and not np.issubdtype(np.dtype(dtype), np.inexact):
        return cast(average, dtype)
    return average


def var(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    out: None = None,
    ddof: float = 0,
    keepdims: bool = False,
    *,
    where: Any = True,
) -> Any:
    """Variance over ``axis`` with ``ddof`` delta degrees of freedom (NumPy's ``var``, in
    NumPy's argument order). A floating ``dtype`` is the one NumPy computes the mean and
    the sum of squares in; ``out`` and ``where`` are refused.

    >>> float(var(np.array([1.0, 2.0, 3.0, 4.0]), None, None, None, 1))
    1.6666666666666667
    """
    _require_real("var", a)  # NumPy's is the mean of |x − mean|², not of (x − mean)²
    refuse_numpy_extras("var", out, None, where)
    require_floating_dtype("var", dtype)
    shape = np.shape(raw_data(a))
    count = math.prod(shape[i] for i in reduced_axes(_normal_axis(axis), len(shape)))
    centred = a - mean(a, axis=axis, dtype=dtype, keepdims=True)
    # NumPy's divisor: never below 0 (more degrees of freedom than values: inf or NaN)
    divisor = count - ddof if count > ddof else 0
    return sum(centred * centred, axis=axis, dtype=dtype, keepdims=keepdims) / divisor


def require_floating_dtype(name: str, dtype: Any) -> None:
    """A variance in an integer ``dtype`` is NumPy's truncated mean and truncated result:
    refused rather than reproduced."""
    if dtype is not None and not np.issubdtype(np.dtype(dtype), np.inexact):
        raise TypeError(
            f"{name}: dtype={np.dtype(dtype)} is not supported (NumPy truncates the mean "
            "and the result to integers there); pass a floating dtype such as float64"
        )


def std(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    out: None = None,
    ddof: float = 0,
    keepdims: bool = False,
    *,
    where: Any = True,
) -> Any:
    """Standard deviation over ``axis`` (NumPy's ``std``, in NumPy's argument order).

    >>> float(std(np.array([1.0, 3.0]), 0, np.float64))
    1.0
    """
    _require_real("std", a)
    refuse_numpy_extras("std", out, None, where)
    return sqrt(var(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims))


# prod: d(Πx)/dx_i is the product of the other elements. Written as the product of the
# elements before i times the product of those after i (exclusive cumulative products, whose
# rules are exact), not as Πx / x_i, so it is exact when elements are zero, to every order.
def _products_of_others(x, axis):
    """For each element, the product of the other elements over the reduced ``axis``."""
    shape = _shape(x)
    axes = reduced_axes(axis, len(shape))
    if not axes or math.prod(shape) == 0:  # (no element: nothing to multiply, nor to reshape)
        return array_module(raw_data(x)).ones(shape, dtype=raw_data(x).dtype)
    kept = [i for i in range(len(shape)) if i not in axes]
    rows = reshape(transpose(x, kept + list(axes)), (*(shape[i] for i in kept), -1))
    ones = array_module(raw_data(x)).ones((*_shape(rows)[:-1], 1), dtype=raw_data(x).dtype)
    last = len(_shape(rows)) - 1
    before = cumprod(concatenate([ones, rows[..., :-1]], axis=-1), last)
    after = flip(cumprod(flip(concatenate([rows[..., 1:], ones], axis=-1), -1), last), -1)
    others = reshape(before * after, [shape[i] for i in kept] + [shape[i] for i in axes])
    return transpose(others, tuple(np.argsort(kept + list(axes))))


_prod = Primitive(lambda x, axis=None, keepdims=False: np.prod(x, axis=axis, keepdims=keepdims))
_prod.name = "prod"
_prod.defvjp(
    lambda g, ans, x, axis=None, keepdims=False: (
        unreduce(g, x, axis, keepdims) * _products_of_others(x, axis)
    )
)
_prod.defjvp(
    lambda t, ans, x, axis=None, keepdims=False: sum(
        t * _products_of_others(x, axis), axis=axis, keepdims=keepdims
    )
)


def prod(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    out: None = None,
    keepdims: bool = False,
    initial: Any = None,
    where: Any = True,
) -> Any:
    """Product of elements over ``axis``, in ``dtype`` if given (NumPy's ``prod``, in NumPy's
    argument order; ``out``, ``initial`` and ``where`` are refused). The derivative is exact
    when elements are zero.

    >>> import deepgrad as dg
    >>> dg.grad(lambda x: prod(x))(np.array([0.0, 2.0, 3.0]))
    array([6., 0., 0.])
    """
    refuse_numpy_extras("prod", out, initial, where)
    a = in_dtype(a, dtype)
    return _prod(a, axis=_normal_axis(axis), keepdims=keepdims)


@impure
def _argmax_share(ans, x, axis, keepdims):
    """1/k at each of the k positions that attain the extreme, 0 elsewhere."""
    x = raw_data(x)
    hits = equal(x, raw_data(unreduce(raw_data(ans), x, axis, keepdims))).astype(x.dtype)
    return hits / np.sum(hits, axis=axis, keepdims=True)


@impure
def _logsumexp_shift(data, axis):
    """The maximum along ``axis`` (0 where it is not finite): the constant shift."""
    # (a 0 of the data's dtype for no element: a float64 0 would make float32 float64)
    shift = np.max(data, axis=axis, keepdims=True) if data.size else np.zeros((), data.dtype)
    return np.where(np.isfinite(shift), shift, 0)


def _extreme(np_fn, name):
    prim = Primitive(lambda x, axis=None, keepdims=False: np_fn(x, axis=axis, keepdims=keepdims))
    prim.name = name
    # Ties share the gradient equally, as in PyTorch's amax and JAX's max.
    prim.defvjp(
        lambda g, ans, x, axis=None, keepdims=False: (
            unreduce(g, x, axis, keepdims) * _argmax_share(ans, x, axis, keepdims)
        )
    )
    prim.defjvp(
        lambda t, ans, x, axis=None, keepdims=False: sum(
            t * _argmax_share(ans, x, axis, keepdims), axis=axis, keepdims=keepdims
        )
    )
    return prim


_max = _extreme(np.max, "max")
_min = _extreme(np.min, "min")


def max(
    a: Any,
    axis: Any = None,
    out: None = None,
    keepdims: bool = False,
    initial: Any = None,
    where: Any = True,
) -> Any:
    """Largest element over ``axis``; tied maxima share the gradient equally. NumPy's
    argument order; ``out``, ``initial`` and ``where`` are refused.

    >>> max(np.array([[1.0, 4.0], [3.0, 2.0]]), 0, None, True)
    array([[3., 4.]])
    """
    refuse_numpy_extras("max", out, initial, where)
    return _max(a, axis=_normal_axis(axis), keepdims=keepdims)


def min(
    a: Any,
    axis: Any = None,
    out: None = None,
    keepdims: bool = False,
    initial: Any = None,
    where: Any = True,
) -> Any:
    """Smallest element over ``axis``; tied minima share the gradient equally. NumPy's
    argument order; ``out``, ``initial`` and ``where`` are refused.

    >>> min(np.array([[1.0, 4.0], [3.0, 2.0]]), 1, None, True)
    array([[1.],
           [2.]])
    """
    refuse_numpy_extras("min", out, initial, where)
    return _min(a, axis=_normal_axis(axis), keepdims=keepdims)


amax, amin = max, min


def _reverse_cumsum(g, axis):
    return flip(cumsum(flip(g, axis), axis), axis)


_cumsum = Primitive(lambda x, axis: np.cumsum(x, axis=axis), "cumsum")
_cumsum.defvjp(lambda g, ans, x, axis: _reverse_cumsum(g, axis))
_cumsum.def_linear()


def cumsum(a: Any, axis: int | None = None, dtype: Any = None, out: None = None) -> Any:
    """Cumulative sum along ``axis`` (flattened when None), in ``dtype`` if given (NumPy's
    argument order; ``out`` is refused).

    >>> cumsum(np.array([100, 100], dtype=np.int8), 0, np.int64)
    array([100, 200])
    """
    refuse_numpy_extras("cumsum", out)
    a = in_dtype(a, dtype)
    if axis is None:
        a, axis = reshape(a, (-1,)), 0
    return _cumsum(a, axis=axis)


# cumprod: y_j = Π_{i≤j} x_i. The division rule ∂y_j/∂x_i = y_j / x_i fails at zeros, so the
# rules differentiate a doubling scan instead (Hillis and Steele, 1986): log2(n) steps of
# y[d:] ← y[d:] · y[:n−d], which computes the same products with multiplications only.
# The VJP runs the scan's steps backwards and the JVP pushes a tangent through them, both
# written with deepgrad ops: exact with zeros, to every order. The forward pass is NumPy's.


def _scan_steps(x: Any, axis: int) -> list:
    """The scan's states y_0 = x, y_1, ..., and the offset d of each step."""
    n = _shape(x)[axis]
    states, step = [x], 1
    while step < n:
        y = states[-1]
        head, tail, shifted = _split_at(y, axis, step)
        states.append(concatenate([head, tail * shifted], axis=axis))
        step *= 2
    return states


def _split_at(y: Any, axis: int, step: int) -> tuple[Any, Any, Any]:
    """y[:d], y[d:] and y[:n−d] along ``axis``."""
    n = _shape(y)[axis]
    lead = (slice(None),) * axis
    return (
        y[(*lead, slice(None, step))],
        y[(*lead, slice(step, None))],
        y[(*lead, slice(None, n - step))],
    )


def _cumprod_vjp(g: Any, ans: Any, x: Any, axis: int) -> Any:
    states = _scan_steps(x, axis)
    for level in range(len(states) - 2, -1, -1):
        step = 2**level
        y = states[level]
        _, tail, shifted = _split_at(y, axis, step)
        g_head, g_tail, _ = _split_at(g, axis, step)
        pad_shape = list(_shape(g))
        pad_shape[axis] = step
        zeros = array_module(raw_data(ans)).zeros(pad_shape, dtype=raw_data(ans).dtype)
        g = concatenate([g_head, g_tail * shifted], axis=axis) + concatenate(
            [g_tail * tail, zeros], axis=axis
        )
    return g


def _cumprod_jvp(t: Any, ans: Any, x: Any, axis: int) -> Any:
    n = _shape(x)[axis]
    y, step = x, 1
    while step < n:
        head, tail, shifted = _split_at(y, axis, step)
        t_head, t_tail, t_shifted = _split_at(t, axis, step)
        t = concatenate([t_head, t_tail * shifted + tail * t_shifted], axis=axis)
        y = concatenate([head, tail * shifted], axis=axis)
        step *= 2
    return t


_cumprod = Primitive(lambda x, axis: np.cumprod(x, axis=axis), "cumprod")
_cumprod.defvjp(_cumprod_vjp)
_cumprod.defjvp(_cumprod_jvp)


def cumprod(a: Any, axis: int | None = None, dtype: Any = None, out: None = None) -> Any:
    """Cumulative product along ``axis`` (flattened when None), in ``dtype`` if given
    (NumPy's argument order; ``out`` is refused); its derivatives are exact when elements
    are zero.

    >>> import deepgrad as dg
    >>> dg.grad(lambda x: cumprod(x)[-1])(np.array([2.0, 0.0, 3.0]))
    array([0., 6., 0.])
    """
    refuse_numpy_extras("cumprod", out)
    a = in_dtype(a, dtype)
    if axis is None:
        a, axis = reshape(a, (-1,)), 0
    return _cumprod(a, axis=axis_index(axis, len(_shape(a)) or 1, "cumprod"))


def logsumexp(
    a: Any, axis: Any = None, b: Any = None, keepdims: bool = False, return_sign: bool = False
) -> Any:
    """log Σ exp(a), computed without overflow; SciPy's (and ``jax.nn``'s) signature.

    The shift by the maximum is a constant: it cancels in the value and in every
    derivative, so it is not differentiated (and ties in the maximum cannot matter).

    Integers and booleans give float64, as SciPy's ``logsumexp``. The scale factors ``b``
    and ``return_sign=True`` are refused (for positive ``b``, pass ``a + log(b)``).

    >>> float(logsumexp(np.array([1000.0, 1000.0])))
    1000.6931471805599
    """
    _refuse_scipy_extras(b, return_sign)
    a = integers_as_floats(a)  # a − shift of unsigned integers would wrap around
    if not hasattr(raw_data(a), "shape"):  # a Python number, as NumPy takes it
        a = np.asarray(a)
    axis = _normal_axis(axis)
    data = raw_data(a)
    shift = _logsumexp_shift(data, axis)
    total = log(sum(exp(a - shift), axis=axis, keepdims=True)) + shift
    if not keepdims:
        total = reshape(total, np.shape(np.sum(data, axis=axis)))
    return total


def _refuse_scipy_extras(b: Any, return_sign: Any) -> None:
    """SciPy's third and fifth arguments, which deepgrad does not implement: refused, so
    that ``logsumexp(a, 0, b)`` is not read as ``keepdims=b``."""
    if b is not None:
        raise NotImplementedError(
            f"logsumexp: the scale factors b (shape {np.shape(raw_data(b))}) are not "
            "supported; for positive b pass logsumexp(a + log(b)) instead"
        )
    if return_sign:
        raise NotImplementedError(
            f"logsumexp: return_sign={return_sign!r} is not supported (without b the sum "
            "of exponentials is never negative)"
        )

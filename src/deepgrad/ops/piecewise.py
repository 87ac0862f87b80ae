"""Piecewise functions built from ``where``: ``fmax``, ``fmin``, ``heaviside``,
``nan_to_num``, ``select`` and ``piecewise``.

Each is a composite of differentiable ops, so it differentiates to any order. At the
points where the pieces meet, the conventions are those of the ops underneath: ``fmax``
and ``fmin`` split the gradient equally at ties (as ``maximum``); ``heaviside`` is a
step, with derivative 0 in x (the Dirac delta at 0 is not a number) and 1 in the value it
takes at 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from deepgrad.autodiff.effects import impure
from deepgrad.backend import array_module, numpy_scalar
from deepgrad.ops.elementwise import maximum, minimum
from deepgrad.ops.indexing import index_set
from deepgrad.ops.real_parts import with_zero_slope
from deepgrad.ops.selection import where
from deepgrad.tensor import Tensor, raw_data


# Masks and values read from the data are impure calls, so that a compiled plan computes
# them again on new inputs instead of freezing them.
@impure
def _isnan(x: Any) -> np.ndarray:
    return np.isnan(raw_data(x))


@impure
def _is_zero(x: Any) -> np.ndarray:
    return np.equal(raw_data(x), 0)


@impure
def _step(x: Any) -> np.ndarray:
    return np.heaviside(raw_data(x), 0.0)


@impure
def _isfinite(x: Any) -> np.ndarray:
    return np.isfinite(raw_data(x))


@impure
def _replacements(x: Any, nan: float, posinf: float | None, neginf: float | None) -> np.ndarray:
    return np.nan_to_num(raw_data(x), nan=nan, posinf=posinf, neginf=neginf)


@impure
def _none_holds(*conditions: Any) -> np.ndarray:
    return ~np.any(np.stack([raw_data(c) for c in conditions]), axis=0)


def fmax(x1: Any, x2: Any) -> Any:
    """Elementwise maximum that ignores NaN (NumPy's ``fmax``); ties split the gradient.

    >>> fmax(np.array([1.0, np.nan, 3.0]), np.array([2.0, 0.5, np.nan]))
    array([2. , 0.5, 3. ])
    """
    return numpy_scalar(where(_isnan(x2), x1, where(_isnan(x1), x2, maximum(x1, x2))))


def fmin(x1: Any, x2: Any) -> Any:
    """Elementwise minimum that ignores NaN (NumPy's ``fmin``); ties split the gradient.

    >>> fmin(np.array([1.0, np.nan, 3.0]), np.array([2.0, 0.5, np.nan]))
    array([1. , 0.5, 3. ])
    """
    return numpy_scalar(where(_isnan(x2), x1, where(_isnan(x1), x2, minimum(x1, x2))))


def heaviside(x1: Any, x2: Any) -> Any:
    """The step function: 0 for x1 < 0, ``x2`` at x1 == 0, 1 for x1 > 0.

    A constant in x1 away from 0, so its derivative in x1 is 0 everywhere (including at 0,
    where the true derivative is a Dirac delta, not a number); its derivative in ``x2`` is
    1 where x1 == 0. NaN in x1 gives NaN, as in NumPy.

    >>> heaviside(np.array([-1.5, 0.0, 2.0]), 0.5)
    array([0. , 0.5, 1. ])
    """
    if not isinstance(x1, Tensor) and not isinstance(x2, Tensor):
        return np.heaviside(x1, x2)  # NumPy's dtype: its loops are float16 for int8 and bool
    return numpy_scalar(where(_is_zero(x1), x2, with_zero_slope(x1, _step(x1))))


def nan_to_num(
    x: Any,
    copy: bool = True,
    nan: float = 0.0,
    posinf: float | None = None,
    neginf: float | None = None,
) -> Any:
    """NaN and ±Inf replaced by numbers (NumPy's ``nan_to_num``); slope 1 where x is
    finite, 0 where it was replaced.

    >>> nan_to_num(np.array([1.0, np.nan, np.inf]))
    array([1.00000000e+000, 0.00000000e+000, 1.79769313e+308])
    """
    return numpy_scalar(where(_isfinite(x), x, _replacements(x, nan, posinf, neginf)))


def select(condlist: Sequence[Any], choicelist: Sequence[Any], default: Any = 0) -> Any:
    """Elements from the choice whose condition holds first (NumPy's ``select``);
    differentiable in every choice and in ``default``.

    >>> select([np.array([True, False]), np.array([True, True])], [1.0, 2.0], 0.0)
    array([1., 2.])
    """
    if len(condlist) != len(choicelist):
        raise ValueError(
            f"select: {len(condlist)} conditions but {len(choicelist)} choices; "
            "expected one choice per condition"
        )
    if not condlist:
        raise ValueError("select: condlist is empty; expected at least one condition")
    result = default
    for condition, choice in reversed(list(zip(condlist, choicelist, strict=True))):
        condition = _boolean(condition)
        if condition.dtype != bool:
            raise TypeError(
                f"select: conditions must be boolean arrays, got dtype {condition.dtype}"
            )
        result = where(condition, choice, result)
    return result


def piecewise(x: Any, condlist: Any, funclist: Sequence[Any], *args: Any, **kw: Any) -> Any:
    """Evaluate a function or constant on each region of ``x`` (NumPy's ``piecewise``).

    ``funclist`` holds one entry per condition, plus an optional last one for where no
    condition holds; a callable gets ``x[condition]`` (and ``args``, ``kw``), anything
    else is a constant. Later conditions win where several hold, as in NumPy. Elements
    that no condition covers are 0. Differentiable in x through the callables. Under
    ``deepgrad.compile`` conditions computed from the data are refused (``CompileError``):
    ``x[condition]`` then has as many elements as the data make true, which a plan of
    fixed buffers cannot replay.

    >>> piecewise(np.array([-2.0, 3.0]), [np.array([True, False])], [lambda v: -v, lambda v: v])
    array([2., 3.])
    """
    data = raw_data(x)
    conditions = _conditions(condlist, np.shape(data))
    if len(funclist) == len(conditions) + 1:
        otherwise = (
            _none_holds(*conditions)
            if conditions
            else array_module(data).ones(np.shape(data), dtype=bool)
        )
        conditions = [*conditions, otherwise]
    if len(funclist) != len(conditions):
        raise ValueError(
            f"piecewise: {len(conditions)} conditions but {len(funclist)} functions; "
            "expected as many, or one more for the remaining elements"
        )
    out = with_zero_slope(x, np.zeros((), dtype=_float_or(data)))
    for condition, func in zip(conditions, funclist, strict=True):
        # Unlike NumPy, a function is called even when its condition holds nowhere (on an
        # empty array), so that the calls made do not depend on which regions are empty.
        value = func(x[condition], *args, **kw) if callable(func) else func
        out = index_set(out, value, index=condition)
    return out


def _conditions(condlist: Any, shape: tuple[int, ...]) -> list[np.ndarray]:
    # NumPy's rule: a scalar, or (for x of 1 or more dimensions) a flat list of booleans,
    # is one condition.
    if np.isscalar(condlist) or (
        len(shape) != 0 and not (isinstance(condlist[0], list) or hasattr(condlist[0], "shape"))
    ):
        condlist = [condlist]
    conditions = [_boolean(c) for c in condlist]
    for c in conditions:
        if c.shape != shape:
            raise ValueError(
                f"piecewise: a condition of shape {c.shape} for x of shape {shape}; "
                "expected each condition to have x's shape"
            )
    return conditions


def _boolean(condition: Any) -> Any:
    """A condition as an array (on its own device; Python lists and booleans on the host)."""
    data = raw_data(condition)
    return data if hasattr(data, "dtype") else np.asarray(data, dtype=bool)


def _float_or(data: Any) -> np.dtype:
    dtype = data.dtype if hasattr(data, "dtype") else np.asarray(data).dtype
    return dtype if np.issubdtype(dtype, np.floating) else np.dtype(np.float64)

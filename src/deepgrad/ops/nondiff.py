"""Functions with no useful derivative: comparisons, logic, rounding, arg-reductions.

They run on the raw arrays underneath any tracing and return constants: a Tensor
(with no graph) when any input was a Tensor, a plain NumPy result otherwise.
Rounding functions are piecewise constant, so treating them as constants gives
their derivative (zero) almost everywhere.
"""

from __future__ import annotations

import builtins
import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from deepgrad.autodiff.effects import Impure
from deepgrad.tensor import Tensor, raw_data


def nondifferentiable(fn: Callable) -> Callable:
    """Wrap a NumPy function so it accepts Tensors and returns a constant."""
    # Impure: a compiled plan must compute the mask again on every replay
    prim = Impure(fn, getattr(fn, "__name__", None))

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        # builtins.any: this module defines NumPy's ``any`` and ``all`` below.
        has_tensor = builtins.any(isinstance(a, Tensor) for a in args) or builtins.any(
            isinstance(v, Tensor) for v in kwargs.values()
        )
        result = prim(*[_raw(a) for a in args], **{k: _raw(v) for k, v in kwargs.items()})
        if not has_tensor:
            return result
        if isinstance(result, tuple):  # nonzero's arrays, each taken by a recorded call
            return tuple(
                _constant(_part(result, i) if isinstance(r, np.ndarray) else r)
                for i, r in enumerate(result)
            )
        return _constant(result)

    return wrapper


# The i-th array of a function's tuple of results, as a call of its own: a compiled plan
# knows the tuple by the call that made it, not the arrays in it, and would otherwise
# take each array for a constant and freeze the first call's (``nonzero(x)[0]``).
_part = Impure(lambda parts, i: parts[i], "part")


def _constant(value: Any) -> Any:
    if isinstance(value, np.ndarray | np.generic):
        return Tensor._make(value, -1)
    return value


def _raw(value: Any) -> Any:
    if isinstance(value, Tensor):
        return raw_data(value)
    if isinstance(value, list | tuple) and builtins.any(isinstance(v, Tensor) for v in value):
        return type(value)(_raw(v) for v in value)
    return value


def _cast(x: Any, dtype: Any) -> Any:
    """``x`` as ``dtype``, on its own array module (a device array stays on its device); a
    NumPy scalar stays one, as ``np.astype`` gives it.

    >>> type(_cast(np.float32(2.5), np.int64)).__name__, _cast([1.5], np.int64)
    ('int64', array([1]))
    """
    if hasattr(x, "astype"):
        return x.astype(dtype)
    return np.asarray(x).astype(dtype)


cast = nondifferentiable(_cast)  # astype to a non-floating dtype: a constant
equal = nondifferentiable(np.equal)
not_equal = nondifferentiable(np.not_equal)
less = nondifferentiable(np.less)
less_equal = nondifferentiable(np.less_equal)
greater = nondifferentiable(np.greater)
greater_equal = nondifferentiable(np.greater_equal)
logical_and = nondifferentiable(np.logical_and)
logical_or = nondifferentiable(np.logical_or)
logical_not = nondifferentiable(np.logical_not)
logical_xor = nondifferentiable(np.logical_xor)
isfinite = nondifferentiable(np.isfinite)
isnan = nondifferentiable(np.isnan)
isinf = nondifferentiable(np.isinf)
isclose = nondifferentiable(np.isclose)
allclose = nondifferentiable(np.allclose)
array_equal = nondifferentiable(np.array_equal)
all = nondifferentiable(np.all)
any = nondifferentiable(np.any)
argmax = nondifferentiable(np.argmax)
argmin = nondifferentiable(np.argmin)
argsort = nondifferentiable(np.argsort)
argwhere = nondifferentiable(np.argwhere)
nonzero = nondifferentiable(np.nonzero)
count_nonzero = nondifferentiable(np.count_nonzero)
searchsorted = nondifferentiable(np.searchsorted)
sign = nondifferentiable(np.sign)
floor = nondifferentiable(np.floor)
ceil = nondifferentiable(np.ceil)
trunc = nondifferentiable(np.trunc)
rint = nondifferentiable(np.rint)
round = nondifferentiable(np.round)
around = round
floor_divide = nondifferentiable(np.floor_divide)
shape = nondifferentiable(np.shape)
ndim = nondifferentiable(np.ndim)
size = nondifferentiable(np.size)

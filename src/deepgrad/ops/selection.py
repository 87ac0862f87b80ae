"""Selecting between values: ``where`` and ``clip``."""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad.autodiff.effects import impure
from deepgrad.autodiff.primitive import Primitive
from deepgrad.backend import array_module
from deepgrad.ops.nondiff import nonzero
from deepgrad.tensor import Tensor, raw_data

_where = Primitive(np.where, "where", "where({0}, {1}, {2})")
_where.defvjp(
    None,
    lambda g, ans, c, x, y: _where(c, g, 0),
    lambda g, ans, c, x, y: _where(c, 0, g),
)
_where.defjvp(
    None,
    lambda t, ans, c, x, y: _where(c, t, 0),
    lambda t, ans, c, x, y: _where(c, 0, t),
)


def where(condition: Any, x: Any = None, y: Any = None) -> Any:
    """Elements of ``x`` where ``condition`` holds, else of ``y``; differentiable in x and y.

    Both branches are evaluated, so a branch that is Inf or NaN where it is not chosen
    still poisons the gradient (0 × Inf): make the unused branch safe first.

    >>> where(np.array([True, False]), np.array([1.0, 2.0]), 0.0)
    array([1., 0.])
    """
    if x is None and y is None:  # NumPy's nonzero, recorded (vmap and compile see it)
        return nonzero(condition)
    if x is None or y is None:
        raise ValueError("where: give both x and y, or neither (the indices where it holds)")
    result = _where(raw_data(condition), x, y)
    if isinstance(condition, Tensor) and not isinstance(result, Tensor):
        # a constant Tensor, as every op gives for a Tensor among its arguments: an
        # array would take the next operator to NumPy, past a compiled function's
        # recording (dnp.where(x > 0, 1.0, 0.0) + 1.0 was frozen into its plan)
        result = Tensor._make(result, -1)
    return result


@impure
def _inside(x, low, high):
    x = raw_data(x)
    mask = array_module(x).ones(np.shape(x), dtype=bool)
    if low is not None:  # not &=: a bound may have more axes than x (it broadcasts)
        mask = mask & (x >= raw_data(low))
    if high is not None:
        mask = mask & (x <= raw_data(high))
    return mask.astype(x.dtype)


@impure
def _taken_from(x, low, high, bound):
    """Where clip's result is ``bound`` ("low" or "high") rather than x: clip is
    minimum(maximum(x, low), high), so high wins where maximum(x, low) > high."""
    x = raw_data(x)
    low, high = raw_data(low), raw_data(high)
    floor = x if low is None else np.maximum(x, low)
    above = np.zeros(np.shape(floor), dtype=bool) if high is None else floor > high
    mask = above if bound == "high" else (x < low) & ~above
    return mask.astype(np.result_type(x, 0.0))


# The slope is 1 inside [low, high], boundaries included, as in PyTorch's clamp; a traced
# bound gets the slope where the result is that bound (outside, strictly).
_clip = Primitive(np.clip, "clip")
_clip.defvjp(
    lambda g, ans, x, low, high: g * _inside(x, low, high),
    lambda g, ans, x, low, high: g * _taken_from(x, low, high, "low"),
    lambda g, ans, x, low, high: g * _taken_from(x, low, high, "high"),
)
_clip.defjvp(
    lambda t, ans, x, low, high: t * _inside(x, low, high),
    lambda t, ans, x, low, high: t * _taken_from(x, low, high, "low"),
    lambda t, ans, x, low, high: t * _taken_from(x, low, high, "high"),
)


def clip(a: Any, a_min: Any = None, a_max: Any = None) -> Any:
    """Limit values to [a_min, a_max] (either may be None); gradient 1 inside, 0 outside.

    >>> clip(np.array([-2.0, 0.5, 2.0]), -1, 1)
    array([-1. ,  0.5,  1. ])
    """
    return _clip(a, a_min, a_max)

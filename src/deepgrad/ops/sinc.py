"""The normalised sinc function, sin(πx)/(πx), with its exact derivatives at 0.

Written as y / x, the derivative would be 0/0 at x = 0. Instead sinc, s' and s'' are
primitives whose values at 0 are the limits (s'(0) = 0, s''(0) = −π²/3), and s''' is a
composite of them. They follow from x s = sin(πx)/π, differentiated again and again:

    s'   = (cos(πx) − s) / x
    s''  = −π² s − 2 s' / x
    s''' = −π² s' − (π² s + 3 s'') / x

Near 0 these quotients cancel, so |x| < 0.05 uses the Taylor series instead,
s = Σ (−1)ᵏ (πx)²ᵏ / (2k + 1)!, ten terms (the next is below 1e-30).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from deepgrad.autodiff.primitive import Primitive
from deepgrad.ops.elementwise import absolute
from deepgrad.ops.nondiff import less
from deepgrad.ops.selection import where

_PI2 = math.pi**2
_SMALL = 0.05  # below this the Taylor series is used: the quotients would cancel
_COEFFICIENTS = [(-1) ** k * math.pi ** (2 * k) / math.factorial(2 * k + 1) for k in range(10)]


def _series(x, derivative):
    """The ``derivative``-th derivative of sinc's Taylor series at x (any deepgrad op input)."""
    total = 0.0
    for k, c in enumerate(_COEFFICIENTS):
        power = 2 * k - derivative
        if power >= 0:
            total = total + c * math.perm(2 * k, derivative) * x**power
    return total


def _safe(x):
    """x, with the points that take the series replaced by 1 (kept away from 0/0)."""
    return np.where(np.abs(x) < _SMALL, 1, x)


def _first_impl(x):
    xs = _safe(x)
    quotient = (np.cos(math.pi * xs) - np.sinc(xs)) / xs
    return np.where(np.abs(x) < _SMALL, _series(x, 1), quotient)


def _second_impl(x):
    xs = _safe(x)
    quotient = -_PI2 * np.sinc(xs) - 2 * _first_impl(xs) / xs
    return np.where(np.abs(x) < _SMALL, _series(x, 2), quotient)


def _third(x):
    # A composite of the primitives below and of the series (a polynomial), so it
    # differentiates again: sinc's fourth derivative and beyond are exact too.
    small = less(absolute(x), _SMALL)
    xs = where(small, 1.0, x)
    quotient = -_PI2 * _sinc_first(xs) - (_PI2 * _sinc(xs) + 3 * _sinc_second(xs)) / xs
    return where(small, _series(x, 3), quotient)


_sinc_second = Primitive(_second_impl, "sinc_second")
_sinc_second.defvjp(lambda g, ans, x: g * _third(x))
_sinc_second.defjvp(lambda t, ans, x: t * _third(x))

_sinc_first = Primitive(_first_impl, "sinc_first")
_sinc_first.defvjp(lambda g, ans, x: g * _sinc_second(x))
_sinc_first.defjvp(lambda t, ans, x: t * _sinc_second(x))

_sinc = Primitive(np.sinc, "sinc")
_sinc.defvjp(lambda g, ans, x: g * _sinc_first(x))
_sinc.defjvp(lambda t, ans, x: t * _sinc_first(x))


def sinc(x: Any) -> Any:
    """sin(πx) / (πx), and 1 at x = 0 (NumPy's ``sinc``); derivatives exact at 0.

    >>> import deepgrad as dg
    >>> float(sinc(0.0)), float(dg.grad(sinc)(0.0)), round(float(dg.grad(dg.grad(sinc))(0.0)), 6)
    (1.0, 0.0, -3.289868)
    """
    return _sinc(x)

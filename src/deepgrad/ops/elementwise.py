"""Elementwise primitives: NumPy's arithmetic, exponential, trigonometric and hyperbolic ufuncs.

Most unary ops are one row: the NumPy function and its derivative f'(x) written with
deepgrad ops (it may use ``ans`` = f(x)). The VJP is g·f'(x) and the JVP t·f'(x).
Binary ops have one stanza each. Rules ignore broadcasting (graph.py undoes it).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from deepgrad.autodiff.effects import impure
from deepgrad.autodiff.primitive import Primitive
from deepgrad.autodiff.primitive import add as add
from deepgrad.ops.nondiff import equal, floor, logical_and, sign, trunc
from deepgrad.ops.selection import where
from deepgrad.tensor import raw_data

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


def unary(
    fn: Callable, derivative: Callable, name: str | None = None, symbol: str | None = None
) -> Primitive:
    """A primitive f with f'(x) = ``derivative(ans, x)``."""
    prim = Primitive(fn, name, symbol)
    prim.defvjp(lambda g, ans, x: g * derivative(ans, x))
    prim.defjvp(lambda t, ans, x: t * derivative(ans, x))
    return prim


def _erf_impl(x):
    """erf in the input's floating dtype (float16 stays float16, as in JAX and PyTorch:
    SciPy's erf answers float16 in float64); integers give float64, as NumPy's ufuncs."""
    dtype = x.dtype if hasattr(x, "dtype") else np.asarray(x).dtype  # (no copy off a device)
    result_dtype = dtype if dtype.kind == "f" else np.dtype(np.float64)
    try:
        from scipy.special import erf as scipy_erf
    except ImportError:  # scipy is optional: fall back to the exact, slower math.erf
        return np.vectorize(math.erf, otypes=[result_dtype])(x)
    result = scipy_erf(x)
    return result if result.dtype == result_dtype else result.astype(result_dtype)


# ---- unary: f, f'(x) ------------------------------------------------------------------------
negative = Primitive(np.negative, "negative", "−{0}")
negative.defvjp(lambda g, ans, x: -g)
negative.def_linear()

exp = unary(np.exp, lambda ans, x: ans, "exp", "exp {0}")
exp2 = unary(np.exp2, lambda ans, x: ans * _LN2, "exp2")
expm1 = unary(np.expm1, lambda ans, x: ans + 1, "expm1")
log = unary(np.log, lambda ans, x: 1 / x, "log", "ln {0}")
log2 = unary(np.log2, lambda ans, x: 1 / (x * _LN2), "log2")
log10 = unary(np.log10, lambda ans, x: 1 / (x * _LN10), "log10")
log1p = unary(np.log1p, lambda ans, x: 1 / (1 + x), "log1p")
sqrt = unary(np.sqrt, lambda ans, x: 0.5 / ans, "sqrt", "√{0}")
cbrt = unary(np.cbrt, lambda ans, x: 1 / (3 * ans * ans), "cbrt")
square = unary(np.square, lambda ans, x: 2 * x, "square", "{0}²")
reciprocal = unary(np.reciprocal, lambda ans, x: -(ans * ans), "reciprocal", "1/{0}")
sin = unary(np.sin, lambda ans, x: cos(x), "sin", "sin {0}")
cos = unary(np.cos, lambda ans, x: -sin(x), "cos", "cos {0}")
tan = unary(np.tan, lambda ans, x: 1 + ans * ans, "tan", "tan {0}")
arcsin = unary(np.arcsin, lambda ans, x: 1 / sqrt(1 - x * x), "arcsin")
arccos = unary(np.arccos, lambda ans, x: -1 / sqrt(1 - x * x), "arccos")
arctan = unary(np.arctan, lambda ans, x: 1 / (1 + x * x), "arctan")
sinh = unary(np.sinh, lambda ans, x: cosh(x), "sinh")
cosh = unary(np.cosh, lambda ans, x: sinh(x), "cosh")
tanh = unary(np.tanh, lambda ans, x: 1 - ans * ans, "tanh", "tanh {0}")
arcsinh = unary(np.arcsinh, lambda ans, x: 1 / sqrt(x * x + 1), "arcsinh")
arccosh = unary(np.arccosh, lambda ans, x: 1 / sqrt(x * x - 1), "arccosh")
arctanh = unary(np.arctanh, lambda ans, x: 1 / (1 - x * x), "arctanh")
# |x|' = sign(x), taken as 0 at 0, as PyTorch takes it (JAX's grad gives 1 there).
absolute = unary(np.abs, lambda ans, x: sign(x), "absolute", "|{0}|")
deg2rad = unary(np.deg2rad, lambda ans, x: math.pi / 180, "deg2rad")
rad2deg = unary(np.rad2deg, lambda ans, x: 180 / math.pi, "rad2deg")
erf = unary(_erf_impl, lambda ans, x: (2 / math.sqrt(math.pi)) * exp(-(x * x)), "erf")

# ---- binary ---------------------------------------------------------------------------------
# add is the engine's own (it adds cotangents): defined in autodiff/primitive.py, re-exported.

subtract = Primitive(np.subtract, "subtract", "{0} − {1}")
subtract.defvjp(lambda g, ans, x, y: g, lambda g, ans, x, y: -g)
subtract.defjvp(lambda t, ans, x, y: t, lambda t, ans, x, y: -t)

multiply = Primitive(np.multiply, "multiply", "{0} × {1}")
multiply.defvjp(lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x)
multiply.def_linear()

divide = Primitive(np.true_divide, "divide", "{0} / {1}")
divide.defvjp(lambda g, ans, x, y: g / y, lambda g, ans, x, y: -g * ans / y)
divide.defjvp(lambda t, ans, x, y: t / y, lambda t, ans, x, y: -t * ans / y)


def _log_base(x):
    # d(x^y)/dy = x^y ln x; where x == 0 the product is 0 (ans is 0), so take ln 1 there.
    return log(where(equal(x, 0), 1, x))


def _power_slope(x, y):
    # d(x^y)/dx = y x^(y-1). For y == 0 at x == 0 that is 0 · 0^(-1), NaN: there the exponent
    # is taken as 1, which gives the exact 0 (and 0 again for its derivative in x).
    # Elsewhere the formula is untouched, so its derivative in y stays exact.
    if isinstance(y, int | float):
        return y * x ** (1 if y == 0 else y - 1)
    return y * x ** where(logical_and(equal(y, 0), equal(x, 0)), 1, y - 1)


power = Primitive(np.power, "power", "{0}^{1}")
power.defvjp(
    lambda g, ans, x, y: g * _power_slope(x, y),
    lambda g, ans, x, y: g * ans * _log_base(x),
)
power.defjvp(
    lambda t, ans, x, y: t * _power_slope(x, y),
    lambda t, ans, x, y: t * ans * _log_base(x),
)


@impure
def _max_share(x, y, ans):
    """Which share of the gradient goes to x in maximum(x, y): 1, 0, or ½ at ties."""
    x, y = raw_data(x), raw_data(y)
    share = np.greater(x, y) + 0.5 * np.equal(x, y)
    return share.astype(raw_data(ans).dtype, copy=False)


maximum = Primitive(np.maximum, "maximum", "max({0}, {1})")
maximum.defvjp(
    lambda g, ans, x, y: g * _max_share(x, y, ans),
    lambda g, ans, x, y: g * _max_share(y, x, ans),
)
maximum.defjvp(
    lambda t, ans, x, y: t * _max_share(x, y, ans),
    lambda t, ans, x, y: t * _max_share(y, x, ans),
)

minimum = Primitive(np.minimum, "minimum", "min({0}, {1})")
minimum.defvjp(
    lambda g, ans, x, y: g * _max_share(y, x, ans),
    lambda g, ans, x, y: g * _max_share(x, y, ans),
)
minimum.defjvp(
    lambda t, ans, x, y: t * _max_share(y, x, ans),
    lambda t, ans, x, y: t * _max_share(x, y, ans),
)

arctan2 = Primitive(np.arctan2, "arctan2")
arctan2.defvjp(
    lambda g, ans, y, x: g * x / (x * x + y * y),
    lambda g, ans, y, x: -g * y / (x * x + y * y),
)
arctan2.defjvp(
    lambda t, ans, y, x: t * x / (x * x + y * y),
    lambda t, ans, y, x: -t * y / (x * x + y * y),
)

hypot = Primitive(np.hypot, "hypot")
hypot.defvjp(lambda g, ans, x, y: g * x / ans, lambda g, ans, x, y: g * y / ans)
hypot.defjvp(lambda t, ans, x, y: t * x / ans, lambda t, ans, x, y: t * y / ans)


def _log_share(x, ans):
    # x's share of logaddexp(x, y) is exp(x − ans). Where x is +∞ so is ans, and ∞ − ∞
    # would make the share NaN: it is exp(0 − 0) = 1 there, as PyTorch and JAX give for y
    # finite (both are read as 0 there, so that nothing computes ∞ − ∞).
    infinite = equal(x, np.inf)
    return where(infinite, 0, x) - where(infinite, 0, ans)


def _log_of_sum(fn: Callable, name: str, power: Primitive) -> Primitive:
    """log_b(b^x + b^y), whose slope in each argument is that argument's share,
    ``power(_log_share(...))`` (b = e: ``exp``; b = 2: ``exp2``)."""
    prim = Primitive(fn, name)
    prim.defvjp(
        lambda g, ans, x, y: g * power(_log_share(x, ans)),
        lambda g, ans, x, y: g * power(_log_share(y, ans)),
    )
    prim.defjvp(
        lambda t, ans, x, y: t * power(_log_share(x, ans)),
        lambda t, ans, x, y: t * power(_log_share(y, ans)),
    )
    return prim


logaddexp = _log_of_sum(np.logaddexp, "logaddexp", exp)
logaddexp2 = _log_of_sum(np.logaddexp2, "logaddexp2", exp2)

# x mod y = x − y·floor(x/y): piecewise, with slope 1 in x and −floor(x/y) in y.
mod = Primitive(np.mod, "mod", "{0} mod {1}")
mod.defvjp(lambda g, ans, x, y: g, lambda g, ans, x, y: -g * floor(x / y))
mod.defjvp(lambda t, ans, x, y: t, lambda t, ans, x, y: -t * floor(x / y))

fmod = Primitive(np.fmod, "fmod")
fmod.defvjp(lambda g, ans, x, y: g, lambda g, ans, x, y: -g * trunc(x / y))
fmod.defjvp(lambda t, ans, x, y: t, lambda t, ans, x, y: -t * trunc(x / y))

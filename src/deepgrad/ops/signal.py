"""1-D signals and curves: ``convolve``, ``correlate``, ``interp`` and ``polyval``, written
from differentiable ops (gathers, products, sums), so they differentiate to any order in
every array argument."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from deepgrad.autodiff.effects import impure
from deepgrad.backend import numpy_scalar
from deepgrad.ops.creation import integers_as_floats
from deepgrad.ops.linalg import matmul
from deepgrad.ops.selection import where
from deepgrad.ops.shape import flip, pad
from deepgrad.tensor import Tensor, raw_data

Mode = Literal["full", "same", "valid"]


def _shape(x: Any) -> tuple[int, ...]:
    return np.shape(raw_data(x))


def _vector(name: str, x: Any) -> Any:
    if not hasattr(x, "shape"):
        x = np.asarray(x)
    shape = _shape(x)
    if len(shape) != 1 or shape[0] == 0:
        raise ValueError(f"{name}: expected non-empty 1-D arrays, got shape {shape}")
    return x


def convolve(a: Any, v: Any, mode: Mode = "full") -> Any:
    """Discrete linear convolution of two 1-D arrays (NumPy's ``convolve``).

    Each output is a window of ``a`` (zero-padded) times the reversed ``v``: a gather of
    the windows and a matrix-vector product.

    >>> convolve(np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 0.5]))
    array([0. , 1. , 2.5, 4. , 1.5])
    """
    a, v = _vector("convolve", a), _vector("convolve", v)
    n, m = _shape(a)[0], _shape(v)[0]
    if m > n:  # convolution commutes: slide the shorter one
        a, v, n, m = v, a, m, n
    padded = pad(a, (m - 1, m - 1))
    windows = padded[np.arange(n + m - 1)[:, None] + np.arange(m)[None, :]]
    full = matmul(windows, flip(v, 0))
    if mode == "full":
        return full
    if mode == "same":
        start = (m - 1) // 2
        return full[start : start + n]
    if mode == "valid":
        return full[m - 1 : n]
    raise ValueError(f"convolve: mode must be 'full', 'same' or 'valid', got {mode!r}")


def correlate(a: Any, v: Any, mode: Mode = "valid") -> Any:
    """Cross-correlation of two 1-D arrays (NumPy's ``correlate``, real inputs):
    c[k] = Σₙ a[n + k] v[n].

    >>> correlate(np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 0.5]))
    array([3.5])
    """
    a, v = _vector("correlate", a), _vector("correlate", v)
    if _shape(v)[0] > _shape(a)[0]:  # NumPy swaps the two and reverses the result
        return flip(convolve(v, flip(a, 0), mode), 0)
    return convolve(a, flip(v, 0), mode)


def interp(
    x: Any,
    xp: Any,
    fp: Any,
    left: Any = None,
    right: Any = None,
    period: float | None = None,
) -> Any:
    """Piecewise-linear interpolation (NumPy's ``interp``), differentiable in x, xp and fp.

    Inside [xp[0], xp[-1]] the slope in x is that of the segment x falls in; at a knot it
    is the segment to the right (the last segment at xp[-1]). Outside, the value is
    ``left``/``right`` (fp[0]/fp[-1] by default), constant in x.

    >>> interp(np.array([0.5, 2.5]), np.array([0.0, 1.0, 3.0]), np.array([0.0, 2.0, 3.0]))
    array([1.  , 2.75])
    """
    if period is not None:
        raise NotImplementedError(
            "interp: period= is not supported; wrap x and xp into one period yourself"
        )
    # NumPy's: integers in float64, since their differences would wrap around (uint8
    # 10 − 250 is 16)
    x, xp, fp = (integers_as_floats(v) for v in (x, xp, fp))
    xp, fp = _vector("interp", xp), _vector("interp", fp)
    if isinstance(x, Tensor) or isinstance(xp, Tensor):
        # the segments depend on a Tensor: taken from xp and fp by recorded gathers (an
        # array's own indexing would be frozen into a compiled plan)
        xp, fp = _recorded(xp), _recorded(fp)
    n = _shape(xp)[0]
    if _shape(fp)[0] != n:
        raise ValueError(f"interp: xp and fp have lengths {n} and {_shape(fp)[0]}; expected equal")
    left = fp[0] if left is None else left
    right = fp[-1] if right is None else right
    if n == 1:
        inside = fp[0] * np.ones_like(raw_data(x), dtype=np.result_type(raw_data(fp), 0.0))
    else:
        x0, x1 = xp[_segment(x, xp, 0)], xp[_segment(x, xp, 1)]
        y0, y1 = fp[_segment(x, xp, 0)], fp[_segment(x, xp, 1)]
        inside = y0 + (x - x0) * (y1 - y0) / (x1 - x0)
    return numpy_scalar(
        where(_outside(x, xp, "left"), left, where(_outside(x, xp, "right"), right, inside))
    )


def _recorded(a: Any) -> Any:
    """``a`` as a Tensor (a constant if it is an array), so its indexing is an op."""
    return a if isinstance(a, Tensor) else Tensor._make(a, -1)


# The segment each x falls in is read from the data by impure calls, so that a compiled
# plan finds it again on new inputs.
@impure
def _segment(x: Any, xp: Any, offset: int) -> np.ndarray:
    """The index of the knot at the start (offset 0) or end (offset 1) of x's segment."""
    knots = raw_data(xp)
    start = np.clip(np.searchsorted(knots, raw_data(x), "right") - 1, 0, len(knots) - 2)
    return start + offset


@impure
def _outside(x: Any, xp: Any, side: str) -> np.ndarray:
    knots = raw_data(xp)
    return raw_data(x) < knots[0] if side == "left" else raw_data(x) > knots[-1]


def polyval(p: Any, x: Any) -> Any:
    """The polynomial p[0]·x^(N−1) + ... + p[N−1] at x, by Horner's scheme (NumPy's
    ``polyval``); differentiable in the coefficients and in x.

    >>> polyval(np.array([1.0, 0.0, -1.0]), np.array([2.0, 3.0]))
    array([3., 8.])
    """
    if not hasattr(p, "shape") and not isinstance(p, list | tuple):
        raise TypeError(f"polyval: expected a sequence of coefficients, got {type(p).__name__}")
    plain_p = not isinstance(p, Tensor) and not any(isinstance(c, Tensor) for c in _items(p))
    if plain_p:  # NumPy's asarray(p) and asanyarray(x): a Python number is float64 here
        p = p if hasattr(p, "shape") else np.asarray(p)  # (a device's array stays on it)
        x = x if hasattr(x, "shape") else np.asarray(x)
    coefficients = [p[i] for i in range(len(p) if isinstance(p, list | tuple) else _shape(p)[0])]
    if not coefficients:
        return np.zeros_like(raw_data(x))  # NumPy's zeros_like(x), a 0-d array for a number
    result = x * 0 + coefficients[0]
    for c in coefficients[1:]:
        result = result * x + c
    return numpy_scalar(result)


def _items(p: Any) -> list[Any]:
    return list(p) if isinstance(p, list | tuple) else []

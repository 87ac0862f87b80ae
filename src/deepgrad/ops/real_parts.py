"""NumPy's complex-number functions on real inputs: ``real``, ``imag``, ``conj``, ``angle``.

deepgrad differentiates real-valued functions only; complex numbers are out of scope. On a
real array these functions are exact and differentiable (``real`` and ``conj`` are the
identity, ``imag`` and ``angle`` are constant in x), and a complex input raises a
``TypeError`` that says so, never a silently dropped imaginary part. Results have NumPy's
dtypes: ``imag`` of an integer array is integer zeros, ``conj`` of a boolean is int8,
``angle`` takes ``arctan2``'s float (float16 for int8). A number, a NumPy scalar, a list
or a tuple has nothing to differentiate: NumPy's own function gives the result, of
NumPy's type (a NumPy scalar for a NumPy scalar, an array for a list).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad.autodiff.effects import impure
from deepgrad.backend import array_module, numpy_scalar
from deepgrad.ops.elementwise import absolute
from deepgrad.ops.nondiff import cast
from deepgrad.ops.selection import where
from deepgrad.ops.shape import astype
from deepgrad.tensor import raw_data


def _dtype(x: Any) -> np.dtype:
    data = raw_data(x)
    return data.dtype if hasattr(data, "dtype") else np.asarray(data).dtype


def _require_real(name: str, x: Any) -> None:
    dtype = _dtype(x)
    if np.issubdtype(dtype, np.complexfloating):
        raise TypeError(
            f"{name}: got a complex input (dtype {dtype}, shape {np.shape(raw_data(x))}); "
            "deepgrad differentiates real-valued functions only, complex numbers are out of "
            "scope. Pass the real and imaginary parts as two real arrays."
        )


def _plain(x: Any) -> bool:
    """A number, a NumPy scalar, a list or a tuple: neither a Tensor nor an array."""
    return isinstance(x, int | float | np.generic | list | tuple)


def with_zero_slope(x: Any, values: Any) -> Any:
    """``values`` (constants) recorded as a function of ``x`` whose derivative is exactly 0,
    so the result stays in the graph and its zero gradient is the true one, not a dropped x.

    >>> with_zero_slope(np.array([1.0, -2.0]), 0.0)
    array([0., 0.])
    """
    xp = array_module(raw_data(x))
    shape = np.broadcast_shapes(np.shape(raw_data(x)), np.shape(values))
    if isinstance(values, np.ndarray):  # a host constant: on x's device
        values = xp.asarray(values)
    return where(xp.zeros(shape, dtype=bool), x, values)


def real(val: Any) -> Any:
    """The real part: ``val`` itself for a real input (complex inputs are refused).

    >>> real(np.array([1.5, -2.0]))
    array([ 1.5, -2. ])
    """
    _require_real("real", val)
    if _plain(val):  # NumPy's: the number's own (True.real is 1), an array for a list
        return np.real(val)
    return val


def real_if_close(a: Any, tol: float = 100) -> Any:
    """NumPy's ``real_if_close``: ``a`` itself for a real input.

    >>> real_if_close(np.array([1.0, 2.0]))
    array([1., 2.])
    """
    _require_real("real_if_close", a)
    if _plain(a):  # NumPy's: an array, 0-d for a number
        return np.real_if_close(a, tol)
    return a


def imag(val: Any) -> Any:
    """The imaginary part of a real input: zeros, with derivative exactly 0.

    >>> imag(np.array([1.5, -2.0]))
    array([0., 0.])
    """
    _require_real("imag", val)
    if _plain(val):  # NumPy's: the number's own (True.imag is the int 0), np.float32(0)
        return np.imag(val)
    return with_zero_slope(val, np.zeros((), dtype=_dtype(val)))


def conjugate(x: Any) -> Any:
    """The complex conjugate: ``x`` itself for a real input.

    >>> conjugate(np.array([1.0, -2.0]))
    array([ 1., -2.])
    """
    _require_real("conjugate", x)
    return _conjugate_of_real(x)


def conj(x: Any) -> Any:
    """The complex conjugate (NumPy's ``conj``): ``x`` itself for a real input.

    >>> conj(np.array([1.0, -2.0]))
    array([ 1., -2.])
    """
    _require_real("conj", x)
    return _conjugate_of_real(x)


def _conjugate_of_real(x: Any) -> Any:
    if _plain(x):  # a ufunc's result: a NumPy scalar for a number, an array for a list
        return np.conjugate(x)
    # NumPy's conjugate is a ufunc with no boolean loop: a boolean comes back as int8
    return numpy_scalar(cast(x, np.int8) if _dtype(x) == np.bool_ else x)


def angle(z: Any, deg: bool = False) -> Any:
    """The argument of a real number: 0 for z ≥ 0, π (or 180) for z < 0; derivative 0.

    >>> angle(np.array([2.0, -1.0]))
    array([0.        , 3.14159265])
    """
    _require_real("angle", z)
    if _plain(z):  # NumPy's: a NumPy scalar for a number, an array for a list
        return np.angle(z, deg=deg)
    return numpy_scalar(with_zero_slope(z, _angle(z, deg)))


@impure
def _angle(z: Any, deg: bool) -> np.ndarray:
    return np.angle(raw_data(z), deg=deg).astype(_angle_dtype(z))


def _angle_dtype(z: Any) -> np.dtype:
    """NumPy's: arctan2's float for ``z``'s dtype (float16 for int8, float64 for int64)."""
    return np.angle(np.zeros((), dtype=_dtype(z))).dtype


def fabs(x: Any) -> Any:
    """|x| as a float (NumPy's ``fabs``); the derivative at 0 is 0, as for ``absolute``.
    An integer or boolean input takes NumPy's float: the smallest that holds it exactly
    (float16 for int8 and bool, float32 for int16, float64 for int32 and int64).

    >>> fabs(np.array([-1, 2]))
    array([1., 2.])
    """
    _require_real("fabs", x)
    return absolute(astype(x, np.result_type(_dtype(x), np.float16)))

"""The array backend: which array module an op runs on, and the default floating dtype.

Ops ask for their array module with ``array_module(*arrays)`` and use only what NumPy
and CuPy share, so the same code runs on either. CuPy is never imported here: an
array is a CuPy array exactly when its type lives in the ``cupy`` module.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

_FLOAT_DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))
_default_float_dtype = np.dtype(np.float32)


_registered: dict[type, Any] = {}  # array type → its module, beyond NumPy's and CuPy's


def array_module(*arrays: Any) -> Any:
    """The array module of ``arrays``: ``cupy`` if one is a CuPy array, a registered
    module if one is of a registered type, else ``numpy``.

    This is the one place ops and the engine learn which module makes their arrays
    (``xp.zeros_like``, ``xp.asarray``...). Functions that dispatch on their arguments'
    type (NumPy's ufuncs and array functions: ``np.add``, ``np.sum``) need no ``xp``.

    >>> array_module(np.ones(2)).__name__
    'numpy'
    """
    for array in arrays:
        kind = type(array)
        module = _registered.get(kind)
        if module is not None:
            return module
        if kind.__module__.startswith("cupy"):
            return sys.modules["cupy"]
    return np


def register_array_module(array_type: type, module: Any) -> None:
    """Make ``array_module`` return ``module`` for arrays of ``array_type``.

    For a backend other than NumPy and CuPy; the tests register a guard backend that,
    as CuPy does, refuses implicit conversion to a NumPy array.
    """
    _registered[array_type] = module


def to_numpy(array: Any) -> np.ndarray:
    """``array`` as a NumPy array, copied from the device when it lives on one.

    >>> to_numpy(np.ones(2))
    array([1., 1.])
    """
    if hasattr(array, "shape") and hasattr(array, "get") and not isinstance(array, np.ndarray):
        return array.get()  # CuPy's (and the guard backend's) explicit transfer
    return np.asarray(array)


def numpy_scalar(result: Any) -> Any:
    """``result`` as NumPy's reductions return it: a 0-d NumPy array becomes its scalar
    (``np.median(x)`` is an ``np.float64``, not ``array(2.)``); anything else, a Tensor
    or a device array included, is returned as it is.

    >>> type(numpy_scalar(np.array(2.0))).__name__
    'float64'
    """
    if type(result) is np.ndarray and result.ndim == 0:
        return result[()]
    return result


def get_default_dtype() -> np.dtype:
    """The floating dtype given to tensors made from Python numbers (float32 by default).

    >>> get_default_dtype()
    dtype('float32')
    """
    return _default_float_dtype


def set_default_dtype(dtype: Any) -> None:
    """Set the floating dtype given to tensors made from Python numbers.

    >>> set_default_dtype("float64"); get_default_dtype()
    dtype('float64')
    >>> set_default_dtype("float32")
    """
    global _default_float_dtype
    dtype = np.dtype(dtype)
    if dtype not in _FLOAT_DTYPES:
        raise ValueError(
            f"set_default_dtype: expected one of float16, float32, float64, got {dtype}"
        )
    _default_float_dtype = dtype


def is_floating(dtype: Any) -> bool:
    """True for the floating and complex dtypes, the ones that can be differentiated."""
    return np.issubdtype(dtype, np.inexact)

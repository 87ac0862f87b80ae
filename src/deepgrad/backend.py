"""The array backend: which array module an op runs on, and the default floating dtype.

Ops ask for their array module with ``array_module(*arrays)`` and use only what NumPy
and CuPy share, so the same code runs on either. CuPy is never imported here: an
array is a CuPy array exactly when its type lives in the ``cupy`` module.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

import numpy as np

_FLOAT_DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))
_default_float_dtype = np.dtype(np.float32)


def array_module(*arrays: Any) -> ModuleType:
    """Return ``cupy`` if any of ``arrays`` is a CuPy array, else ``numpy``.

    >>> array_module(np.ones(2)).__name__
    'numpy'
    """
    for array in arrays:
        if type(array).__module__.startswith("cupy"):
            return sys.modules["cupy"]
    return np


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

"""``c += α·(a @ b)`` in one call to the BLAS NumPy itself uses, where it can be found.

NumPy's ``matmul`` asks BLAS for ``c = a @ b``: OpenBLAS then first writes zeros over all
of ``c`` (its β = 0 pass) and adds the product into them. A plain SGD step that computes a
weight's gradient this way, then runs ``w -= η·g``, makes two passes over arrays of the
weight's size that ``gemm(α = −η, β = 1)``, adding the product straight into the weights,
does not make (``docs/benchmarks.md``, "Plain SGD inside the products", measures it).

NumPy has no α or β, so this module calls ``cblas_?gemm`` by ctypes in the OpenBLAS that
NumPy's wheels ship (``scipy_openblas64_``: the same library NumPy has loaded, so the
same threads). Where that library is not there (another NumPy build) or fails a check of
its results against ``np.matmul`` made at first use, ``add_product`` returns False and
its callers keep NumPy's two steps: the feature is never needed for a right answer.
``DEEPGRAD_BLAS=0`` in the environment, or ``disabled()`` around a block, turns it off
(to compare both paths, or to get eager's bits from a compiled plain SGD step).

>>> import numpy as np
>>> c = np.ones((2, 2), np.float32)
>>> a = np.eye(2, dtype=np.float32)
>>> if not add_product(c, a, a, -0.5):  # no usable BLAS here: NumPy's two steps
...     c += np.float32(-0.5) * (a @ a)
>>> c
array([[0.5, 1. ],
       [1. , 0.5]], dtype=float32)
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
_UNSET: Any = object()
_gemm: Any = _UNSET  # {dtype: cblas function} once looked for, {} where none is usable
_enabled = os.environ.get("DEEPGRAD_BLAS", "1") != "0"


def add_product(c: np.ndarray, a: np.ndarray, b: np.ndarray, alpha: float) -> bool:
    """``c += alpha * (a @ b)`` in place by one BLAS call, and True; or False, with
    ``c`` untouched, where that call cannot be made: no usable BLAS, not three 2-D NumPy
    arrays of one float dtype (float32 or float64), ``c`` not a writable C-contiguous
    array, ``a`` or ``b`` neither C- nor F-contiguous, shapes that do not chain, an empty
    array, or ``c`` overlapping ``a`` or ``b``.
    """
    gemm = _usable().get(c.dtype) if type(c) is np.ndarray else None
    if (
        gemm is None
        or type(a) is not np.ndarray
        or type(b) is not np.ndarray
        or a.dtype != c.dtype
        or b.dtype != c.dtype
        or c.ndim != 2
        or a.ndim != 2
        or b.ndim != 2
        or not c.flags.c_contiguous
        or not c.flags.writeable
        or c.size == 0
        or a.shape[1] == 0
    ):
        return False
    (m, n), k = c.shape, a.shape[1]
    if a.shape[0] != m or b.shape != (k, n):
        return False
    layout_a, layout_b = _layout(a), _layout(b)
    if layout_a is None or layout_b is None:
        return False
    if np.may_share_memory(c, a) or np.may_share_memory(c, b):
        return False
    _call(gemm, c, a, b, alpha, layout_a, layout_b)
    return True


def _call(
    gemm: Callable,
    c: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    alpha: float,
    layout_a: tuple[int, int],
    layout_b: tuple[int, int],
) -> None:
    """``gemm`` on arrays ``add_product`` has checked, each operand passed as it is laid
    out (``_layout``: an F-contiguous one as its C-contiguous transpose, flagged)."""
    (m, n), k = c.shape, a.shape[1]
    (trans_a, lda), (trans_b, ldb) = layout_a, layout_b
    gemm(_ROW_MAJOR, trans_a, trans_b, m, n, k, alpha, _address(a), lda, _address(b), ldb,
         1.0, _address(c), n)  # fmt: skip


def _address(array: np.ndarray) -> int:
    """Where ``array``'s first element is. (``array.ctypes.data`` costs as much, but keeps
    a little memory for good: about 20 KB over 1,000 steps of a three-layer model.)"""
    return array.__array_interface__["data"][0]


def available(dtype: Any = None) -> bool:
    """Whether ``add_product`` can run here: for arrays of ``dtype``, or of any dtype.

    >>> available(np.int32)
    False
    """
    functions = _usable()
    return bool(functions) if dtype is None else np.dtype(dtype) in functions


def _usable() -> dict:
    """{dtype: gemm function} that may be called now: none while disabled."""
    if not _enabled:
        return {}
    return _gemm if _gemm is not _UNSET else _find_gemm()


@contextlib.contextmanager
def disabled() -> Iterator[None]:
    """No BLAS call inside the block: ``add_product`` returns False, ``available`` too.

    >>> with disabled():
    ...     available()
    False
    """
    global _enabled
    saved, _enabled = _enabled, False
    try:
        yield
    finally:
        _enabled = saved


def _layout(array: np.ndarray) -> tuple[int, int] | None:
    """(transpose flag, leading dimension) that describe ``array`` to a row-major BLAS."""
    if array.flags.c_contiguous:
        return _NO_TRANS, max(1, array.shape[1])
    if array.flags.f_contiguous:  # array.T is C-contiguous: pass it, transposed
        return _TRANS, max(1, array.shape[0])
    return None


def _find_gemm() -> dict:
    """Look for ``cblas_sgemm`` and ``cblas_dgemm`` in NumPy's own OpenBLAS, once."""
    global _gemm
    _gemm = {}
    for dtype, function in _load().items():
        if _agrees_with_matmul(function, dtype):
            _gemm[np.dtype(dtype)] = function
    return _gemm


def _load() -> dict:
    """The gemm functions of the scipy-openblas library shipped in NumPy's wheel (64-bit
    integers: ``USE64BITINT``), or nothing where NumPy was built against another BLAS."""
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]  # type: ignore[index]
    except Exception:  # an old NumPy, or a build that reports no configuration
        return {}
    if blas.get("name") != "scipy-openblas" or "USE64BITINT" not in str(
        blas.get("openblas configuration", "")
    ):
        return {}
    folder = os.path.dirname(os.path.dirname(np.__file__))
    patterns = [
        os.path.join(folder, "numpy.libs", "libscipy_openblas64_*"),  # Linux, Windows
        os.path.join(os.path.dirname(np.__file__), ".dylibs", "libscipy_openblas64_*"),  # macOS
    ]
    paths = sorted(p for pattern in patterns for p in glob.glob(pattern))
    if len(paths) != 1 or not sys.platform.startswith(("linux", "darwin")):
        return {}
    try:
        library = ctypes.CDLL(paths[0])  # already loaded by NumPy: the same handle
        functions = {
            np.float32: library.scipy_cblas_sgemm64_,
            np.float64: library.scipy_cblas_dgemm64_,
        }
    except (OSError, AttributeError):
        return {}
    for dtype, function in functions.items():
        scalar = ctypes.c_float if dtype is np.float32 else ctypes.c_double
        size, pointer, flag = ctypes.c_int64, ctypes.c_void_p, ctypes.c_int
        function.argtypes = [flag, flag, flag, size, size, size, scalar, pointer, size,
                             pointer, size, scalar, pointer, size]  # fmt: skip
        function.restype = None
    return functions


def _agrees_with_matmul(function: Callable, dtype: Any) -> bool:
    """Whether ``function`` gives ``c + α·(a @ b)`` for every layout ``add_product`` uses
    (a check made once: a library that answers otherwise is never called again)."""
    rng = np.random.default_rng(0)
    for order_a in ("C", "F"):
        for order_b in ("C", "F"):
            a = np.asarray(rng.standard_normal((5, 3)), dtype, order=order_a)
            b = np.asarray(rng.standard_normal((3, 4)), dtype, order=order_b)
            c = np.asarray(rng.standard_normal((5, 4)), dtype)
            expected = c + dtype(-0.25) * (a @ b)
            _call(function, c, a, b, -0.25, _layout(a), _layout(b))  # type: ignore[arg-type]
            if not np.allclose(c, expected, rtol=1e-5, atol=1e-6):
                return False
    return True

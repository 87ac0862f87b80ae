"""The BLAS calls deepgrad makes itself: ``c += α·(a @ b)`` in one call, and, on request,
every matrix product in Intel MKL.

**One call for c += α·(a @ b).** NumPy's ``matmul`` asks BLAS for ``c = a @ b``: OpenBLAS
then first writes zeros over all of ``c`` (its β = 0 pass) and adds the product into
them. A plain SGD step that computes a weight's gradient this way, then runs
``w -= η·g``, makes two passes over arrays of the weight's size that ``gemm(α = −η,
β = 1)``, adding the product straight into the weights, does not make
(``docs/benchmarks.md``, "Plain SGD inside the products", measures it). NumPy has no α or
β, so ``add_product`` calls ``cblas_?gemm`` by ctypes, by default in the OpenBLAS that
NumPy's wheels ship (``scipy_openblas64_``: the same library NumPy has loaded, so the same
threads). Where that library is not there (another NumPy build) or fails a check of its
results against ``np.matmul`` made at first use, ``add_product`` returns False and its
callers keep NumPy's two steps: the feature is never needed for a right answer.

**Intel MKL, on request.** ``DEEPGRAD_BLAS=mkl`` in the environment (MKL from
``pip install "deepgrad[mkl]"``, x86-64 only) makes every 2-D float32 or float64 product
of deepgrad's ``matmul`` (``product``; eager and compiled alike, so both keep the same
bits) and ``add_product`` call MKL's ``cblas_?gemm`` instead. At the shapes of the
benchmark suite's medium and deep networks MKL multiplies 10–40% faster than NumPy's
OpenBLAS on the development machine, most of all a weight's gradient ``aᵀ @ δ``
(``docs/benchmarks.md``, "Intel MKL for the products"). Its results differ from
OpenBLAS's in the last bits (a different order of additions), so it is a choice, not a
default. Products it cannot take (batched, 1-D, integer, strided operands) and small ones
stay NumPy's.
MKL's threads: ``MKL_NUM_THREADS`` or ``OMP_NUM_THREADS``, else one per core. deepgrad
asks MKL for its strict reproducible mode (unless ``MKL_CBWR`` is set), so that a product's
bits do not depend on where its arrays lie in memory.

``use("mkl")`` makes the same choice after import (in a notebook, say).
``DEEPGRAD_BLAS=0``, or ``disabled()`` around a block, makes no BLAS call here at all (to
compare both paths, or to get eager's bits from a compiled plain SGD step); the default,
``DEEPGRAD_BLAS=1``, uses NumPy's OpenBLAS for ``add_product`` and ``np.matmul`` for
every product.

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
import ctypes.util
import glob
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
# ``product`` leaves smaller products (m·k·n multiply-adds) to NumPy: a call by ctypes costs
# 8–12 µs on the development machine, where NumPy multiplies 8 × 8 by 8 × 8 in 1.3 µs and
# 64 × 128 by 128 × 10 in 4.3; at 64 × 128 by 128 × 128 (2^20) MKL's call took 33–36 µs
# and NumPy's 36. Which library multiplies depends on the shapes alone, so eager and
# compiled steps still agree bit for bit.
MIN_PRODUCT_WORK = 1 << 20
_MKL_CBWR_AUTO, _MKL_CBWR_STRICT = 2, 0x10000  # mkl_cbwr.h
_CHOICES = {"0": None, "1": "openblas", "mkl": "mkl"}  # DEEPGRAD_BLAS -> the library
_CHOICES_TEXT = (
    "expected 0 (no BLAS call of deepgrad's own), 1 (NumPy's OpenBLAS, the default) or mkl "
    "(Intel MKL for every product)"
)
_choice = os.environ.get("DEEPGRAD_BLAS", "1").strip().lower() or "1"
_enabled = _choice != "0"
# {library: {dtype: (gemm function, largest dimension it takes)}}, each looked for once
_found: dict[str, dict] = {}


def add_product(c: np.ndarray, a: np.ndarray, b: np.ndarray, alpha: float) -> bool:
    """``c += alpha * (a @ b)`` in place by one BLAS call, and True; or False, with
    ``c`` untouched, where that call cannot be made: no usable BLAS, not three 2-D NumPy
    arrays of one float dtype (float32 or float64), ``c`` not a writable C-contiguous
    array, ``a`` or ``b`` neither C- nor F-contiguous, shapes that do not chain, an empty
    array, or ``c`` overlapping ``a`` or ``b``.
    """
    gemm = _usable().get(c.dtype) if type(c) is np.ndarray else None
    if gemm is None:
        return False
    layouts = _layouts(gemm, a, b, c.dtype)
    if layouts is None or not _takes_result(c, a, b):
        return False
    _call(gemm[0], c, a, b, alpha, 1.0, *layouts)
    return True


def routes_products() -> bool:
    """Whether deepgrad's ``matmul`` asks ``product`` first: ``DEEPGRAD_BLAS=mkl``, and
    not inside ``disabled()``.

    >>> with disabled():
    ...     routes_products()
    False
    """
    if _choice == "mkl":
        return _enabled
    if _choice not in _CHOICES:  # a mistyped value fails at the first product, not later
        _library_name()
    return False


def product(a: Any, b: Any, out: Any = None) -> np.ndarray | None:
    """``a @ b`` by one call to the BLAS ``DEEPGRAD_BLAS`` chose, into ``out`` (a new
    array if None); or None, with ``out`` untouched, where one call cannot compute it:
    operands that are not two 2-D NumPy arrays of one float dtype, each C- or
    F-contiguous, with a nonzero inner dimension; an ``out`` that is not a writable
    C-contiguous array of the result's shape and dtype, or overlaps an operand; and
    products of fewer than ``MIN_PRODUCT_WORK`` multiply-adds, which NumPy does faster
    than a ctypes call.

    Raises RuntimeError where ``DEEPGRAD_BLAS=mkl`` but MKL cannot be loaded.
    """
    gemm = _usable().get(a.dtype) if type(a) is np.ndarray else None
    if gemm is None:
        return None
    layouts = _layouts(gemm, a, b, a.dtype)
    if layouts is None or a.shape[0] * a.shape[1] * b.shape[1] < MIN_PRODUCT_WORK:
        return None
    if out is None:
        out = np.empty((a.shape[0], b.shape[1]), a.dtype)
    elif not _takes_result(out, a, b):
        return None
    _call(gemm[0], out, a, b, 1.0, 0.0, *layouts)
    return out


def _layouts(gemm: tuple, a: Any, b: Any, dtype: np.dtype) -> tuple | None:
    """(layout of a, layout of b) for operands one gemm call takes, else None."""
    if (
        type(a) is not np.ndarray
        or type(b) is not np.ndarray
        or a.dtype != dtype
        or b.dtype != dtype
        or a.ndim != 2
        or b.ndim != 2
        or a.shape[1] != b.shape[0]
        or a.size == 0
        or b.size == 0
        or max(a.shape[0], a.shape[1], b.shape[1]) > gemm[1]
    ):
        return None
    layout_a, layout_b = _layout(a), _layout(b)
    if layout_a is None or layout_b is None:
        return None
    return layout_a, layout_b


def _takes_result(c: Any, a: np.ndarray, b: np.ndarray) -> bool:
    """Whether one gemm call may write ``a @ b`` into ``c`` (operands already checked by
    ``_layouts``): a writable C-contiguous array of the product's shape and dtype that
    overlaps neither operand."""
    return (
        type(c) is np.ndarray
        and c.shape == (a.shape[0], b.shape[1])
        and c.dtype == a.dtype
        and c.flags.c_contiguous
        and c.flags.writeable
        and not np.may_share_memory(c, a)
        and not np.may_share_memory(c, b)
    )


def _call(
    gemm: Callable,
    c: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    alpha: float,
    beta: float,
    layout_a: tuple[int, int],
    layout_b: tuple[int, int],
) -> None:
    """``c = α·(a @ b) + β·c`` by ``gemm`` on arrays already checked, each operand passed
    as it is laid out (``_layout``: an F-contiguous one as its C-contiguous transpose,
    flagged)."""
    (m, n), k = c.shape, a.shape[1]
    (trans_a, lda), (trans_b, ldb) = layout_a, layout_b
    gemm(_ROW_MAJOR, trans_a, trans_b, m, n, k, alpha, _address(a), lda, _address(b), ldb,
         beta, _address(c), n)  # fmt: skip


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


def backend() -> str | None:
    """The BLAS deepgrad calls itself: ``"openblas"`` (NumPy's own, the default), ``"mkl"``
    (``DEEPGRAD_BLAS=mkl``), or None (turned off, or none usable here).

    >>> with disabled():
    ...     backend() is None
    True
    """
    return _library_name() if _usable() else None


def _usable() -> dict:
    """{dtype: (gemm function, largest dimension)} that may be called now: none while
    disabled."""
    if not _enabled:
        return {}
    name = _library_name()
    found = _found.get(name)
    return found if found is not None else _find(name)


def use(choice: str) -> None:
    """Choose the BLAS from now on, as ``DEEPGRAD_BLAS`` does when deepgrad is imported:
    ``"0"`` (no BLAS call of deepgrad's own), ``"1"`` (NumPy's OpenBLAS, the default) or
    ``"mkl"``. For a notebook, where setting the environment after ``import deepgrad`` does
    nothing. ``"mkl"`` loads and checks MKL now, and raises (changing nothing) where it
    cannot. A compiled plain SGD step follows the choice at its next call.

    >>> previous = _choice
    >>> use("0"); backend() is None
    True
    >>> use(previous)
    """
    global _choice, _enabled
    text = str(choice).strip().lower()
    if text not in _CHOICES:
        raise ValueError(f"blas.use({choice!r}): " + _CHOICES_TEXT)
    if text == "mkl" and "mkl" not in _found:
        _find("mkl")  # raises where MKL cannot be loaded, before anything changes
    _choice, _enabled = text, text != "0"


def _library_name() -> str:
    if _choice not in _CHOICES:
        raise ValueError(f"DEEPGRAD_BLAS={_choice!r}: " + _CHOICES_TEXT)
    return _CHOICES[_choice] or "openblas"


@contextlib.contextmanager
def disabled() -> Iterator[None]:
    """No BLAS call inside the block: ``add_product`` returns False, ``available`` too,
    and every product is NumPy's.

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


def _find(name: str) -> dict:
    """Load library ``name``'s gemm functions and check them against ``np.matmul``, once."""
    functions = _load_mkl() if name == "mkl" else _load_openblas()
    found = {
        np.dtype(dtype): entry
        for dtype, entry in functions.items()
        if _agrees_with_matmul(entry[0], dtype)
    }
    if name == "mkl" and len(found) != len(functions):
        raise RuntimeError(
            "DEEPGRAD_BLAS=mkl: MKL's cblas_?gemm disagreed with np.matmul in deepgrad's "
            "check of its results; unset DEEPGRAD_BLAS to multiply with NumPy"
        )
    _found[name] = found
    return found


def _load_openblas() -> dict:
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
    return _declare(functions, ctypes.c_int64)


def mkl_paths() -> list[str]:
    """Where Intel MKL's single dynamic library (``libmkl_rt``) may be loaded from, in the
    order tried: the ``mkl`` package's wheel (in this environment's prefix), then the
    system's; empty where MKL is not installed.

    >>> isinstance(mkl_paths(), list)
    True
    """
    candidates = sorted(
        path
        for folder in {sys.prefix, sys.base_prefix}
        for pattern in ("lib/libmkl_rt.so*", "lib/libmkl_rt*.dylib", "Library/bin/mkl_rt*.dll")
        for path in glob.glob(os.path.join(folder, pattern))
    )
    system = ctypes.util.find_library("mkl_rt")
    return [*candidates, *([system] if system else [])]


def _load_mkl() -> dict:
    """The gemm functions of the first of ``mkl_paths()`` that loads; RuntimeError where
    none does."""
    errors = []
    for path in mkl_paths():
        try:
            library = ctypes.CDLL(path)
            # LP64 (32-bit integers), or ILP64 where MKL_INTERFACE_LAYER asks for it; the
            # call returns the interface MKL will use (bit 0: ILP64; bit 1: GNU's Fortran
            # conventions, which the C interface does not see), negative on an error.
            wanted = 1 if "ILP64" in os.environ.get("MKL_INTERFACE_LAYER", "").upper() else 0
            layer = library.MKL_Set_Interface_Layer(wanted)
            functions = {np.float32: library.cblas_sgemm, np.float64: library.cblas_dgemm}
        except (OSError, AttributeError) as error:
            errors.append(f"{path}: {error}")
            continue
        if layer < 0:
            errors.append(f"{path}: MKL_Set_Interface_Layer({wanted}) failed ({layer})")
            continue
        if "MKL_CBWR" not in os.environ:  # (the user's own setting stands)
            # Conditional numerical reproducibility, strict: the same bits whatever the
            # arrays' alignment, so an eager step (new arrays) and a compiled one (buffers
            # allocated once) agree. It must be set before MKL's first computation; it
            # fails harmlessly where something else used MKL first.
            library.MKL_CBWR_Set(_MKL_CBWR_AUTO | _MKL_CBWR_STRICT)
        return _declare(functions, ctypes.c_int64 if layer & 1 else ctypes.c_int)
    raise RuntimeError(
        "DEEPGRAD_BLAS=mkl: Intel MKL's runtime library (libmkl_rt) "
        + ("could not be loaded: " + "; ".join(errors) if errors else "was not found")
        + '. Install it with pip install "deepgrad[mkl]" (x86-64), or unset DEEPGRAD_BLAS'
    )


def _declare(functions: dict, size: Any) -> dict:
    """{dtype: (function, largest dimension)}, each function's C signature declared, with
    ``size`` the library's integer type."""
    declared = {}
    for dtype, function in functions.items():
        scalar = ctypes.c_float if dtype is np.float32 else ctypes.c_double
        pointer, flag = ctypes.c_void_p, ctypes.c_int
        function.argtypes = [flag, flag, flag, size, size, size, scalar, pointer, size,
                             pointer, size, scalar, pointer, size]  # fmt: skip
        function.restype = None
        declared[dtype] = (function, 2 ** (8 * ctypes.sizeof(size) - 1) - 1)
    return declared


def _agrees_with_matmul(function: Callable, dtype: Any) -> bool:
    """Whether ``function`` gives ``c + α·(a @ b)`` (``add_product``) and ``a @ b``
    (``product``) for every layout they pass (a check made once: a library that answers
    otherwise is never called again)."""
    rng = np.random.default_rng(0)
    for order_a in ("C", "F"):
        for order_b in ("C", "F"):
            a = np.asarray(rng.standard_normal((5, 3)), dtype, order=order_a)
            b = np.asarray(rng.standard_normal((3, 4)), dtype, order=order_b)
            for alpha, beta in ((-0.25, 1.0), (1.0, 0.0)):
                c = np.asarray(rng.standard_normal((5, 4)), dtype)
                expected = beta * c + dtype(alpha) * (a @ b)
                _call(function, c, a, b, alpha, beta, _layout(a), _layout(b))  # type: ignore[arg-type]
                if not np.allclose(c, expected, rtol=1e-5, atol=1e-6):
                    return False
    return True

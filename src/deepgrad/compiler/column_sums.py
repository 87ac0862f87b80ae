"""A plan's column sums (the bias gradients) by a loop that adds NumPy's way.

Every dense layer's bias gradient is ``sum(g, axis=(0,))`` of a (batch, units) array: the
backward pass of the broadcast ``x @ W + b``. NumPy's reduction costs 4–6 µs at the sizes
of an MLP's batch, most of it set-up (``python benchmarks/plan_kernels.py``). A numba loop
does it in 0.6–1.6 µs (so does the same loop in C, ``native_loops.c``, which runs
where it can be built), and gives the same bits: for a C-contiguous 2-D array with at
least two columns, NumPy starts from the first row and adds the rows one after another,
in row order, which is what ``add_rows`` does. (With one column the array is one
contiguous run and NumPy sums it pairwise; those sums stay NumPy's, as do strided,
integer and empty arrays.) ``tests/compiler/test_column_sums.py`` compares the bits.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from deepgrad import kernels as fused
from deepgrad import native_loops
from deepgrad.autodiff.primitive import _sum_impl
from deepgrad.compiler.recorder import ArraySpec, Call, Recorder, Slot


def add_rows(a, out):
    """out[j] = a[0, j] + a[1, j] + ... in row order (NumPy's order for axis 0)."""
    rows, columns = a.shape
    for j in range(columns):
        out[j] = a[0, j]
    for i in range(1, rows):
        for j in range(columns):
            out[j] += a[i, j]


@functools.cache
def _kernel() -> Callable:
    return fused.numba_kernel(add_rows)  # arrays only: no float to cast


def column_sum(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``np.sum(a, axis=(0,), out=out)`` for 2-D ``a``, bit for bit; by the C loop
    (``native_loops``) or the numba loop where it applies (see the module docstring), else
    by NumPy.

    >>> column_sum(np.array([[1.0, 2.0], [3.0, 4.0]]))
    array([4., 6.])
    """
    if out is None:
        out = np.empty(a.shape[1:], a.dtype)
    if _fits(a, out):
        loops = native_loops.module()
        if loops is not None and out.flags.c_contiguous:  # (numba's loop takes strides)
            loops.column_sum(a, out)
            return out
        if fused.enabled():
            _kernel()(a, out)
            return out
    return np.sum(a, axis=(0,), out=out)


def _fits(a: np.ndarray, out: np.ndarray) -> bool:
    """Checked on every call (a replay may meet a strided array the recording did not)."""
    return (
        type(a) is np.ndarray
        and type(out) is np.ndarray
        and a.ndim == 2
        and a.shape[0] > 0
        and a.shape[1] > 1
        and a.dtype.char in "fd"
        and a.flags.c_contiguous
        and out.dtype is a.dtype
        and out.shape == a.shape[1:]
    )


_COLUMN_SUM_KWARGS = {"axis": (0,), "keepdims": False, "dtype": None}


def sum_columns(calls: list[Call], recorder: Recorder) -> list[Call]:
    """The calls with each ``sum(a, axis=(0,))`` of a 2-D float array that was
    C-contiguous when recorded (with two or more columns) made a ``column_sum`` call."""
    if not (fused.enabled() or native_loops.coming()):
        return calls
    rewritten = []
    for call in calls:
        if _is_column_sum(call, recorder):
            call = dataclasses.replace(call, func=column_sum, name="column_sum", kwargs={})
        rewritten.append(call)
    return rewritten


def _is_column_sum(call: Call, recorder: Recorder) -> bool:
    if call.func is not _sum_impl or call.kwargs != _COLUMN_SUM_KWARGS or len(call.args) != 1:
        return False
    (source,) = call.args
    if not isinstance(source, Slot) or call.out is None:
        return False
    spec: Any = recorder.slot_values[source.index]
    result = call.result
    return (
        isinstance(spec, ArraySpec)
        and spec.ndim == 2
        and spec.shape[0] > 0
        and spec.shape[1] > 1
        and spec.dtype in (np.float32, np.float64)
        and spec.c_contiguous
        and type(result) is np.ndarray
        and result.shape == spec.shape[1:]
        and result.dtype == spec.dtype
    )

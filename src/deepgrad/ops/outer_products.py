"""``x @ y`` with an inner dimension of one: an outer product, which BLAS does slowly.

A dense layer with one output unit (a regressor's last layer) sends its gradient back to
the hidden layer as ``g @ Wᵀ``, a (batch, 1) @ (1, units) product. OpenBLAS takes 23 µs for
it at (200, 1) @ (1, 100), as long as a (200, 50) @ (50, 100) product with fifty times the
arithmetic; NumPy's broadcast multiply takes 8 µs and a numba loop 2
(``python benchmarks/plan_kernels.py``); the same loop in C (``native_loops.c``) runs
where it can be built, else numba's. The loop computes ``x[i, 0] · y[0, j] + 0``,
which is what the product computes: one term, added to a zero, so that a −0 term gives
+0 as in BLAS (a multiply alone would leave −0). The bits are the same
(``tests/ops/test_outer_products.py``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from deepgrad import kernels as fused
from deepgrad import native_loops

_ZERO = np.float32(0)  # float32's zero widens nothing (see compiler/fusion.py)


def outer_rows(x, y, out):
    """out[i, j] = x[i, 0] · y[0, j] + 0 for 2-D x (n, 1) and y (1, m)."""
    for i in range(out.shape[0]):
        xi = x[i, 0]
        for j in range(out.shape[1]):
            out[i, j] = xi * y[0, j] + _ZERO


@functools.cache
def _kernel() -> Callable:
    return fused.numba_kernel(outer_rows)  # arrays only: no float to cast


def fits(x: np.ndarray, y: np.ndarray, out: np.ndarray | None) -> bool:
    """Two 2-D NumPy float arrays of one dtype, (n, 1) and (1, m), and an ``out`` (if
    any) of shape (n, m) and that dtype that may overlap neither."""
    return (
        type(x) is np.ndarray
        and type(y) is np.ndarray
        and x.ndim == 2
        and y.ndim == 2
        and x.shape[1] == 1
        and y.shape[0] == 1
        and x.dtype is y.dtype
        and x.dtype.char in "fd"
        and (
            out is None
            or (
                type(out) is np.ndarray
                and out.shape == (x.shape[0], y.shape[1])
                and out.dtype is x.dtype
                and not np.may_share_memory(out, x)
                and not np.may_share_memory(out, y)
            )
        )
        and (fused.enabled() or native_loops.module() is not None)
    )


def outer_matmul(x: np.ndarray, y: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``np.matmul(x, y, out=out)`` for arrays that ``fits`` takes, bit for bit.

    >>> outer_matmul(np.array([[1.0], [-0.0]]), np.array([[2.0, 3.0]]))
    array([[2., 3.],
           [0., 0.]])
    """
    if out is None:
        out = np.empty((x.shape[0], y.shape[1]), x.dtype)
    loops = native_loops.module()
    if (
        loops is not None
        and x.flags.c_contiguous
        and y.flags.c_contiguous
        and out.flags.c_contiguous
    ):
        loops.outer(x, y, out)
    elif fused.enabled():  # numba's loop takes strided arrays too
        _kernel()(x, y, out)
    else:
        np.matmul(x, y, out=out)
    return out

"""The fourth executor of an elementwise rule: a C loop over the flat buffer, generated from
the same trace as the NumPy plan and the CUDA kernel, built by the machine's C compiler
(``deepgrad/native.py``) and called through ctypes.

The loop body is the CUDA kernel's (``cuda_kernels.kernel_source``: one line of C per
traced operation, in the same order, over the buffer's type ``T``), between a load of each
array's element into a local of the argument's name and a store of each updated one:

.. code-block:: c

    void deepgrad_adam_float32(size_t dg_n, const T *dg_gradient, T *dg_parameter, T *dg_m,
                               T *dg_v, T step_size, ...) {
        for (size_t dg_i = 0; dg_i < dg_n; dg_i++) {
            T gradient = dg_gradient[dg_i];
            T parameter = dg_parameter[dg_i]; ...
            T dg_t0 = gradient - m; ...
            dg_parameter[dg_i] = parameter; ...
        }
    }

Each array is read once and written once per step, as numba's loop does, and the compiler
vectorises the loop. The arithmetic is IEEE's in ``T`` (float or double) with no fused
multiply-add, and the helpers keep NumPy's NaN and signed-zero semantics, so the loop gives
the NumPy plan's bits; ``tests/optimizers/test_c_kernels.py`` checks that for every rule,
every combination of its flags, in float32 and float64.
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np

from deepgrad import native
from deepgrad.optimizers.cuda_kernels import KernelSource

# A buffer's dtype -> its C type, the suffix of C's float functions for it, ctypes' type.
_TYPES = {
    np.dtype(np.float32): ("float", "f", ctypes.c_float),
    np.dtype(np.float64): ("double", "", ctypes.c_double),
}

# NumPy's semantics for the operations C spells differently (as cuda_kernels.PREAMBLE).
_PREAMBLE = """\
#include <math.h>
#include <stddef.h>
typedef {ctype} T;
static inline T dg_maximum(T a, T b) {{ return (a != a || a > b) ? a : b; }}
static inline T dg_minimum(T a, T b) {{ return (a != a || a < b) ? a : b; }}
static inline T dg_sign(T a) {{
    return a > (T)0 ? (T)1 : (a < (T)0 ? (T)-1 : (a == (T)0 ? (T)0 : a));
}}
static inline T dg_absolute(T a) {{ return fabs{suffix}(a); }}
static inline T dg_sqrt(T a) {{ return sqrt{suffix}(a); }}
"""


# Below this many elements the C loop is not worth its call: ctypes' call and the arrays'
# pointers cost about 8 µs, as much as the NumPy plan's whole Adam update at 4,096 to
# 5,605 float32 (9.3 and 9.8 µs against 9.5 and 10.8), where numba's kernel, once
# started, takes 3.2-3.4 µs; at 16,384 the loop takes 11.6 µs, the plan 20.1
# (docs/optimizer-kernels.md).
MIN_SIZE = 1 << 13


def supports(dtype: np.dtype) -> bool:
    """Whether a C loop is generated for buffers of ``dtype`` (float32 and float64)."""
    return dtype in _TYPES


def _names(params: str) -> list[str]:
    """``"T gradient, T rate"`` -> ``["gradient", "rate"]``."""
    return [part.split(" ")[1] for part in params.split(", ")] if params else []


def c_source(kernel: KernelSource, dtype: np.dtype) -> tuple[str, str]:
    """The C source of the loop for ``kernel`` over buffers of ``dtype``, and its function's
    name.

    >>> from deepgrad.optimizers.elementwise import _trace
    >>> from deepgrad.optimizers.cuda_kernels import kernel_source
    >>> def sgd(gradient, parameter, learning_rate):
    ...     return parameter - learning_rate * gradient
    >>> steps, outputs = _trace(sgd, 1, [None, None, None])
    >>> names = ["gradient", "parameter", "learning_rate"]
    >>> source, name = c_source(kernel_source("sgd", steps, outputs, names, {}, 1),
    ...                         np.dtype(np.float32))
    >>> name
    'deepgrad_sgd_float32'
    >>> print(source.split("\\n\\n")[1])
    void deepgrad_sgd_float32(size_t dg_n, const T *dg_gradient, T *dg_parameter, T learning_rate) {
        for (size_t dg_i = 0; dg_i < dg_n; dg_i++) {
            T gradient = dg_gradient[dg_i];
            T parameter = dg_parameter[dg_i];
            T dg_t0 = learning_rate * gradient;
            T dg_t1 = parameter - dg_t0;
            parameter = dg_t1;
            dg_parameter[dg_i] = parameter;
        }
    }
    """
    ctype, suffix, _ = _TYPES[dtype]
    inputs, updated = _names(kernel.in_params), _names(kernel.out_params)
    gradient, scalars = inputs[0], inputs[1:]
    name = f"{kernel.name}_{dtype.name}"
    parameters = ", ".join(
        ["size_t dg_n", f"const T *dg_{gradient}"]
        + [f"T *dg_{array}" for array in updated]
        + [f"T {scalar}" for scalar in scalars]
    )
    body = [f"T {array} = dg_{array}[dg_i];" for array in (gradient, *updated)]
    body += kernel.operation.splitlines()
    body += [f"dg_{array}[dg_i] = {array};" for array in updated]
    loop = "\n".join(f"        {line}" for line in body)
    function = (
        f"void {name}({parameters}) {{\n"
        "    for (size_t dg_i = 0; dg_i < dg_n; dg_i++) {\n"
        f"{loop}\n"
        "    }\n"
        "}\n"
    )
    return _PREAMBLE.format(ctype=ctype, suffix=suffix) + "\n" + function, name


class CKernel:
    """A rule's C loop for one combination of its flags and one dtype, loaded: call it with
    the gradient, the updated arrays (written in place) and the scalars (flags left out),
    all checked by the caller (``Rule._c_kernel_fits``): NumPy arrays of this dtype, one
    shape, C-contiguous."""

    def __init__(self, kernel: KernelSource, dtype: np.dtype) -> None:
        source, name = c_source(kernel, dtype)
        _, _, scalar_type = _TYPES[dtype]
        arrays = 1 + len(_names(kernel.out_params))
        scalars = len(_names(kernel.in_params)) - 1
        argtypes = [ctypes.c_size_t] + [ctypes.c_void_p] * arrays + [scalar_type] * scalars
        self.function = native.load(source, name, argtypes)
        self.source = source

    def __call__(self, gradient: np.ndarray, arrays: tuple, scalars: list[Any]) -> None:
        self.function(
            gradient.size,
            gradient.ctypes.data,
            *[array.ctypes.data for array in arrays],
            *scalars,
        )

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
import hashlib
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


# Below this many elements a C loop called through ctypes is not worth its call: ctypes'
# call and the arrays' pointers cost about 8 µs, as much as the NumPy plan's whole Adam
# update at 4,096 to 5,605 float32 (9.3 and 9.8 µs against 9.5 and 10.8), where numba's
# kernel, once started, takes 3.2-3.4 µs; at 16,384 the loop takes 11.6 µs, the plan 20.1
# (docs/optimizer-kernels.md). Built as a Python extension module instead (where Python's
# headers are installed), the call costs under a microsecond and the loop runs at any size.
MIN_SIZE = 1 << 13


def min_size() -> int:
    """The fewest elements the C loop runs on: any number where its module can be built
    (``native.python_headers``), else ``MIN_SIZE`` (ctypes).

    >>> min_size() in (1, MIN_SIZE)
    True
    """
    return 1 if native.python_headers() is not None else MIN_SIZE


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


# A Python extension module around the loop (``module_source``): it takes the arrays
# themselves through the buffer protocol, checks them (dtype, size, contiguity, writable,
# no two overlapping) and calls the loop, in about 0.3 µs where ctypes takes 8.
_MODULE = """\
#define PY_SSIZE_T_CLEAN
#include <Python.h>
{loop}
static int dg_take(PyObject *object, Py_buffer *view, int writable) {{
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    const char *expected = writable ? "{rule}: expected C-contiguous, writable {dtype} arrays"
                                    : "{rule}: expected a C-contiguous {dtype} gradient";
    if (PyObject_GetBuffer(object, view, flags) < 0) {{
        PyErr_SetString(PyExc_ValueError, expected);
        return -1;
    }}
    const char *format = view->format ? view->format : "B";
    if (format[0] == '@' || format[0] == '=') format++;
    if (format[0] != '{format}' || format[1] != '\\0' || view->itemsize != sizeof(T)) {{
        PyBuffer_Release(view);
        PyErr_SetString(PyExc_ValueError, expected);
        return -1;
    }}
    return 0;
}}

static int dg_overlap(const Py_buffer *a, const Py_buffer *b) {{
    const char *a0 = a->buf, *b0 = b->buf;
    return a->len && b->len && a0 < b0 + b->len && b0 < a0 + a->len;
}}

static PyObject *dg_run(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {{
    enum {{ ARRAYS = {arrays}, SCALARS = {scalars} }};
    Py_buffer views[ARRAYS];
    T scalars[SCALARS + 1];
    PyObject *result = NULL;
    int taken = 0;
    if (nargs != ARRAYS + SCALARS) {{
        PyErr_Format(PyExc_TypeError, "{rule} takes %d arguments, got %zd", ARRAYS + SCALARS,
                     nargs);
        return NULL;
    }}
    for (int k = 0; k < SCALARS; k++) {{
        double value = PyFloat_AsDouble(args[ARRAYS + k]);
        if (value == -1.0 && PyErr_Occurred()) return NULL;
        scalars[k] = (T)value;
    }}
    for (; taken < ARRAYS; taken++)
        if (dg_take(args[taken], &views[taken], taken > 0) < 0) goto done;
    for (int k = 1; k < ARRAYS; k++) {{
        if (views[k].len != views[0].len) {{
            PyErr_SetString(PyExc_ValueError, "{rule}: the arrays must be of one size");
            goto done;
        }}
    }}
    for (int k = 0; k < ARRAYS; k++) {{
        for (int l = 0; l < k; l++) {{
            if (dg_overlap(&views[k], &views[l])) {{
                PyErr_SetString(PyExc_ValueError, "{overlap}");
                goto done;
            }}
        }}
    }}
    Py_BEGIN_ALLOW_THREADS
    {function}((size_t)(views[0].len / sizeof(T)), {call_arguments});
    Py_END_ALLOW_THREADS
    result = Py_None;
    Py_INCREF(result);
done:
    for (int k = 0; k < taken; k++) PyBuffer_Release(&views[k]);
    return result;
}}

static PyMethodDef dg_functions[] = {{
    {{"run", (PyCFunction)(void (*)(void))dg_run, METH_FASTCALL, "The update, in place."}},
    {{NULL, NULL, 0, NULL}},
}};

static struct PyModuleDef dg_module = {{
    PyModuleDef_HEAD_INIT, "{module}", NULL, -1, dg_functions, NULL, NULL, NULL, NULL,
}};

PyMODINIT_FUNC PyInit_{module}(void) {{ return PyModule_Create(&dg_module); }}
"""

# What the loop says where two of its arrays share memory (as ``Rule._refuse_overlaps``).
OVERLAP_MESSAGE = (
    "{rule}: the gradient and the updated arrays must not overlap in memory (two of them "
    "share it); pass separate arrays"
)


def module_source(kernel: KernelSource, dtype: np.dtype, rule: str) -> tuple[str, str]:
    """The C source of a Python extension module whose ``run(gradient, *updated,
    *scalars)`` runs ``kernel``'s loop over buffers of ``dtype`` (``rule`` names it in its
    errors), and the module's name.

    >>> from deepgrad.optimizers.elementwise import _trace
    >>> from deepgrad.optimizers.cuda_kernels import kernel_source
    >>> def sgd(gradient, parameter, learning_rate):
    ...     return parameter - learning_rate * gradient
    >>> steps, outputs = _trace(sgd, 1, [None, None, None])
    >>> names = ["gradient", "parameter", "learning_rate"]
    >>> kernel = kernel_source("sgd", steps, outputs, names, {}, 1)
    >>> source, name = module_source(kernel, np.dtype(np.float32), "sgd")
    >>> name.startswith("deepgrad_sgd_float32_"), f"PyInit_{name}(void)" in source
    (True, True)
    """
    loop, function = c_source(kernel, dtype)
    updated = len(_names(kernel.out_params))
    scalars = len(_names(kernel.in_params)) - 1
    arrays = 1 + updated
    name = f"{function}_{hashlib.sha256(loop.encode()).hexdigest()[:12]}"
    call_arguments = ", ".join(
        [f"views[{k}].buf" for k in range(arrays)] + [f"scalars[{k}]" for k in range(scalars)]
    )
    source = _MODULE.format(
        loop=loop,
        format="f" if dtype == np.float32 else "d",
        dtype=dtype.name,
        rule=rule,
        arrays=arrays,
        scalars=scalars,
        overlap=OVERLAP_MESSAGE.format(rule=rule),
        function=function,
        call_arguments=call_arguments,
        module=name,
    )
    return source, name


class CKernel:
    """A rule's C loop for one combination of its flags and one dtype: call it with the
    gradient, the updated arrays (written in place) and the scalars (flags left out),
    checked by the caller (``Rule._c_kernel_fits``: NumPy arrays of this dtype, one shape,
    C-contiguous), once ``ready()``. Built as a Python extension module where this
    Python's headers are installed (it then checks the arrays again itself, overlaps
    included: ``checks_overlaps``), in the background where the cache does not hold it
    (``native.Build``); else as a plain library called through ctypes, built at once
    (about 50 ms)."""

    def __init__(self, kernel: KernelSource, dtype: np.dtype, rule: str) -> None:
        source, name = c_source(kernel, dtype)
        self.source = source
        self.checks_overlaps = native.python_headers() is not None
        self._run: Any = None
        if self.checks_overlaps:
            self._build: native.Build | None = native.Build(*module_source(kernel, dtype, rule))
            return
        _, _, scalar_type = _TYPES[dtype]
        arrays = 1 + len(_names(kernel.out_params))
        scalars = len(_names(kernel.in_params)) - 1
        argtypes = [ctypes.c_size_t] + [ctypes.c_void_p] * arrays + [scalar_type] * scalars
        self.function = native.load(source, name, argtypes)

    def ready(self) -> bool:
        """Whether the loop can run now: False while its module is being built (the caller
        runs the update another way meanwhile). Raises ``native.NativeUnavailable`` where
        the build failed."""
        if self._run is not None or not self.checks_overlaps:
            return True
        build = self._build
        if build is None or not build.done:
            return False
        if build.module is None:
            raise build.error or native.NativeUnavailable("the C loop's module did not load")
        self._run, self._build = build.module.run, None
        return True

    def __call__(self, gradient: np.ndarray, arrays: tuple, scalars: list[Any]) -> None:
        if self._run is not None:
            self._run(gradient, *arrays, *scalars)
            return
        self.function(
            gradient.size,
            gradient.ctypes.data,
            *[array.ctypes.data for array in arrays],
            *scalars,
        )

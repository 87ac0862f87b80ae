"""The third executor of an elementwise rule: a CuPy ``ElementwiseKernel``, generated from
the same trace as the NumPy plan (``elementwise.py``), for parameters on a GPU.

The rule's traced operations become one line of CUDA C each, in the same order, over the
type ``T`` of the flat buffer (float32 or float64): a step over parameters, gradient and
state that reads each array once and writes each updated one once, in one kernel launch
(CuPy array arithmetic would launch one kernel per operation). Scalars are passed as ``T``,
as the NumPy plan casts them; flags (bool arguments) are baked into the source, one kernel
per combination, as the NumPy plan has one plan per combination.

The kernel is compiled with ``--fmad=false``: CUDA would otherwise fuse ``a * b + c`` into
one rounding, and the results would differ from the NumPy plan's. Division and square root
are IEEE-rounded by default in NVRTC. So the kernel is meant to equal the NumPy plan bit for
bit; ``tests/gpu/test_gpu.py`` checks it where a GPU exists (not run yet: see docs/gpu.md).

The source is plain text, made without CuPy; ``tests/backend/test_cuda_source.py`` reads
it back into Python and checks it computes what the rule computes, on the CPU.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

# NumPy's semantics for the operations CUDA C spells differently: maximum and minimum give
# NaN when either operand is NaN (fmax/fmin would drop it), sign(±0) is +0 and sign(NaN)
# is NaN.
PREAMBLE = """\
template <typename T> __device__ T dg_maximum(T a, T b) { return (a != a || a > b) ? a : b; }
template <typename T> __device__ T dg_minimum(T a, T b) { return (a != a || a < b) ? a : b; }
template <typename T> __device__ T dg_sign(T a) {
    return a > T(0) ? T(1) : (a < T(0) ? T(-1) : (a == T(0) ? T(0) : a));
}
template <typename T> __device__ T dg_absolute(T a) { return fabs(a); }
template <typename T> __device__ T dg_sqrt(T a) { return sqrt(a); }
"""
OPTIONS = ("--fmad=false",)

# How each ufunc a rule may use is written in CUDA C.
_INFIX = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/", "true_divide": "/"}
_CALLS = {"absolute", "sqrt", "sign", "maximum", "minimum"}
# Names CuPy's ElementwiseKernel or CUDA C reserve inside the loop body.
_RESERVED = {"i", "T", "int", "float", "double", "bool", "char", "long", "short", "auto", "if",
             "else", "for", "while", "do", "return", "const", "this", "new", "delete",
             "sqrt", "fabs", "min", "max", "abs"}  # fmt: skip


@dataclass(frozen=True)
class KernelSource:
    """What ``cupy.ElementwiseKernel(in_params, out_params, operation, name, ...)`` takes."""

    in_params: str
    out_params: str
    operation: str
    name: str
    preamble: str = PREAMBLE
    options: tuple[str, ...] = OPTIONS


def kernel_source(
    rule_name: str,
    steps: list,
    outputs: list[int],
    names: list[str],
    flags: dict[int, bool],
    updates: int,
) -> KernelSource:
    """A traced rule as an ElementwiseKernel's source.

    ``steps[k]`` = (ufunc, operand ids, is_array), ids below ``len(names)`` being the
    rule's arguments (gradient, updated arrays, scalars) and ``len(names) + k`` step k's
    result; ``outputs`` are the ids of the new values of the updated arrays; ``flags`` the
    values of the bool arguments, by position (they are baked in).

    >>> from deepgrad.optimizers.elementwise import _trace
    >>> def sgd(gradient, parameter, learning_rate):
    ...     return parameter - learning_rate * gradient
    >>> steps, outputs = _trace(sgd, 1, [None, None, None])
    >>> source = kernel_source("sgd", steps, outputs, ["gradient", "parameter", "learning_rate"],
    ...                        {}, 1)
    >>> source.in_params, source.out_params
    ('T gradient, T learning_rate', 'T parameter')
    >>> print(source.operation)
    T dg_t0 = learning_rate * gradient;
    T dg_t1 = parameter - dg_t0;
    parameter = dg_t1;
    """
    for name in names:
        if name in _RESERVED or name.startswith(("_", "dg_")):
            raise TypeError(
                f"{rule_name}: the argument name {name!r} is reserved in a CUDA kernel; rename it"
            )
    n_inputs = len(names)
    label = {i: names[i] for i in range(n_inputs)}
    lines = []
    for k, (ufunc, operands, _) in enumerate(steps):
        args = [label[o] for o in operands]
        name = ufunc.__name__
        if name in _INFIX:
            expression = f"{args[0]} {_INFIX[name]} {args[1]}"
        elif name == "negative":
            expression = f"-{args[0]}"
        elif name == "square":
            expression = f"{args[0]} * {args[0]}"
        elif name in _CALLS:
            expression = f"dg_{name}({', '.join(args)})"
        else:
            raise TypeError(f"{rule_name}: np.{name} has no CUDA form")
        label[n_inputs + k] = f"dg_t{k}"
        lines.append(f"T dg_t{k} = {expression};")
    # New values of the updated arrays, assigned last: every old value has been read.
    changed = [(j, output) for j, output in enumerate(outputs, start=1) if output != j]
    if any(output <= updates for _, output in changed):
        lines += [f"T dg_new{j} = {label[output]};" for j, output in changed]
        lines += [f"{names[j]} = dg_new{j};" for j, _ in changed]
    else:
        lines += [f"{names[j]} = {label[output]};" for j, output in changed]
    scalars = [i for i in range(updates + 1, n_inputs) if i not in flags]
    flag_part = "".join(f"_{names[i]}{int(flags[i])}" for i in sorted(flags))
    return KernelSource(
        in_params=", ".join(f"T {names[i]}" for i in [0, *scalars]),
        out_params=", ".join(f"T {names[j]}" for j in range(1, updates + 1)),
        operation="\n".join(lines),
        name=f"deepgrad_{rule_name}{flag_part}",
    )


def is_cupy(array: Any) -> bool:
    """Whether ``array`` is a CuPy array (CuPy is never imported to find out)."""
    return type(array).__module__.startswith("cupy")


_compiled: dict[KernelSource, Any] = {}


def launch(source: KernelSource, gradient: Any, arguments: tuple, flags: dict, updates: int):
    """Run the kernel of ``source`` (compiled by CuPy at its first launch, then cached) on
    the gradient, the updated arrays (written in place) and the scalars."""
    kernel = _compiled.get(source)
    if kernel is None:
        cupy = sys.modules["cupy"]
        kernel = _compiled[source] = cupy.ElementwiseKernel(
            source.in_params,
            source.out_params,
            source.operation,
            source.name,
            preamble=source.preamble,
            options=source.options,
        )
    arrays = arguments[:updates]
    shape = gradient.shape
    for array in arrays:
        if array.shape != shape or not is_cupy(array):
            raise ValueError(
                f"{source.name}: the gradient is a CuPy array of shape {shape}, but an updated "
                f"array is a {type(array).__name__} of shape {array.shape}"
            )
    dtype = gradient.dtype.type
    scalars = [dtype(a) for i, a in enumerate(arguments[updates:], updates + 1) if i not in flags]
    kernel(gradient, *scalars, *arrays)


def flags_of(arguments: tuple, updates: int) -> dict[int, bool]:
    """The bool arguments among the scalars, by position in the rule's signature."""
    return {
        i: bool(a)
        for i, a in enumerate(arguments[updates:], updates + 1)
        if isinstance(a, bool | np.bool_)
    }

"""Fusing a plan's elementwise pairs into one pass each, with numba kernels.

Two pairs of NumPy calls recur in every dense ReLU layer, and each becomes one call:

- ``t = add(x, b); y = relu(t)``  →  ``y = bias_relu(x, b)``, when only the relu reads t;
- ``mask = greater(y, 0); d = multiply(g, mask)``  →  ``d = relu_backward(g, y)``,
  when only the multiply reads the mask.

Each fused call has one definition, a scalar rule (``relu_of_sum``, ``positive_part_of``
below) written with the NumPy functions the pair calls: NumPy runs it on whole arrays,
and ``_loops`` turns it into numba loops that run it element by element. The float
operations are the same, in the same dtype, so the two give the same bits (NaN stays NaN,
NaN × 0 is NaN, though which NaN is left open, as IEEE 754 leaves it;
``tests/compiler/test_fusion.py`` compares the bits), and a compiled plan still equals
eager mode bit for bit.

The fused calls run as C loops built by the machine's compiler (``native_loops.c``, the
same operations written in C), else as numba kernels, with numba installed and
``DEEPGRAD_FUSED`` not 0 (as for the fused optimizer updates), on float arrays that were
C-contiguous when the plan was recorded; a strided array at a replay, or kernels turned
off, takes the NumPy form of the rule. Why
these two pairs, and what the kernels measured: ``docs/fusion.md``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from deepgrad import kernels as fused
from deepgrad import native_loops
from deepgrad.compiler.recorder import (
    ArraySpec,
    Call,
    Constant,
    Recorder,
    Slot,
    call_slots,
    slots_in,
)
from deepgrad.ops.activations_math import _relu_impl
from deepgrad.tensor import Tensor, raw_data

# ---- the rules: one definition each, scalars or whole arrays in -------------------------


# The rules' zero. A Python 0 would be an int64 in the kernels and widen float32 arithmetic
# to float64 (5–10% slower); float32's zero widens nothing, float32 or float64.
_ZERO = np.float32(0)


def relu_of_sum(x, b):
    """max(x + b, 0): a dense layer's bias add and ReLU (``np.maximum``: NaN stays NaN).

    The ``+ 0`` makes a zero result +0 in both executors: max(−0, 0) is +0 in NumPy (and
    so in eager mode), but −0 in numba, whose maximum returns its first argument at a tie;
    −0 + 0 is +0, and x + 0 is x for every other x, NaN included.
    """
    return np.maximum(x + b, _ZERO) + _ZERO


def positive_part_of(g, y):
    """g × [y > 0]: ReLU's backward pass from its output y. A multiply, not a select, as
    NumPy's pair does it: NaN × 0 is NaN."""
    return g * (y > _ZERO)


# ---- the kernels, made from a rule -------------------------------------------------------


def _loops(rule: Callable) -> dict[str, Callable]:
    """The two loops that run a binary scalar ``rule`` over 2-D arrays: into a separate
    array, or in place over either input. An input of one row is broadcast along the rows.
    Two loops, not one: numba vectorises a loop that writes where it reads, but not one
    over arrays that may overlap (measured in ``docs/fusion.md``).

    The loops take 2-D arrays only: a row comes as a 1 × n view (``_as_rows``). Making it
    2-D inside with ``np.atleast_2d`` cost every process that loads the kernels 40–100 ms
    more: the cached code's environment then imports ``numba.np.arrayobj``
    (``docs/fusion.md``)."""

    def into(a, b, out):
        for i in range(out.shape[0]):
            ai, bi = min(i, a.shape[0] - 1), min(i, b.shape[0] - 1)
            for j in range(out.shape[1]):
                out[i, j] = rule(a[ai, j], b[bi, j])

    def in_place(written, other, written_is_first):
        for i in range(written.shape[0]):
            k = min(i, other.shape[0] - 1)
            for j in range(written.shape[1]):
                w, o = written[i, j], other[k, j]
                written[i, j] = rule(w, o) if written_is_first else rule(o, w)

    return {"into": into, "in_place": in_place}


@functools.cache
def _kernels(rule: Callable) -> dict[str, Callable]:
    """``_loops(rule)`` compiled, once numba may call ``rule`` from them
    (``register_jitable``): made on first use, since numba is imported only then."""
    from numba.extending import register_jitable

    register_jitable(rule)
    # arrays and a bool only: numba's own dispatchers, no float-casting wrapper
    return {place: fused.numba_kernel(loop) for place, loop in _loops(rule).items()}


def elementwise(rule: Callable) -> Callable:
    """``run(a, b, out=None)``: ``rule(a, b)`` elementwise, where the arrays fit a loop
    (C-contiguous NumPy arrays of one dtype, float32 or float64, ``b`` of ``a``'s shape or
    a row of it) by the C loop of ``rule``'s name (``native_loops``) or else numba's
    kernels made from ``rule``, where they may run; else by NumPy running ``rule`` on the
    arrays.

    >>> run = elementwise(relu_of_sum)
    >>> run(np.array([[-1.0, 1.0]]), np.array([0.5, 0.5]))
    array([[0. , 1.5]])
    """

    name = rule.__name__

    def run(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        fits = _fits_kernels(a, b, out)
        loops = native_loops.module() if fits else None
        if loops is not None:
            if out is None:
                out = np.empty_like(a)
            getattr(loops, name)(a, b, out)
            return out
        if not (fits and fused.enabled()):
            if out is None:
                return rule(a, b)
            out[...] = rule(a, b)
            return out
        if out is None:
            out = np.empty_like(a)
        x, y, z = _as_rows(a), _as_rows(b), _as_rows(out)  # a row of b: 1 × n
        if out is a or out is b:
            _kernels(rule)["in_place"](z, y if out is a else x, out is a)
        else:
            _kernels(rule)["into"](x, y, z)
        return out

    return run


def _as_rows(a: np.ndarray) -> np.ndarray:
    """``a`` as the loops take it: 2-D, rows along its last axis (a view; most arrays a plan
    fuses are 2-D already, and a reshape costs a third of a microsecond). A 1-D row becomes
    1 × n."""
    return a if a.ndim == 2 else a.reshape(-1, a.shape[-1])


def _fits_kernels(a: np.ndarray, b: np.ndarray, out: np.ndarray | None) -> bool:
    """C-contiguous NumPy arrays of one dtype, float32 or float64 (those the plan fuses),
    ``b`` of ``a``'s shape or a row of it.
    (Written out, not as a loop over the arrays, and with ``is`` for the dtypes, NumPy's
    built-in ones being singletons: this runs on every call of a plan's fused kernel.)"""
    return (
        type(a) is np.ndarray
        and type(b) is np.ndarray
        and a.dtype is b.dtype
        and a.dtype.char in "fd"
        and a.flags.c_contiguous
        and b.flags.c_contiguous
        and (b.shape == a.shape or (b.ndim == 1 and b.shape[0] == a.shape[-1]))
        and a.size > 0
        and (
            out is None
            or (
                type(out) is np.ndarray
                and out.dtype is a.dtype
                and out.shape == a.shape
                and out.flags.c_contiguous
            )
        )
    )


_bias_relu = elementwise(relu_of_sum)
_relu_backward = elementwise(positive_part_of)


def bias_relu(x: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """max(x + b, 0) for an ``x`` whose last axis ``b`` runs along (``relu_of_sum``).

    >>> bias_relu(np.array([[-1.0, 1.0]]), np.array([0.5, 0.5]))
    array([[0. , 1.5]])
    """
    return _bias_relu(x, b, out)


def relu_backward(g: np.ndarray, y: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """g × [y > 0] for arrays of one shape: ReLU's backward pass from its output y
    (``positive_part_of``).

    >>> relu_backward(np.array([3.0, 4.0]), np.array([0.0, 2.0]))
    array([0., 4.])
    """
    return _relu_backward(g, y, out)


bias_relu.elementwise = True  # the plan may give it x's buffer
relu_backward.elementwise = True


def fuse_elementwise(calls: list[Call], outputs: list[Any], recorder: Recorder) -> list[Call]:
    """The plan's calls with the two pairs above fused, where a C loop or numba is there to
    run them."""
    if not (fused.enabled() or native_loops.coming()):
        return calls

    def value(ref: Any) -> Any:
        """An argument as the checks below see it: arrays as ArraySpecs."""
        if isinstance(ref, Slot):
            return recorder.slot_values[ref.index]
        if isinstance(ref, Constant):
            constant = recorder.constants[ref.index]
            constant = raw_data(constant) if isinstance(constant, Tensor) else constant
            return ArraySpec.of(constant) if type(constant) is np.ndarray else constant
        return ref

    readers: dict[int, list[Call | None]] = {}  # None: the caller, reading an output
    for call in calls:
        for slot in call_slots(call):
            readers.setdefault(slot, []).append(call)
    for slot in slots_in(list(outputs)):
        readers.setdefault(slot, []).append(None)  # read by the caller: keep it

    def only_reader(call: Call) -> Call | None:
        found = readers.get(call.out.index, []) if call.out is not None else []
        return found[0] if len(found) == 1 else None

    replaced: dict[int, Call] = {}  # id(first call of a pair) → the fused call
    dropped: set[int] = set()  # id(second call of a pair)
    for call in calls:
        second = only_reader(call)
        if second is None or call.kwargs or second.kwargs or call.effect or call.into_grad_of:
            continue  # only plain pairs: no out= into an outside array, no other effect
        if call.func is np.add and second.func is _relu_impl:
            x, b = (value(a) for a in call.args)
            if _fits_bias(x, b, call.result) and isinstance(call.args[0], Slot):
                replaced[id(call)] = _fused_call(bias_relu, call.args, second)
                dropped.add(id(second))
        elif call.func is np.greater and second.func is np.multiply:
            y, threshold = (value(a) for a in call.args)
            others = [a for a in second.args if a != call.out]
            at_zero = type(threshold) in (int, float) and threshold == 0
            if at_zero and len(others) == 1 and isinstance(call.args[0], Slot):
                g = value(others[0])
                if _fits_same(g, y, second.result):
                    replaced[id(call)] = _fused_call(
                        relu_backward, (others[0], call.args[0]), second
                    )
                    dropped.add(id(second))
    fused_calls = []
    for call in calls:
        if id(call) in dropped:
            continue
        fused_calls.append(replaced.get(id(call), call))
    return fused_calls


def _fused_call(func: Any, args: tuple, second: Call) -> Call:
    """The call that stands for a pair: the second call's result, output and destination."""
    return Call(
        func,
        func.__name__,
        tuple(args),
        {},
        second.result,
        second.out,
        effect=second.effect,
        origin=second.origin,
        into_grad_of=second.into_grad_of,
    )


def _fusable(a: Any) -> bool:
    return (
        isinstance(a, ArraySpec)
        and a.dtype in (np.float32, np.float64)
        and a.c_contiguous
        and a.size >= fused.MIN_SIZE
    )


def _fits_bias(x: Any, b: Any, result: Any) -> bool:
    return (
        _fusable(x)
        and isinstance(b, ArraySpec)
        and b.ndim == 1
        and x.ndim >= 1
        and b.shape[0] == x.shape[-1]
        and b.dtype == x.dtype
        and result.shape == x.shape
        and result.dtype == x.dtype
    )


def _fits_same(g: Any, y: Any, result: Any) -> bool:
    return (
        _fusable(g)
        and _fusable(y)
        and g.shape == y.shape == result.shape
        and g.dtype == y.dtype == result.dtype
    )

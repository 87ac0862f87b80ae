"""A recorded run turned into a plan: straight-line Python over preallocated buffers.

From the calls a :class:`~deepgrad.compiler.recorder.Recorder` saw, :class:`Plan`

1. folds the calls that depend on constants alone into their recorded results;
2. drops the calls whose results nothing needs (dead code: the plan keeps only what
   leads to an output or to an effect, such as writing a gradient into ``.grad``);
3. lets the call that computes a gradient write it straight into ``.grad`` (the
   optimizer's flat buffer) when nothing else reads it;
   then, where numba is there, replaces calls by kernels that give the same bits: the
   elementwise pairs of ``fusion.py``, the bias gradients' column sums
   (``column_sums.py``) and a cross-entropy with its gradient (``cross_entropy_pair.py``);
4. finds each value's last use, counting a view's uses as uses of the array it views;
5. gives each call that can write into an ``out=`` array (a ufunc, ``matmul``, ``sum``)
   a buffer allocated once, reusing a buffer whose value is dead, so a replay
   allocates next to nothing and the memory it touches stays warm in the cache;
6. writes the calls out as the source of one Python function (a ufunc of two scalars as
   its operator, ``t13 / 200``: the same bits, a tenth of the cost) and compiles it.

``Plan.source`` is that function: what a compiled step really runs, one line per array
call, as JAX prints a jaxpr.
"""

from __future__ import annotations

import functools
import inspect
import keyword
import re
import time
import weakref
from collections.abc import Callable
from types import CodeType
from typing import Any

import numpy as np

from deepgrad.autodiff.graph import store_grad
from deepgrad.backend import array_module
from deepgrad.compiler.column_sums import sum_columns
from deepgrad.compiler.cross_entropy_pair import pair_cross_entropies
from deepgrad.compiler.descent import InProductDescent
from deepgrad.compiler.fusion import fuse_elementwise
from deepgrad.compiler.recorder import (
    Call,
    Constant,
    Recorder,
    Slot,
    call_slots,
    refs_in,
    slots_in,
)
from deepgrad.tensor import Tensor, raw_data

_NEVER = 1 << 62  # the last use of an output: after the plan


class Plan:
    """The replayable form of one recorded run (see the module docstring)."""

    def __init__(
        self,
        recorder: Recorder,
        inputs: list[Slot],
        outputs: list[Any],
        descent: InProductDescent | None = None,
    ) -> None:
        self.inputs = inputs
        self.outputs = outputs
        self.constants = recorder.constants
        self.folded: dict[int, Any] = {}  # slot → value computed once, when the plan is made
        self.descent = descent
        calls = _fold_constants(recorder, self.folded)
        # The constant Tensors the folded values were computed from, each with the array it
        # held: a replay is right only while each still holds that array, unwritten.
        self.folded_from = _folded_from(recorder)
        self.recorded_at = recorder.started
        calls = _store_gradients_in_place(_live_calls(calls, outputs), outputs)
        calls = fuse_elementwise(calls, outputs, recorder)
        calls = pair_cross_entropies(sum_columns(calls, recorder))
        if descent is not None:  # plain SGD inside the weights' gradient products
            calls = descent.rewrite(calls, recorder, outputs, lambda call: not _takes_out(call))
        self.calls = calls
        self._buffers: list[np.ndarray] = []
        buffer_of = self._assign_buffers()
        self.source, self._namespace = self._write(buffer_of)
        self._run: Callable = _define(self.source, self._namespace)

    def __call__(self, *inputs: Any) -> tuple:
        """Replay on new input arrays (same shapes and dtypes as recorded)."""
        return self._run(*inputs)

    def profile(self, *inputs: Any, repeats: int = 10) -> list[tuple[float, str]]:
        """Time every line of the plan (median over ``repeats`` replays on ``inputs``):
        ``[(seconds, line), ...]``, slowest first. Where a compiled step spends its time.
        The weights a plain SGD step updates inside its products (``descent.py``) are put
        back as they were after the replays.
        """
        header, *body, ret = self.source.splitlines()
        body = [line for line in body if not line.lstrip().startswith("#")]
        timed = [header, "    _clock = perf_counter"]
        for index, line in enumerate(body):
            timed += [
                "    _start = _clock()",
                line,
                f"    _times[{index}].append(_clock() - _start)",
            ]
        timed.append(ret)
        times: list[list[float]] = [[] for _ in body]
        namespace = {**self._namespace, "perf_counter": time.perf_counter, "_times": times}
        run = _define("\n".join(timed) + "\n", namespace)
        updated = [
            self.constants[call.args[0].index]
            for call in self.calls
            if self.descent is not None and call.func == self.descent.descend
        ]
        saved = [(w, w._value.copy(), w.grad) for w in updated]
        try:
            for _ in range(repeats):
                run(*inputs)
        finally:
            for weight, value, grad in saved:
                weight._value[...] = value
                weight.grad = grad
        rows = [(float(np.median(t)), line.strip()) for t, line in zip(times, body, strict=True)]
        return sorted(rows, reverse=True)

    @property
    def buffer_bytes(self) -> int:
        """Memory held between replays by the preallocated buffers."""
        return sum(b.nbytes for b in self._buffers)

    # ---- buffers ------------------------------------------------------------------------

    def _assign_buffers(self) -> dict[int, int]:
        """Slot → buffer number for every call that writes into an ``out=`` buffer."""
        last_use = _last_uses(self.calls, self.outputs, self.inputs)
        dying: dict[int, list[int]] = {}
        for slot, position in last_use.items():
            dying.setdefault(position, []).append(slot)
        free: dict[tuple, list[int]] = {}
        buffer_of: dict[int, int] = {}

        def release(position: int) -> None:
            for slot in dying.get(position, ()):
                if slot in buffer_of:
                    buffer = self._buffers[buffer_of[slot]]
                    free.setdefault((buffer.shape, buffer.dtype.str), []).append(buffer_of[slot])

        for position, call in enumerate(self.calls):
            elementwise = _is_elementwise(call.func)
            if elementwise:  # an elementwise ufunc may write over an input that dies here
                release(position)
            if call.out is not None and call.into_grad_of is None and _takes_out(call):
                result = call.result
                key = (result.shape, result.dtype.str)
                if free.get(key):
                    buffer_of[call.out.index] = free[key].pop()
                else:
                    buffer_of[call.out.index] = len(self._buffers)
                    self._buffers.append(np.empty_like(result))
            if not elementwise:
                release(position)
        return buffer_of

    # ---- source -------------------------------------------------------------------------

    def _write(self, buffer_of: dict[int, int]) -> tuple[str, dict]:
        namespace: dict[str, Any] = {"__builtins__": __builtins__, "grad_target": grad_target}
        names: dict[int, str] = {}

        def func_name(func: Callable, label: str) -> str:
            if id(func) not in names:
                base = re.sub(r"\W", "_", label).strip("_") or "call"
                if keyword.iskeyword(base) or not base[0].isalpha():
                    base = "f_" + base
                name = base
                while name in namespace:
                    name = f"{base}_{len(names)}"
                names[id(func)] = name
                namespace[name] = func
            return names[id(func)]

        for index, value in enumerate(self.constants):
            namespace[f"c{index}"] = value
        for index, buffer in enumerate(self._buffers):
            namespace[f"b{index}"] = buffer
        for slot, value in self.folded.items():
            namespace[f"t{slot}"] = value  # read as a global: the plan never assigns it
        params = ", ".join(f"t{slot.index}" for slot in self.inputs)
        lines = [f"def plan({params}):"]
        for slot, value in self.folded.items():
            shape, dtype = getattr(value, "shape", ()), getattr(value, "dtype", type(value))
            lines.append(f"    # t{slot}: a constant, folded while recording ({shape} {dtype})")
        for call in self.calls:
            same = _identity_in_place(call, buffer_of)
            if same is not None and call.out is not None:  # x / 1, x * 1, x ** 1 in place
                lines.append(f"    t{call.out.index} = t{same.index}  # {call.name}(…, 1)")
                continue
            symbol = _scalar_operator(call, buffer_of)
            if symbol is not None and call.out is not None:
                left, right = (_expression(a) for a in call.args)
                lines.append(f"    t{call.out.index} = {left} {symbol} {right}  # {call.name}")
                continue
            parts = [_expression(a) for a in call.args]
            parts += [f"{k}={_expression(v)}" for k, v in call.kwargs.items()]
            if call.into_grad_of is not None:
                result = call.result
                target = f"{_expression(call.into_grad_of)}, {result.shape}, {result.dtype.str!r}"
                parts.append(f"out=grad_target({target})")
            elif call.out is not None and call.out.index in buffer_of:
                parts.append(f"out=b{buffer_of[call.out.index]}")
            text = f"{func_name(call.func, call.name)}({', '.join(parts)})"
            if call.out is not None:
                text = f"t{call.out.index} = {text}"
            lines.append("    " + text)
        lines.append(f"    return ({''.join(_expression(o) + ', ' for o in self.outputs)})")
        return "\n".join(lines) + "\n", namespace


_IDENTITY_WITH_ONE = {"divide": (0,), "true_divide": (0,), "power": (0,), "multiply": (0, 1)}


def _identity_in_place(call: Any, buffer_of: dict[int, int]) -> Slot | None:
    """The argument ``call`` returns unchanged, when it is ``x / 1``, ``x * 1``, ``1 * x``
    or ``x ** 1`` written into x's own buffer (exact in IEEE arithmetic: the same bits);
    otherwise None."""
    positions = _IDENTITY_WITH_ONE.get(call.name)
    if positions is None or len(call.args) != 2 or call.kwargs or call.out is None:
        return None
    if call.into_grad_of is not None or call.out.index not in buffer_of:
        return None
    for position in positions:
        x, one = call.args[position], call.args[1 - position]
        if (
            isinstance(x, Slot)
            and type(one) in (int, float)
            and one == 1
            and buffer_of.get(x.index) == buffer_of[call.out.index]
        ):
            return x
    return None


_OPERATORS = {np.add: "+", np.subtract: "-", np.multiply: "*", np.true_divide: "/"}


def _scalar_operator(call: Any, buffer_of: dict[int, int]) -> str | None:
    """The operator to write a ufunc call of two scalars with (the loss's arithmetic:
    ``multiply(2.5e-07, t7)``, ``divide(t13, 200)``), or None.

    NumPy's scalar operators compute in the same dtype, with the same promotion rules
    and IEEE rounding, as the ufunc, so ``a * b`` gives the ufunc's bits and its NumPy
    scalar type in 0.07 µs instead of 0.64: the ufunc's own set-up is the whole cost on
    one number. Only calls whose recorded result is a NumPy scalar qualify (every
    argument was a scalar or a 0-d array, as at every replay: the plan's shapes are
    fixed), and that write into no buffer.
    """
    symbol = _OPERATORS.get(call.func)
    if (
        symbol is None
        or len(call.args) != 2
        or call.kwargs
        or call.into_grad_of is not None
        or call.out is None
        or call.out.index in buffer_of
        or not isinstance(call.result, np.generic)
        or any(type(a) in (tuple, list, dict) for a in call.args)
    ):
        return None
    return symbol


def grad_target(leaf: Tensor, shape: tuple, dtype: str) -> np.ndarray:
    """The array ``store_grad`` would write into, made ready to be written directly: a
    compiled plan computes a gradient of this shape and dtype straight into it (``out=``)."""
    current = leaf.grad
    kind = type(raw_data(leaf))  # the buffer lives where the parameter does (a GPU's, too)
    if not (
        isinstance(current, Tensor)
        and current._level < 0
        and type(current._value) is kind
        and (kind is not np.ndarray or current._value.flags.writeable)
        and current._value.shape == shape
        and current._value.dtype == dtype
    ):
        current = Tensor._make(array_module(raw_data(leaf)).empty(shape, dtype), -1)
        leaf.grad = current
    return current._value


def _define(source: str, namespace: dict) -> Callable:
    """Compile the source of ``def plan(...)`` in ``namespace`` and return the function."""
    exec(_bytecode(source), namespace)
    return namespace["plan"]


@functools.lru_cache(maxsize=128)
def _bytecode(source: str) -> CodeType:
    """Python's compilation of a plan's source, kept by its text: a model fitted again
    (a grid search, cross-validation) writes the same source, and compiling it costs
    0.4 ms for a two-layer net's step. The code object holds no arrays: its names are
    looked up in each plan's own namespace."""
    return compile(source, "<deepgrad compiled plan>", "exec")


def _expression(ref: Any) -> str:
    """Python source for one argument of a call."""
    if isinstance(ref, Slot):
        return f"t{ref.index}"
    if isinstance(ref, Constant):
        return f"c{ref.index}._value" if ref.unwrap else f"c{ref.index}"
    if type(ref) is tuple:
        return "(" + "".join(_expression(r) + ", " for r in ref) + ")"
    if type(ref) is list:
        return "[" + ", ".join(_expression(r) for r in ref) + "]"
    if type(ref) is dict:
        return "{" + ", ".join(f"{k!r}: {_expression(v)}" for k, v in ref.items()) + "}"
    if type(ref) is float and not np.isfinite(ref):
        return f"float({str(ref)!r})"
    return repr(ref)


def _live_calls(calls: list[Call], outputs: list[Any]) -> list[Call]:
    """The calls an output or an effect depends on, in recorded order."""
    needed = set(slots_in(list(outputs)))
    live = []
    for call in reversed(calls):
        if call.effect or "out" in call.kwargs or (call.out and call.out.index in needed):
            live.append(call)
            needed.update(call_slots(call))
    return live[::-1]


def _fold_constants(recorder: Recorder, folded: dict[int, Any]) -> list[Call]:
    """Drop the calls that depend on constants alone, keeping their recorded results:
    e.g. the chain that scales the loss's seed cotangent by 1/batch. Parameters (Tensors
    on the tape) are not constants here, their arrays change; nor is anything made by
    ``record_call`` (a random draw must be drawn again). The recorder marks these calls
    (``Call.foldable``) as it records, and keeps only their results."""
    kept = []
    for call in recorder.calls:
        if call.foldable and call.out is not None:  # a foldable call always has a result
            folded[call.out.index] = call.result
        else:
            kept.append(call)
    return kept


def _folded_from(recorder: Recorder) -> list[tuple[Tensor, Any]]:
    """The constant Tensors (captured by closure: a mask, a table of class weights, the
    backward pass's seed) that a folded call read, or Python read (``float(scale)``), each
    with its array at the recording."""
    tensors: dict[int, Tensor] = {id(tensor): tensor for tensor in recorder.read_constants}
    for call in recorder.calls:
        if not call.foldable:
            continue
        for ref in refs_in((call.args, call.kwargs)):
            value = recorder.constants[ref.index] if isinstance(ref, Constant) else None
            if isinstance(value, Tensor):
                tensors[id(value)] = value
    return [(tensor, tensor._value) for tensor in tensors.values()]


def _store_gradients_in_place(calls: list[Call], outputs: list[Any]) -> list[Call]:
    """``t = f(...); store_grad(leaf, t)`` → ``f(..., out=leaf.grad)``, when nothing else
    reads ``t``: the gradient is computed straight into the optimizer's flat buffer,
    with no temporary and no copy."""
    uses: dict[int, int] = {}
    for slot in slots_in(list(outputs)) + [s for c in calls for s in call_slots(c)]:
        uses[slot] = uses.get(slot, 0) + 1
    producer = {call.out.index: call for call in calls if call.out is not None}
    kept = []
    for call in calls:
        if call.func is store_grad.impl and isinstance(call.args[1], Slot):
            source = producer.get(call.args[1].index)
            if source is not None and uses[call.args[1].index] == 1 and _takes_out(source):
                source.into_grad_of = call.args[0]
                continue
        kept.append(call)
    return kept


def _last_uses(calls: list[Call], outputs: list[Any], inputs: list[Slot]) -> dict[int, int]:
    """Slot → position of the last call that reads it (directly or through a view of it)."""
    last: dict[int, int] = {s: _NEVER for s in slots_in(list(outputs))}
    for slot in inputs:
        last[slot.index] = _NEVER  # the caller's arrays are never written over
    for position in range(len(calls) - 1, -1, -1):
        call = calls[position]
        result_last = last.get(call.out.index, position) if call.out is not None else position
        may_view = call.out is not None and not _takes_out(call)
        for slot in call_slots(call):
            until = max(position, result_last) if may_view else position
            last[slot] = max(last.get(slot, -1), until)
    return last


def _is_elementwise(func: Callable) -> bool:
    """Whether ``func`` may write its result over one of its inputs (``out=`` that input):
    NumPy's elementwise ufuncs, and functions marked ``func.elementwise = True``."""
    if isinstance(func, np.ufunc):
        return func is not np.matmul
    return getattr(func, "elementwise", False)


def _takes_out(call: Call) -> bool:
    """Whether the call can write into a preallocated array of its result's shape."""
    result = call.result
    if type(result) is not np.ndarray or result.ndim == 0 or "out" in call.kwargs:
        return False
    func = call.func
    if isinstance(func, np.ufunc):
        return func.nout == 1
    try:
        return _TAKES_OUT[func]
    except (KeyError, TypeError):  # not seen yet, or a callable that takes no weak reference
        pass
    try:
        takes_out = "out" in inspect.signature(func).parameters
    except (TypeError, ValueError):
        takes_out = False
    try:
        _TAKES_OUT[func] = takes_out
    except TypeError:
        pass
    return takes_out


# Whether a function has an ``out`` parameter, by the function itself: weakly, as a
# record_call may pass a short-lived callable whose id a later one reuses (inspect's
# signature costs 10-30 µs, asked a few times per call each time a plan is made).
_TAKES_OUT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

"""Elementwise update rules, and the executors generated from each.

A rule is a plain Python function of the gradient, the arrays it updates (the parameters
first, then the state) and scalars, which returns the new values of the updated arrays in
the same order: MLX's ``apply_single``, applied once to the whole flat buffer. It may use
``+ - * /``, unary minus, ``abs``, ``np.sqrt``, ``np.abs``, ``np.sign``, ``np.maximum``,
``np.minimum``, ``np.square``, module-level helper functions written the same way, and
``x if flag else y`` on boolean arguments. It holds no number literal: a literal would be a
float64 inside the compiled kernel and widen every operation (pass it as a scalar).

``Rule(function, updates)`` runs it in several ways, all derived from the one function:

- **NumPy.** The function is called once with symbols in place of its arguments (once per
  value of its flags); the operations it records become a plan of in-place ufunc
  calls (``np.multiply(a, b, out=scratch)``) over reusable scratch buffers, each new value
  written straight into its array once the old one is no longer needed. A step makes one
  pass over memory per operation and allocates nothing, like hand-written in-place NumPy;
  calling the function on whole arrays instead allocates a temporary per operation, 1.5–6x
  slower (``docs/optimizer-kernels.md``). A buffer of ``CHUNKED_MIN_SIZE`` elements or
  more is updated a chunk at a time, all of the plan on one chunk before the next: each
  operation's pass then reads what the one before wrote from the processor's cache, not
  from memory (Adam over the 1.86 M weights of the benchmarks' medium net: 8.9 ms a step
  against 17.0 for whole-buffer passes). Each element sees the same operations either way,
  so the bits are the same.
- **C** (wherever the machine has a C compiler): the trace as a C loop over the flat
  buffer that reads each array once and writes each once, built by the compiler, cached
  on disk and loaded with ctypes (``c_kernels.py``, ``deepgrad/native.py``); it starts in
  a millisecond, so it runs from the first step, for every rule.
- **numba** (optional, and only for rules made with ``kernel=True``, where it was measured
  to pay): ``numba.njit`` of the same function, and of the helpers it calls, inside a loop
  over the flat buffer that reads each array once and writes each once.
- **CUDA** (parameters on a GPU, through CuPy): ``cuda_kernels.py``.

All run the same IEEE operations in the same order in the buffer's dtype (scalars are cast
to it, as NumPy casts a Python scalar; neither numba nor the C compiler fuses a
multiply-add unless asked), so they give bit-identical results;
``tests/optimizers/test_elementwise.py`` and ``test_c_kernels.py`` check it for every rule.
"""

from __future__ import annotations

import hashlib
import inspect
import types
from collections.abc import Callable
from typing import Any

import numpy as np

from deepgrad import kernels, native
from deepgrad.optimizers import c_kernels, cuda_kernels

# A rule's arguments and results: whole arrays (or their symbols, while a plan is traced)
# for NumPy, single elements inside numba's loop; scalars are numbers in both.
Operand = np.ndarray | float

_FLAG = (bool, np.bool_)
_NUMBER = (float, int, np.floating, np.integer, np.bool_)  # flags too: baked into the loop

# The NumPy executor's chunk, in elements: a chunk of the gradient, of each updated array
# and of the scratch buffers (five arrays for Adam, 640 KB in float32) stays in a core's
# L2 cache between the plan's operations. 16 K to 64 K measured alike. Below
# CHUNKED_MIN_SIZE elements the plan runs on the whole buffer: there its arrays stay in
# the cache anyway, and the calls per chunk cost more than they save (Adam at 101,770
# float32: 425 µs chunk by chunk against 356 whole; level at 269,322; 0.58x at 1.86 M;
# docs/optimizer-kernels.md, "Chunk by chunk").
CHUNK = 1 << 15
CHUNKED_MIN_SIZE = 1 << 18
_UFUNCS = (
    np.add,
    np.subtract,
    np.multiply,
    np.true_divide,
    np.negative,
    np.absolute,
    np.sqrt,
    np.sign,
    np.maximum,
    np.minimum,
    np.square,
)


# ---- tracing: a rule called with symbols records its operations ----------------------


class _Trace:
    """The operations of one traced call: ``steps[k]`` = (ufunc, operand ids, is_array);
    ids below ``n_inputs`` are the arguments, ``n_inputs + k`` is step k's result."""

    active: _Trace | None = None

    def __init__(self, n_inputs: int) -> None:
        self.n_inputs, self.steps = n_inputs, []

    def record(self, ufunc: np.ufunc, *operands: Any) -> _Symbol:
        for operand in operands:
            if not isinstance(operand, _Symbol):
                raise TypeError(
                    f"an elementwise rule holds the literal {operand!r}: the compiled kernel "
                    "would compute it in float64 and widen the arithmetic; pass it as a scalar"
                )
        is_array = any(operand.is_array for operand in operands)
        self.steps.append((ufunc, tuple(operand.id for operand in operands), is_array))
        return _Symbol(self.n_inputs + len(self.steps) - 1, is_array)


def _record(ufunc: np.ufunc, *operands: Any) -> _Symbol:
    trace = _Trace.active
    if trace is None:
        raise RuntimeError("a symbol of a traced rule was used after the trace ended")
    return trace.record(ufunc, *operands)


class _Symbol:
    """A value inside a traced rule: an argument, or the result of an operation."""

    def __init__(self, id: int, is_array: bool) -> None:
        self.id, self.is_array = id, is_array

    def __bool__(self) -> bool:
        raise TypeError(
            "an elementwise rule can branch only on a bool argument, not on a value; "
            "use np.maximum, np.minimum or np.sign"
        )

    def __lt__(self, other):
        return self.__bool__()

    __le__ = __gt__ = __ge__ = __lt__

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **options: Any):
        if method != "__call__" or options or ufunc not in _UFUNCS:
            raise TypeError(f"an elementwise rule cannot call np.{ufunc.__name__}.{method}")
        return _record(ufunc, *inputs)

    def __add__(self, other):
        return _record(np.add, self, other)

    def __radd__(self, other):
        return _record(np.add, other, self)

    def __sub__(self, other):
        return _record(np.subtract, self, other)

    def __rsub__(self, other):
        return _record(np.subtract, other, self)

    def __mul__(self, other):
        return _record(np.multiply, self, other)

    def __rmul__(self, other):
        return _record(np.multiply, other, self)

    def __truediv__(self, other):
        return _record(np.true_divide, self, other)

    def __rtruediv__(self, other):
        return _record(np.true_divide, other, self)

    def __neg__(self):
        return _record(np.negative, self)

    def __abs__(self):
        return _record(np.absolute, self)


def _trace(function: Callable, updates: int, arguments: list) -> tuple[list, list[int]]:
    """Call ``function`` with a symbol for every argument that is not a flag (bool):
    the recorded steps, and the ids of the values it returns."""
    trace = _Trace(len(arguments))
    symbols = [
        argument if isinstance(argument, bool) else _Symbol(i, i <= updates)
        for i, argument in enumerate(arguments)
    ]
    _Trace.active = trace
    try:
        outputs = function(*symbols)
    finally:
        _Trace.active = None
    outputs = outputs if updates > 1 else (outputs,)
    if len(outputs) != updates or not all(isinstance(o, _Symbol) for o in outputs):
        raise TypeError(f"{function.__name__} must return its {updates} updated values")
    return trace.steps, [output.id for output in outputs]


# ---- the NumPy executor: the trace as in-place ufunc calls ------------------------------


class _Plan:
    """A traced rule as a program over ``slots``: the arguments (gradient, updated arrays,
    scalars), then ``scratch_count`` scratch buffers, then the scalar temporaries."""

    def __init__(self, steps: list, outputs: list[int], updates: int, n_inputs: int) -> None:
        self.n_inputs, self.updates = n_inputs, updates
        last_use = {i: -1 for i in range(n_inputs)}
        for k, (_, operands, _) in enumerate(steps):
            last_use[n_inputs + k] = k  # a result nothing reads dies where it is made
            for operand in operands:
                last_use[operand] = k
        for output in outputs:
            last_use[output] = len(steps)
        # An updated array receives its new value from the step that makes it, when its old
        # value is read by no later step; else the value goes to scratch and is copied last.
        direct = {}
        for j, output in enumerate(outputs, start=1):
            if (
                output >= n_inputs
                and steps[output - n_inputs][2]  # an array, not a scalar to broadcast
                and outputs.count(output) == 1
                and last_use[j] <= output - n_inputs
            ):
                direct[j] = output - n_inputs
            elif 1 <= output <= updates and output != j:
                raise TypeError("a rule cannot return one updated array's old value as another's")
        location = self._allocate(steps, outputs, direct, last_use)
        self.program = [
            (ufunc, tuple(location[o] for o in operands), location[n_inputs + k], is_array)
            for k, (ufunc, operands, is_array) in enumerate(steps)
        ]
        self.copies = [
            (j, location[output])
            for j, output in enumerate(outputs, start=1)
            if j not in direct and output != j
        ]

    def _allocate(self, steps: list, outputs: list[int], direct: dict, last_use: dict) -> dict:
        """A slot for every value, by linear scan. A temporary may borrow an updated array
        whose old value is dead if it dies before that array's new value is written: Adam
        then needs one scratch buffer, not two. Ufuncs may write over their own inputs."""
        n_inputs = self.n_inputs
        location: dict[int, Any] = {i: i for i in range(n_inputs)}
        busy_until = dict.fromkeys(direct, -1)  # borrowed array -> last use of its tenant
        scratch_free_at: list[int] = []  # per scratch buffer, the step it is free from
        scalars = 0
        for k, (_, _, is_array) in enumerate(steps):
            value, ends = n_inputs + k, last_use[n_inputs + k]
            index = outputs.index(value) + 1 if value in outputs else None
            if not is_array:
                location[value], scalars = ("scalar", scalars), scalars + 1
            elif index in direct:
                location[value] = index
            else:
                lenders = [
                    j
                    for j in direct
                    if last_use[j] <= k and busy_until[j] <= k and ends <= direct[j] > k
                ]
                if lenders:
                    location[value] = lenders[0]
                    busy_until[lenders[0]] = ends
                    continue
                free = [s for s, at in enumerate(scratch_free_at) if at <= k]
                slot = free[0] if free else len(scratch_free_at)
                if not free:
                    scratch_free_at.append(0)
                scratch_free_at[slot] = ends
                location[value] = ("scratch", slot)
        self.scratch_count = len(scratch_free_at)
        offsets = {"scratch": n_inputs, "scalar": n_inputs + len(scratch_free_at)}
        self.scalar_slots = [offsets["scalar"] + k for k in range(scalars)]
        return {
            value: place if isinstance(place, int) else offsets[place[0]] + place[1]
            for value, place in location.items()
        }

    def source(self, name: str, inputs: list[int], is_flag: list[bool], names: list[str]) -> str:
        """The program as a Python function of the ``inputs`` (``names`` are the rule's
        argument names; the flags' values are baked in) and the scratch buffers, which
        first casts the scalars to the buffers' dtype."""
        scratch = [self.n_inputs + s for s in range(self.scratch_count)]
        label = {i: names[i] for i in inputs}
        label |= {slot: f"scratch{s}" for s, slot in enumerate(scratch)}
        label |= {slot: f"temporary{k}" for k, slot in enumerate(self.scalar_slots)}
        lines = [f"def {name}(cast, {', '.join(label[i] for i in [*inputs, *scratch])}):"]
        lines += [
            f"    {label[i]} = cast({label[i]})"
            for i in inputs
            if i > self.updates and not is_flag[i]
        ]
        for ufunc, operands, out, is_array in self.program:
            call = f"{ufunc.__name__}({', '.join(label[o] for o in operands)}"
            lines.append(
                f"    {call}, out={label[out]})" if is_array else f"    {label[out]} = {call})"
            )
        lines += [f"    copyto({label[j]}, {label[source]})" for j, source in self.copies]
        return "\n".join(lines) + "\n"


def _chunks_apply(gradient: np.ndarray, updated: tuple, scalars: tuple) -> bool:
    """Whether the NumPy plan runs chunk by chunk: a buffer of ``CHUNKED_MIN_SIZE``
    elements or more, the gradient and every updated array C-contiguous NumPy arrays of
    one shape (so that their flat views line up element for element), and no array among
    the other arguments."""
    return (
        gradient.size >= CHUNKED_MIN_SIZE
        and type(gradient) is np.ndarray
        and gradient.flags.c_contiguous
        and all(
            type(a) is np.ndarray and a.shape == gradient.shape and a.flags.c_contiguous
            for a in updated
        )
        and not any(isinstance(a, np.ndarray) for a in scalars)
    )


def _scratch(scratch: dict | None, like: np.ndarray, count: int) -> list[np.ndarray]:
    """``count`` buffers shaped as ``like``: the caller's, kept in ``scratch`` from step to
    step, or new ones."""
    if scratch is None:
        return [np.empty_like(like) for _ in range(count)]
    buffers = scratch.setdefault((like.shape, like.dtype), [])
    while len(buffers) < count:
        buffers.append(np.empty_like(like))
    return buffers[:count]


# ---- the numba executor: the same function, compiled, in a loop --------------------------
# The loops only move elements in and out; all arithmetic is the rule's.


def rule(*arguments: Any) -> Any:
    """Stands for the rule in the loops below: each compiled loop sees its own
    (``Rule._compile`` binds it)."""
    raise NotImplementedError


def _loop_1(gradient, a, *scalars):
    for i in range(gradient.size):
        a[i] = rule(gradient[i], a[i], *scalars)


def _loop_2(gradient, a, b, *scalars):
    for i in range(gradient.size):
        a[i], b[i] = rule(gradient[i], a[i], b[i], *scalars)


def _loop_3(gradient, a, b, c, *scalars):
    for i in range(gradient.size):
        a[i], b[i], c[i] = rule(gradient[i], a[i], b[i], c[i], *scalars)


def _loop_4(gradient, a, b, c, d, *scalars):
    for i in range(gradient.size):
        a[i], b[i], c[i], d[i] = rule(gradient[i], a[i], b[i], c[i], d[i], *scalars)


_LOOPS = {1: _loop_1, 2: _loop_2, 3: _loop_3, 4: _loop_4}


def _helpers(function: types.FunctionType) -> list[types.FunctionType]:
    """``function`` and the plain Python functions it calls, recursively."""
    found = [function]
    for name in function.__code__.co_names:
        helper = function.__globals__.get(name)
        if isinstance(helper, types.FunctionType):
            found += [h for h in _helpers(helper) if h not in found]
    return found


def _rebind(function: types.FunctionType, names: dict[str, Any]) -> types.FunctionType:
    """A copy of ``function`` that sees ``names`` in place of its module's globals."""
    copy = types.FunctionType(
        function.__code__,
        {**function.__globals__, **names},
        function.__name__,
        function.__defaults__,
        function.__closure__,
    )
    copy.__qualname__ = function.__qualname__
    return copy


def _digest(function: types.FunctionType) -> str:
    """A digest of the code of ``function`` and of its helpers. numba caches a compiled loop
    on disk under its name, which carries this digest: editing a rule (or a helper it
    calls) never loads a stale kernel."""
    digest = hashlib.sha256()
    for each in _helpers(function):
        code = each.__code__
        digest.update(repr((code.co_code, code.co_consts, code.co_names)).encode())
    return digest.hexdigest()[:16]


def _jit(function: types.FunctionType, numba: Any) -> Any:
    """numba's compiled ``function``, with the helpers it calls compiled too."""
    helpers = {
        name: _jit(helper, numba)
        for name in function.__code__.co_names
        if (helper := function.__globals__.get(name)) in _helpers(function)[1:]
    }
    return numba.njit(error_model="numpy")(_rebind(function, helpers))


# ---- the rule ---------------------------------------------------------------------------


def elementwise(updates: int, kernel: bool = False) -> Callable[[Callable], Rule]:
    """Make a function an elementwise ``Rule`` that updates ``updates`` arrays;
    ``kernel=True`` lets numba run it (where measured to pay)."""

    def make(function: Callable) -> Rule:
        return Rule(function, updates, kernel)

    return make


class Rule:
    """An elementwise update rule that updates its arrays in place.

    ``rule(gradient, *updated_arrays, *scalars)``: the updated arrays (parameters first)
    are overwritten with the values the function returns. ``scratch`` is a dict the caller
    keeps (an optimizer keeps one) so that the NumPy executor's buffers are reused.

    >>> def decay(gradient, parameter, rate):
    ...     return parameter - rate * gradient
    >>> theta = np.ones(3, np.float32)
    >>> Rule(decay, updates=1)(np.full(3, 2, np.float32), theta, 0.25)
    >>> theta
    array([0.5, 0.5, 0.5], dtype=float32)
    """

    def __init__(self, function: Callable, updates: int, kernel: bool = False) -> None:
        self.function, self.updates, self.kernel = function, updates, kernel
        self.__name__, self.__doc__ = function.__name__, function.__doc__
        self._plans: dict[tuple, Callable] = {}  # the values of the flags -> a plan
        self._flag_positions: tuple[int, ...] | None = None
        self._compiled: Callable | None = None
        self._c_kernels: dict[tuple, c_kernels.CKernel] = {}  # (flags, dtype) -> loaded

    def __call__(self, gradient: np.ndarray, *arguments: Any, scratch: dict | None = None) -> None:
        if type(gradient) is not np.ndarray and cuda_kernels.is_cupy(gradient):
            self.cuda(gradient, *arguments)
            return
        if self._c_kernel_fits(gradient, arguments) and self.c(gradient, *arguments):
            return  # the C loop ran (having refused overlapping arrays)
        self._refuse_overlaps(gradient, arguments[: self.updates])
        if not (self.kernel and kernels.available(arguments[0])):
            self.numpy(gradient, *arguments, scratch=scratch)
        elif self._compiled is not None and gradient.ndim == 1 and self._fits(gradient, arguments):
            self._compiled(gradient, *arguments)  # the common case of ``compiled``, inline
        else:
            self.compiled(gradient, *arguments)

    def _refuse_overlaps(self, gradient: np.ndarray, updated: tuple) -> None:
        """Raise where two of the arrays share memory: the rule reads every old value before
        it writes a new one, which the loops (C, numba) do element by element and the NumPy
        plan array by array, so overlapping arrays would get a different answer from each
        executor (the same array as m and v: Adam's C loop and NumPy plan disagreed)."""
        arrays = (gradient, *updated)
        for i, first in enumerate(arrays):
            for second in arrays[i + 1 :]:
                if np.may_share_memory(first, second):
                    raise ValueError(
                        f"{self.__name__}: the gradient and the updated arrays must not "
                        "overlap in memory (two of them share it); pass separate arrays"
                    )

    def _fits(self, gradient: np.ndarray, arguments: tuple) -> bool:
        """Whether the updated arrays are shaped as the gradient and writeable (else
        ``compiled`` says what is wrong)."""
        shape = gradient.shape
        return all(a.shape == shape and a.flags.writeable for a in arguments[: self.updates])

    def _c_kernel_fits(self, gradient: np.ndarray, arguments: tuple) -> bool:
        """Whether the C loop may run on these arguments: C kernels on
        (``kernels.c_enabled``), a large enough C-contiguous NumPy buffer of float32 or
        float64, every updated array a writeable one of the same dtype and shape, every
        other argument a number (the loop takes pointers, so anything else runs the NumPy
        plan)."""
        if not (
            type(gradient) is np.ndarray
            and gradient.size >= c_kernels.min_size()
            and kernels.c_enabled()
            and c_kernels.supports(gradient.dtype)
            and gradient.flags.c_contiguous
        ):
            return False
        dtype, shape = gradient.dtype, gradient.shape
        for array in arguments[: self.updates]:
            if not (
                type(array) is np.ndarray
                and array.dtype == dtype
                and array.shape == shape
                and array.flags.c_contiguous
                and array.flags.writeable  # (else NumPy's plan raises, as it should)
            ):
                return False
        return all(isinstance(a, _NUMBER) for a in arguments[self.updates :])

    def c(self, gradient: np.ndarray, *arguments: Any) -> bool:
        """The C executor (the arguments as ``_c_kernel_fits`` accepts them): one pass over
        the buffer. Returns False, having run nothing, where the loop is not built yet (its
        module is being built in the background), or cannot be built here
        (``native.NativeUnavailable``: the compiler failed; said once per process, and no
        C kernel is tried again in it)."""
        flags = cuda_kernels.flags_of(arguments, self.updates)
        key = (tuple(sorted(flags.items())), gradient.dtype)
        kernel = self._c_kernels.get(key)
        try:
            if kernel is None:
                kernel = self._c_kernels[key] = c_kernels.CKernel(
                    self.cuda_source(arguments), gradient.dtype, self.__name__
                )
            if not kernel.ready():
                return False  # its module is being built: another executor, this step
        except native.NativeUnavailable as error:
            kernels.c_failed(error)
            return False
        scalars = [
            float(a)
            for i, a in enumerate(arguments[self.updates :], self.updates + 1)
            if i not in flags
        ]
        if not kernel.checks_overlaps:
            self._refuse_overlaps(gradient, arguments[: self.updates])
        kernel(gradient, arguments[: self.updates], scalars)
        return True

    def numpy(self, gradient: np.ndarray, *arguments: Any, scratch: dict | None = None) -> None:
        """The NumPy executor: the traced plan of in-place ufunc calls."""
        if self._flag_positions is None:  # a position holds a flag at every call, or never
            self._flag_positions = tuple(
                i for i, a in enumerate(arguments) if i >= self.updates and isinstance(a, _FLAG)
            )
        flags = tuple(arguments[i] for i in self._flag_positions)
        plan = self._plans.get(flags)
        if plan is None:
            plan = self._plans[flags] = self._plan(arguments)
        cast = gradient.dtype.type
        updated, scalars = arguments[: self.updates], arguments[self.updates :]
        if not _chunks_apply(gradient, updated, scalars):
            plan(cast, gradient, *arguments, *_scratch(scratch, gradient, plan.scratch_count))
            return
        arrays = [a.reshape(-1) for a in (gradient, *updated)]  # views: all contiguous
        buffers = _scratch(scratch, arrays[0][:CHUNK], plan.scratch_count)
        size = gradient.size
        for start in range(0, size, CHUNK):
            stop = min(start + CHUNK, size)
            if stop - start < CHUNK:  # the last chunk, shorter: its part of each buffer
                buffers = [b[: stop - start] for b in buffers]
            plan(cast, *[a[start:stop] for a in arrays], *scalars, *buffers)

    def _plan(self, arguments: tuple) -> Callable:
        """Trace the rule for these flags and turn the trace into a Python function (its
        ``source`` attribute shows it)."""
        updates, n_inputs = self.updates, len(arguments) + 1
        is_flag = [False] * (updates + 1) + [isinstance(a, _FLAG) for a in arguments[updates:]]
        placeholders = [
            bool(a) if flag else None for a, flag in zip((None, *arguments), is_flag, strict=True)
        ]
        steps, outputs = _trace(self.function, updates, placeholders)
        plan = _Plan(steps, outputs, updates, n_inputs)
        names = list(inspect.signature(self.function).parameters)
        reserved = {"cast", "copyto", *(ufunc.__name__ for ufunc in _UFUNCS)}
        if reserved & set(names) or any(n.startswith(("scratch", "temporary")) for n in names):
            raise TypeError(f"{self.__name__}: an argument's name is one the plan uses")
        source = plan.source(f"{self.__name__}_plan", list(range(n_inputs)), is_flag, names)
        namespace: dict[str, Any] = {ufunc.__name__: ufunc for ufunc in _UFUNCS}
        namespace["copyto"] = np.copyto
        exec(compile(source, f"<plan of {self.__name__}>", "exec"), namespace)
        function = namespace[f"{self.__name__}_plan"]
        function.source, function.scratch_count = source, plan.scratch_count
        return function

    def cuda_source(self, arguments: tuple) -> cuda_kernels.KernelSource:
        """The rule as a CuPy ElementwiseKernel's source, for the flags in ``arguments``
        (traced as for the NumPy plan; ``cuda_kernels.py``)."""
        flags = cuda_kernels.flags_of(arguments, self.updates)
        key = ("cuda", *sorted(flags.items()))
        source: Any = self._plans.get(key)
        if source is None:
            placeholders = [flags.get(i) for i in range(len(arguments) + 1)]
            steps, outputs = _trace(self.function, self.updates, placeholders)
            names = list(inspect.signature(self.function).parameters)
            source = cuda_kernels.kernel_source(
                self.__name__, steps, outputs, names, flags, self.updates
            )
            self._plans[key] = source
        return source

    def c_source(self, arguments: tuple, dtype: Any) -> str:
        """The rule as the C source of its loop over buffers of ``dtype``, for the flags in
        ``arguments`` (everything but the gradient; arrays may be None): what the C
        executor builds (``c_kernels.py``).

        >>> from deepgrad.optimizers.sgd import sgd
        >>> source = sgd.c_source((None, 0.1), "float64")
        >>> "typedef double T;" in source and "T dg_t0 = rate * gradient;" in source
        True
        """
        return c_kernels.c_source(self.cuda_source(arguments), np.dtype(dtype))[0]

    def cuda(self, gradient: Any, *arguments: Any) -> None:
        """The CuPy executor: one generated ElementwiseKernel launch over the buffer."""
        source = self.cuda_source(arguments)
        flags = cuda_kernels.flags_of(arguments, self.updates)
        cuda_kernels.launch(source, gradient, arguments, flags, self.updates)

    def compiled(self, gradient: np.ndarray, *arguments: Any) -> None:
        """The numba executor (numba must be installed): one pass over the buffer."""
        kernel = self._compiled
        if kernel is None:
            kernel = self._compiled = self._compile()
        shape = gradient.shape
        for array in arguments[: self.updates]:
            if array.shape != shape:  # numba would read past the end of a shorter one
                raise ValueError(f"{self.__name__}: arrays of shapes {shape} and {array.shape}")
            if not array.flags.writeable:
                raise ValueError(f"{self.__name__}: an updated array is read-only")
        if len(shape) == 1:
            kernel(gradient, *arguments)
            return
        # The loop indexes the flat buffer: a shaped array must be a contiguous view.
        arrays = (gradient, *arguments[: self.updates])
        if not all(a.flags.c_contiguous for a in arrays):
            raise ValueError(f"{self.__name__}: the arrays must be contiguous")
        kernel(*(a.reshape(-1) for a in arrays), *arguments[self.updates :])

    def _compile(self) -> Callable:
        import numba  # optional, and slow to import: only when a kernel is first needed

        loop = _LOOPS[self.updates]
        bound = _rebind(loop, {"rule": _jit(self.function, numba)})
        bound.__qualname__ = f"{loop.__name__}_{self.__name__}_{_digest(self.function)}"
        return kernels.compile_kernel(bound)

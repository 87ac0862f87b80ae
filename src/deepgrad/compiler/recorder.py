"""Recording one run of a function as a list of array calls.

While a :class:`Recorder` is active, every primitive's raw array function (forward, and
the rules of the backward pass, which are written with the same primitives) reports the
call here, with its arguments and its result. An array argument is then either a
*slot* (the result of an earlier call, or an input of the function being compiled) or a
*constant* captured by reference: a parameter, a buffer, a Python number. A constant
that came from a Tensor is kept as the Tensor, so a replay reads its current ``_value``
(an optimizer may re-home parameters into a flat buffer after the recording).

Array work done outside deepgrad's ops is not seen: its result is frozen into the plan
as a constant. ``compile`` records twice and compares the constants to catch that.
Code that must run on every replay (a random draw, an in-place update of a moving
average, the accumulation of a gradient into ``.grad``) goes through :func:`record_call`.
"""

from __future__ import annotations

import functools
import math
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from deepgrad.autodiff.anomaly import SourceLine, user_frame
from deepgrad.autodiff.effects import Impure
from deepgrad.autodiff.primitive import Primitive
from deepgrad.backend import array_module
from deepgrad.device import device_of
from deepgrad.tensor import ORDER, Tensor, raw_data


class CompileError(RuntimeError):
    """A function cannot be compiled faithfully (its recording depends on its data)."""


@dataclass(frozen=True)
class Slot:
    """A value computed inside the plan (or one of its inputs), by number."""

    index: int


@dataclass(frozen=True)
class Constant:
    """A value captured from outside the plan, by number in the recorder's constant table;
    ``unwrap``: it is a Tensor and the call takes its current array (``._value``)."""

    index: int
    unwrap: bool = False


@dataclass
class Call:
    """One recorded call: ``result = func(*args, **kwargs)``, arguments as Slot/Constant trees.

    ``effect`` marks a call that must run even if nothing uses its result (it writes into
    an array outside the plan); ``origin`` is the user's source line, for error messages.
    """

    func: Callable
    name: str
    args: tuple
    kwargs: dict
    result: Any
    out: Slot | None
    effect: bool = False
    origin: SourceLine | str = ""
    pure: bool = True  # a primitive's function: same arguments, same result
    foldable: bool = False  # pure, and computed from constants alone: its result is kept
    into_grad_of: Constant | None = None  # write the result straight into this leaf's .grad


@dataclass(frozen=True)
class ArraySpec:
    """What a plan needs to know of an array the recording does not keep: its shape,
    dtype and layout."""

    shape: tuple
    dtype: np.dtype
    c_contiguous: bool

    @classmethod
    def of(cls, array: np.ndarray) -> ArraySpec:
        """>>> ArraySpec.of(np.zeros((2, 3), np.float32)).size
        6
        """
        return cls(array.shape, array.dtype, array.flags.c_contiguous)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)


def shape_only(value: Any) -> Any:
    """A recorded array's stand-in once it is no longer needed: an array of its shape and
    dtype holding one element (a broadcast view); anything else as it is.

    >>> stand_in = shape_only(np.ones((1000, 1000), np.float32))
    >>> stand_in.shape, stand_in.dtype, stand_in.base.nbytes
    ((1000, 1000), dtype('float32'), 4)
    """
    if type(value) is np.ndarray:
        return _stand_in(value.shape, value.dtype)
    if device_of(value).kind != "cpu":  # a GPU's array too: its memory is scarcer
        xp = array_module(value)
        return xp.broadcast_to(xp.empty((), value.dtype), value.shape)
    return value


@functools.lru_cache(maxsize=512)
def _stand_in(shape: tuple, dtype: np.dtype) -> np.ndarray:
    """One read-only stand-in per shape and dtype, shared by every call that has one (a
    recording makes one per call: broadcast_to costs 2 µs)."""
    return np.broadcast_to(np.empty((), dtype), shape)


def slots_in(ref: Any) -> list[int]:
    """The slot numbers in an argument tree."""
    return [r.index for r in refs_in(ref) if isinstance(r, Slot)]


def refs_in(ref: Any) -> list[Slot | Constant]:
    """The slots and constants in an argument tree, in order."""
    if isinstance(ref, Slot | Constant):
        return [ref]
    if type(ref) in (tuple, list):
        return [s for r in ref for s in refs_in(r)]
    if type(ref) is dict:
        return [s for r in ref.values() for s in refs_in(r)]
    return []


def call_slots(call: Call) -> list[int]:
    """The slot numbers a call reads."""
    return slots_in(call.args) + slots_in(call.kwargs)


@dataclass
class Recorder:
    """Collects the calls of one run; see the module docstring."""

    calls: list[Call] = field(default_factory=list)
    constants: list[Any] = field(default_factory=list)
    slot_values: list[Any] = field(default_factory=list)
    _slot_of: dict[int, int] = field(default_factory=dict)
    _constant_of: dict[int, int] = field(default_factory=dict)
    _tensor_of: dict[int, Tensor] = field(default_factory=dict)  # id(array) → its Tensor
    _foldable_slots: set[int] = field(default_factory=set)
    # constant Tensors whose value was read into Python (``float(scale)``): what Python made
    # of it is in the plan as a number, so a write to one must record the function again
    read_constants: list[Tensor] = field(default_factory=list)
    # Where the recording began in the count of nodes and writes (tensor.ORDER): a constant
    # Tensor written in place after this has changed since the plan folded its values.
    started: int = field(default_factory=lambda: next(ORDER))

    def add_input(self, value: Any) -> Slot:
        """Make ``value`` (an array handed to the compiled function) a slot of the plan."""
        return self._new_slot(value)

    def _new_slot(self, value: Any) -> Slot:
        index = len(self.slot_values)
        if type(value) is np.ndarray:
            # Not kept alive: an intermediate is freed when the function is done with it,
            # as in eager mode (keeping them all raised a compiled step's peak memory
            # above eager's). Its id leaves the table when it dies, so a new array at the
            # same address is not taken for it.
            weakref.finalize(value, _forget, weakref.ref(self), id(value))
            self.slot_values.append(ArraySpec.of(value))
        else:
            self.slot_values.append(value)  # a scalar: kept, so its id stays unique
        self._slot_of[id(value)] = index
        return Slot(index)

    def _known(self, ref: Any) -> bool:
        """Whether an argument is fixed for every replay: a constant that is neither a
        parameter on the tape nor state (a weight, whose array changes between replays
        even when no gradient reaches it: BatchNorm's moving statistics, a
        Normalization's adapted mean and variance, a frozen layer given new weights), a
        slot computed from such constants alone, a literal."""
        if isinstance(ref, Slot):
            return ref.index in self._foldable_slots
        if isinstance(ref, Constant):
            value = self.constants[ref.index]
            return not (isinstance(value, Tensor) and (value._level >= 0 or value.holds_state))
        if type(ref) in (tuple, list):
            return all(self._known(r) for r in ref)
        if type(ref) is dict:
            return all(self._known(r) for r in ref.values())
        return True

    def reference(self, value: Any, original: Any = None) -> Any:
        """The Slot or Constant for one argument; tuples, lists and dicts are walked."""
        index = self._slot_of.get(id(value))
        if index is None and isinstance(value, Tensor):
            index = self._slot_of.get(id(raw_data(value)))  # a plan value, wrapped
        if index is not None:
            return Slot(index)
        if type(value) in (tuple, list):
            return type(value)(self.reference(v) for v in value)
        if type(value) is dict:
            return {k: self.reference(v) for k, v in value.items()}
        if value is None or type(value) in (int, float, bool, str, slice, type(Ellipsis)):
            return value  # written into the plan as it is
        if isinstance(value, Tensor) and value._level < 0:
            original, value = value, raw_data(value)
        unwrap = isinstance(original, Tensor) and original._level <= 0
        if unwrap:
            # The backward pass sees a parameter's array without its Tensor: map it back,
            # so every call reads the parameter's current array (it may be replaced).
            original = self._tensor_of.setdefault(id(value), original)
        elif id(value) in self._tensor_of:
            original, unwrap = self._tensor_of[id(value)], True
        if unwrap:
            value = original  # read its current array at each replay
        key = id(value)
        if key not in self._constant_of:
            self._constant_of[key] = len(self.constants)
            self.constants.append(value)
        return Constant(self._constant_of[key], unwrap)

    def read(self, tensor: Tensor, conversion: str) -> None:
        """A Tensor's value taken out as a Python value or a NumPy array while recording
        (``READS.watcher``): refused when it may differ at the next call, since the plan
        replays array calls and no Python. A branch taken on it, or a number computed from
        it, would be frozen into every replay, a silent wrong answer the second recording
        misses whenever the first two calls agree on it (a sign, a maximum, a count). What
        may differ: a value computed from the arguments, a parameter or a layer's state
        (moving statistics, an adapted mean). Constants, and what is computed from
        constants alone, may be read: the plan folds them too."""
        value = raw_data(tensor)
        if self._may_differ(tensor):
            raise CompileError(
                f"compile: {conversion} of a {_described(value)} computed from the "
                f"function's arguments or a model's weights (at {user_frame()}): a compiled "
                "function replays its array calls without running its Python, so a branch "
                "taken on this value, or a number read from it, would be the first call's "
                "at every call, as JAX's jit refuses it too. Keep the work in deepgrad ops "
                "(dnp.where(condition, a, b) for a branch, dnp.maximum, ...), take it out of "
                "the compiled function, or call the function without compile (a model's "
                "training step: model.compile(..., jit=False))"
            )
        if id(value) not in self._slot_of:
            self.read_constants.append(tensor)

    def _may_differ(self, value: Any) -> bool:
        """Whether a Tensor's (or an array's) value may differ at the next call: computed from
        the arguments, a parameter or a layer's state (moving statistics, an adapted mean).
        Constants, what is computed from constants alone, and numbers do not."""
        index = self._slot_of.get(id(raw_data(value)))
        if index is not None:
            return index not in self._foldable_slots
        # not computed in the plan: a constant, a parameter, state
        return isinstance(value, Tensor) and (value._level >= 0 or value.holds_state)

    def _folded(self, value: Any) -> bool:
        """Whether a value is computed in the plan from constants alone (and kept by it)."""
        index = self._slot_of.get(id(raw_data(value)))
        return index is not None and index in self._foldable_slots

    def write(self, tensor: Tensor, value: Any, operation: str) -> None:
        """A Tensor written in place by its operator while recording (``WRITES.watcher``):
        refused unless both the Tensor and what is written are fixed for every call. The
        write is no call of the plan, so a replay would not make it: an input or a value
        computed in the step kept its unwritten value (``y = x * 2; y += 1`` replayed
        ``x * 2``), a weight updated by hand (``w -= lr * g``) or a counter closed over
        (``count += 1``) was written by the recordings only. What is made from constants
        alone and written with a constant is kept by the plan as written, as eager makes
        it at every call."""
        if self._folded(tensor) and (self._folded(value) or not isinstance(value, Tensor)):
            return  # (a constant Tensor written in would not be watched for its own writes)
        raise CompileError(
            f"compile: {operation} into a {_described(raw_data(tensor))} (at {user_frame()}): "
            "a compiled function replays its array calls, and a write in place is none, so "
            "it would happen while recording only, as JAX's arrays refuse it. Write "
            "x = x + y or x = x.at[index].set(y) (recorded ops) for a value of the step, "
            "Variable.assign, assign_add or assign_sub (made again at every call) for "
            "state the function updates, or call the function without compile"
        )

    def observe(self, prim: Primitive, originals: Any, raw: Any, kwargs: dict, result: Any) -> None:
        """The engine's observer hook (``STATE.observer``): note one primitive call."""
        self.record(prim.impl, prim.name, originals, raw, kwargs, result, prim.effect, prim.pure)

    def record(
        self,
        func: Callable,
        name: str,
        originals: Any,
        raw: Any,
        kwargs: dict,
        result: Any,
        effect: bool = False,
        pure: bool = True,
    ) -> None:
        """Note that ``func(*raw, **kwargs)`` returned ``result``."""
        originals = originals or (None,) * len(raw)
        args = tuple(
            self.reference(value, original) for value, original in zip(raw, originals, strict=True)
        )
        given, kwargs = kwargs, {k: self.reference(v) for k, v in kwargs.items()}
        out = None
        if result is not None and id(result) not in self._slot_of:
            out = self._new_slot(result)
        elif result is not None:
            out = Slot(self._slot_of[id(result)])
        foldable = (
            pure
            and not effect
            and out is not None
            and "out" not in kwargs
            and self._known(args)
            and self._known(kwargs)
        )
        if foldable and out is not None:  # the plan uses this result as a constant: keep it
            self._foldable_slots.add(out.index)
        else:
            result = shape_only(result)
        origin = user_frame()
        if name == "getitem" and _indexes_by_a_mask_made_in_the_step(
            raw[1] if len(raw) > 1 else given["index"],
            args[1] if len(args) > 1 else kwargs["index"],
        ):
            raise CompileError(
                f"compile: indexing with a boolean mask computed in the step (at {origin}) "
                "gives a result whose shape depends on the data, which a plan of buffers "
                "of fixed shapes cannot replay (it would broadcast or fail). Use "
                "deepgrad.numpy.where(mask, x, 0), dividing by mask.sum() for a mean, or "
                "run the function without compile"
            )
        if name in COUNTS_OF_THE_DATA and not (self._known(args) and self._known(kwargs)):
            raise CompileError(
                f"compile: {name} of a {_described(raw[0] if raw else None)} computed from "
                f"the function's arguments or a model's weights (at {origin}) gives as many "
                "indices as the data has nonzero elements, so its shape depends on the data "
                "(dnp.where(condition) with one argument is nonzero). A plan replays the "
                "first call's shapes: a length or shape read from it, a mean over what it "
                "selects, an elementwise op or a gradient through it would keep the first "
                "call's count, as JAX's jit refuses it too. Count with "
                "dnp.count_nonzero(condition) or dnp.sum(condition), select with "
                "dnp.where(condition, x, 0), or call the function without compile"
            )
        self.calls.append(
            Call(func, name, args, kwargs, result, out, effect, origin, pure, foldable=foldable)
        )


# Calls whose result has one entry per nonzero element of their argument: as many as the
# data make true, so a shape that changes from call to call.
COUNTS_OF_THE_DATA = frozenset({"nonzero", "argwhere"})


def _indexes_by_a_mask_made_in_the_step(index: Any, reference: Any) -> bool:
    """Whether an index holds a boolean array that the step computed (a Slot), whose
    number of True entries, and so the result's shape, may change from call to call."""
    pairs = zip(index, reference, strict=True) if type(index) is tuple else [(index, reference)]
    boolean = np.dtype(bool)
    return any(isinstance(ref, Slot) and getattr(i, "dtype", None) == boolean for i, ref in pairs)


def _described(value: Any) -> str:
    shape = getattr(value, "shape", None)
    if shape is None:
        return type(value).__name__
    return f"{getattr(value, 'dtype', '')} array of shape {tuple(shape)}"


def _forget(recorder_ref: weakref.ref, key: int) -> None:
    """An array a recording saw has died: its id no longer names its slot."""
    recorder = recorder_ref()
    if recorder is not None:
        recorder._slot_of.pop(key, None)


def record_call(func: Callable, *args: Any, effect: bool = False, **kwargs: Any) -> Any:
    """Call ``func(*args, **kwargs)``; inside ``deepgrad.compile`` also record it, so the
    compiled plan calls it again on every replay.

    Use it for array work that is not a deepgrad op but must happen at every step: a
    random draw, an in-place update (pass ``effect=True`` when it writes into an array
    outside the plan and returns nothing the plan uses). ``func``'s own array calls are
    not recorded separately. It is a one-off :class:`~deepgrad.autodiff.effects.Impure`
    primitive; a function called often is better made one once (``@impure``).

    >>> import numpy as np
    >>> record_call(np.ones, 3)
    array([1., 1., 1.])
    """
    return Impure(func, _name(func), effect=effect)(*args, **kwargs)


def _name(func: Callable) -> str:
    return getattr(func, "__name__", type(func).__name__)

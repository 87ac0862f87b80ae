"""What ``vmap`` records of one example: every primitive call, its arguments as slots
(values computed from the inputs) or constants, and the per-example shapes.

The engine's observer hook reports each primitive evaluated on raw arrays, including
those of derivative rules and of nested transforms, so a recording of ``grad(f)`` holds
its backward pass too. A value is followed by the identity of its array (all of them
are kept alive while recording, so identities stay unique).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from deepgrad.autodiff.effects import Impure
from deepgrad.autodiff.primitive import Primitive, _evaluate
from deepgrad.backend import to_numpy
from deepgrad.tensor import Tensor, raw_data

# ---- reading an example's values into Python --------------------------------------------------


class Example(np.ndarray):
    """An example's array while it is recorded (NumPy's results on it are Examples too).

    Python code that turns one of its values into a Python number or truth value (``if x >
    0``, ``float(x)``, an index) makes a choice the recording cannot replay for the other
    examples: the active recordings are marked, and vmap runs a loop instead. Reads inside
    a primitive's own function are not choices of the function being mapped: the replay
    runs that function again on the batch.
    """

    def __getitem__(self, key: Any) -> Any:
        # One element is a 0-d Example, not NumPy's scalar: float(a[0]) is a read too
        item = super().__getitem__(key)
        return np.asarray(item).view(Example) if isinstance(item, np.generic) else item

    def __bool__(self) -> bool:
        _read()
        return super().__bool__()

    def __float__(self) -> float:
        _read()
        return super().__float__()

    def __int__(self) -> int:
        _read()
        return super().__int__()

    def __index__(self) -> int:
        _read()
        return super().__index__()

    def item(self, *args: Any) -> Any:
        _read()
        return super().item(*args)

    def tolist(self) -> Any:
        _read()
        return super().tolist()


ACTIVE: list[Recording] = []  # the recordings under way, innermost last
_INSIDE_PRIMITIVES = {_evaluate.__code__, Impure.__call__.__code__}


def _read() -> None:
    if not ACTIVE:
        return
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code in _INSIDE_PRIMITIVES:
            return
        frame = frame.f_back
    for recording in ACTIVE:
        recording.value_read = True


@dataclass(frozen=True)
class Slot:
    """A value computed from the inputs (or an input itself), by number."""

    index: int


@dataclass(frozen=True)
class Const:
    """A value from outside the function's inputs (a closure, a literal array)."""

    value: Any


@dataclass
class Call:
    prim: Primitive
    args: tuple
    kwargs: dict
    shapes: list  # per positional argument: its per-example shape (None if not an array)
    out: Any  # a Slot, a tuple of Slots (or None) for tuple results, or None
    out_shape: Any


@dataclass
class Recording:
    """One run of the function on one example. ``first_level``: tensors traced at a level
    below it belong to transforms outside vmap (or to the tape)."""

    first_level: int
    calls: list[Call] = field(default_factory=list)
    shapes: list[tuple] = field(default_factory=list)  # per slot: its per-example shape
    traced_closure: str | None = None  # the first primitive that read an outer traced value
    effect: str | None = None  # the first primitive that writes outside its result
    value_read: bool = False  # Python code read an example's value (see Example)
    frozen: str | None = None  # a primitive gave a number it cannot follow, from example data
    _slot_of: dict[int, int] = field(default_factory=dict)
    _slot_of_memory: dict[tuple, int] = field(default_factory=dict)
    _alive: list = field(default_factory=list)
    _tape_of: dict[int, Tensor] = field(default_factory=dict)  # id(array) → its tape Tensor

    def add_input(self, value: Any) -> Slot:
        return self._new_slot(value)

    def _new_slot(self, value: Any) -> Slot:
        index = len(self.shapes)
        self._slot_of[id(value)] = index
        if isinstance(value, np.ndarray):
            self._slot_of_memory[_memory_key(value)] = index
        self._alive.append(value)
        self.shapes.append(tuple(np.shape(value)))
        return Slot(index)

    def reference(self, value: Any, original: Any = None, user: str = "") -> Any:
        """The Slot or Const for one argument; tuples, lists and dicts are walked."""
        index = self._slot_index(raw_data(value) if isinstance(value, Tensor) else value)
        if index is not None:
            return Slot(index)
        if type(value) in (tuple, list):
            return type(value)(self.reference(v, None, user) for v in value)
        if type(value) is dict:
            return {k: self.reference(v, None, user) for k, v in value.items()}
        if value is None or type(value) in (int, float, bool, str, slice, type(Ellipsis)):
            return value
        tensor = value if isinstance(value, Tensor) else original
        if not isinstance(tensor, Tensor):
            tensor = self._tape_of.get(id(value))  # a parameter's array, seen before with it
        if isinstance(tensor, Tensor) and tensor._level == 0:
            # A tape tensor (a model's weight) read by closure: the replay reads the Tensor,
            # so the batched result is on the tape as the function's would be.
            self._tape_of[id(raw_data(tensor))] = tensor
            return Const(tensor)
        if isinstance(tensor, Tensor) and 0 < tensor._level < self.first_level:
            self.traced_closure = self.traced_closure or user
        return Const(value)

    def _slot_index(self, value: Any) -> int | None:
        """The slot of ``value``, or of the array it is a plain view of: ``np.asarray`` of
        an Example is a new object over the same memory, with the same layout."""
        index = self._slot_of.get(id(value))
        if index is None and isinstance(value, np.ndarray):
            index = self._slot_of_memory.get(_memory_key(value))
        return index

    def observe(self, prim: Primitive, originals: Any, raw: Any, kwargs: dict, result: Any) -> None:
        """The engine's observer hook: note one primitive call."""
        if getattr(prim, "effect", False):
            self.effect = self.effect or prim.name
        originals = originals or (None,) * len(raw)
        args = tuple(self.reference(v, o, prim.name) for v, o in zip(raw, originals, strict=True))
        kw = {k: self.reference(v, None, prim.name) for k, v in kwargs.items()}
        shapes = [_shape_or_none(v) for v in raw]
        if isinstance(result, tuple):
            out = tuple(self._result_slot(r) for r in result)
            out_shape = tuple(_shape_or_none(r) for r in result)
        else:
            out, out_shape = self._result_slot(result), _shape_or_none(result)
        parts = result if isinstance(result, tuple) else (result,)
        shape_only = prim.impl in _SHAPE_ONLY
        if not shape_only and any(_unfollowable(r) for r in parts) and _has_slot((args, kw)):
            # A Python number, or NumPy's True and False (shared objects), cannot be
            # followed as a value: one computed from an example would be frozen.
            self.frozen = self.frozen or prim.name
        self.calls.append(Call(prim, args, kw, shapes, out, out_shape))

    def _result_slot(self, result: Any) -> Slot | None:
        value = raw_data(result) if isinstance(result, Tensor) else result
        # Python numbers and NumPy's boolean singletons are shared objects: never slots.
        if not hasattr(value, "shape") or isinstance(value, np.bool_):
            return None
        return self._new_slot(value)

    def output(self, value: Any) -> Any:
        """An output's reference. Inputs went in as constants, so an output traced by a
        transform outside vmap got it through a closure: which level the closure read
        (the transform's Tensor, or the array under it) the recording cannot tell. An
        output on the tape (level 0) read tape tensors only, which the replay reads too."""
        if isinstance(value, Tensor) and 0 < value._level < self.first_level:
            self.traced_closure = self.traced_closure or "an output"
        return self.reference(raw_data(value) if isinstance(value, Tensor) else value)


_SHAPE_ONLY = (np.shape, np.ndim, np.size)  # their numbers depend on shapes alone


def _unfollowable(value: Any) -> bool:
    """A Python number (NumPy's float64 is one too, but a new object each time: followable),
    or one of NumPy's two shared booleans."""
    if isinstance(value, np.bool_):
        return True
    return isinstance(value, bool | int | float) and not isinstance(value, np.generic)


def _has_slot(ref: Any) -> bool:
    if isinstance(ref, Slot):
        return True
    if type(ref) in (tuple, list):
        return any(_has_slot(r) for r in ref)
    if type(ref) is dict:
        return any(_has_slot(r) for r in ref.values())
    return False


def _memory_key(array: np.ndarray) -> tuple:
    """What makes two array objects the same array: memory, layout and dtype."""
    return (array.__array_interface__["data"][0], array.shape, array.strides, array.dtype.str)


def _shape_or_none(value: Any) -> tuple | None:
    data = raw_data(value) if isinstance(value, Tensor) else value
    return tuple(data.shape) if hasattr(data, "shape") else None


# ---- two recordings must agree ----------------------------------------------------------------


def same_recordings(first: Recording, second: Recording, outputs: tuple) -> bool:
    """Whether two examples made the same calls with the same constants and outputs."""
    if len(first.calls) != len(second.calls) or first.shapes != second.shapes:
        return False
    for a, b in zip(first.calls, second.calls, strict=True):
        if a.prim is not b.prim or a.out != b.out or a.out_shape != b.out_shape:
            return False
        if not same_refs((a.args, a.kwargs), (b.args, b.kwargs)):
            return False
    return same_refs(*outputs)


def same_refs(a: Any, b: Any) -> bool:
    if isinstance(a, Const) and isinstance(b, Const):
        return _same_constant(a.value, b.value)
    if type(a) is not type(b):
        return False
    if isinstance(a, tuple | list) and isinstance(b, tuple | list):
        return len(a) == len(b) and all(same_refs(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_refs(a[k], b[k]) for k in a)
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return a is b


def _same_constant(a: Any, b: Any) -> bool:
    if a is b:
        return True
    a, b = (raw_data(v) if isinstance(v, Tensor) else v for v in (a, b))
    if hasattr(a, "shape") or hasattr(b, "shape"):
        a, b = to_numpy(a), to_numpy(b)
        return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False

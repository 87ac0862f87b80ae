"""Tensor: an array that remembers how it was made, so it can be differentiated.

A Tensor wraps ``_value``: a raw array, or, inside a transform, a Tensor of a lower
level (see autodiff/primitive.py). ``_level`` is -1 for a constant, 0 for the
imperative tape (``requires_grad=True``) and 1, 2, ... for the traces that ``grad``,
``jvp`` and friends open. A traced tensor carries either how it was computed (reverse
mode: ``_prim`` and the other fields of a Node, see autodiff/primitive.py) or
``_tangent`` (forward mode: its derivative along a direction).
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from deepgrad.backend import array_module, get_default_dtype, is_floating, to_numpy
from deepgrad.device import Device, device_of, to_device


class Tensor:
    """An n-dimensional array with automatic differentiation.

    >>> import deepgrad as dg
    >>> x = dg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    Tensor([2., 4., 6.], dtype=float32)
    """

    __slots__ = (
        "__weakref__",
        "_args",
        "_inputs",
        "_kwargs",
        "_level",
        "_origin",
        "_parents",
        "_prim",
        "_sequence",
        "_tangent",
        "_value",
        "_written_at",
        "grad",
    )
    _value: Any  # a raw array, or a Tensor one level down
    _level: int
    _tangent: Any
    grad: Tensor | None
    # How an op made it, set by the engine (autodiff/primitive.py's Node describes each
    # field): ``_prim`` is None for a leaf, a constant or a dual number, and the other five
    # are set only when it is not. Kept on the tensor, not in a node object of its own:
    # that object was a third of the forward op's allocations.
    _prim: Any  # the Primitive
    _parents: tuple  # the positions, among _inputs, of the tensors differentiated through
    _args: Any
    _inputs: Any
    _kwargs: dict
    _sequence: int
    # (_written_at, the number of the last write in place, is set by mark_written only;
    # _origin, the user's source line, by the engine in anomaly mode only)
    __array_priority__ = 1000
    # A weight or buffer whose array may change between two calls of a compiled function
    # (layers' Variable): a plan reads it at every replay and never folds a value made
    # from it while recording.
    holds_state = False

    def __init__(self, data: Any, dtype: Any = None, requires_grad: bool = False) -> None:
        self._value = _as_array(data, dtype)
        self._level = -1
        self._prim = None
        self._tangent = None
        self.grad = None
        if requires_grad:
            self.requires_grad = True

    @classmethod
    def _make(cls, value: Any, level: int) -> Tensor:
        """Wrap a value without copying, as a tensor no op made (the engine's constructor)."""
        tensor = object.__new__(cls)
        tensor._value = value
        tensor._level = level
        tensor._prim = None
        tensor._tangent = None
        tensor.grad = None
        return tensor

    @classmethod
    def _make_dual(cls, value: Any, level: int, tangent: Any) -> Tensor:
        tensor = cls._make(value, level)
        tensor._tangent = tangent
        return tensor

    # ---- what it holds --------------------------------------------------------------------

    @property
    def data(self) -> np.ndarray:
        """The raw array underneath every level of tracing (shares memory)."""
        return raw_data(self)

    @data.setter
    def data(self, value: Any) -> None:
        if self._level > 0:
            raise RuntimeError("Tensor.data: cannot assign to a tensor traced by a transform")
        self._value = (
            raw_data(value) if isinstance(value, Tensor) else array_module(value).asarray(value)
        )
        if self._prim is not None:  # its rules would read the new array as their answer
            mark_written(self)

    @property
    def shape(self) -> tuple[int, ...]:
        return raw_data(self).shape

    @property
    def dtype(self) -> np.dtype:
        return raw_data(self).dtype

    @property
    def ndim(self) -> int:
        return raw_data(self).ndim

    @property
    def size(self) -> int:
        return raw_data(self).size

    @property
    def requires_grad(self) -> bool:
        """True for tensors on the tape or traced by a transform."""
        return self._level >= 0

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        if self._level > 0 or self._prim is not None:
            raise RuntimeError(
                "requires_grad can only be changed on leaf tensors (ones no op produced); "
                "use .detach() to get a leaf"
            )
        if flag and np.dtype(self.dtype).kind == "c":
            raise TypeError(
                f"requires_grad: the tensor is complex ({self.dtype}); deepgrad differentiates "
                "real functions of real arrays: make the real and imaginary parts two real "
                "tensors that require grad"
            )
        if flag and not is_floating(self.dtype):
            raise TypeError(
                f"requires_grad: only floating-point tensors can be differentiated, got "
                f"dtype {self.dtype}; cast first, e.g. tensor.astype('float32')"
            )
        self._level = 0 if flag else -1
        if flag:
            ENGINE.tape_begins()  # the tape's C loops loaded (or their build begun)

    @property
    def is_leaf(self) -> bool:
        """True if no recorded op produced this tensor (its ``.grad`` is filled by backward)."""
        return self._prim is None

    def numpy(self) -> np.ndarray:
        """The data as a NumPy array (shares memory; copied to the host from a device)."""
        return to_numpy(read_value(self, "numpy()"))

    @property
    def device(self) -> Device:
        """Where the data live: ``device('cpu')`` or ``device('cuda:0')``."""
        return device_of(raw_data(self))

    def to(self, device: Any) -> Tensor:
        """This tensor on ``device`` ("cpu", "gpu", "cuda:1"): itself if it is there
        already, else a copy. A tensor that requires grad is not moved (the copy would pass
        no gradient back to it): move its data first, ``dg.tensor(data, device=...,
        requires_grad=True)``, or move a model with ``model.to``."""
        value = raw_data(self)
        moved = to_device(value, device)
        if moved is value:
            return self
        if self._level >= 0:
            raise RuntimeError(
                f"Tensor.to({str(device)!r}): this tensor of shape {self.shape} on "
                f"{self.device} requires grad, and a copy on another device would pass no "
                "gradient back to it; move the data before tracking gradients "
                "(dg.tensor(data, device=..., requires_grad=True)) or use .detach().to(...)"
            )
        return Tensor._make(moved, -1)

    def cpu(self) -> Tensor:
        """This tensor on the host (``to("cpu")``)."""
        return self.to("cpu")

    def item(self) -> Any:
        """The single element as a Python number."""
        return raw_data(self._untraced("item()")).item()

    def tolist(self) -> Any:
        return raw_data(self._untraced("tolist()")).tolist()

    def _untraced(self, conversion: str) -> Tensor:
        """``self``, or an error when a transform traces it: a Python number made from a
        traced value is cut from the graph, and its gradient would be silently 0."""
        read_value(self, conversion)
        if self._level > 0:
            raise TypeError(
                f"{conversion} of a Tensor traced by a transform (grad, jvp, hessian, ...) "
                "gives a Python number cut from the graph: its derivative would be taken as "
                "0. Keep it a Tensor (deepgrad.numpy's functions), or take the value on "
                "purpose with deepgrad.stop_gradient(x)"
            )
        return self

    def detach(self) -> Tensor:
        """A constant tensor sharing this one's data, cut off from every graph."""
        return Tensor._make(raw_data(self), -1)

    def backward(
        self, gradient: Any = None, retain_graph: bool | None = None, create_graph: bool = False
    ) -> None:
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

        ``gradient`` is the cotangent (required unless self has one element);
        ``create_graph=True`` records the backward pass too, for higher derivatives.
        ``retain_graph`` keeps the graph's saved arrays for another backward pass; as in
        PyTorch, it defaults to ``create_graph``.
        """
        ENGINE.backward(self, gradient, retain_graph=retain_graph, create_graph=create_graph)

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """``np.exp(t)``, ``ndarray + t``: deepgrad.numpy's function of that name (NEP 13)."""
        if method == "__call__" and not kwargs:  # the common case, ``ndarray * t``: no frame
            target = UFUNC_TARGETS.get(ufunc)
            if target is not None:
                return target(*inputs)
        return ENGINE.array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        """``np.sum(t)``, ``np.dot(t, w)``: deepgrad.numpy's function of that name (NEP 18)."""
        return ENGINE.array_function(func, types, args, kwargs)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if self.device.kind != "cpu":
            raise TypeError(
                f"a Tensor on {self.device} cannot become a NumPy array implicitly (a silent "
                "copy from the device); use tensor.numpy() or tensor.cpu()"
            )
        if self._level > 0:
            raise TypeError(
                "a Tensor traced by a transform (grad, jvp, ...) was converted to a NumPy "
                "array (np.asarray, np.array), which would cut it from the graph: use "
                "deepgrad.numpy's functions (dnp.asarray, dnp.array record it), or take the "
                "value explicitly with deepgrad.stop_gradient(x) or x.numpy()"
            )
        data = read_value(self, "np.asarray()")
        if copy:  # np.array(t): NumPy asks for a copy and trusts it is one
            return np.array(data, dtype=dtype, copy=True)
        if copy is False and dtype is not None and np.dtype(dtype) != data.dtype:
            raise ValueError(
                f"np.asarray(tensor, dtype={np.dtype(dtype)}, copy=False): the tensor is "
                f"{data.dtype}, and a cast needs a copy"
            )
        return np.asarray(data, dtype=dtype)  # a view of the tensor (a 0-d array for a scalar)

    def __repr__(self) -> str:
        body = np.array2string(to_numpy(raw_data(self)), separator=", ", prefix="Tensor(")
        extra = f", dtype={self.dtype}"
        if self.device.kind != "cpu":
            extra += f", device='{self.device}'"
        if self._prim is not None and self._level == 0:
            extra += f", grad_fn=<{self._prim.name}>"
        elif self._level == 0:
            extra += ", requires_grad=True"
        elif self._level > 0:
            extra += f", traced at level {self._level}"
        return f"Tensor({body}{extra})"

    def __len__(self) -> int:
        return len(raw_data(self))

    def __bool__(self) -> bool:
        return bool(read_value(self, "bool()"))

    def __float__(self) -> float:
        return float(raw_data(self._untraced("float()")))

    def __complex__(self) -> complex:
        return complex(raw_data(self._untraced("complex()")))

    def __int__(self) -> int:
        return int(read_value(self, "int()"))

    def __index__(self) -> int:
        return read_value(self, "an index").__index__()

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    # ---- operators and NumPy-style methods: each calls the deepgrad.numpy function named
    # in it, so it records on the tape and is seen by every transform. The arithmetic ones
    # are the hot path of eager code: their functions are primitives, bound directly
    # (``_bind_pair(prim, x, y)`` is what ``prim(x, y)`` does, one call fewer).
    # Comparisons and logic give constants (they have no derivative).

    def __add__(self, other: Any) -> Tensor:
        return _bind_pair(_numpy.add, self, other)

    def __radd__(self, other: Any) -> Tensor:
        return _bind_pair(_numpy.add, other, self)

    def __sub__(self, other: Any) -> Tensor:
        return _bind_pair(_numpy.subtract, self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return _bind_pair(_numpy.subtract, other, self)

    def __mul__(self, other: Any) -> Tensor:
        return _bind_pair(_numpy.multiply, self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return _bind_pair(_numpy.multiply, other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return _bind_pair(_numpy.divide, self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return _bind_pair(_numpy.divide, other, self)

    def __pow__(self, other: Any) -> Tensor:
        return _bind_pair(_numpy.power, self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return _bind_pair(_numpy.power, other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return _bind_pair(_numpy.matmul, self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return _bind_pair(_numpy.matmul, other, self)

    def __mod__(self, other: Any) -> Tensor:
        return _bind_pair(_numpy.mod, self, other)

    def __rmod__(self, other: Any) -> Tensor:
        return _bind_pair(_numpy.mod, other, self)

    def __floordiv__(self, other: Any) -> Tensor:
        return _numpy.floor_divide(self, other)

    def __rfloordiv__(self, other: Any) -> Tensor:
        return _numpy.floor_divide(other, self)

    def __neg__(self) -> Tensor:
        return _bind(_numpy.negative, (self,), NO_KWARGS)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return _bind(_numpy.absolute, (self,), NO_KWARGS)

    def __eq__(self, other: object) -> Tensor:  # type: ignore[override]
        return _numpy.equal(self, other)

    def __ne__(self, other: object) -> Tensor:  # type: ignore[override]
        return _numpy.not_equal(self, other)

    def __lt__(self, other: Any) -> Tensor:
        return _numpy.less(self, other)

    def __le__(self, other: Any) -> Tensor:
        return _numpy.less_equal(self, other)

    def __gt__(self, other: Any) -> Tensor:
        return _numpy.greater(self, other)

    def __ge__(self, other: Any) -> Tensor:
        return _numpy.greater_equal(self, other)

    def __and__(self, other: Any) -> Tensor:
        return _numpy.logical_and(self, other)

    def __or__(self, other: Any) -> Tensor:
        return _numpy.logical_or(self, other)

    def __invert__(self) -> Tensor:
        return _numpy.logical_not(self)

    __hash__ = object.__hash__  # defining __eq__ would otherwise remove it

    def __getitem__(self, index: Any) -> Tensor:
        return ENGINE.getitem(self, index)

    @property
    def at(self) -> Any:
        """Functional updates: ``x.at[i].set(v)``, ``.add(v)``, ``.multiply(v)``."""
        return ENGINE.index_updater(self)

    @property
    def T(self) -> Tensor:
        return _numpy.transpose(self)

    @property
    def mT(self) -> Tensor:
        return _numpy.swapaxes(self, -1, -2)

    def reshape(self, *shape: Any) -> Tensor:
        return _numpy.reshape(self, _shape_argument(shape))

    def transpose(self, *axes: Any) -> Tensor:
        return _numpy.transpose(self, _shape_argument(axes) if axes else None)

    def sum(self, *args: Any, **kwargs: Any) -> Tensor:
        return _numpy.sum(self, *args, **kwargs)

    def mean(self, *args: Any, **kwargs: Any) -> Tensor:
        return _numpy.mean(self, *args, **kwargs)

    def prod(self, *args: Any, **kwargs: Any) -> Tensor:
        return _numpy.prod(self, *args, **kwargs)

    def max(self, *args: Any, **kwargs: Any) -> Tensor:
        return _numpy.max(self, *args, **kwargs)

    def min(self, *args: Any, **kwargs: Any) -> Tensor:
        return _numpy.min(self, *args, **kwargs)

    def var(self, *args: Any, **kwargs: Any) -> Tensor:
        return _numpy.var(self, *args, **kwargs)

    def std(self, *args: Any, **kwargs: Any) -> Tensor:
        return _numpy.std(self, *args, **kwargs)

    def cumsum(self, *args: Any, **kwargs: Any) -> Tensor:
        return _numpy.cumsum(self, *args, **kwargs)

    def cumprod(self, *args: Any, **kwargs: Any) -> Tensor:
        return _numpy.cumprod(self, *args, **kwargs)

    def argmax(self, *args: Any, **kwargs: Any) -> Tensor:
        return _numpy.argmax(self, *args, **kwargs)

    def argmin(self, *args: Any, **kwargs: Any) -> Tensor:
        return _numpy.argmin(self, *args, **kwargs)

    def argsort(self, *args: Any, **kwargs: Any) -> Tensor:
        return _numpy.argsort(self, *args, **kwargs)

    def all(self, *args: Any, **kwargs: Any) -> Tensor:
        return _numpy.all(self, *args, **kwargs)

    def any(self, *args: Any, **kwargs: Any) -> Tensor:
        return _numpy.any(self, *args, **kwargs)

    def clip(self, *args: Any, **kwargs: Any) -> Tensor:
        return _numpy.clip(self, *args, **kwargs)

    def dot(self, *args: Any, **kwargs: Any) -> Tensor:
        return _numpy.dot(self, *args, **kwargs)

    def ravel(self) -> Tensor:
        return _numpy.ravel(self)

    def flatten(self) -> Tensor:
        """A flattened copy, as ``ndarray.flatten`` gives (``ravel`` gives a view where it
        can: writing into it writes into this tensor)."""
        return _numpy.ravel(_numpy.copy(self))

    def squeeze(self, *args: Any, **kwargs: Any) -> Tensor:
        return _numpy.squeeze(self, *args, **kwargs)

    def swapaxes(self, axis1: int, axis2: int) -> Tensor:
        return _numpy.swapaxes(self, axis1, axis2)

    def astype(self, dtype: Any, copy: bool = True) -> Tensor:
        """This tensor cast to ``dtype``, as ``ndarray.astype``: a new tensor, or, with
        ``copy=False``, this one itself when it has that dtype already (differentiable
        between floating dtypes; ``deepgrad.numpy.astype`` never copies).

        >>> import deepgrad as dg
        >>> x = dg.tensor([1.5, 2.5])
        >>> y = x.astype(x.dtype)
        >>> y[0] = 0.0
        >>> x
        Tensor([1.5, 2.5], dtype=float32)
        >>> x.astype(x.dtype, copy=False) is x
        True
        """
        result = _numpy.astype(self, dtype)
        if copy and result is self:
            result = _numpy.copy(self)
        return result

    def diagonal(self, *args: Any, **kwargs: Any) -> Tensor:
        return _numpy.diagonal(self, *args, **kwargs)

    def trace(self, *args: Any, **kwargs: Any) -> Tensor:
        return _numpy.trace(self, *args, **kwargs)

    def take(self, *args: Any, **kwargs: Any) -> Tensor:
        return _numpy.take(self, *args, **kwargs)

    def repeat(self, *args: Any, **kwargs: Any) -> Tensor:
        return _numpy.repeat(self, *args, **kwargs)

    def exp(self) -> Tensor:
        return _numpy.exp(self)

    def log(self) -> Tensor:
        return _numpy.log(self)

    def sqrt(self) -> Tensor:
        return _numpy.sqrt(self)

    def tanh(self) -> Tensor:
        return _numpy.tanh(self)

    def sin(self) -> Tensor:
        return _numpy.sin(self)

    def cos(self) -> Tensor:
        return _numpy.cos(self)

    def abs(self) -> Tensor:
        return _numpy.absolute(self)

    def round(self, *args: Any, **kwargs: Any) -> Tensor:
        return _numpy.round(self, *args, **kwargs)

    # ---- in place: ``x += y`` writes into x's array, where nothing is recorded --------------

    def __iadd__(self, other: Any) -> Tensor:
        return self._update_in_place(np.add, other)

    def __isub__(self, other: Any) -> Tensor:
        return self._update_in_place(np.subtract, other)

    def __imul__(self, other: Any) -> Tensor:
        return self._update_in_place(np.multiply, other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._update_in_place(np.true_divide, other)

    def _update_in_place(self, ufunc: np.ufunc, other: Any) -> Tensor:
        if self._level > 0 or (self._level == 0 and ENGINE.grad_enabled()):
            raise RuntimeError(
                f"in-place {ufunc.__name__} on a tensor that requires grad would corrupt "
                "its graph: do updates inside `with deepgrad.no_grad():`, or write x = x + y"
            )
        _refuse_recorded(other, f"in-place {ufunc.__name__}", "x = x + y")
        if WRITES.watcher is not None:
            WRITES.watcher(self, other, f"in-place {ufunc.__name__} (x {_SIGNS[ufunc]}= y)")
        ufunc(self._value, raw_data(other), out=self._value, casting="same_kind")
        mark_written(self)
        return self

    def __setitem__(self, index: Any, value: Any) -> None:
        if self._level >= 0:
            raise TypeError(
                "Tensor item assignment cannot be differentiated: this tensor is part of a "
                "graph. Use the functional update `x = x.at[index].set(value)` (or .add) instead"
            )
        _refuse_recorded(value, "Tensor item assignment", "x = x.at[index].set(value)")
        if WRITES.watcher is not None:
            WRITES.watcher(self, value, "item assignment (x[index] = y)")
        self._value[index] = raw_data(value) if isinstance(value, Tensor) else value
        mark_written(self)


_SIGNS = {np.add: "+", np.subtract: "-", np.multiply: "*", np.true_divide: "/"}


def _refuse_recorded(value: Any, operation: str, instead: str) -> None:
    """Raise if ``value`` is recorded (a tape tensor while gradients are on, or a tensor a
    transform traces): written into an unrecorded tensor's array, it would leave the graph,
    and its gradient would silently miss this use."""
    if not isinstance(value, Tensor):
        return
    if value._level > 0:  # no_grad does not stop a transform's trace
        unrecorded = "pass `deepgrad.stop_gradient(value)`"
    elif value._level == 0 and ENGINE.grad_enabled():
        unrecorded = "write inside `with deepgrad.no_grad():`"
    else:
        return
    raise RuntimeError(
        f"{operation}: the value written is a tensor that requires grad, and writing it "
        "into a tensor that does not would drop it from the graph (its gradient would miss "
        f"this use). Write `{instead}`, which records it, or {unrecorded} if no gradient "
        "should flow"
    )


# ---- writes in place, and the graphs made before them ---------------------------------------
# A node's rules read the arrays its op saw, and its own answer (autodiff/graph.py). Written
# in place after the node was made, one of them would give a gradient of values the forward
# pass never saw: the reverse pass raises instead, as PyTorch does. Nodes and writes are
# numbered from one count, so "written after the node was made" is one comparison.

ORDER = itertools.count()  # the tape's nodes (autodiff/primitive.py) and writes, in order
# The number of the last write into the memory of each array that owns its memory, by the
# array's id: a view (a slice, a reshape, a parameter in an optimizer's flat buffer) is
# written when its owner is. An entry goes when its array does (weakref.finalize).
_WRITTEN_OWNERS: dict[int, int] = {}


class _Writes:
    """The number, in ``ORDER``, of the last write in place to any Tensor (-1: none yet);
    and who is told before a Tensor's operator writes in place (``x += y``, ``x[i] = y``):
    ``watcher(tensor, value, operation)``, or None. ``deepgrad.compile`` sets it while it
    records, because such a write is no call of the plan and would not happen again at a
    replay (``compiler/recorder.py``, ``Recorder.write``)."""

    __slots__ = ("last", "watcher")

    def __init__(self) -> None:
        self.last = -1
        self.watcher: Callable[[Tensor, Any, str], None] | None = None


WRITES = _Writes()


class _Reads:
    """Who is told when a Tensor's value leaves deepgrad as a Python value or a NumPy array
    (``bool``, ``float``, ``int``, an index, ``item``, ``tolist``, ``numpy``,
    ``np.asarray``): ``watcher(tensor, conversion)``, or None. ``deepgrad.compile`` sets it
    while it records, because a plan replays array calls and no Python: a branch taken on
    the data, or a number read from it, would be frozen into every replay
    (``compiler/recorder.py``, ``Recorder.read``)."""

    __slots__ = ("watcher",)

    def __init__(self) -> None:
        self.watcher: Callable[[Tensor, str], None] | None = None


READS = _Reads()


def read_value(x: Any, conversion: str) -> Any:
    """The array under ``x``, for code that reads it in Python (a length, a bound), told
    to ``READS.watcher`` when ``x`` is a Tensor, as ``float(x)`` is: a compiled plan would
    freeze what Python made of it.

    >>> import deepgrad as dg
    >>> read_value(dg.tensor([3]), "arange's stop")
    array([3])
    """
    if READS.watcher is not None and isinstance(x, Tensor):
        READS.watcher(x, conversion)
    return raw_data(x)


def mark_written(*tensors: Any) -> None:
    """Record that the arrays of ``tensors`` were written in place just now (``x += y``,
    an item assignment, ``Variable.assign``, an optimizer's step, ``set_weights``): the
    reverse pass of a graph made before refuses to use them.

    >>> import deepgrad as dg
    >>> x = dg.tensor([1.0, 2.0], requires_grad=True)
    >>> c = dg.tensor([3.0, 4.0])
    >>> y = (x * c).sum()
    >>> mark_written(c)  # what ``c += 1`` does after the write
    >>> y.backward()
    Traceback (most recent call last):
    ...
    RuntimeError: backward: input 1 of multiply (float32 [2]) was written in place...
    """
    stamp = next(ORDER)
    for tensor in tensors:
        tensor._written_at = stamp
        owner = _owner(tensor._value)
        key = id(owner)
        if key not in _WRITTEN_OWNERS:
            try:
                weakref.finalize(owner, _WRITTEN_OWNERS.pop, key, None)
            except TypeError:  # no weak reference to it: the tensor's own number must do
                continue
        _WRITTEN_OWNERS[key] = stamp
    WRITES.last = stamp


def written_at(tensor: Tensor) -> int:
    """The number of the last write in place to ``tensor``, or into the memory its array
    shares with the array written (-1: never written)."""
    own = getattr(tensor, "_written_at", -1)
    return max(own, _WRITTEN_OWNERS.get(id(_owner(tensor._value)), -1))


def _owner(array: Any) -> Any:
    """The array that owns ``array``'s memory: ``array`` itself, or its base (NumPy and
    CuPy give a view's base as the array that owns the memory, not the view it came from)."""
    while isinstance(getattr(array, "base", None), type(array)):
        array = array.base
    return array


# ---- what Tensor's methods call in the layers above -----------------------------------------
# The engine and the ops sit above this module and import it, so Tensor cannot import them:
# they hand their functions over when they load.


class _Engine:
    """The functions of the layers above that Tensor's methods call."""

    backward: Callable[..., None]  # set by autodiff/graph.py
    grad_enabled: Callable[[], bool]  # set by autodiff/modes.py
    getitem: Callable[[Any, Any], Any]  # set by numpy/methods.py
    index_updater: Callable[[Any], Any]  # set by numpy/methods.py
    array_ufunc: Callable[..., Any]  # set by numpy/dispatch.py
    array_function: Callable[..., Any]  # set by numpy/dispatch.py
    tape_begins: Callable[[], Any] = staticmethod(lambda: None)  # set by autodiff/graph.py


ENGINE = _Engine()
UFUNC_TARGETS: dict[Any, Callable] = {}  # NumPy ufunc → deepgrad.numpy's (numpy/dispatch.py)
_numpy: Any = None  # the deepgrad.numpy module, set by it when it loads (use_numpy)
_bind: Callable[[Any, Any, dict], Any]  # the engine's bind (use_tensor_binds)
_bind_pair: Callable[[Any, Any, Any], Any]  # the engine's bind for two arguments
NO_KWARGS: dict = {}  # the keywords of a call that passes none (never written to)


def use_numpy(module: Any) -> None:
    """Make Tensor's operators and methods call ``module``'s functions (deepgrad.numpy's);
    its primitives are bound with the engine's binds (``use_tensor_binds``)."""
    global _numpy
    _numpy = module


def use_tensor_binds(
    bind: Callable[[Any, Any, dict], Any], bind_pair: Callable[[Any, Any, Any], Any]
) -> None:
    """Make Tensor's operators bind with ``bind`` and ``bind_pair`` (the engine's, in Python
    or in C: ``primitive.use_binds``)."""
    global _bind, _bind_pair
    _bind, _bind_pair = bind, bind_pair


def _shape_argument(shape: tuple) -> Any:
    """``x.reshape(2, 3)`` and ``x.reshape((2, 3))`` alike, as NumPy takes them."""
    return shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape


def raw_data(value: Any) -> Any:
    """The raw array under any number of Tensor levels; non-Tensors pass through."""
    while isinstance(value, Tensor):
        value = value._value
    return value


def _as_array(data: Any, dtype: Any) -> Any:
    """A copy of ``data`` made by its own array module (NumPy for Python data)."""
    if isinstance(data, Tensor):
        data = raw_data(data)
    xp = array_module(data)
    if dtype is not None:
        return xp.array(data, dtype=dtype)
    is_python_data = not hasattr(data, "dtype")
    array = xp.array(data)
    if is_python_data and array.dtype == np.float64:
        array = array.astype(get_default_dtype())
    return array


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """Make a Tensor, copying ``data``, on ``device`` if given (else where ``data`` is).

    Python floats become the default dtype (float32); NumPy arrays keep theirs.

    >>> import deepgrad as dg
    >>> dg.tensor([1.0, 2.0]).dtype
    dtype('float32')
    >>> dg.tensor(np.zeros(2)).dtype
    dtype('float64')
    >>> dg.tensor([1.0], device="cpu").device
    device('cpu')
    """
    if device is not None:
        made = Tensor._make(to_device(_as_array(data, dtype), device), -1)
        made.requires_grad = requires_grad  # _as_array copied: nothing is shared
        return made
    return Tensor(data, dtype=dtype, requires_grad=requires_grad)

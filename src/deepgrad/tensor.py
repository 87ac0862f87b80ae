"""Tensor: an array that remembers how it was made, so it can be differentiated.

A Tensor wraps ``_value``: a raw array, or, inside a transform, a Tensor of a lower
level (see autodiff/primitive.py). ``_level`` is -1 for a constant, 0 for the
imperative tape (``requires_grad=True``) and 1, 2, ... for the traces that ``grad``,
``jvp`` and friends open. A traced tensor carries either ``_node`` (reverse mode:
how it was computed) or ``_tangent`` (forward mode: its derivative along a direction).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from deepgrad.backend import array_module, get_default_dtype, is_floating, to_numpy


class Tensor:
    """An n-dimensional array with automatic differentiation.

    >>> import deepgrad as dg
    >>> x = dg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    Tensor([2., 4., 6.], dtype=float32)
    """

    __slots__ = ("__weakref__", "_level", "_node", "_tangent", "_value", "grad")
    __array_ufunc__ = None  # make NumPy hand ``ndarray op Tensor`` to the Tensor's reflected op
    __array_priority__ = 1000

    def __init__(self, data: Any, dtype: Any = None, requires_grad: bool = False) -> None:
        self._value = _as_array(data, dtype)
        self._level = -1
        self._node = None
        self._tangent = None
        self.grad = None
        if requires_grad:
            self.requires_grad = True

    @classmethod
    def _make(cls, value: Any, level: int, node: Any) -> Tensor:
        """Wrap a result without copying (the engine's constructor)."""
        tensor = object.__new__(cls)
        tensor._value = value
        tensor._level = level
        tensor._node = node
        tensor._tangent = None
        tensor.grad = None
        return tensor

    @classmethod
    def _make_dual(cls, value: Any, level: int, tangent: Any) -> Tensor:
        tensor = cls._make(value, level, None)
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
        if self._level > 0 or self._node is not None:
            raise RuntimeError(
                "requires_grad can only be changed on leaf tensors (ones no op produced); "
                "use .detach() to get a leaf"
            )
        if flag and not is_floating(self.dtype):
            raise TypeError(
                f"requires_grad: only floating-point tensors can be differentiated, got "
                f"dtype {self.dtype}; cast first, e.g. tensor.astype('float32')"
            )
        self._level = 0 if flag else -1

    @property
    def is_leaf(self) -> bool:
        """True if no recorded op produced this tensor (its ``.grad`` is filled by backward)."""
        return self._node is None

    def numpy(self) -> np.ndarray:
        """The data as a NumPy array (shares memory; copied to the host from a device)."""
        return to_numpy(raw_data(self))

    def item(self) -> Any:
        """The single element as a Python number."""
        return raw_data(self).item()

    def tolist(self) -> Any:
        return raw_data(self).tolist()

    def detach(self) -> Tensor:
        """A constant tensor sharing this one's data, cut off from every graph."""
        return Tensor._make(raw_data(self), -1, None)

    def backward(
        self, gradient: Any = None, retain_graph: bool = False, create_graph: bool = False
    ) -> None:
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

        ``gradient`` is the cotangent (required unless self has one element);
        ``create_graph=True`` records the backward pass too, for higher derivatives.
        """
        ENGINE.backward(self, gradient, retain_graph=retain_graph, create_graph=create_graph)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        data = raw_data(self)
        return data if dtype is None else data.astype(dtype)

    def __repr__(self) -> str:
        body = np.array2string(to_numpy(raw_data(self)), separator=", ", prefix="Tensor(")
        extra = f", dtype={self.dtype}"
        if self._node is not None and self._level == 0:
            extra += f", grad_fn=<{self._node.prim.name}>"
        elif self._level == 0:
            extra += ", requires_grad=True"
        elif self._level > 0:
            extra += f", traced at level {self._level}"
        return f"Tensor({body}{extra})"

    def __len__(self) -> int:
        return len(raw_data(self))

    def __bool__(self) -> bool:
        return bool(raw_data(self))

    def __float__(self) -> float:
        return float(raw_data(self))

    def __int__(self) -> int:
        return int(raw_data(self))

    def __index__(self) -> int:
        return raw_data(self).__index__()

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    __hash__ = object.__hash__

    def __setitem__(self, index: Any, value: Any) -> None:
        if self._level >= 0:
            raise TypeError(
                "Tensor item assignment cannot be differentiated: this tensor is part of a "
                "graph. Use the functional update `x = x.at[index].set(value)` (or .add) instead"
            )
        self._value[index] = raw_data(value) if isinstance(value, Tensor) else value


# ---- what Tensor's methods call in the layers above -----------------------------------------
# The engine and the ops sit above this module and import it, so Tensor cannot import them:
# they hand their functions over when they load (autodiff/graph.py: backward;
# numpy/methods.py: every name in the tables below).


class _Engine:
    """The engine's functions that Tensor's methods call (set by autodiff/graph.py)."""

    backward: Callable[..., None]


ENGINE = _Engine()

# Tensor's operators: method → the deepgrad.numpy function it calls, ``x + y`` is
# ``add(x, y)``. Each is a primitive or a composite, so it records on the tape and is
# seen by every transform.
OPERATORS: dict[str, str] = {
    "__add__": "add",
    "__sub__": "subtract",
    "__mul__": "multiply",
    "__truediv__": "divide",
    "__pow__": "power",
    "__matmul__": "matmul",
    "__mod__": "mod",
    "__floordiv__": "floor_divide",
    "__neg__": "negative",
    "__abs__": "absolute",
    "__eq__": "equal",  # comparisons and logic give constants (no derivative)
    "__ne__": "not_equal",
    "__lt__": "less",
    "__le__": "less_equal",
    "__gt__": "greater",
    "__ge__": "greater_equal",
    "__and__": "logical_and",
    "__or__": "logical_or",
    "__invert__": "logical_not",
}
# ``2 * x`` calls ``x.__rmul__(2)``, which is ``multiply(2, x)``: the operands swapped.
REFLECTED_OPERATORS: dict[str, str] = {
    "__radd__": "add",
    "__rsub__": "subtract",
    "__rmul__": "multiply",
    "__rtruediv__": "divide",
    "__rpow__": "power",
    "__rmatmul__": "matmul",
    "__rmod__": "mod",
    "__rfloordiv__": "floor_divide",
}
# ``x += y`` writes into x's array (only where nothing is recorded: see numpy/methods.py).
IN_PLACE_OPERATORS: dict[str, str] = {
    "__iadd__": "add",
    "__isub__": "subtract",
    "__imul__": "multiply",
    "__itruediv__": "true_divide",
}
# NumPy-style methods: ``x.sum(axis=0)`` is ``sum(x, axis=0)``.
METHODS: dict[str, str] = {
    name: name
    for name in (
        "sum", "mean", "prod", "max", "min", "var", "std", "cumsum", "cumprod", "argmax",
        "argmin", "argsort", "all", "any", "clip", "dot", "ravel", "squeeze", "swapaxes",
        "astype", "diagonal", "trace", "take", "repeat", "exp", "log", "sqrt", "tanh", "sin",
        "cos", "round",
    )
} | {"flatten": "ravel", "abs": "absolute"}  # fmt: skip
# Written out in numpy/methods.py, as they take their arguments NumPy's way: ``x[i]``
# (getitem), ``+x``, ``x.reshape(2, 3)``, ``x.transpose(1, 0)``, ``x.T``, ``x.mT`` and
# ``x.at[i].set(v)`` (functional updates).


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


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Make a Tensor, copying ``data``.

    Python floats become the default dtype (float32); NumPy arrays keep theirs.

    >>> import deepgrad as dg
    >>> dg.tensor([1.0, 2.0]).dtype
    dtype('float32')
    >>> dg.tensor(np.zeros(2)).dtype
    dtype('float64')
    """
    return Tensor(data, dtype=dtype, requires_grad=requires_grad)

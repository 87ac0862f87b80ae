"""Binds Tensor's operators and methods, listed in tensor.py, to the deepgrad.numpy ops.

tensor.py names each operator's op; this module looks the names up and sets the methods
when the ops load (the ops sit above tensor.py, so it cannot import them itself).
Operators are the hot path of eager code: a primitive is bound with a function that
calls ``bind`` directly, with a fixed number of arguments.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

import numpy as np

from deepgrad.autodiff.primitive import STATE, Primitive, bind
from deepgrad.ops import elementwise
from deepgrad.ops.indexing import IndexUpdater, getitem, normalize_index
from deepgrad.ops.linalg import matmul
from deepgrad.ops.shape import reshape, swapaxes, transpose
from deepgrad.tensor import (
    IN_PLACE_OPERATORS,
    METHODS,
    OPERATORS,
    REFLECTED_OPERATORS,
    Tensor,
    raw_data,
)

_NO_KWARGS: dict = {}


def _method(fn: Any) -> Callable:
    """``fn`` as a method: a function binds ``self`` as it is; a primitive needs a wrapper."""
    if isinstance(fn, types.FunctionType):
        return fn
    if fn in _UNARY:
        return lambda self: bind(fn, (self,), _NO_KWARGS)
    if fn in _BINARY:
        return lambda self, other: bind(fn, (self, other), _NO_KWARGS)
    return lambda self, *args: bind(fn, (self, *args), _NO_KWARGS)


def _reflected(fn: Any) -> Callable:
    """``other op self``: the method of a reflected operator (``2 * x``)."""
    if isinstance(fn, Primitive):
        return lambda self, other: bind(fn, (other, self), _NO_KWARGS)
    return lambda self, other: fn(other, self)


def _in_place(ufunc: np.ufunc) -> Callable:
    """``x += y`` and friends: in place on the data, allowed where nothing is recorded."""

    def method(self: Tensor, other: Any) -> Tensor:
        if self._level > 0 or (self._level == 0 and STATE.grad_enabled):
            raise RuntimeError(
                f"in-place {ufunc.__name__} on a tensor that requires grad would corrupt "
                "its graph: do updates inside `with deepgrad.no_grad():`, or write x = x + y"
            )
        ufunc(self._value, raw_data(other), out=self._value, casting="same_kind")
        return self

    return method


def _shape_args(shape: tuple) -> Any:
    return shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape


_UNARY = {elementwise.negative, elementwise.absolute}
_BINARY = {
    elementwise.add,
    elementwise.subtract,
    elementwise.multiply,
    elementwise.divide,
    elementwise.power,
    elementwise.mod,
    matmul,
}

WRITTEN_OUT: dict[str, Any] = {
    "__pos__": lambda self: self,
    "__getitem__": lambda self, index: getitem(self, index=normalize_index(index)),
    "reshape": lambda self, *shape: reshape(self, _shape_args(shape)),
    "transpose": lambda self, *axes: transpose(self, _shape_args(axes) if axes else None),
    "T": property(lambda self: transpose(self)),
    "mT": property(lambda self: swapaxes(self, -1, -2)),
    "at": property(IndexUpdater, doc="Functional updates: ``x.at[i].set(v)``, ``.add(v)``."),
}


def install(namespace: dict[str, Any]) -> None:
    """Set every operator and method of tensor.py's tables on Tensor, taking each op by
    its name from ``namespace`` (deepgrad.numpy's, which calls this when it loads)."""
    for name, op_name in (OPERATORS | METHODS).items():
        setattr(Tensor, name, _method(namespace[op_name]))
    for name, op_name in REFLECTED_OPERATORS.items():
        setattr(Tensor, name, _reflected(namespace[op_name]))
    for name, ufunc_name in IN_PLACE_OPERATORS.items():
        setattr(Tensor, name, _in_place(getattr(np, ufunc_name)))
    for name, method in WRITTEN_OUT.items():
        setattr(Tensor, name, method)
    Tensor.__hash__ = object.__hash__  # defining __eq__ would otherwise unset it

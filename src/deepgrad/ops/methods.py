"""Tensor's operators and NumPy-style methods, each delegating to a ``deepgrad.numpy`` op."""

from __future__ import annotations

import types
from typing import Any

import numpy as np

from deepgrad import numpy as dnp
from deepgrad.autodiff.primitive import Primitive, bind
from deepgrad.ops.indexing import IndexUpdater, getitem, normalize_index
from deepgrad.tensor import Tensor, raw_data

_NO_KWARGS: dict = {}


def _flip(fn):
    if isinstance(fn, Primitive):  # skip Primitive.__call__: operators are the hot path
        return lambda self, other: bind(fn, (other, self), _NO_KWARGS)
    return lambda self, other: fn(other, self)


def _shape_args(shape: tuple) -> Any:
    return shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape


OPERATORS = {
    "__add__": dnp.add,
    "__radd__": _flip(dnp.add),
    "__sub__": dnp.subtract,
    "__rsub__": _flip(dnp.subtract),
    "__mul__": dnp.multiply,
    "__rmul__": _flip(dnp.multiply),
    "__truediv__": dnp.divide,
    "__rtruediv__": _flip(dnp.divide),
    "__pow__": dnp.power,
    "__rpow__": _flip(dnp.power),
    "__matmul__": dnp.matmul,
    "__rmatmul__": _flip(dnp.matmul),
    "__mod__": dnp.mod,
    "__rmod__": _flip(dnp.mod),
    "__floordiv__": dnp.floor_divide,
    "__rfloordiv__": _flip(dnp.floor_divide),
    "__neg__": dnp.negative,
    "__pos__": lambda self: self,
    "__abs__": dnp.absolute,
    "__eq__": dnp.equal,
    "__ne__": dnp.not_equal,
    "__lt__": dnp.less,
    "__le__": dnp.less_equal,
    "__gt__": dnp.greater,
    "__ge__": dnp.greater_equal,
    "__and__": dnp.logical_and,
    "__or__": dnp.logical_or,
    "__invert__": dnp.logical_not,
    "__getitem__": lambda self, index: getitem(self, index=normalize_index(index)),
}

METHODS = {
    "sum": dnp.sum,
    "mean": dnp.mean,
    "prod": dnp.prod,
    "max": dnp.max,
    "min": dnp.min,
    "var": dnp.var,
    "std": dnp.std,
    "cumsum": dnp.cumsum,
    "cumprod": dnp.cumprod,
    "argmax": dnp.argmax,
    "argmin": dnp.argmin,
    "argsort": dnp.argsort,
    "all": dnp.all,
    "any": dnp.any,
    "clip": dnp.clip,
    "dot": dnp.dot,
    "ravel": dnp.ravel,
    "flatten": dnp.ravel,
    "squeeze": dnp.squeeze,
    "swapaxes": dnp.swapaxes,
    "astype": dnp.astype,
    "diagonal": dnp.diagonal,
    "trace": dnp.trace,
    "take": dnp.take,
    "repeat": dnp.repeat,
    "exp": dnp.exp,
    "log": dnp.log,
    "sqrt": dnp.sqrt,
    "tanh": dnp.tanh,
    "sin": dnp.sin,
    "cos": dnp.cos,
    "abs": dnp.absolute,
    "round": dnp.round,
    "reshape": lambda self, *shape: dnp.reshape(self, _shape_args(shape)),
    "transpose": lambda self, *axes: dnp.transpose(self, _shape_args(axes) if axes else None),
}


def _in_place(np_ufunc):
    """``x += y`` and friends: in place on the data, allowed where nothing is recorded."""

    def method(self, other):
        from deepgrad.autodiff.primitive import STATE

        if self._level > 0 or (self._level == 0 and STATE.grad_enabled):
            raise RuntimeError(
                f"in-place {np_ufunc.__name__} on a tensor that requires grad would corrupt "
                "its graph: do updates inside `with deepgrad.no_grad():`, or write x = x + y"
            )
        np_ufunc(self._value, raw_data(other), out=self._value, casting="same_kind")
        return self

    return method


IN_PLACE = {
    "__iadd__": np.add,
    "__isub__": np.subtract,
    "__imul__": np.multiply,
    "__itruediv__": np.true_divide,
}


def _method(fn):
    """Primitives are objects, not functions, so they need a function to bind ``self``.

    Operators are the hot path of eager code, so they call ``bind`` directly, with a
    fixed number of arguments.
    """
    if isinstance(fn, types.FunctionType):
        return fn
    if fn in _UNARY_OPERATORS:
        return lambda self: bind(fn, (self,), _NO_KWARGS)
    if fn in _BINARY_OPERATORS:
        return lambda self, other: bind(fn, (self, other), _NO_KWARGS)
    return lambda self, *args: bind(fn, (self, *args), _NO_KWARGS)


_UNARY_OPERATORS = {dnp.negative, dnp.absolute}
_BINARY_OPERATORS = {
    dnp.add,
    dnp.subtract,
    dnp.multiply,
    dnp.divide,
    dnp.power,
    dnp.matmul,
    dnp.mod,
}


def install() -> None:
    for name, fn in {**OPERATORS, **METHODS}.items():
        setattr(Tensor, name, _method(fn))
    for name, ufunc in IN_PLACE.items():
        setattr(Tensor, name, _in_place(ufunc))
    Tensor.T = property(lambda self: dnp.transpose(self))
    Tensor.mT = property(lambda self: dnp.swapaxes(self, -1, -2))
    Tensor.at = property(IndexUpdater, doc="Functional updates: ``x.at[i].set(v)``, ``.add(v)``.")
    Tensor.__hash__ = object.__hash__

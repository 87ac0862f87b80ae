"""NumPy's own functions called on Tensors: ``np.sum(t)``, ``np.exp(t)``, ``np.dot(t, w)``.

NumPy hands a call with a Tensor argument to the Tensor (``__array_ufunc__`` for ufuncs,
NEP 13; ``__array_function__`` for the rest, NEP 18). This module answers: it calls the
``deepgrad.numpy`` function of the same name (``deepgrad.numpy.linalg`` for
``numpy.linalg``'s), which records, so the result differentiates as if the user had
written ``dnp.sum(t)``. A name deepgrad does not have, ``out=``, or another ufunc keyword
raises a TypeError that names ``deepgrad.numpy``: never a silent conversion to a plain
array, which would cut the Tensor from its graph.

A few functions read only shapes and dtypes (``np.result_type``, ``np.iscomplexobj``, the
printing functions); they return no array, so they run on the raw data as they are.

Not reachable this way: ``np.array([t1, t2])`` and ``np.asarray(t)`` convert through
``__array__`` without asking the Tensor; use ``deepgrad.numpy.array``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad.tensor import ENGINE, UFUNC_TARGETS, Tensor, raw_data

# ufunc.reduce and ufunc.accumulate as the reductions deepgrad.numpy has.
_REDUCE = {"add": "sum", "multiply": "prod", "maximum": "max", "minimum": "min"}
_REDUCE.update({"logical_and": "all", "logical_or": "any"})
_ACCUMULATE = {"add": "cumsum", "multiply": "cumprod"}

# Functions that read shapes and dtypes only and return no array: run on the raw data.
_METADATA = {
    "result_type",
    "can_cast",
    "min_scalar_type",
    "iscomplexobj",
    "isrealobj",
    "may_share_memory",
    "shares_memory",
    "array_repr",
    "array_str",
    "array2string",
}

_module: Any = None  # deepgrad.numpy, handed over by install()


def install(numpy_module: Any) -> None:
    """Make Tensor's ``__array_ufunc__`` and ``__array_function__`` dispatch here, to
    ``numpy_module`` (deepgrad.numpy)."""
    global _module
    _module = numpy_module
    # ``ndarray * t`` comes through __array_ufunc__ on the hot path of eager code: Tensor
    # looks its plain ufunc calls up in one dictionary before calling array_ufunc.
    UFUNC_TARGETS.clear()
    for value in vars(np).values():
        if isinstance(value, np.ufunc):
            target = getattr(numpy_module, value.__name__, None)
            if callable(target) and target is not value:
                UFUNC_TARGETS[value] = target
    ENGINE.array_ufunc = array_ufunc
    ENGINE.array_function = array_function


def _refuse(numpy_name: str, why: str) -> TypeError:
    return TypeError(
        f"numpy.{numpy_name} called on a deepgrad Tensor: {why}. Call the function of "
        f"deepgrad.numpy (import deepgrad.numpy as dnp), which records the Tensor, or convert "
        f"explicitly with tensor.numpy() if you mean to leave the graph"
    )


def _no_out(numpy_name: str, kwargs: dict) -> None:
    out = kwargs.pop("out", None)
    if out is not None and not (isinstance(out, tuple) and all(o is None for o in out)):
        raise _refuse(numpy_name, "out= would write into an array in place, which Tensors refuse")


def _target(namespace: Any, name: str, numpy_name: str, numpy_func: Any) -> Any:
    target = getattr(namespace, name, None) if namespace is not None else None
    if target is None or target is numpy_func or not callable(target):
        raise _refuse(numpy_name, f"deepgrad.numpy has no differentiable {name}")
    return target


def array_ufunc(ufunc: np.ufunc, method: str, inputs: tuple, kwargs: dict) -> Any:
    """``np.<ufunc>(…)`` or ``np.<ufunc>.<method>(…)`` with a Tensor among the inputs.

    >>> import deepgrad as dg
    >>> float(dg.grad(lambda x: np.exp(x) * np.add.reduce(np.stack([x, x])))(0.0))
    2.0
    """
    name = ufunc.__name__
    _no_out(name, kwargs)
    if method == "__call__":
        if kwargs:
            raise _refuse(name, f"the ufunc arguments {sorted(kwargs)} are not supported")
        return _target(_module, name, name, ufunc)(*inputs)
    if method in ("reduce", "accumulate"):
        table = _REDUCE if method == "reduce" else _ACCUMULATE
        numpy_name = f"{name}.{method}"
        if name not in table:
            raise _refuse(numpy_name, f"deepgrad.numpy has no {method} of {name}")
        axis = kwargs.pop("axis", 0)
        if method == "reduce" and kwargs.get("keepdims"):
            kwargs.pop("keepdims")
            extra = {"keepdims": True}
        else:
            kwargs.pop("keepdims", None)
            extra = {}
        if kwargs:
            raise _refuse(numpy_name, f"the arguments {sorted(kwargs)} are not supported")
        return _target(_module, table[name], numpy_name, None)(inputs[0], axis=axis, **extra)
    if method == "outer" and len(inputs) == 2 and not kwargs:
        a, b = inputs
        a_shape, b_ndim = np.shape(raw_data(a)), np.ndim(raw_data(b))
        column = _module.reshape(a, a_shape + (1,) * b_ndim)
        return _target(_module, name, f"{name}.outer", ufunc)(column, b)
    raise _refuse(f"{name}.{method}", f"the ufunc method {method} is not supported")


def array_function(func: Any, types: tuple, args: tuple, kwargs: dict) -> Any:
    """``np.<function>(…)`` with a Tensor among the arguments (NEP 18).

    >>> import deepgrad as dg
    >>> float(dg.grad(lambda x: np.sum(np.linspace(0.0, x, 5)))(1.0))
    2.5
    """
    for kind in types:
        if not (issubclass(kind, Tensor) or issubclass(kind, np.ndarray)):
            return NotImplemented  # someone else's array type: let NumPy ask it
    name = func.__name__
    module = getattr(func, "__module__", "") or ""
    numpy_name = name if module == "numpy" else f"{module.removeprefix('numpy.')}.{name}"
    if name in _METADATA:
        return func(*_raw(args), **_raw(kwargs))
    kwargs = dict(kwargs)
    _no_out(numpy_name, kwargs)
    if module == "numpy":
        namespace = _module
    elif module == "numpy.linalg":
        namespace = getattr(_module, "linalg", None)
    else:
        raise _refuse(numpy_name, f"deepgrad has no {module} module")
    target = _target(namespace, name, numpy_name, func)
    try:
        return target(*args, **kwargs)
    except TypeError as error:
        if "argument" not in str(error) or "deepgrad.numpy" in str(error):
            raise
        raise TypeError(  # NumPy's signature is wider than deepgrad's here (where=, ...)
            f"numpy.{numpy_name} called on a deepgrad Tensor went to deepgrad.numpy's "
            f"{name}, which does not take these arguments: {error}"
        ) from error


def _raw(value: Any) -> Any:
    if isinstance(value, Tensor):
        return raw_data(value)
    if type(value) in (list, tuple):
        return type(value)(_raw(v) for v in value)
    if type(value) is dict:
        return {k: _raw(v) for k, v in value.items()}
    return value

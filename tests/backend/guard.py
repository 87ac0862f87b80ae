"""A guard backend: NumPy underneath, but, as CuPy does, it refuses implicit conversion to
a NumPy array. An op that silently round-trips through the host (``np.asarray(x)``,
``np.array(x)``, writing a device array into a host buffer) raises here instead.

``GuardArray`` wraps an ndarray. NumPy's ufuncs and array functions dispatch to it through
``__array_ufunc__`` and ``__array_function__`` (NEP 13 and 18, as for CuPy) and give guard
arrays back; ``guard_xp`` is its array module (what ``backend.array_module`` returns for it).
"""

from __future__ import annotations

import types
from typing import Any

import numpy as np

from deepgrad.backend import register_array_module
from deepgrad.device import Platform, register_platform


class ImplicitConversionError(TypeError):
    """What CuPy raises on ``np.asarray(cupy_array)``."""


def _unwrap(value: Any) -> Any:
    if isinstance(value, GuardArray):
        return value._data
    if type(value) in (list, tuple):
        return type(value)(_unwrap(v) for v in value)
    if type(value) is dict:
        return {k: _unwrap(v) for k, v in value.items()}
    return value


def _refuse_host(values: Any, what: str) -> None:
    """Raise if a host NumPy array is among ``values`` (CuPy's ufuncs and functions refuse
    them: a host array is never silently copied to the device); NumPy scalars pass."""
    for value in values:
        if isinstance(value, np.ndarray):
            raise ImplicitConversionError(
                f"guard backend: {what} mixes a host NumPy array (shape {value.shape}, "
                f"{value.dtype}) with device arrays; move it first (xp.asarray)"
            )
        if type(value) in (list, tuple):
            _refuse_host(value, what)


def _wrap(value: Any) -> Any:
    if isinstance(value, np.ndarray | np.generic):
        return GuardArray(value)  # a NumPy scalar too: CuPy gives 0-d device arrays
    if type(value) in (list, tuple):
        return type(value)(_wrap(v) for v in value)
    return value


class GuardArray:
    """An ndarray that must never be turned into a NumPy array implicitly."""

    __slots__ = ("_data",)
    __array_priority__ = 100

    def __init__(self, data: Any) -> None:
        self._data = np.asarray(data)

    # ---- the guard ---------------------------------------------------------------------
    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise ImplicitConversionError(
            "guard backend: implicit conversion to a NumPy array is not allowed "
            "(CuPy refuses it too); use .get() or deepgrad.backend.to_numpy"
        )

    def get(self) -> np.ndarray:
        """The explicit transfer to the host (CuPy's name)."""
        return self._data

    # ---- dispatch ----------------------------------------------------------------------
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        out = kwargs.get("out")
        if out is not None:
            for o in out:
                if not isinstance(o, GuardArray):
                    raise ImplicitConversionError(
                        f"guard backend: {ufunc.__name__} writes a device array into a host one"
                    )
            kwargs["out"] = tuple(o._data for o in out)
        _refuse_host(inputs, f"np.{ufunc.__name__}")
        result = getattr(ufunc, method)(*_unwrap(inputs), **kwargs)
        if out is not None:
            return out[0] if len(out) == 1 else out
        return _wrap(result)

    def __array_function__(self, func: Any, types_: Any, args: tuple, kwargs: dict) -> Any:
        out = kwargs.get("out")
        _refuse_host(args, f"np.{func.__name__}")
        _refuse_host(kwargs.values(), f"np.{func.__name__}")
        result = func(*_unwrap(args), **_unwrap(kwargs))
        if isinstance(out, GuardArray):
            return out
        return _wrap(result)

    # ---- what an array has ---------------------------------------------------------------
    shape = property(lambda self: self._data.shape)
    dtype = property(lambda self: self._data.dtype)
    ndim = property(lambda self: self._data.ndim)
    size = property(lambda self: self._data.size)
    nbytes = property(lambda self: self._data.nbytes)
    itemsize = property(lambda self: self._data.itemsize)
    flags = property(lambda self: self._data.flags)
    T = property(lambda self: GuardArray(self._data.T))
    mT = property(lambda self: GuardArray(self._data.mT))
    real = property(lambda self: GuardArray(self._data.real))
    imag = property(lambda self: GuardArray(self._data.imag))

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"GuardArray({self._data!r})"

    def __getitem__(self, index: Any) -> Any:
        return _wrap(self._data[_unwrap(index)])

    def __setitem__(self, index: Any, value: Any) -> None:
        self._data[_unwrap(index)] = _unwrap(value)

    def __iter__(self):
        return (_wrap(row) for row in self._data)

    def __bool__(self) -> bool:
        return bool(self._data)

    def __float__(self) -> float:
        return float(self._data)

    def __int__(self) -> int:
        return int(self._data)

    def __index__(self) -> int:
        return self._data.__index__()

    def item(self, *args: Any) -> Any:
        return self._data.item(*args)

    def tolist(self) -> Any:
        return self._data.tolist()


def _method(name: str):
    def method(self, *args, **kwargs):
        return _wrap(getattr(self._data, name)(*_unwrap(args), **_unwrap(kwargs)))

    method.__name__ = name
    return method


for _name in (
    "reshape", "astype", "transpose", "sum", "mean", "max", "min", "prod", "copy", "ravel",
    "flatten", "squeeze", "swapaxes", "any", "all", "argmax", "argmin", "cumsum", "clip",
    "dot", "fill", "view", "take", "repeat", "conj", "round", "nonzero", "argsort", "std",
    "var", "diagonal", "trace",
):  # fmt: skip
    setattr(GuardArray, _name, _method(_name))


def _operator(ufunc: np.ufunc, reflected: bool = False):
    """A binary operator as CuPy's: an operand of higher ``__array_priority__`` that is not
    an array of this module (a Tensor) gets the reflected operator (CuPy's
    ``_should_use_rop``)."""
    if reflected:
        return lambda self, other: ufunc(other, self)

    def operator(self, other):
        priority = getattr(other, "__array_priority__", 0)
        if not isinstance(other, GuardArray) and priority > self.__array_priority__:
            return NotImplemented
        return ufunc(self, other)

    return operator


for _name, _ufunc in {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "truediv": np.true_divide,
    "floordiv": np.floor_divide, "mod": np.mod, "pow": np.power, "matmul": np.matmul,
    "and": np.logical_and, "or": np.logical_or,
}.items():  # fmt: skip
    setattr(GuardArray, f"__{_name}__", _operator(_ufunc))
    setattr(GuardArray, f"__r{_name}__", _operator(_ufunc, reflected=True))
for _name, _ufunc in {
    "eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
    "gt": np.greater, "ge": np.greater_equal,
}.items():  # fmt: skip
    setattr(GuardArray, f"__{_name}__", _operator(_ufunc))
for _name, _ufunc in {"iadd": np.add, "isub": np.subtract, "imul": np.multiply,
                      "itruediv": np.true_divide}.items():  # fmt: skip
    setattr(GuardArray, f"__{_name}__", lambda self, other, _u=_ufunc: _u(self, other, out=(self,)))
GuardArray.__neg__ = lambda self: np.negative(self)
GuardArray.__abs__ = lambda self: np.absolute(self)
GuardArray.__invert__ = lambda self: np.invert(self)
GuardArray.__hash__ = None


def _creator(name: str):
    make = getattr(np, name)

    def create(*args, **kwargs):
        return _wrap(make(*_unwrap(args), **_unwrap(kwargs)))

    create.__name__ = name
    return create


# The guard's array module: NumPy's namespace, with the functions that make arrays from
# host data or from nothing returning guard arrays (as cupy.zeros makes device arrays).
guard_xp = types.ModuleType("guard_xp")
guard_xp.__dict__.update({k: v for k, v in vars(np).items() if not k.startswith("_")})
for _name in (
    "array", "asarray", "ascontiguousarray", "asfortranarray", "zeros", "ones", "empty",
    "full", "zeros_like", "ones_like", "empty_like", "full_like", "arange", "linspace", "eye",
    "identity", "tri",
):  # fmt: skip
    setattr(guard_xp, _name, _creator(_name))
guard_xp.ndarray = GuardArray


# ---- the guard as a device: ``set_device("guard")`` runs the device model on guard arrays ----


class GuardGenerator:
    """A device generator making guard arrays (the methods deepgrad asks of CuPy's)."""

    def __init__(self, seed: int) -> None:
        self._host = np.random.default_rng(seed)

    def random(self, size: Any = None, dtype: Any = np.float64) -> GuardArray:
        return GuardArray(self._host.random(size, dtype=dtype))

    def standard_normal(self, size: Any = None, dtype: Any = np.float64) -> GuardArray:
        return GuardArray(self._host.standard_normal(size, dtype=dtype))

    def integers(self, low: Any, high: Any = None, size: Any = None) -> GuardArray:
        return GuardArray(self._host.integers(low, high, size))


class GuardPlatform(Platform):
    """One guard device, ``guard:0``, standing in for a GPU in the tests."""

    name = "guard"

    def module(self) -> Any:
        return guard_xp

    def device_count(self) -> int:
        return 1

    def owns(self, array: Any) -> bool:
        return isinstance(array, GuardArray)

    def put(self, array: Any, index: int) -> GuardArray:
        return GuardArray(np.array(array))  # a copy, as a transfer makes

    def generator(self, seed: int, index: int) -> GuardGenerator:
        return GuardGenerator(seed)


register_array_module(GuardArray, guard_xp)
register_platform(GuardPlatform())

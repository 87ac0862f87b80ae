"""Shape and layout: reshape, transpose, broadcast, join, split, tile, flip, pad, astype.

Every primitive here is linear, so its JVP is itself applied to the tangent
(``def_linear``) and only the VJP is written out.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from deepgrad.autodiff.primitive import Primitive, _astype, _broadcast_to, _reshape
from deepgrad.axes import axis_index, axis_tuple
from deepgrad.ops.nondiff import cast
from deepgrad.tensor import Tensor, raw_data, read_value


def _shape(x: Any) -> tuple[int, ...]:
    return np.shape(raw_data(x))


# reshape, broadcast_to and astype are the engine's own primitives (it needs them to undo
# broadcasting): autodiff/primitive.py defines them; the NumPy-style wrappers are here.


def reshape(a: Any, shape: Any, *more: Any, order: str | None = "C") -> Any:
    """Give ``a`` a new shape without changing its data (NumPy's ``reshape``). The shape is
    a tuple, or its sizes one by one (``reshape(a, 2, 3)``); as in NumPy, ``order`` (also
    its third argument, ``reshape(a, shape, order)``) reads and writes the elements in C
    order ('C', the last index fastest), Fortran order ('F') or 'A' (Fortran order for an
    array that is Fortran-contiguous only).

    >>> reshape(np.arange(6), (2, 3), "F")
    array([[0, 2, 4],
           [1, 3, 5]])
    """
    if len(more) == 1 and (more[0] is None or isinstance(more[0], str)):
        order, more = more[0], ()  # NumPy's reshape(a, shape, order)
    if more and not isinstance(shape, int | np.integer):
        raise TypeError(
            f"reshape: the shape {shape!r} is followed by {more!r}; give the shape as one "
            "tuple, or its sizes one by one, then the order ('C', 'F' or 'A')"
        )
    if more or isinstance(shape, int | np.integer):
        shape = (shape, *more)
    shape = tuple(_size_in_shape(s) for s in shape)
    if _fortran_order(a, order):
        return transpose(_reshape_c(transpose(a), shape[::-1]))
    return _reshape_c(a, shape)


def _reshape_c(a: Any, shape: tuple[int, ...]) -> Any:
    if _shape(a) == shape:
        return a
    return _reshape(a, shape=shape)


def _size_in_shape(size: Any) -> int:
    if isinstance(size, str):
        raise TypeError(
            f"reshape: order {size!r} must come right after the shape, as NumPy's "
            "reshape(a, shape, order), or as order=; got it among the sizes"
        )
    return int(size)


def _fortran_order(a: Any, order: Any) -> bool:
    """Whether ``order`` says Fortran order for ``a`` (NumPy's 'A': Fortran order for an
    array that is Fortran-contiguous and not C-contiguous)."""
    letter = "C" if order is None else order.upper() if isinstance(order, str) else order
    if letter not in ("C", "F", "A"):
        raise ValueError(f"reshape: order must be 'C', 'F' or 'A', got {order!r}")
    if letter == "A":
        flags = getattr(raw_data(a), "flags", None)
        return flags is not None and flags.f_contiguous and not flags.c_contiguous
    return letter == "F"


def _transpose_impl(x: Any, axes: tuple) -> Any:
    # the method on a NumPy array: np.transpose's Python wrappers cost three calls more
    return x.transpose(axes) if type(x) is np.ndarray else np.transpose(x, axes)


_transpose = Primitive(_transpose_impl, "transpose", "{0}ᵀ")
_transpose.defvjp(lambda g, ans, x, axes: _transpose(g, axes=tuple(np.argsort(axes))))
_transpose.def_linear()


def transpose(a: Any, axes: Any = None) -> Any:
    """Permute the axes (reverse them when ``axes`` is None)."""
    ndim = len(_shape(a))
    axes = tuple(reversed(range(ndim))) if axes is None else axis_tuple(axes, ndim, "transpose")
    if axes == tuple(range(ndim)):  # a list or a number as NumPy's array, not itself
        return a if hasattr(raw_data(a), "shape") else np.asarray(a)
    return _transpose(a, axes=axes)


def broadcast_to(array: Any, shape: Any) -> Any:
    """Broadcast to ``shape`` (a read-only view, as in NumPy)."""
    shape = (int(shape),) if isinstance(shape, int | np.integer) else tuple(shape)
    if _shape(array) == shape:
        return array
    return _broadcast_to(array, shape=shape)


def astype(x: Any, dtype: Any) -> Any:
    """Cast to ``dtype``; differentiable between floating dtypes, a constant otherwise.
    A list or a Python number becomes ``np.asarray(x).astype(dtype)``."""
    dtype = np.dtype(dtype)
    if not np.issubdtype(dtype, np.inexact):
        return cast(x, dtype)
    data = raw_data(x)
    if not hasattr(data, "dtype"):  # never compare None: NumPy takes it for float64
        return np.asarray(data).astype(dtype)
    if data.dtype == dtype:
        return x
    return _astype(x, dtype=dtype)


def expand_dims(a: Any, axis: Any) -> Any:
    """Insert axes of length one at ``axis`` (an int or a tuple)."""
    return reshape(a, np.expand_dims(np.empty(_shape(a), dtype=bool), axis).shape)


def squeeze(a: Any, axis: Any = None) -> Any:
    """Remove axes of length one."""
    if not hasattr(raw_data(a), "shape"):  # NumPy's array, not the list or number itself
        a = np.asarray(a)
    return reshape(a, np.squeeze(np.empty(_shape(a), dtype=bool), axis).shape)


def ravel(a: Any) -> Any:
    """Flatten to one dimension."""
    return reshape(a, (-1,))


def moveaxis(a: Any, source: Any, destination: Any) -> Any:
    """Move axes to new positions; the others keep their order (NumPy's ``moveaxis``)."""
    ndim = len(_shape(a))
    source = list(axis_tuple(tuple(np.atleast_1d(source)), ndim, "moveaxis"))
    destination = list(axis_tuple(tuple(np.atleast_1d(destination)), ndim, "moveaxis"))
    if len(source) != len(destination):
        raise ValueError("moveaxis: source and destination must name the same number of axes")
    order = [n for n in range(ndim) if n not in source]
    for dest, src in sorted(zip(destination, source, strict=True)):
        order.insert(dest, src)
    return transpose(a, order)


def swapaxes(a: Any, axis1: int, axis2: int) -> Any:
    """Exchange two axes."""
    axes = list(range(len(_shape(a))))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return transpose(a, axes)


def _concatenate_vjp(position):
    def rule(g, ans, *arrays, axis):
        start = sum(_shape(a)[axis] for a in arrays[:position])
        index = [slice(None)] * len(_shape(g))
        index[axis] = slice(start, start + _shape(arrays[position])[axis])
        return g[tuple(index)]

    return rule


class _VariadicRules:
    """An endless tuple of rules for an op with any number of operands: ``rules[i] = make(i)``."""

    def __init__(self, make: Callable[[int], Callable]) -> None:
        self.make = make

    def __len__(self) -> int:
        return 1 << 30

    def __getitem__(self, position: int) -> Callable:
        return self.make(position)


def _concatenate_jvp(position):
    def rule(t, ans, *arrays, axis):
        parts = [np.zeros_like(raw_data(a)) for a in arrays]  # constants
        parts[position] = t
        return concatenate_prim(*parts, axis=axis)

    return rule


concatenate_prim = Primitive(lambda *arrays, axis: np.concatenate(arrays, axis=axis), "concatenate")
concatenate_prim.vjps = _VariadicRules(_concatenate_vjp)
concatenate_prim.jvps = _VariadicRules(_concatenate_jvp)


def concatenate(arrays: Any, axis: int | None = 0) -> Any:
    """Join arrays along an existing axis (flattening them first when ``axis`` is None)."""
    arrays = list(arrays)
    if axis is None:
        arrays, axis = [ravel(a) for a in arrays], 0
    axis = axis_index(axis, len(_shape(arrays[0])), "concatenate")
    return concatenate_prim(*arrays, axis=axis)


def stack(arrays: Any, axis: int = 0) -> Any:
    """Join arrays along a new axis."""
    arrays = list(arrays)
    axis = axis_index(axis, len(_shape(arrays[0])) + 1, "stack")
    return concatenate([expand_dims(a, axis) for a in arrays], axis=axis)


def _array_like(a: Any) -> Any:
    """``a``, or a list or a number as the array NumPy makes of it (``reshape`` hands back an
    input that has the shape asked for as it is, and NumPy's ``atleast_*d`` return arrays)."""
    return a if hasattr(raw_data(a), "shape") else np.asarray(a)


def atleast_1d(a: Any) -> Any:
    return reshape(_array_like(a), np.atleast_1d(np.empty(_shape(a), dtype=bool)).shape)


def atleast_2d(a: Any) -> Any:
    return reshape(_array_like(a), np.atleast_2d(np.empty(_shape(a), dtype=bool)).shape)


def atleast_3d(a: Any) -> Any:
    return reshape(_array_like(a), np.atleast_3d(np.empty(_shape(a), dtype=bool)).shape)


def hstack(arrays: Any) -> Any:
    arrays = [atleast_1d(a) for a in arrays]
    return concatenate(arrays, axis=0 if len(_shape(arrays[0])) == 1 else 1)


def vstack(arrays: Any) -> Any:
    return concatenate([atleast_2d(a) for a in arrays], axis=0)


def split(a: Any, indices_or_sections: Any, axis: int = 0) -> list:
    """Split into equal sections or at the given indices (NumPy's ``split``)."""
    return _split(a, indices_or_sections, axis, np.split)


def array_split(a: Any, indices_or_sections: Any, axis: int = 0) -> list:
    """Like ``split`` but allows sections of unequal size."""
    return _split(a, indices_or_sections, axis, np.array_split)


def _split(a, indices_or_sections, axis, np_split):
    if not hasattr(raw_data(a), "shape"):  # a list or a number, as NumPy takes it
        a = np.asarray(a)
    shape = _shape(a)
    axis = axis_index(axis, len(shape), "split")
    sections = read_value(indices_or_sections, "split's indices_or_sections")
    pieces = np_split(np.arange(shape[axis]), sections)
    out = []
    for piece in pieces:
        index = [slice(None)] * len(shape)
        start = int(piece[0]) if len(piece) else 0
        index[axis] = slice(start, start + len(piece))
        out.append(a[tuple(index)])
    return out


def flip(m: Any, axis: Any = None) -> Any:
    """Reverse the order of elements along ``axis`` (all axes when None)."""
    if not hasattr(raw_data(m), "shape"):  # a list or a number, as NumPy takes it
        m = np.asarray(m)
    ndim = len(_shape(m))
    axes = range(ndim) if axis is None else axis_tuple(tuple(np.atleast_1d(axis)), ndim, "flip")
    index = [slice(None)] * ndim
    for a in axes:
        index[int(a)] = slice(None, None, -1)
    return m[tuple(index)]


def roll(a: Any, shift: Any, axis: Any = None) -> Any:
    """Roll elements along ``axis`` (on the flattened array when None)."""
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), _shape(a))
    shift, axis = read_value(shift, "roll's shift"), read_value(axis, "roll's axis")
    shifts, axes = np.broadcast_arrays(np.atleast_1d(shift), np.atleast_1d(axis))
    if axes.dtype.kind not in "iub":  # NumPy refuses a float axis (a shift it truncates)
        raise TypeError(f"roll: axis must be integers, got {axis!r} ({axes.dtype})")
    for s, ax in zip(shifts, axes, strict=True):
        ax = axis_index(ax, len(_shape(a)), "roll")
        size = _shape(a)[ax]
        if size == 0:
            continue
        s = int(s) % size
        if s:
            head, tail = _split(a, [size - s], ax, np.split)
            a = concatenate([tail, head], axis=ax)
    return a


def tile(A: Any, reps: Any) -> Any:
    """Repeat the whole array ``reps`` times along each axis.

    Written as a reshape–broadcast–reshape, so it needs no rule of its own.
    """
    reps = read_value(reps, "tile's reps")
    try:  # NumPy's reading: a sequence of counts, or one count (a 0-d array is one)
        reps = tuple(reps)
    except TypeError:
        reps = (reps,)
    reps = tuple(_count(r, "tile", "reps") for r in reps)
    shape = _shape(A)
    ndim = max(len(shape), len(reps))
    shape = (1,) * (ndim - len(shape)) + shape
    reps = (1,) * (ndim - len(reps)) + reps
    interleaved = [n for pair in zip([1] * ndim, shape, strict=True) for n in pair]
    x = reshape(A, interleaved)
    x = broadcast_to(x, [n for pair in zip(reps, shape, strict=True) for n in pair])
    return reshape(x, [r * s for r, s in zip(reps, shape, strict=True)])


def _count(value: Any, function: str, argument: str) -> int:
    """``value`` as an int if it is an integer; a float (1.5, or 2.0) raises, as in NumPy,
    rather than be truncated."""
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(
            f"{function}: {argument} must be integers, got {value!r} of type {type(value).__name__}"
        ) from None


def repeat(a: Any, repeats: Any, axis: int | None = None) -> Any:
    """Repeat each element ``repeats`` times along ``axis`` (flattening when None)."""
    if axis is None:
        a, axis = ravel(a), 0
    axis = axis_index(axis, len(_shape(a)), "repeat")
    index = np.repeat(np.arange(_shape(a)[axis]), read_value(repeats, "repeat's repeats"))
    full: list[Any] = [slice(None)] * len(_shape(a))
    full[axis] = index
    return a[tuple(full)]


_pad_constant = Primitive(
    lambda x, pad_width, value: np.pad(x, pad_width, constant_values=value), "pad"
)
_pad_constant.defvjp(
    lambda g, ans, x, pad_width, value: g[
        tuple(
            slice(before, before + n) for (before, _), n in zip(pad_width, _shape(x), strict=True)
        )
    ]
)
# Padding with a constant is affine, not linear: the tangent is padded with zeros.
_pad_constant.defjvp(
    lambda t, ans, x, pad_width, value: _pad_constant(t, pad_width=pad_width, value=0)
)


# NumPy's padding modes (``np.pad``'s ``mode``; its stubs accept exactly these names).
PadMode = Literal[
    "constant",
    "edge",
    "linear_ramp",
    "maximum",
    "mean",
    "median",
    "minimum",
    "reflect",
    "symmetric",
    "wrap",
    "empty",
]


def pad(array: Any, pad_width: Any, mode: PadMode = "constant", constant_values: float = 0) -> Any:
    """Pad an array (NumPy's ``pad``).

    Constant padding is a primitive; edge, reflect, symmetric and wrap only copy existing
    elements, so they are written as a gather from the padded index map. The modes that
    compute the border (maximum, minimum, mean, median, linear_ramp, empty) are not
    differentiable here and raise; on plain arrays NumPy's own ``pad`` answers.
    """
    if mode not in _COPYING_MODES and mode != "constant":
        if not isinstance(array, Tensor):
            return np.pad(array, pad_width, mode=mode)
        raise NotImplementedError(
            f"pad: mode={mode!r} computes the border from the values (a gather from an index "
            f"map would pad with the wrong elements); the differentiable modes are "
            f"'constant', {', '.join(repr(m) for m in _COPYING_MODES)}"
        )
    shape = _shape(array)
    widths = np.asarray(read_value(pad_width, "pad's pad_width"))
    if widths.dtype.kind != "i":  # NumPy's check: a float width would be truncated
        raise TypeError(
            f"pad: pad_width must be of integral type, got {pad_width!r} ({widths.dtype})"
        )
    if not shape:  # a 0-d array has no axis to pad: NumPy returns a copy of it
        if not isinstance(array, Tensor):
            return np.array(array, copy=True)
        return _astype(array, dtype=raw_data(array).dtype)  # a copy; its derivative, 1
    pad_width = tuple(
        tuple(int(p) for p in row) for row in np.broadcast_to(widths, (len(shape), 2))
    )
    if mode == "constant" and isinstance(constant_values, Tensor):
        return _pad_traced_value(array, pad_width, constant_values)
    if mode == "constant":
        return _pad_constant(array, pad_width=pad_width, value=constant_values)
    index_map = np.pad(np.arange(int(np.prod(shape))).reshape(shape), pad_width, mode=mode)
    return ravel(array)[index_map]


_COPYING_MODES = ("edge", "reflect", "symmetric", "wrap")


def _pad_traced_value(array: Any, pad_width: tuple, value: Any) -> Any:
    """Constant padding with a traced fill value: x padded with zeros, plus the value
    where the padding is (so the value's gradient is the sum of g over the border)."""
    if np.ndim(raw_data(value)) != 0:
        raise NotImplementedError(
            f"pad: constant_values as a Tensor must be a scalar, got shape "
            f"{np.shape(raw_data(value))}; pad with a scalar, or concatenate the borders"
        )
    border = np.pad(np.zeros(_shape(array), dtype=bool), pad_width, constant_values=True)
    return _pad_constant(array, pad_width=pad_width, value=0) + border * value

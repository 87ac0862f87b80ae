"""Assembling and rearranging arrays: NumPy's stacking, splitting, flipping, rotating,
appending, inserting and deleting, written from differentiable ops.

Each function only moves elements, so it is a composite of ``concatenate``, ``transpose``,
``reshape``, ``flip`` and gathers, and differentiates to any order. ``insert`` and
``delete`` compute where each element goes by running NumPy's own function on element
numbers, so they follow NumPy's rules exactly and gather the values from that map.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad.axes import axis_index
from deepgrad.ops.shape import (
    array_split,
    astype,
    atleast_3d,
    concatenate,
    flip,
    ravel,
    reshape,
    split,
    transpose,
    vstack,
)
from deepgrad.tensor import raw_data, read_value


def _shape(x: Any) -> tuple[int, ...]:
    return np.shape(raw_data(x))


def _require_ndim(name: str, a: Any, ndim: int) -> None:
    if len(_shape(a)) < ndim:
        raise ValueError(
            f"{name}: expected an array of at least {ndim} dimensions, got shape {_shape(a)}"
        )


def row_stack(tup: Any) -> Any:
    """Stack arrays as rows (NumPy's ``row_stack``, the same as ``vstack``).

    >>> row_stack([np.array([1.0, 2.0]), np.array([3.0, 4.0])]).shape
    (2, 2)
    """
    return vstack(tup)


def column_stack(tup: Any) -> Any:
    """Stack 1-D arrays as columns of a 2-D array; 2-D arrays are joined as they are.

    >>> column_stack([np.array([1.0, 2.0]), np.array([3.0, 4.0])])
    array([[1., 3.],
           [2., 4.]])
    """
    columns = []
    for a in tup:
        if len(_shape(a)) < 2:
            a = reshape(a, (-1, 1))
        columns.append(a)
    return concatenate(columns, axis=1)


def dstack(tup: Any) -> Any:
    """Stack arrays along the third axis (after making them at least 3-D).

    >>> dstack([np.ones((2, 3)), np.zeros((2, 3))]).shape
    (2, 3, 2)
    """
    return concatenate([atleast_3d(a) for a in tup], axis=2)


def vsplit(ary: Any, indices_or_sections: Any) -> list:
    """Split along the first axis (at least 2-D).

    >>> [p.shape for p in vsplit(np.ones((4, 2)), 2)]
    [(2, 2), (2, 2)]
    """
    _require_ndim("vsplit", ary, 2)
    return split(ary, indices_or_sections, axis=0)


def hsplit(ary: Any, indices_or_sections: Any) -> list:
    """Split along the second axis (the first for 1-D arrays).

    >>> [p.shape for p in hsplit(np.ones((2, 4)), [1])]
    [(2, 1), (2, 3)]
    """
    _require_ndim("hsplit", ary, 1)
    return split(ary, indices_or_sections, axis=1 if len(_shape(ary)) > 1 else 0)


def dsplit(ary: Any, indices_or_sections: Any) -> list:
    """Split along the third axis (at least 3-D).

    >>> [p.shape for p in dsplit(np.ones((1, 2, 4)), 2)]
    [(1, 2, 2), (1, 2, 2)]
    """
    _require_ndim("dsplit", ary, 3)
    return split(ary, indices_or_sections, axis=2)


def flipud(m: Any) -> Any:
    """Reverse the order of rows (axis 0).

    >>> flipud(np.array([1.0, 2.0, 3.0]))
    array([3., 2., 1.])
    """
    _require_ndim("flipud", m, 1)
    return flip(m, 0)


def fliplr(m: Any) -> Any:
    """Reverse the order of columns (axis 1).

    >>> fliplr(np.array([[1.0, 2.0], [3.0, 4.0]]))
    array([[2., 1.],
           [4., 3.]])
    """
    _require_ndim("fliplr", m, 2)
    return flip(m, 1)


def rot90(m: Any, k: int = 1, axes: tuple[int, int] = (0, 1)) -> Any:
    """Rotate by 90° ``k`` times in the plane of ``axes``, from the first axis towards the
    second (NumPy's ``rot90``).

    >>> rot90(np.array([[1.0, 2.0], [3.0, 4.0]]))
    array([[2., 4.],
           [1., 3.]])
    """
    ndim = len(_shape(m))
    if len(axes) != 2 or ndim < 2:
        raise ValueError(
            f"rot90: expected two axes of an array of 2 or more dimensions, got "
            f"axes {axes} for shape {_shape(m)}"
        )
    first, second = (axis_index(a, ndim, "rot90") for a in axes)
    if first == second:
        raise ValueError(f"rot90: the two axes must differ, got {axes}")
    k %= 4
    if k == 0:
        return m
    if k == 2:
        return flip(flip(m, first), second)
    order = list(range(ndim))
    order[first], order[second] = order[second], order[first]
    if k == 1:
        return transpose(flip(m, second), order)
    return flip(transpose(m, order), second)


def rollaxis(a: Any, axis: int, start: int = 0) -> Any:
    """Move ``axis`` to before position ``start`` (NumPy's ``rollaxis``).

    >>> rollaxis(np.ones((2, 3, 4)), 2).shape
    (4, 2, 3)
    """
    ndim = len(_shape(a))
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f"rollaxis: axis {axis} is out of bounds for shape {_shape(a)}")
    axis %= ndim
    start = int(start) + ndim if start < 0 else int(start)
    if not 0 <= start <= ndim:
        raise ValueError(f"rollaxis: start {start} must be in [{-ndim}, {ndim}]")
    if axis < start:
        start -= 1
    if axis == start:
        return a
    order = [i for i in range(ndim) if i != axis]
    order.insert(start, axis)
    return transpose(a, order)


def _as_array(values: Any) -> Any:
    return values if hasattr(values, "shape") else np.asarray(values)


def append(arr: Any, values: Any, axis: int | None = None) -> Any:
    """``values`` appended at the end of ``arr`` (both flattened when ``axis`` is None).

    >>> append(np.array([1.0, 2.0]), 3.0)
    array([1., 2., 3.])
    """
    arr, values = _as_array(arr), _as_array(values)
    if axis is None:
        return concatenate([ravel(arr), ravel(values)], axis=0)
    return concatenate([arr, values], axis=axis)


def insert(arr: Any, obj: Any, values: Any, axis: int | None = None) -> Any:
    """``values`` inserted before the indices ``obj`` (NumPy's ``insert``); differentiable
    in ``arr`` and ``values``.

    >>> insert(np.array([1.0, 2.0, 3.0]), 1, 9.0)
    array([1., 9., 2., 3.])
    """
    arr, values = _as_array(arr), _as_array(values)
    dtype = raw_data(arr).dtype
    if raw_data(values).dtype != dtype:  # NumPy's: the values take arr's dtype (5.7 → 5)
        values = astype(values, dtype)
    size = int(np.prod(_shape(arr)))
    own = np.arange(size).reshape(_shape(arr))
    theirs = -1 - np.arange(int(np.prod(_shape(values)))).reshape(_shape(values))
    obj = read_value(obj, "insert's indices")  # (a Tensor: np.insert came back here)
    where_from = np.insert(own, obj, theirs, axis=axis)  # NumPy's rules, on element numbers
    where_from = np.where(where_from >= 0, where_from, size - 1 - where_from)
    return concatenate([ravel(arr), ravel(values)], axis=0)[where_from]


def delete(arr: Any, obj: Any, axis: int | None = None) -> Any:
    """``arr`` without the sub-arrays at ``obj`` along ``axis`` (flattened when None).

    >>> delete(np.array([1.0, 2.0, 3.0]), 1)
    array([1., 3.])
    """
    arr = _as_array(arr)
    own = np.arange(int(np.prod(_shape(arr)))).reshape(_shape(arr))
    obj = read_value(obj, "delete's indices")  # (a Tensor: np.delete came back here)
    return ravel(arr)[np.delete(own, obj, axis=axis)]


__all__ = [
    "append",
    "array_split",
    "column_stack",
    "delete",
    "dsplit",
    "dstack",
    "fliplr",
    "flipud",
    "hsplit",
    "insert",
    "rollaxis",
    "rot90",
    "row_stack",
    "vsplit",
]

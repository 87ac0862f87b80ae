"""Indexing: reading (basic and advanced), its scatter-add adjoint, functional updates,
and the gathers built on them (take, diagonal, sort, ...)."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from deepgrad.autodiff.primitive import Primitive
from deepgrad.axes import axis_index
from deepgrad.backend import array_module, to_numpy
from deepgrad.ops.nondiff import argsort
from deepgrad.ops.reductions import sum
from deepgrad.ops.selection import where
from deepgrad.ops.shape import broadcast_to, moveaxis, ravel, reshape
from deepgrad.tensor import Tensor, raw_data


def zeros_like(
    a: Any,
    dtype: Any = None,
    order: Literal["K", "A", "C", "F"] = "K",
    subok: bool = True,
    shape: Any = None,
) -> np.ndarray:
    """A constant array of zeros with the shape (and dtype) of ``a`` (NumPy's
    ``zeros_like``, in NumPy's argument order).

    >>> zeros_like(np.ones((2, 3)), int, "K", True, (2,))
    array([0, 0])
    """
    return np.zeros_like(raw_data(a), dtype, order, subok, shape)


def ones_like(
    a: Any,
    dtype: Any = None,
    order: Literal["K", "A", "C", "F"] = "K",
    subok: bool = True,
    shape: Any = None,
) -> np.ndarray:
    """A constant array of ones with the shape (and dtype) of ``a`` (NumPy's ``ones_like``,
    in NumPy's argument order).

    >>> ones_like(np.zeros((2, 3)), int, "K", True, (2,))
    array([1, 1])
    """
    return np.ones_like(raw_data(a), dtype, order, subok, shape)


def normalize_index(index: Any) -> Any:
    """Turn Tensors and lists inside an index into NumPy arrays (indices are constants)."""
    if isinstance(index, tuple):
        return tuple(normalize_index(i) for i in index)
    if isinstance(index, Tensor):
        return raw_data(index)
    if isinstance(index, list):
        return np.asarray(index)
    return index


def _is_basic(index: Any) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, int | np.integer | slice) or p is None or p is Ellipsis for p in parts)


def _scatter_impl(g, index, shape):
    xp = array_module(g)
    out = xp.zeros(shape, dtype=g.dtype)
    if _is_basic(index):
        out[index] = g  # basic indexing never repeats an element
    else:  # advanced indexing may: repeated elements accumulate (index arrays on g's device;
        # xp's own add.at: CuPy 12's does not take np.add.at's dispatch)
        xp.add.at(out, _index_on(xp, index), g)
    return out


def _index_on(xp: Any, index: Any) -> Any:
    """``index`` with its arrays made by ``xp`` (a GPU's ufunc.at takes no host arrays)."""
    if isinstance(index, tuple):
        return tuple(_index_on(xp, i) for i in index)
    return xp.asarray(index) if isinstance(index, np.ndarray) else index


getitem = Primitive(lambda x, index: x[index], "getitem", "{0}[·]")
scatter_add = Primitive(_scatter_impl, "scatter_add")
getitem.defvjp(lambda g, ans, x, index: scatter_add(g, index=index, shape=np.shape(raw_data(x))))
getitem.def_linear()
scatter_add.defvjp(lambda g, ans, values, index, shape: getitem(g, index=index))
scatter_add.def_linear()


def _set_impl(x, values, index):
    out = array_module(x).array(x, copy=True)  # an array even for a 0-d result (a scalar)
    out[index] = values
    return out


def _values_vjp(g: Any, ans: Any, x: Any, values: Any, index: Any) -> Any:
    """The cotangent of the values written: g at each written place, for the write that
    stayed there. A repeated index writes one place several times and the last write
    wins, as in NumPy, so the others reach nothing and get 0 (as in JAX)."""
    taken = getitem(g, index=index)
    kept = _last_writes(np.shape(raw_data(x)), index)
    return taken if kept is None else taken * array_module(raw_data(x)).asarray(kept)


def _last_writes(shape: tuple, index: Any) -> np.ndarray | None:
    """Which of ``x[index]``'s places ``x[index] = v`` keeps (None: all of them), worked
    out on the host. Each place writes its number, and the numbers left in x are the
    writes that stayed."""
    if type(index) is tuple:
        index = tuple(to_numpy(i) if hasattr(i, "shape") else i for i in index)
    elif hasattr(index, "shape"):
        index = to_numpy(index)
    written = np.full(shape, -1, dtype=np.intp)
    target = np.shape(written[index])
    numbers = np.arange(int(np.prod(target)), dtype=np.intp).reshape(target)
    written[index] = numbers
    if np.count_nonzero(written >= 0) == numbers.size:  # no place written twice
        return None
    kept = np.zeros(numbers.size, dtype=bool)
    kept[written[written >= 0]] = True
    return kept.reshape(target)


index_set = Primitive(_set_impl, "index_set")
index_set.defvjp(
    lambda g, ans, x, values, index: index_set(g, 0, index=index),
    _values_vjp,
)
index_set.defjvp(
    lambda t, ans, x, values, index: index_set(t, 0, index=index),
    lambda t, ans, x, values, index: index_set(zeros_like(x), t, index=index),
)


class IndexUpdater:
    """``x.at[index]``: functional, differentiable versions of ``x[index] = v`` (as in JAX).

    >>> import deepgrad as dg
    >>> x = dg.tensor([1.0, 2.0, 3.0])
    >>> x.at[1].set(10.0)
    Tensor([ 1., 10.,  3.], dtype=float32)
    """

    def __init__(self, array: Any) -> None:
        self.array = array

    def __getitem__(self, index: Any) -> _IndexedUpdate:
        return _IndexedUpdate(self.array, normalize_index(index))


class _IndexedUpdate:
    def __init__(self, array: Any, index: Any) -> None:
        self.array, self.index = array, index

    def get(self) -> Any:
        """``x[index]``."""
        return getitem(self.array, index=self.index)

    def set(self, values: Any) -> Any:
        """A copy of x with ``x[index] = values`` (with repeated indices, one write wins)."""
        return index_set(self.array, values, index=self.index)

    def add(self, values: Any) -> Any:
        """A copy of x with ``values`` added at ``index`` (repeated indices accumulate)."""
        shape = np.shape(raw_data(self.array))
        target = np.shape(raw_data(self.array)[self.index])
        spread = broadcast_to(values, target)
        return self.array + scatter_add(spread, index=self.index, shape=shape)

    def multiply(self, values: Any) -> Any:
        """A copy of x with ``x`` multiplied by ``values`` at ``index``; a place the index
        names twice is multiplied by both values (``np.multiply.at``'s rule, and JAX's)."""
        shape = np.shape(raw_data(self.array))
        places = _flat_places(shape, self.index)
        if np.unique(places).size == places.size:
            return self.set(self.get() * values)
        # One round per repetition: each round names every place once, so it is a set.
        spread = ravel(broadcast_to(values, places.shape))
        flat, places = ravel(self.array), places.ravel()
        for writes in _repetitions(places):
            at = places[writes]
            flat = index_set(flat, getitem(flat, index=at) * spread[writes], index=at)
        return reshape(flat, shape)


def _flat_places(shape: tuple, index: Any) -> np.ndarray:
    """The flat position in an array of ``shape`` of each element of ``x[index]``."""
    if type(index) is tuple:
        index = tuple(to_numpy(i) if hasattr(i, "shape") else i for i in index)
    elif hasattr(index, "shape"):
        index = to_numpy(index)
    return np.arange(int(np.prod(shape)), dtype=np.intp).reshape(shape)[index]


def _repetitions(places: np.ndarray) -> list[np.ndarray]:
    """Positions in ``places`` grouped by how many times their place came before: the
    first naming of each place, then the second, ..."""
    order = np.argsort(places, kind="stable")
    ordered = places[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    counts = np.diff(np.r_[starts, ordered.size])
    seen_before = np.empty_like(order)
    seen_before[order] = np.arange(ordered.size) - np.repeat(starts, counts)
    return [np.flatnonzero(seen_before == r) for r in range(int(seen_before.max()) + 1)]


def take(a: Any, indices: Any, axis: int | None = None) -> Any:
    """Elements of ``a`` at ``indices`` along ``axis`` (of the flattened array when None)."""
    indices = normalize_index(indices)
    if axis is None:
        return ravel(a)[indices]
    axis = axis_index(axis, np.ndim(raw_data(a)), "take")
    return a[(slice(None),) * axis + (indices,)]


def take_along_axis(arr: Any, indices: Any, axis: int | None) -> Any:
    """Pick values along ``axis`` with an index array of the same rank (NumPy's); on the
    other axes ``arr`` and ``indices`` broadcast against each other. With ``axis=None``,
    pick from the flattened array with a 1-D index array.

    >>> take_along_axis(np.arange(6.0).reshape(2, 3), np.array([[2, 0]]), axis=1)
    array([[2., 0.],
           [5., 3.]])
    """
    indices = normalize_index(indices)
    indices = array_module(indices).asarray(indices)
    if axis is None:
        if indices.ndim != 1:
            raise ValueError(
                "take_along_axis: axis=None takes a 1-D index array (into the flattened "
                f"array), got indices of shape {indices.shape}"
            )
        return ravel(arr)[indices]
    axis = axis_index(axis, indices.ndim, "take_along_axis")
    shape = np.shape(raw_data(arr))
    if len(shape) != indices.ndim:
        raise ValueError(
            f"take_along_axis: indices must have as many dimensions as arr, got indices of "
            f"shape {indices.shape} for arr of shape {shape}"
        )
    # Ranges over arr's own axes: advanced indexing broadcasts them with the index array
    # (either one may be 1 on an axis other than ``axis``), as NumPy's.
    grids = list(np.ogrid[tuple(slice(n) for n in shape)])
    grids[axis] = indices
    return arr[tuple(grids)]


def sort(a: Any, axis: int | None = -1) -> Any:
    """Sorted copy; the gradient follows each element to its sorted position."""
    if not hasattr(raw_data(a), "shape"):  # a list or a number, as NumPy takes it
        a = np.asarray(a)
    if axis is None:
        a, axis = ravel(a), -1
    return take_along_axis(a, argsort(raw_data(a), axis=axis), axis)


def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """The diagonal of the plane (axis1, axis2), appended as the last axis (NumPy's)."""
    b = moveaxis(a, (axis1, axis2), (-2, -1))
    rows, cols = np.shape(raw_data(b))[-2:]
    n = max(0, min(rows + min(offset, 0), cols - max(offset, 0)))
    r = np.arange(n) + max(-offset, 0)
    c = np.arange(n) + max(offset, 0)
    return b[..., r, c]


def diag(v: Any, k: int = 0) -> Any:
    """Extract a diagonal of a 2-D array, or build a 2-D array with ``v`` on diagonal ``k``."""
    if not hasattr(raw_data(v), "shape"):  # a list or a number, as NumPy takes it
        v = np.asarray(v)
    shape = np.shape(raw_data(v))
    if len(shape) == 2:
        return diagonal(v, k)
    if len(shape) != 1:
        raise ValueError(f"diag: expected a 1-D or 2-D input, got shape {shape}")
    n = shape[0] + abs(k)
    r = np.arange(shape[0]) + max(-k, 0)
    c = np.arange(shape[0]) + max(k, 0)
    return scatter_add(v, index=(r, c), shape=(n, n))


def trace(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """Sum along a diagonal."""
    return sum(diagonal(a, offset, axis1, axis2), axis=-1)


def tril(m: Any, k: int = 0) -> Any:
    """Lower triangle (the rest zeroed) of the last two axes.

    >>> tril(np.array([[1.0, np.nan], [np.inf, 2.0]]))
    array([[ 1.,  0.],
           [inf,  2.]])
    """
    return _triangle("tril", m, k, lower=True)


def triu(m: Any, k: int = 0) -> Any:
    """Upper triangle (the rest zeroed) of the last two axes.

    >>> triu(np.array([[1.0, np.nan], [np.inf, 2.0]]))
    array([[ 1., nan],
           [ 0.,  2.]])
    """
    return _triangle("triu", m, k, lower=False)


def _triangle(name: str, m: Any, k: int, lower: bool) -> Any:
    """NumPy's ``where(mask, m, 0)``, not m · mask: a NaN or ∞ outside the triangle is
    zeroed, not kept as NaN (0 · ∞); a 1-D ``m`` is a row repeated, as in NumPy."""
    data = raw_data(m)
    if not hasattr(data, "shape"):
        m = data = np.asarray(data)
    if data.ndim == 0:
        raise ValueError(f"{name}: expected an array of at least 1 dimension, got a 0-d array")
    rows, cols = data.shape[-2:] if data.ndim >= 2 else (data.shape[0], data.shape[0])
    xp = array_module(data)
    mask = xp.tri(rows, cols, k, dtype=bool)
    if not lower:
        mask = ~xp.tri(rows, cols, k - 1, dtype=bool)
    return where(mask, m, xp.zeros((), dtype=data.dtype))

"""Array constructors that see Tensors: ``array``, ``asarray``, ``full`` and their kin.

NumPy's own constructors turn a Tensor into a plain array and so cut it from every
graph (``dnp.asarray([x, x])`` had a gradient of zero). These record instead: a nested
list that holds Tensors becomes one ``concatenate`` of its leaves and a ``reshape``
(autograd's ``array([x, y])`` idiom), ``full`` broadcasts a traced fill value. Called
with no Tensor they are NumPy's, and return what NumPy returns.

What a constructor makes from shapes alone (``zeros``, ``ones``, ``empty``, ``eye``) or
from another array's shape (``zeros_like``, ``empty_like``) does not depend on any value,
so it is a constant, and that is its derivative. ``arange`` with a traced bound would
have a length that depends on the bound's value: it raises.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from deepgrad.autodiff.primitive import Primitive
from deepgrad.backend import array_module
from deepgrad.ops.nondiff import cast
from deepgrad.ops.shape import astype, concatenate, ravel, reshape
from deepgrad.tensor import Tensor, raw_data, read_value

# ---- copy: the identity, on a fresh array ---------------------------------------------------

_copy = Primitive(lambda x: x.copy(), "copy")
_copy.defvjp(lambda g, ans, x: g)
_copy.def_linear()


def copy(a: Any) -> Any:
    """A copy of ``a`` (NumPy's ``copy``); its derivative is the identity.

    >>> import deepgrad as dg
    >>> float(dg.grad(lambda x: copy(x) * 3)(2.0))
    3.0
    """
    if not isinstance(a, Tensor):
        return np.copy(a)
    return _copy(a)


# ---- nested data -----------------------------------------------------------------------------


def _holds_tensor(data: Any) -> bool:
    if isinstance(data, Tensor):
        return True
    if type(data) in (list, tuple):
        return any(_holds_tensor(item) for item in data)
    return False


def placeholder(value: Any) -> Any:
    """A host stand-in with ``value``'s shape and dtype (arrays and Tensors), for asking NumPy
    what shape and dtype a constructor gives without reading, or moving, any device data;
    lists and tuples are walked, numbers kept (NumPy's rules for them depend on them)."""
    if type(value) in (list, tuple):
        return type(value)(placeholder(item) for item in value)
    data = raw_data(value)
    if hasattr(data, "shape") and hasattr(data, "dtype"):
        return np.zeros(data.shape, data.dtype)
    return value


def _leaves(data: Any, found: list) -> list:
    """The leaves of nested lists and tuples, in the order NumPy lays them out (C order)."""
    if type(data) in (list, tuple):
        for item in data:
            _leaves(item, found)
    else:
        found.append(data)
    return found


def _from_nested(name: str, data: Any, dtype: Any, ndmin: int) -> Any:
    """The array NumPy would make of ``data``, recorded: NumPy decides the shape and dtype
    (and refuses ragged data), the leaves are cast, flattened and joined, once."""
    try:
        reference = np.array(placeholder(data), dtype=dtype, ndmin=ndmin)
    except (ValueError, TypeError) as error:
        raise type(error)(f"{name}: {error}") from error
    if reference.dtype == object:
        raise TypeError(
            f"{name}: the data do not form a regular array of numbers (NumPy would make "
            f"an object array of shape {reference.shape}); give every row the same shape"
        )
    leaves = _leaves(data, [])
    xp = array_module(*[raw_data(leaf) for leaf in leaves])  # the Tensors' device
    parts = []
    for leaf in leaves:
        if isinstance(leaf, Tensor):
            parts.append(ravel(astype(leaf, reference.dtype)))
        else:
            parts.append(xp.asarray(leaf, dtype=reference.dtype).reshape(-1))
    flat = parts[0] if len(parts) == 1 else concatenate(parts, axis=0)
    if len(parts) == 1 and isinstance(flat, Tensor):
        flat = _copy(flat)  # one leaf: ravel gave a view of the caller's array
    return reshape(flat, reference.shape)


def array(
    object: Any, dtype: Any = None, *, copy: bool | None = True, ndmin: int = 0, **kwargs: Any
) -> Any:
    """An array from nested lists and tuples of numbers, arrays and Tensors (NumPy's
    ``array``). With a Tensor anywhere inside, the result is recorded: it differentiates
    with respect to every Tensor it holds.

    >>> import deepgrad as dg
    >>> dg.grad(lambda x: (array([[x, 1.0], [2.0, x * x]]) @ np.ones(2)).sum())(3.0)
    array(7.)
    """
    if not _holds_tensor(object):
        return np.array(object, dtype=dtype, copy=copy, ndmin=ndmin, **kwargs)
    _no_layout_arguments("array", kwargs)
    if isinstance(object, Tensor) and copy is not True and ndmin <= object.ndim:
        return asarray(object, dtype)  # copy=False or None: no copy needed
    return _from_nested("array", object, dtype, ndmin)


def asarray(a: Any, dtype: Any = None, **kwargs: Any) -> Any:
    """``a`` as an array, without a copy when it is one already (NumPy's ``asarray``); a
    Tensor stays itself (cast if ``dtype`` says so), a list holding Tensors is recorded.

    >>> import deepgrad as dg, deepgrad.numpy as dnp
    >>> float(dg.grad(lambda x: dnp.sum(asarray([x, x])))(2.0))
    2.0
    """
    if isinstance(a, Tensor):
        _no_layout_arguments("asarray", kwargs)
        return a if dtype is None else astype(a, dtype)
    if not _holds_tensor(a):
        return np.asarray(a, dtype=dtype, **kwargs)
    _no_layout_arguments("asarray", kwargs)
    return _from_nested("asarray", a, dtype, 0)


def asanyarray(a: Any, dtype: Any = None, **kwargs: Any) -> Any:
    """NumPy's ``asanyarray``: as :func:`asarray` (deepgrad has no array subclasses)."""
    if not _holds_tensor(a):
        return np.asanyarray(a, dtype=dtype, **kwargs)
    return asarray(a, dtype, **kwargs)


def ascontiguousarray(a: Any, dtype: Any = None, **kwargs: Any) -> Any:
    """NumPy's ``ascontiguousarray``: as :func:`asarray`; a recorded result is a Tensor,
    whose layout is deepgrad's business; of one number it is 1-D, as NumPy's.

    >>> import deepgrad as dg
    >>> ascontiguousarray(dg.tensor(2.0)).shape
    (1,)
    """
    if not _holds_tensor(a):
        return np.ascontiguousarray(a, dtype=dtype, **kwargs)
    result = asarray(a, dtype, **kwargs)
    return result if np.ndim(raw_data(result)) else reshape(result, (1,))


def _no_layout_arguments(name: str, kwargs: dict) -> None:
    """Memory-layout arguments (``order``, ``like``, ``device``...) mean nothing for a
    recorded result; refuse them rather than ignore them silently."""
    given = {k: v for k, v in kwargs.items() if v is not None and not (k == "order" and v == "K")}
    if given:
        raise TypeError(
            f"{name}: the arguments {sorted(given)} are not supported when the data hold "
            "Tensors; leave them out"
        )


# ---- filled arrays ---------------------------------------------------------------------------


def full(shape: Any, fill_value: Any, dtype: Any = None, order: str = "C", **kwargs: Any) -> Any:
    """An array of ``shape`` filled with ``fill_value`` (NumPy's ``full``); differentiable
    in a traced fill value (a scalar, or an array that broadcasts to ``shape``).

    >>> import deepgrad as dg
    >>> float(dg.grad(lambda v: full((2, 3), v).sum())(1.5))
    6.0
    """
    if not isinstance(fill_value, Tensor):
        return np.full(shape, fill_value, dtype=dtype, order=order, **kwargs)  # type: ignore[arg-type]
    _no_layout_arguments("full", kwargs)
    shape = (int(shape),) if isinstance(shape, int | np.integer) else tuple(int(s) for s in shape)
    fill_shape = np.shape(raw_data(fill_value))
    try:
        fits = np.broadcast_shapes(fill_shape, shape) == shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"full: fill_value of shape {fill_shape} cannot be broadcast to the shape {shape}"
        )
    fill = raw_data(fill_value)
    dtype = fill.dtype if dtype is None else np.dtype(dtype)
    zeros = array_module(fill).zeros(shape, dtype)  # adding it broadcasts, into a new array
    return astype(fill_value, dtype) + zeros


def full_like(
    a: Any,
    fill_value: Any,
    dtype: Any = None,
    order: Literal["K", "A", "C", "F"] = "K",
    subok: bool = True,
    shape: Any = None,
    **kwargs: Any,
) -> Any:
    """An array like ``a`` (its shape and dtype) filled with ``fill_value`` (NumPy's
    ``full_like``, in NumPy's argument order). It depends on ``a``'s shape only, so a traced
    ``a`` gives a constant; a traced fill value is recorded.

    >>> import deepgrad as dg
    >>> float(dg.grad(lambda v: full_like(np.zeros(4), v).sum())(0.5))
    4.0
    """
    prototype = raw_data(a)
    if not isinstance(fill_value, Tensor):
        return np.full_like(prototype, fill_value, dtype, order, subok, shape, **kwargs)
    _no_layout_arguments("full_like", {**kwargs, "order": order})
    return full(
        np.shape(prototype) if shape is None else shape,
        fill_value,
        placeholder(prototype).dtype if dtype is None else dtype,
    )


def empty_like(
    prototype: Any,
    dtype: Any = None,
    order: Literal["K", "A", "C", "F"] = "K",
    subok: bool = True,
    shape: Any = None,
    **kwargs: Any,
) -> Any:
    """An uninitialised array like ``prototype`` (NumPy's ``empty_like``, in NumPy's argument
    order): a constant.

    >>> empty_like(np.zeros((2, 3))).shape
    (2, 3)
    """
    return np.empty_like(raw_data(prototype), dtype, order, subok, shape, **kwargs)


# ---- ranges whose length is a value ----------------------------------------------------------


def arange(*args: Any, **kwargs: Any) -> Any:
    """Evenly spaced values in ``[start, stop)`` (NumPy's ``arange``): a constant.

    Its length depends on the values of ``start``, ``stop`` and ``step``, so it cannot
    follow a traced one: that raises. Build the points as ``start + step * arange(n)``.

    >>> arange(3)
    array([0, 1, 2])
    """
    for value in (*args, *kwargs.values()):
        if isinstance(value, Tensor) and value._level >= 0:
            raise TypeError(
                "arange: a bound or step is a traced Tensor, and arange's length depends on "
                "its value, so the result cannot be differentiated or recorded; use Python "
                "numbers, or write start + step * deepgrad.numpy.arange(n)"
            )
    return np.arange(
        *[read_value(a, "arange's bound") for a in args],
        **{k: read_value(v, f"arange's {k}") for k, v in kwargs.items()},
    )


def integers_as_floats(x: Any, dtype: Any = np.float64, kinds: str = "biu") -> Any:
    """``x`` as it is if it holds floats; its integers or booleans (the dtype ``kinds``
    given) cast to ``dtype``. A list or tuple becomes NumPy's array of it.

    For the functions that subtract or negate their argument: on unsigned integers NumPy's
    ``-x`` wraps around (−1 as uint8 is 255), so they must work in floats, as SciPy's do.
    An integer has no gradient, so the cast is a constant.

    >>> integers_as_floats(np.array([1, 2], dtype=np.uint8))
    array([1., 2.])
    >>> integers_as_floats([0.5, 1.5])
    array([0.5, 1.5])
    """
    if isinstance(x, list | tuple):
        x = asarray(x)  # deepgrad's, which records the Tensors in the list
    data = raw_data(x)
    dtype_of_x = data.dtype if hasattr(data, "dtype") else np.asarray(data).dtype
    return cast(x, dtype) if dtype_of_x.kind in kinds else x

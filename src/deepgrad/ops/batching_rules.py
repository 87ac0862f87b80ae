"""Batching rules of the reductions, indexing and products (see ``batching.py``, whose
registry they fill when this module is imported: ``vmap`` imports ``rule_for`` from here).
"""

from __future__ import annotations

import string
from typing import Any

import numpy as np

from deepgrad.autodiff import primitive as engine
from deepgrad.ops import (
    activations_math,
    eigen,
    indexing,
    linalg,
    matrix,
    nan_reductions,
    order_statistics,
    pinv,
    qr,
    reductions,
    svd,
)
from deepgrad.ops import expm as expm_ops
from deepgrad.ops.batching import (
    IMPL_RULES,
    BatchCall,
    align,
    call_primitive,
    register,
    register_by_name,
    rule_for,
)
from deepgrad.ops.indexing import getitem
from deepgrad.ops.shape import broadcast_to, moveaxis, reshape
from deepgrad.tensor import raw_data

__all__ = ["rule_for"]


# ---- reductions and ops along an axis -------------------------------------------------------


def _shift_axis(axis: Any, ndim: int) -> Any:
    if axis is None:
        return tuple(range(1, ndim + 1))
    if isinstance(axis, tuple | list):
        return tuple(int(a) % max(ndim, 1) + 1 for a in axis)
    return int(axis) % max(ndim, 1) + 1


def _along_axis(call: BatchCall) -> Any:
    """Reductions of one array over ``axis`` (None: every axis of an example)."""
    if len(call.args) != 1:
        return None
    kwargs = dict(call.kwargs)
    kwargs["axis"] = _shift_axis(kwargs.get("axis"), len(call.shapes[0]))
    return call_primitive(call.prim, call.args, kwargs)


def _along_one_axis(call: BatchCall) -> Any:
    """Scans and softmax-like ops along one given axis."""
    if len(call.args) != 1 or not isinstance(call.kwargs.get("axis"), int | np.integer):
        return None
    return _along_axis(call)


def _logsumexp_shift_rule(call: BatchCall) -> Any:
    """logsumexp's shift (data, axis): the maximum over the example's axes."""
    data, axis = call.args
    return call_primitive(call.prim, [data, _shift_axis(axis, len(call.shapes[0]))], {})


def _nan_count_rule(call: BatchCall) -> Any:
    """The NaN reductions' counts (a, axis, keepdims, ddof): the axis is positional."""
    if not call.batched[0] or any(call.batched[1:]):
        return None
    args = list(call.args)
    args[1] = _shift_axis(args[1], len(call.shapes[0]))
    return call_primitive(call.prim, args, call.kwargs)


def _quantile_helper_rule(call: BatchCall) -> Any:
    """The order statistics' helpers (rows, q or q's shape, ...): their results have q's axes
    first, then the rows' leading axes, so the batch axis comes after q's."""
    if not call.batched[0] or any(call.batched[1:]):
        return None
    q = call.args[1]
    q_ndim = len(q) if isinstance(q, tuple) else len(np.shape(raw_data(q)))
    return moveaxis(call_primitive(call.prim, call.args, call.kwargs), q_ndim, 0)


def _argmax_share_rule(call: BatchCall) -> Any:
    """(ans, x, axis, keepdims): the extreme's positions, over the example's axes."""
    ans, x, axis, keepdims = call.args
    ans_shape, x_shape = call.shapes[0], call.shapes[1]
    if not call.batched[0]:
        ans = broadcast_to(ans, (call.size, *ans_shape))
    if not call.batched[1]:
        x = broadcast_to(x, (call.size, *x_shape))
    axis = _shift_axis(axis, len(x_shape))
    return call_primitive(call.prim, [ans, x, axis, keepdims], call.kwargs)


register(engine._sum, _along_axis)
register_by_name(reductions, ("_argmax_share",), _argmax_share_rule)
register_by_name(reductions, ("_logsumexp_shift",), _logsumexp_shift_rule)
register_by_name(nan_reductions, ("_count", "_no_degrees_of_freedom"), _nan_count_rule)
register_by_name(
    order_statistics,
    ("_index", "_fraction", "_count_less_one", "_all_nan", "_any_nan", "_ends"),
    _quantile_helper_rule,
)
for _impl in (np.all, np.any, np.count_nonzero):
    IMPL_RULES[_impl] = _along_axis
for _impl in (np.argsort, np.argmax, np.argmin):
    IMPL_RULES[_impl] = _along_one_axis
register_by_name(reductions, ("_prod", "_max", "_min"), _along_axis)
register_by_name(reductions, ("_cumsum", "_cumprod"), _along_one_axis)
register_by_name(activations_math, ("_log_softmax",), _along_one_axis)


# ---- indexing ---------------------------------------------------------------------------------


def _batched_index(index: Any) -> tuple | None:
    """``index`` with a leading ``:`` for the batch axis, or None when that would move the
    result's axes (advanced indices apart from each other go first in NumPy)."""
    parts = index if isinstance(index, tuple) else (index,)
    advanced = [
        i
        for i, p in enumerate(parts)
        if isinstance(p, list) or (hasattr(p, "shape") and not isinstance(p, np.generic))
    ]
    if advanced:
        with_ints = [
            i for i, p in enumerate(parts) if i in advanced or isinstance(p, int | np.integer)
        ]
        if with_ints != list(range(with_ints[0], with_ints[-1] + 1)):
            return None
    return (slice(None), *parts)


def _gather_index(call: BatchCall, array_batched: bool) -> tuple | None:
    """An index holding batched integer arrays (labels, say) as one index of the batched
    array, with ``arange(B)`` in front for the batch axis of a batched array.

    NumPy puts the axes of advanced indices first when they are apart (a slice between
    them) and in place when they are together. The batch axis leads the result in the first
    case, and in the second when they come first or have no axes of their own (integers):
    the other case gives None (a loop)."""
    index, flags = call.kwargs["index"], (call.kwargs_batched or {}).get("index")
    parts = index if isinstance(index, tuple) else (index,)
    flags = flags if isinstance(flags, tuple) else (flags,) * len(parts)
    positions = [i for i, p in enumerate(parts) if _is_advanced(p, parts)]
    if not positions:
        return None
    together = positions == list(range(positions[0], positions[-1] + 1))
    shapes = {}
    for i in positions:
        data = raw_data(parts[i])
        if getattr(data, "dtype", np.dtype(int)).kind == "b":
            return None  # a boolean mask selects a different number per example
        shapes[i] = tuple(np.shape(data))[1:] if flags[i] else tuple(np.shape(data))
    ndim = len(np.broadcast_shapes(*shapes.values()))
    if together and positions[0] != 0 and ndim > 0:
        return None  # (with no axes of their own, where they go does not matter)
    new = [
        align(p, shapes[i], ndim, call.size) if i in shapes and flags[i] else p
        for i, p in enumerate(parts)
    ]
    if array_batched:
        new.insert(0, np.arange(call.size).reshape((call.size, *(1,) * ndim)))
    return tuple(new)


def _is_advanced(part: Any, parts: tuple) -> bool:
    """An array index, or an integer beside one (NumPy then treats it as advanced too)."""
    if isinstance(part, slice) or part is None or part is Ellipsis:
        return False
    if isinstance(part, int | np.integer):
        return any(hasattr(p, "shape") and not isinstance(p, np.generic) for p in parts)
    return True


def _index_is_batched(call: BatchCall) -> bool:
    flags = (call.kwargs_batched or {}).get("index")
    return any(flags) if isinstance(flags, tuple) else bool(flags)


def _getitem_rule(call: BatchCall) -> Any:
    if _index_is_batched(call):
        index = _gather_index(call, call.batched[0])
    else:
        index = _batched_index(call.kwargs["index"])
    if index is None:
        return None
    return getitem(call.args[0], index=index)


def _scatter_rule(call: BatchCall) -> Any:
    g = call.args[0]
    if _index_is_batched(call):
        index = _gather_index(call, True)
        if not call.batched[0]:
            g = broadcast_to(g, (call.size, *call.shapes[0]))
    else:
        index = _batched_index(call.kwargs["index"])
    if index is None:
        return None
    return indexing.scatter_add(g, index=index, shape=(call.size, *call.kwargs["shape"]))


def _index_set_rule(call: BatchCall) -> Any:
    index = _batched_index(call.kwargs["index"])
    if index is None:
        return None
    x, values = call.args
    if not call.batched[0]:
        x = broadcast_to(x, (call.size, *call.shapes[0]))
    if call.batched[1]:
        selected = np.empty(call.shapes[0], dtype=bool)[call.kwargs["index"]].shape
        values = align(values, call.shapes[1], len(selected), call.size)
    return indexing.index_set(x, values, index=index)


register(getitem, _getitem_rule, batched_kwargs=True)
register(indexing.scatter_add, _scatter_rule, batched_kwargs=True)
register(indexing.index_set, _index_set_rule)


# ---- products ---------------------------------------------------------------------------------


def _as_matrix(value: Any, per_example: tuple, batched: bool, vector_as: str) -> tuple:
    """A vector operand of matmul as a row (x) or column (y) matrix, and its new shape."""
    if len(per_example) != 1:
        return value, per_example
    new = (1, per_example[0]) if vector_as == "row" else (per_example[0], 1)
    return reshape(value, (-1, *new) if batched else new), new


def _matmul_rule(call: BatchCall) -> Any:
    (x, y), (bx, by) = call.args, call.batched
    x, sx = _as_matrix(x, call.shapes[0], bx, "row")
    y, sy = _as_matrix(y, call.shapes[1], by, "column")
    rank = max(len(sx), len(sy))
    x = align(x, sx, rank, call.size) if bx else x
    y = align(y, sy, rank, call.size) if by else y
    return reshape(linalg.matmul(x, y), (call.size, *call.out_shape))


def _einsum_rule(call: BatchCall) -> Any:
    subscripts = call.kwargs["subscripts"]
    letter = next(c for c in string.ascii_letters if c not in subscripts)
    inputs, output = subscripts.split("->")
    pairs = zip(inputs.split(","), call.batched, strict=True)
    specs = [letter + spec if hit else spec for spec, hit in pairs]
    batched = ",".join(specs) + "->" + letter + output
    return linalg.einsum_prim(*call.args, subscripts=batched)


def _solve_rule(call: BatchCall) -> Any:
    (a, b), (ba, bb) = call.args, call.batched
    b, sb = _as_matrix(b, call.shapes[1], bb, "column")  # then NumPy broadcasts a and b
    rank = max(len(call.shapes[0]), len(sb))
    a = align(a, call.shapes[0], rank, call.size) if ba else a
    b = align(b, sb, rank, call.size) if bb else b
    return reshape(call_primitive(call.prim, [a, b], call.kwargs), (call.size, *call.out_shape))


def _leading_axes(call: BatchCall) -> Any:
    """Ops on one stack of matrices, batched over leading axes already (inv, svd, ...)."""
    if len(call.args) != 1:
        return None
    return call_primitive(call.prim, call.args, call.kwargs)


def _stacks_of_matrices(call: BatchCall) -> Any:
    """Ops on stacks of matrices of one shape (the derivative of det's cofactors): an
    argument without the batch axis is broadcast along it."""
    args = [
        arg if batched else broadcast_to(arg, (call.size, *shape))
        for arg, batched, shape in zip(call.args, call.batched, call.shapes, strict=True)
    ]
    return call_primitive(call.prim, args, call.kwargs)


def _labels_rule(call: BatchCall) -> Any:
    """Fused cross-entropy on (logits (..., C), labels (...)): both get the batch axis and
    are flattened to the (rows, C) and (rows,) the kernels take."""
    (logits, labels), (logits_shape, labels_shape) = call.args, call.shapes
    if not call.batched[0]:
        logits = broadcast_to(logits, (call.size, *logits_shape))
    if not call.batched[1]:
        labels = broadcast_to(labels, (call.size, *labels_shape))
    rows = reshape(logits, (-1, logits_shape[-1]))
    result = call_primitive(call.prim, [rows, reshape(labels, (-1,))], call.kwargs)
    return reshape(result, (call.size, *call.out_shape))


register(linalg.matmul, _matmul_rule)
register(linalg.einsum_prim, _einsum_rule)
register(matrix._solve, _solve_rule)
register_by_name(matrix, ("_inv", "_det", "_logabsdet", "_cholesky", "_cofactor"), _leading_axes)
register(matrix._cofactor_derivative, _stacks_of_matrices)
if hasattr(matrix, "_sign_of_det_impl"):
    IMPL_RULES[matrix._sign_of_det_impl] = _leading_axes
register_by_name(eigen, ("_eigh", "_eigvalsh", "_eig"), _leading_axes)
register_by_name(svd, ("_svd", "_svdvals"), _leading_axes)
register_by_name(qr, ("_qr_tall",), _leading_axes)
register_by_name(pinv, ("_pinv",), _leading_axes)
register_by_name(expm_ops, ("_expm",), _leading_axes)
register_by_name(
    activations_math, ("_sparse_cross_entropy", "_softmax_minus_one_hot"), _labels_rule
)

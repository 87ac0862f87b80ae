"""Batching rules: how a primitive runs on a whole batch at once, for ``vmap``.

A rule gets the call's arguments with the batch axis of every batched one moved to the
front (unbatched arguments are as the function saw them), and what the recording of one
example knows: each argument's per-example shape and the per-example shape of the result.
It returns the batched result, batch axis first, or ``None`` when it cannot handle this
call; then the call runs as a loop over the batch (``loop_call``), which is always right.
``vmap`` also checks every batched result's shape against the recording and falls back
to the loop when it differs.

Rules are registered by primitive (``register``), so op files need not know about vmap.
Every NumPy ufunc primitive is elementwise and batched by broadcasting, without
registration; so is every unary op made by ``ops.elementwise.unary``.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from deepgrad.autodiff import primitive as engine
from deepgrad.autodiff.effects import Impure
from deepgrad.autodiff.primitive import Primitive
from deepgrad.autodiff.transforms import _scalar_to_array
from deepgrad.ops import (
    activations_math,
    creation,
    eigen,
    indexing,
    linalg,
    matrix,
    nan_reductions,
    nondiff,
    order_statistics,
    piecewise,
    pinv,
    qr,
    real_parts,
    reductions,
    selection,
    shape,
    svd,
)
from deepgrad.ops import elementwise as elementwise_ops
from deepgrad.ops import expm as expm_ops
from deepgrad.ops import sinc as sinc_ops
from deepgrad.ops.indexing import getitem
from deepgrad.ops.shape import broadcast_to, concatenate, expand_dims, moveaxis, reshape
from deepgrad.tensor import Tensor, raw_data


@dataclass
class BatchCall:
    """One call to batch: its primitive, arguments, and what the recording knows.

    ``batched[i]`` says whether positional argument i carries the batch axis (first);
    ``shapes[i]`` is its per-example shape; ``out_shape`` the result's per-example shape.
    """

    prim: Primitive
    args: list
    kwargs: dict
    batched: list[bool]
    shapes: list[tuple]
    out_shape: tuple
    size: int
    kwargs_batched: dict | None = None  # kwargs' structure, True where a leaf is batched


Rule = Callable[[BatchCall], Any]
RULES: dict[int, Rule] = {}
IMPL_RULES: dict[Any, Rule] = {}  # by function: the non-differentiable wrappers' primitives
BATCHED_KWARGS: set[int] = set()  # primitives whose rule handles batched keyword arguments


def register(prim: Any, rule: Rule, batched_kwargs: bool = False) -> None:
    """Use ``rule`` to batch calls of ``prim``; ``batched_kwargs``: also when a keyword
    argument (an index) carries the batch axis (``BatchCall.kwargs_batched`` says where)."""
    RULES[id(prim)] = rule
    if batched_kwargs:
        BATCHED_KWARGS.add(id(prim))


def _register_by_name(module: Any, names: tuple[str, ...], rule: Rule) -> None:
    """Register ``rule`` for the module's primitives of these names (those that exist)."""
    for name in names:
        prim = getattr(module, name, None)
        if isinstance(prim, Primitive):
            register(prim, rule)


def rule_for(prim: Primitive, kwargs_batched: bool = False) -> Rule | None:
    """The batching rule of ``prim``, or None when only a loop will do."""
    if kwargs_batched:
        return RULES.get(id(prim)) if id(prim) in BATCHED_KWARGS else None
    rule = RULES.get(id(prim))
    if rule is None:
        rule = IMPL_RULES.get(prim.impl) if _hashable(prim.impl) else None
    if rule is not None:
        return rule
    if isinstance(prim.impl, np.ufunc) or _made_by_unary(prim):
        return elementwise
    return None


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _made_by_unary(prim: Primitive) -> bool:
    vjps = prim.vjps
    if isinstance(vjps, tuple) and len(vjps) == 1 and vjps[0] is not None:
        return getattr(vjps[0], "__qualname__", "").startswith("unary.")
    return False


def call_primitive(prim: Primitive, args: list, kwargs: dict) -> Any:
    """Call ``prim``; an impure one (a mask, a draw) gets raw arrays, as its callers give it."""
    if isinstance(prim, Impure):
        args = [raw_data(a) if isinstance(a, Tensor) else a for a in args]
    return prim(*args, **kwargs)


# ---- the loop, for every primitive without a rule ---------------------------------------------


def loop_call(call: BatchCall, batched_kwargs: Callable[[int], dict] | None = None) -> Any:
    """Run the primitive once per example and stack the results along a new first axis."""
    results = []
    for b in range(call.size):
        pairs = zip(call.args, call.batched, strict=True)
        args = [getitem(a, index=b) if hit else a for a, hit in pairs]
        kwargs = call.kwargs if batched_kwargs is None else batched_kwargs(b)
        results.append(call_primitive(call.prim, args, kwargs))
    return stack_results(results)


def stack_results(results: list) -> Any:
    """Stack per-example results (arrays, or tuples of arrays) along a new first axis."""
    if isinstance(results[0], tuple):
        return tuple(stack_results(list(parts)) for parts in zip(*results, strict=True))
    return concatenate([expand_dims(r, 0) for r in results], axis=0)


# ---- elementwise, broadcasting --------------------------------------------------------------


def _align(value: Any, per_example: tuple, ndim: int, size: int) -> Any:
    """A batched value (B, *per_example) as (B, 1, ..., 1, *per_example) of ndim + 1 axes,
    so that it broadcasts against unbatched operands as one example would."""
    missing = ndim - len(per_example)
    if missing <= 0:
        return value
    return reshape(value, (size, *(1,) * missing, *per_example))


def elementwise(call: BatchCall) -> Any:
    """Ops that broadcast their operands: pad each batched one to the result's rank."""
    ndim = len(call.out_shape)
    args = [
        _align(a, s, ndim, call.size) if hit else a
        for a, s, hit in zip(call.args, call.shapes, call.batched, strict=True)
    ]
    return call_primitive(call.prim, args, call.kwargs)


for _prim in (selection._where, selection._clip):
    register(_prim, elementwise)
# Masks and shares that are functions of each element (impure only so a recording redoes them).
_register_by_name(elementwise_ops, ("_max_share",), elementwise)
_register_by_name(selection, ("_inside",), elementwise)
_register_by_name(
    piecewise, ("_isnan", "_is_zero", "_step", "_isfinite", "_replacements"), elementwise
)
_register_by_name(nan_reductions, ("_nan_mask",), elementwise)
_register_by_name(real_parts, ("_angle",), elementwise)
IMPL_RULES[nondiff._cast] = elementwise
for _impl in (np.round, np.isclose, np.sinc):  # elementwise, though not ufuncs
    IMPL_RULES[_impl] = elementwise
_register_by_name(sinc_ops, ("_sinc_first", "_sinc_second"), elementwise)
_register_by_name(selection, ("_taken_from",), elementwise)
_register_by_name(creation, ("_copy",), elementwise)


# ---- shapes -----------------------------------------------------------------------------------


def _reshape_rule(call: BatchCall) -> Any:
    return engine._reshape(call.args[0], shape=(call.size, *call.out_shape))


def _broadcast_rule(call: BatchCall) -> Any:
    x = _align(call.args[0], call.shapes[0], len(call.out_shape), call.size)
    return engine._broadcast_to(x, shape=(call.size, *call.out_shape))


def _transpose_rule(call: BatchCall) -> Any:
    axes = call.kwargs["axes"]
    return shape._transpose(call.args[0], axes=(0, *(int(a) + 1 for a in axes)))


def _astype_rule(call: BatchCall) -> Any:
    return call_primitive(call.prim, call.args, call.kwargs)


def _concatenate_rule(call: BatchCall) -> Any:
    arrays = [
        a if hit else broadcast_to(a, (call.size, *s))
        for a, s, hit in zip(call.args, call.shapes, call.batched, strict=True)
    ]
    return shape.concatenate_prim(*arrays, axis=int(call.kwargs["axis"]) + 1)


def _pad_rule(call: BatchCall) -> Any:
    kwargs = dict(call.kwargs)
    kwargs["pad_width"] = ((0, 0), *(tuple(p) for p in kwargs["pad_width"]))
    return call_primitive(call.prim, call.args, kwargs)


register(engine._reshape, _reshape_rule)
_register_by_name(shape, ("_pad_constant",), _pad_rule)
register(engine._broadcast_to, _broadcast_rule)
register(shape._transpose, _transpose_rule)
register(engine._astype, _astype_rule)
register(shape.concatenate_prim, _concatenate_rule)
register(_scalar_to_array, lambda call: call.args[0])


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
_register_by_name(reductions, ("_argmax_share",), _argmax_share_rule)
_register_by_name(reductions, ("_logsumexp_shift",), _logsumexp_shift_rule)
_register_by_name(nan_reductions, ("_count", "_no_degrees_of_freedom"), _nan_count_rule)
_register_by_name(
    order_statistics, ("_index", "_fraction", "_count_less_one", "_all_nan"), _quantile_helper_rule
)
for _impl in (np.all, np.any, np.count_nonzero):
    IMPL_RULES[_impl] = _along_axis
for _impl in (np.argsort, np.argmax, np.argmin):
    IMPL_RULES[_impl] = _along_one_axis
_register_by_name(reductions, ("_prod", "_max", "_min"), _along_axis)
_register_by_name(reductions, ("_cumsum", "_cumprod"), _along_one_axis)
_register_by_name(activations_math, ("_log_softmax",), _along_one_axis)


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
        _align(p, shapes[i], ndim, call.size) if i in shapes and flags[i] else p
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
        values = _align(values, call.shapes[1], len(selected), call.size)
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
    x = _align(x, sx, rank, call.size) if bx else x
    y = _align(y, sy, rank, call.size) if by else y
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
    a = _align(a, call.shapes[0], rank, call.size) if ba else a
    b = _align(b, sb, rank, call.size) if bb else b
    return reshape(call_primitive(call.prim, [a, b], call.kwargs), (call.size, *call.out_shape))


def _leading_axes(call: BatchCall) -> Any:
    """Ops on one stack of matrices, batched over leading axes already (inv, svd, ...)."""
    if len(call.args) != 1:
        return None
    return call_primitive(call.prim, call.args, call.kwargs)


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
_register_by_name(matrix, ("_inv", "_det", "_logabsdet", "_cholesky"), _leading_axes)
if hasattr(matrix, "_sign_of_det_impl"):
    IMPL_RULES[matrix._sign_of_det_impl] = _leading_axes
_register_by_name(eigen, ("_eigh", "_eigvalsh", "_eig"), _leading_axes)
_register_by_name(svd, ("_svd", "_svdvals"), _leading_axes)
_register_by_name(qr, ("_qr_tall",), _leading_axes)
_register_by_name(pinv, ("_pinv",), _leading_axes)
_register_by_name(expm_ops, ("_expm",), _leading_axes)
_register_by_name(
    activations_math, ("_sparse_cross_entropy", "_softmax_minus_one_hot"), _labels_rule
)

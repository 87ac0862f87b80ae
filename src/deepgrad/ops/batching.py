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
registration; so is every unary op made by ``ops.elementwise.unary``. This module holds
the registry, the loop, and the elementwise and shape rules; ``batching_rules.py`` the
reductions', indexing's and products' (importing it registers them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from deepgrad.autodiff import primitive as engine
from deepgrad.autodiff.effects import Impure
from deepgrad.autodiff.primitive import Primitive
from deepgrad.autodiff.transforms import _scalar_to_array
from deepgrad.ops import creation, nan_reductions, nondiff, piecewise, real_parts, selection, shape
from deepgrad.ops import elementwise as elementwise_ops
from deepgrad.ops import sinc as sinc_ops
from deepgrad.ops.indexing import getitem
from deepgrad.ops.shape import broadcast_to, concatenate, expand_dims, reshape
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


def register_by_name(module: Any, names: tuple[str, ...], rule: Rule) -> None:
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
    shapes = [np.shape(raw_data(r)) for r in results]
    if len(set(shapes)) > 1:
        raise ValueError(
            f"vmap: the examples give results of different shapes ({', '.join(map(str, shapes))}"
            "), which cannot be stacked: a shape that depends on the data (where or nonzero "
            "with one argument, indexing by a boolean mask) has no batched form; use "
            "dnp.where(condition, x, 0) to keep the shape"
        )
    return concatenate([expand_dims(r, 0) for r in results], axis=0)


# ---- elementwise, broadcasting --------------------------------------------------------------


def align(value: Any, per_example: tuple, ndim: int, size: int) -> Any:
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
        align(a, s, ndim, call.size) if hit else a
        for a, s, hit in zip(call.args, call.shapes, call.batched, strict=True)
    ]
    return call_primitive(call.prim, args, call.kwargs)


for _prim in (selection._where, selection._clip):
    register(_prim, elementwise)
# Masks and shares that are functions of each element (impure only so a recording redoes them).
register_by_name(elementwise_ops, ("_max_share",), elementwise)
register_by_name(selection, ("_inside",), elementwise)
register_by_name(
    piecewise, ("_isnan", "_is_zero", "_step", "_isfinite", "_replacements"), elementwise
)
register_by_name(nan_reductions, ("_nan_mask",), elementwise)
register_by_name(real_parts, ("_angle",), elementwise)
IMPL_RULES[nondiff._cast] = elementwise
for _impl in (np.round, np.isclose, np.sinc):  # elementwise, though not ufuncs
    IMPL_RULES[_impl] = elementwise
register_by_name(sinc_ops, ("_sinc_first", "_sinc_second"), elementwise)
register_by_name(selection, ("_taken_from",), elementwise)
register_by_name(creation, ("_copy",), elementwise)


# ---- shapes -----------------------------------------------------------------------------------


def _reshape_rule(call: BatchCall) -> Any:
    return engine._reshape(call.args[0], shape=(call.size, *call.out_shape))


def _broadcast_rule(call: BatchCall) -> Any:
    x = align(call.args[0], call.shapes[0], len(call.out_shape), call.size)
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
register_by_name(shape, ("_pad_constant",), _pad_rule)
register(engine._broadcast_to, _broadcast_rule)
register(shape._transpose, _transpose_rule)
register(engine._astype, _astype_rule)
register(shape.concatenate_prim, _concatenate_rule)
register(_scalar_to_array, lambda call: call.args[0])

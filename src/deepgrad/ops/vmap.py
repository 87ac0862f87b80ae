"""``vmap``: map a function over a batch axis without a Python loop, as JAX's ``vmap``.

How: ``f`` runs once on one example while the engine's observer records every primitive
call (``vmap_recording.py``); the recording is then replayed on the whole batch, each
call through its primitive's batching rule (``batching.py``), or a loop over the batch
for a primitive without one. The replay is made of deepgrad ops, so transforms outside
``vmap`` (``grad(vmap(f))``) differentiate it, and transforms inside (``vmap(grad(f))``)
were recorded with their backward pass. A nested ``vmap`` records the inner one's replay.

A recording sees primitive calls, not Python. So ``vmap`` runs ``f`` once per example
instead, in a loop, which gives the same result, when Python code reads an example's
values (``vmap_recording.Example`` notices), when the recordings of the first and the
last example differ (array work done outside deepgrad ops), or when ``f`` reads through
a closure a value traced by a transform outside ``vmap`` (tape tensors, such as a
model's weights, are fine: the replay reads them). Functions that write outside their
result (``backward()`` storing ``.grad``, a moving-average update) are refused.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from deepgrad.autodiff.effects import Impure
from deepgrad.autodiff.primitive import STATE, new_level
from deepgrad.autodiff.tree import tree_flatten, tree_unflatten
from deepgrad.backend import to_numpy
from deepgrad.ops.batching import BatchCall, call_primitive, loop_call, stack_results
from deepgrad.ops.batching_rules import rule_for  # (importing it registers every rule)
from deepgrad.ops.indexing import getitem
from deepgrad.ops.shape import broadcast_to, expand_dims, moveaxis
from deepgrad.ops.vmap_axes import (
    Axes,
    batch_size,
    check_axis_size,
    check_entries,
    function_name,
    is_array,
    keywords_signature,
    leaf_axes,
    output_axes,
)
from deepgrad.ops.vmap_recording import ACTIVE, Const, Example, Recording, Slot, same_recordings
from deepgrad.tensor import Tensor, raw_data

_LOOPS: list[list[str]] = []  # while ``loops_in`` watches: what ran as a loop, and why


def vmap(
    f: Callable, in_axes: Axes = 0, out_axes: Axes = 0, axis_size: int | None = None
) -> Callable:
    """Vectorise ``f`` over an axis of its arguments: ``vmap(f)(xs)`` stacks ``f(x)`` for
    each ``x`` along ``xs``'s first axis, without running ``f`` once per example.

    ``in_axes``: for every argument (an int or None for all, or a tuple with one entry per
    positional argument, each an int, None, or a pytree of them matching the argument)
    the axis to map over, None for an argument shared by all examples. Negative axes
    count from the end. Keyword arguments are mapped over their first axis, as in JAX.
    ``out_axes``: where the batch axis goes in the outputs (None: an output that does not
    depend on the batch). ``axis_size``: the batch size, needed when no argument is mapped
    (every in_axes None: the outputs are broadcast along it), else checked against the
    mapped axes. Composes with ``grad``, ``jvp``, ``vjp``, ``jacobian``, ``hessian``,
    ``compile`` and itself. See ``docs/vmap.md``.

    >>> import numpy as np, deepgrad as dg, deepgrad.numpy as dnp
    >>> def loss(w, x, y):
    ...     return (dnp.dot(x, w) - y) ** 2
    >>> w, xs, ys = np.array([1.0, 2.0]), np.eye(2), np.array([0.0, 1.0])
    >>> dg.vmap(dg.grad(loss), in_axes=(None, 0, 0))(w, xs, ys)  # per-example gradients
    array([[2., 0.],
           [0., 2.]])
    >>> dg.vmap(lambda x, y: x * y, in_axes=None, axis_size=2)(w, 3.0)  # nothing mapped
    array([[3., 6.],
           [3., 6.]])
    """

    check_axis_size(axis_size)

    @functools.wraps(f)
    def vmapped(*args: Any, **kwargs: Any) -> Any:
        if kwargs:
            return _vmap_keywords(f, in_axes, out_axes, axis_size, args, kwargs)
        if not args:
            raise TypeError(f"vmap: {function_name(f)} was called with no arguments to map over")
        leaves, treedef = tree_flatten(args)
        axes = leaf_axes(in_axes, args, f, axis_size)
        size = batch_size(leaves, axes, args, f, axis_size)
        pairs = zip(axes, leaves, strict=True)
        axes = [None if a is None else int(a) % np.ndim(raw_data(x)) for a, x in pairs]
        return _vmap_call(f, leaves, treedef, axes, out_axes, size)

    return vmapped


def _vmap_keywords(f, in_axes, out_axes, axis_size, args: tuple, kwargs: dict) -> Any:
    """Keyword arguments, mapped over their first axis (JAX's rule): passed to the mapped
    function as more positional arguments, each with in_axes 0."""
    if in_axes is None or isinstance(in_axes, int):
        positional_axes = (in_axes,) * len(args)
    else:
        positional_axes = tuple(check_entries(in_axes, args, f))
    keywords = tuple(kwargs)

    def with_keywords(*arguments: Any) -> Any:
        split = len(arguments) - len(keywords)
        return f(*arguments[:split], **dict(zip(keywords, arguments[split:], strict=True)))

    with_keywords.__qualname__ = function_name(f)
    signature = keywords_signature(f, len(args), keywords)
    if signature is not None:  # so that errors name each argument as the caller wrote it
        with_keywords.__signature__ = signature  # type: ignore[attr-defined]
    mapped = vmap(with_keywords, (*positional_axes, *[0] * len(keywords)), out_axes, axis_size)
    return mapped(*args, *kwargs.values())


def _vmap_call(f, leaves, treedef, axes, out_axes, size) -> Any:
    recording, outputs, out_def = _record(f, leaves, treedef, axes, 0)
    if recording.effect is not None:
        raise RuntimeError(
            f"vmap: {function_name(f)} calls {recording.effect}, which writes outside its "
            "result (a gradient stored into .grad, a moving-average update); vmap needs a function "
            "without side effects: differentiate inside with deepgrad.grad instead of backward()"
        )
    reason = _why_loop(recording)
    if reason is None and size > 1:
        second, second_outputs, _ = _record(f, leaves, treedef, axes, size - 1)
        if not same_recordings(recording, second, (outputs, second_outputs)):
            reason = "its recordings of two examples differ"
        reason = reason or _why_loop(second)
    if reason is not None:
        _note(f"the whole function ({reason})")
        return _loop(f, leaves, treedef, axes, out_axes, size)
    env = _inputs(recording, leaves, axes)
    _replay(recording, env, size)
    values = [_resolve(ref, env) for ref in outputs]
    out_leaf_axes = output_axes(out_axes, tree_unflatten(out_def, [v for v, _ in values]))
    results = [
        _place(value, batched, axis, size, position)
        for position, ((value, batched), axis) in enumerate(zip(values, out_leaf_axes, strict=True))
    ]
    return tree_unflatten(out_def, [_present(r, leaves) for r in results])


def _why_loop(recording: Recording) -> str | None:
    if recording.traced_closure is not None:
        return f"{recording.traced_closure} depends on a traced value from outside vmap"
    if recording.value_read:
        return "Python code reads an example's values"
    if recording.frozen is not None:
        return f"{recording.frozen} gives a Python number or NumPy bool computed from an example"
    return None


# ---- recording one example ---------------------------------------------------------------------


def _record(f, leaves, treedef, axes, example) -> tuple[Recording, list, Any]:
    recording = Recording(first_level=new_level())
    inputs = []
    for leaf, axis in zip(leaves, axes, strict=True):
        if axis is not None:
            value = np.take(raw_data(leaf), example, axis=axis)
            if type(value) is np.ndarray:  # (other backends' arrays go in as they are)
                value = value.view(Example)
        elif is_array(leaf):
            value = raw_data(leaf)
        else:
            inputs.append(leaf)  # a Python number or None: a literal
            continue
        recording.add_input(value)
        # As constant Tensors, so Python operators in f (x * 2) dispatch to deepgrad ops.
        inputs.append(Tensor._make(value, -1))
    saved, STATE.observer = STATE.observer, recording.observe
    ACTIVE.append(recording)
    try:
        out = f(*tree_unflatten(treedef, inputs))
    finally:
        STATE.observer = saved
        ACTIVE.remove(recording)
    out_leaves, out_def = tree_flatten(out)
    return recording, [recording.output(o) for o in out_leaves], out_def


# ---- replaying it on the batch -----------------------------------------------------------------


def _inputs(recording: Recording, leaves: list, axes: list) -> dict:
    """The replay's starting values: each input slot's actual argument, batch axis first."""
    env: dict[int, tuple[Any, bool]] = {}
    slot = 0
    for leaf, axis in zip(leaves, axes, strict=True):
        if axis is None and not is_array(leaf):
            continue
        env[slot] = (leaf, False) if axis is None else (moveaxis(leaf, axis, 0), True)
        slot += 1
    return env


def _resolve(ref: Any, env: dict) -> tuple[Any, bool]:
    """A reference's value in the replay, and whether it carries the batch axis."""
    if isinstance(ref, Slot):
        return env[ref.index]
    if isinstance(ref, Const):
        return ref.value, False
    if type(ref) in (tuple, list):
        pairs = [_resolve(r, env) for r in ref]
        return type(ref)(v for v, _ in pairs), any(b for _, b in pairs)
    if type(ref) is dict:
        pairs = {k: _resolve(r, env) for k, r in ref.items()}
        return {k: v for k, (v, _) in pairs.items()}, any(b for _, b in pairs.values())
    return ref, False


def _mask(ref: Any, env: dict) -> Any:
    """A reference's structure with True where a value carries the batch axis."""
    if isinstance(ref, Slot):
        return env[ref.index][1]
    if type(ref) in (tuple, list):
        return type(ref)(_mask(r, env) for r in ref)
    if type(ref) is dict:
        return {k: _mask(r, env) for k, r in ref.items()}
    return False


def _example(ref: Any, env: dict, b: int) -> Any:
    """A reference's value for example ``b`` alone."""
    if isinstance(ref, Slot):
        value, batched = env[ref.index]
        return getitem(value, index=b) if batched else value
    if isinstance(ref, Const):
        return ref.value
    if type(ref) in (tuple, list):
        return type(ref)(_example(r, env, b) for r in ref)
    if type(ref) is dict:
        return {k: _example(r, env, b) for k, r in ref.items()}
    return ref


def _replay(recording: Recording, env: dict, size: int) -> None:
    for call in recording.calls:
        if not _has_slot(call.out):
            continue  # a Python number (a shape, a count): the recording kept it as a literal
        pairs = [_resolve(a, env) for a in call.args]
        kwargs, kwargs_batched = _resolve(call.kwargs, env)
        args = [v for v, _ in pairs]
        batched = [b for _, b in pairs]
        if not any(batched) and not kwargs_batched and not _draws(call.prim):
            out, out_batched = call_primitive(call.prim, args, kwargs), False
        else:
            out, out_batched = _batched_call(call, args, kwargs, batched, kwargs_batched, env, size)
        _store(call.out, out, out_batched, env)


def _has_slot(out: Any) -> bool:
    return isinstance(out, Slot) or (isinstance(out, tuple) and any(o is not None for o in out))


def _batched_call(call, args, kwargs, batched, kwargs_batched, env, size) -> tuple[Any, bool]:
    def per_example_kwargs(b: int) -> dict:
        return _example(call.kwargs, env, b)

    pairs = zip(call.args, batched, strict=True)
    nested = any(b and type(r) in (tuple, list, dict) for r, b in pairs)
    batch_call = BatchCall(call.prim, args, kwargs, batched, call.shapes, call.out_shape, size)
    batch_call.kwargs_batched = _mask(call.kwargs, env)
    rule = rule_for(call.prim, kwargs_batched)
    if not nested and rule is not None:
        try:
            out = rule(batch_call)
        except (ValueError, TypeError, IndexError):
            out = None  # the loop below raises the error if it is the function's own
        if out is not None and _fits(out, call.out_shape, size):
            return out, True
    _note(call.prim.name)
    if nested:
        results = [
            call_primitive(
                call.prim, [_example(r, env, b) for r in call.args], per_example_kwargs(b)
            )
            for b in range(size)
        ]
        return stack_results(results), True
    return loop_call(batch_call, per_example_kwargs if kwargs_batched else None), True


def _note(what: str) -> None:
    for log in _LOOPS:
        log.append(what)


def loops_in(f: Callable, in_axes: Axes = 0, out_axes: Axes = 0) -> Callable:
    """Which parts of ``vmap(f)`` ran as a Python loop over the batch, for these arguments:
    the primitives without a batching rule, or the whole function (and why).

    >>> import numpy as np, deepgrad.numpy as dnp
    >>> loops_in(lambda x: dnp.tanh(x).sum())(np.ones((4, 3)))
    []
    """

    def watched(*args: Any) -> list[str]:
        log: list[str] = []
        _LOOPS.append(log)
        try:
            vmap(f, in_axes, out_axes)(*args)
        finally:
            _LOOPS.remove(log)
        return log

    return watched


def _draws(prim: Any) -> bool:
    """An impure primitive that may give a new value on each call (a random draw): made once
    per example, as a loop would. NumPy's functions and deepgrad's masks are not draws."""
    if not isinstance(prim, Impure) or prim.effect:
        return False
    module = getattr(prim.impl, "__module__", None) or ""
    if "random" in module or "noise" in module:
        return True
    deterministic = ("numpy", "deepgrad.ops", "deepgrad.autodiff")
    return not (isinstance(prim.impl, np.ufunc) or module.startswith(deterministic))


def _fits(out: Any, out_shape: Any, size: int) -> bool:
    if isinstance(out_shape, tuple) and all(isinstance(s, int) for s in out_shape):
        return tuple(np.shape(raw_data(out))) == (size, *out_shape)
    return False


def _store(out_ref: Any, out: Any, batched: bool, env: dict) -> None:
    if isinstance(out_ref, Slot):
        env[out_ref.index] = (out, batched)
    elif isinstance(out_ref, tuple):
        for ref, part in zip(out_ref, out, strict=True):
            if ref is not None:
                env[ref.index] = (part, batched)


# ---- the loop, when the recording cannot stand for every example -------------------------------


def _loop(f, leaves, treedef, axes, out_axes, size) -> Any:
    outputs = []
    for b in range(size):
        example = [
            leaf if axis is None else getitem(leaf, index=(slice(None),) * axis + (b,))
            for leaf, axis in zip(leaves, axes, strict=True)
        ]
        outputs.append(tree_flatten(f(*tree_unflatten(treedef, example))))
    out_def = outputs[0][1]
    columns = list(zip(*[leaves_b for leaves_b, _ in outputs], strict=True))
    structure = tree_unflatten(out_def, list(columns[0]))
    results = []
    pairs = zip(columns, output_axes(out_axes, structure), strict=True)
    for position, (column, axis) in enumerate(pairs):
        if axis is None:
            _check_unbatched(column, position)
            results.append(column[0])
        else:
            stacked = stack_results([_as_value(c) for c in column])
            results.append(moveaxis(stacked, 0, axis))
    return tree_unflatten(out_def, [_present(r, leaves) for r in results])


def _check_unbatched(column: tuple, position: int) -> None:
    first = to_numpy(raw_data(column[0]))
    if not all(np.array_equal(first, to_numpy(raw_data(c))) for c in column[1:]):
        raise ValueError(
            f"vmap: output {position} has out_axes None but differs between examples; give it "
            "an out_axes to stack it along"
        )


def _as_value(x: Any) -> Any:
    return x if is_array(x) else np.asarray(x)


# ---- outputs ------------------------------------------------------------------------------------


def _place(value: Any, batched: bool, axis: Any, size: int, position: int) -> Any:
    """An output with its batch axis at ``axis`` (broadcast there if it does not depend on
    the batch); an unbatched output as it is when ``axis`` is None."""
    if axis is None:
        if batched:
            raise ValueError(
                f"vmap: output {position} depends on the mapped inputs but its out_axes is "
                "None; give it an axis to stack the examples along"
            )
        return value
    value = _as_value(value)
    if not batched:
        shape = tuple(np.shape(raw_data(value)))
        value = broadcast_to(expand_dims(value, 0), (size, *shape))
    ndim = np.ndim(raw_data(value))
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"vmap: out_axes {axis} is out of range for output {position} of {ndim} axes"
        )
    return moveaxis(value, 0, axis)


def _present(value: Any, inputs: list) -> Any:
    """A constant Tensor as a plain array unless a Tensor went in (as the function would)."""
    if isinstance(value, Tensor) and value._level < 0:
        if not any(isinstance(x, Tensor) for x in inputs):
            return raw_data(value)
    return value

"""The reverse pass: walk a level's graph from the outputs back to its leaves.

Nodes are taken newest first (no recursion, so a chain of a million ops is fine). A
tensor's cotangent is dropped as soon as its node has passed it on, and broadcasting
is undone here, once, for every rule.
"""

from __future__ import annotations

from heapq import heappop, heappush
from typing import Any

import numpy as np
from numpy import ndarray

from deepgrad.autodiff.primitive import STATE, check_finite
from deepgrad.compiler.recorder import record_call
from deepgrad.ops.elementwise import add
from deepgrad.tensor import Tensor, raw_data


def match_shape(value: Any, like: Any, broadcast: bool = False) -> Any:
    """Make ``value`` the shape and floating dtype of ``like``.

    A cotangent is summed over broadcast axes (``broadcast=False``); a tangent is
    broadcast up (``broadcast=True``). Works on raw arrays and Tensors alike.
    """
    from deepgrad import numpy as dnp

    value_raw, like_raw = raw_data(value), raw_data(like)
    shape = np.shape(like_raw)
    if np.shape(value_raw) != shape:
        value = dnp.broadcast_to(value, shape) if broadcast else sum_to(value, shape)
    dtype = getattr(like_raw, "dtype", None)
    if dtype is not None and getattr(raw_data(value), "dtype", dtype) != dtype:
        value = dnp.astype(value, dtype)
    return value


def sum_to(value: Any, shape: tuple) -> Any:
    """Sum ``value`` down to ``shape``, undoing NumPy broadcasting."""
    from deepgrad import numpy as dnp

    extra = np.ndim(raw_data(value)) - len(shape)
    value_shape = np.shape(raw_data(value))
    axes = tuple(range(extra)) + tuple(
        extra + i for i, size in enumerate(shape) if size == 1 and value_shape[extra + i] != 1
    )
    if axes:
        value = dnp.sum(value, axis=axes)
    return dnp.reshape(value, shape)


def backward_pass(
    outputs: list, cotangents: list, level: int, *, create_graph: bool = False, free: bool = False
) -> dict:
    """Propagate ``cotangents`` from ``outputs`` to the leaves of ``level``'s graph.

    Returns ``{id(leaf): (leaf, cotangent)}``. With ``create_graph`` the rules see tape
    tensors instead of raw arrays, so at level 0 the backward pass is recorded too.
    With ``free`` each node's saved arrays are released once used.

    Nodes are visited newest first, from a heap keyed on their creation sequence: every
    consumer of a node was created after it, so by the time a node is popped all the
    cotangent it will receive has arrived. No separate pass counts consumers.
    """
    grads: dict[int, Any] = {}
    leaves: dict[int, Tensor] = {}
    heap: list = []
    for out, cotangent in zip(outputs, cotangents, strict=True):
        _receive(out, cotangent, grads, leaves, heap)
    anomaly = STATE.anomaly
    recording = STATE.recorder is not None
    # The loop below is the hot path of every backward(): _receive is written out inline.
    while heap:
        tensor = heappop(heap)[1]
        g = grads.pop(id(tensor))
        node = tensor._node
        if node.args is None:
            raise RuntimeError(
                "backward: trying to go through the graph a second time, but its saved "
                "arrays were freed after the first backward(). Pass retain_graph=True to the "
                "first call if you need to call backward() twice"
            )
        vjps, kwargs = node.prim.vjps, node.kwargs
        if create_graph and tensor._level == 0:
            args, ans = _tape_rule_inputs(tensor, node)
        else:
            args, ans = node.args, tensor._value
        if recording:  # see _as_constants
            g, ans, args = _as_constants(g), _as_constants(ans), _as_constants(args)
        for position, parent in node.parents:
            if kwargs:
                parent_grad = vjps[position](g, ans, *args, **kwargs)
            else:
                parent_grad = vjps[position](g, ans, *args)
            if recording and not create_graph:
                parent_grad = raw_data(parent_grad)
            like = parent._value
            if not (  # the common case is decided inline; match_shape handles the rest
                type(parent_grad) is ndarray
                and type(like) is ndarray
                and parent_grad.shape == like.shape
                and parent_grad.dtype == like.dtype
            ):
                parent_grad = match_shape(parent_grad, like)
            if anomaly:
                check_finite(parent_grad, node.prim, "backward", node.origin)
            key = id(parent)
            if key in grads:  # a second consumer's share: add (a deepgrad op, so compile sees it)
                grads[key] = add(grads[key], parent_grad)
            else:
                grads[key] = parent_grad
                if parent._node is None:
                    leaves[key] = parent
                else:
                    heappush(heap, (-parent._node.sequence, parent))
        if free:  # release the saved arrays and the links that keep intermediates alive
            node.args = None
            node.parents = ()
    return {key: (leaf, grads[key]) for key, leaf in leaves.items()}


def _as_constants(value: Any) -> Any:
    """Raw arrays as constant Tensors, for a rule run while ``compile`` records.

    Rules may use Python operators (``g * x``): on raw arrays those are NumPy's own and
    would escape the recording; on Tensors they dispatch to deepgrad ops, which record.
    """
    if isinstance(value, ndarray | np.generic):
        return Tensor._make(value, -1, None)
    if type(value) in (list, tuple):
        return [_as_constants(v) for v in value]
    return value


def _receive(tensor: Tensor, cotangent: Any, grads: dict, leaves: dict, heap: list) -> None:
    """Add ``cotangent`` to what ``tensor`` has received; queue it the first time."""
    key = id(tensor)
    if key in grads:
        grads[key] = add(grads[key], cotangent)  # a deepgrad op, so compile records it
    else:
        grads[key] = cotangent
        if tensor._node is None:
            leaves[key] = tensor
        else:
            heappush(heap, (-tensor._node.sequence, tensor))


def _tape_rule_inputs(tensor: Tensor, node: Any) -> tuple:
    """With create_graph a rule sees the tape tensors themselves instead of their arrays,
    so the backward pass is recorded too and can be differentiated again."""
    args = list(node.args)
    for position, parent in node.parents:
        args[position] = parent
    return args, tensor


def backward(
    output: Tensor,
    gradient: Any = None,
    *,
    retain_graph: bool = False,
    create_graph: bool = False,
    accumulate: bool = True,
) -> None:
    """``output.backward()``: accumulate gradients into the ``.grad`` of the tape's leaves.

    ``accumulate=False`` overwrites ``.grad`` instead (what zero_grad + backward does, in
    one pass: the compiled training step uses it).
    """
    if output._level != 0:
        if output._level > 0:
            raise RuntimeError(
                "backward() works on the tape of requires_grad tensors; inside a transform "
                "such as deepgrad.grad, return the value and let the transform differentiate it"
            )
        raise RuntimeError(
            "backward: this tensor does not require grad and has no graph. Create the inputs "
            "with requires_grad=True (and not inside deepgrad.no_grad())"
        )
    data = output._value
    if gradient is None:
        if np.size(data) != 1:
            raise RuntimeError(
                f"backward: the gradient argument can only be omitted for a single-element "
                f"output; this output has shape {np.shape(data)}. Pass gradient=... of that shape"
            )
        cotangent = np.ones_like(data)
    else:
        cotangent = gradient if create_graph else raw_data(gradient)
        if np.shape(raw_data(cotangent)) != np.shape(data):
            raise ValueError(
                f"backward: gradient has shape {np.shape(raw_data(cotangent))} but the output "
                f"has shape {np.shape(data)}"
            )
    from deepgrad.autodiff.modes import enable_grad, no_grad

    with enable_grad() if create_graph else no_grad():
        leaves = backward_pass(
            [output], [cotangent], 0, create_graph=create_graph, free=not retain_graph
        )
    for leaf, leaf_grad in leaves.values():
        if create_graph:
            if not isinstance(leaf_grad, Tensor):
                leaf_grad = Tensor._make(leaf_grad, -1, None)
            leaf.grad = leaf_grad if leaf.grad is None else leaf.grad + leaf_grad
        else:  # through record_call, so that a compiled step does it on every replay
            record_call(accumulate_grad if accumulate else store_grad, leaf, leaf_grad, effect=True)


def accumulate_grad(leaf: Tensor, leaf_grad: Any) -> None:
    """``leaf.grad += leaf_grad``, in place when ``.grad`` is a writable array of that shape
    (as PyTorch does: ``.grad`` may be a view into an optimizer's flat buffer)."""
    if _can_accumulate_in_place(leaf.grad, leaf_grad):
        np.add(leaf.grad._value, leaf_grad, out=leaf.grad._value)
    else:
        leaf_grad = np.array(leaf_grad)  # a fresh array: rules may pass g through shared
        if leaf.grad is not None:
            leaf_grad = leaf_grad + raw_data(leaf.grad)
        leaf.grad = Tensor._make(leaf_grad, -1, None)


def store_grad(leaf: Tensor, leaf_grad: Any) -> None:
    """``leaf.grad = leaf_grad``, copied into ``.grad``'s array when it has room for it."""
    if _can_accumulate_in_place(leaf.grad, leaf_grad):
        np.copyto(leaf.grad._value, leaf_grad)
    else:
        leaf.grad = Tensor._make(np.array(leaf_grad), -1, None)


def grad_target(leaf: Tensor, shape: tuple, dtype: str) -> np.ndarray:
    """The array ``store_grad`` would write into, made ready to be written directly: a
    compiled plan computes a gradient of this shape and dtype straight into it (``out=``)."""
    current = leaf.grad
    if not (
        isinstance(current, Tensor)
        and current._level < 0
        and type(current._value) is ndarray
        and current._value.flags.writeable
        and current._value.shape == shape
        and current._value.dtype == dtype
    ):
        leaf.grad = Tensor._make(np.empty(shape, dtype), -1, None)
    return leaf.grad._value


def _can_accumulate_in_place(current: Any, addition: Any) -> bool:
    if not isinstance(current, Tensor) or current._level >= 0:
        return False
    data = current._value
    return (
        type(data) is ndarray
        and data.flags.writeable
        and data.shape == np.shape(addition)
        and data.dtype == getattr(addition, "dtype", None)
    )

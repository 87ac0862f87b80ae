"""The reverse pass: walk a level's graph from the outputs back to its leaves.

Nodes are taken newest first (no recursion, so a chain of a million ops is fine). A
tensor's cotangent is dropped as soon as its node has passed it on, and broadcasting
is undone here, once, for every rule.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from heapq import heappop, heappush
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

import numpy as np

from deepgrad.autodiff import primitive
from deepgrad.autodiff.anomaly import check_finite
from deepgrad.autodiff.effects import Impure
from deepgrad.autodiff.primitive import STATE, Primitive, add, match_shape
from deepgrad.backend import array_module
from deepgrad.native_loops import NativeModule
from deepgrad.tensor import ENGINE, NO_KWARGS, WRITES, Tensor, mark_written, raw_data, written_at


def backward_pass(
    outputs: list, cotangents: list, level: int, *, create_graph: bool = False, free: bool = False
) -> dict:
    """Propagate ``cotangents`` from ``outputs`` to the leaves of ``level``'s graph.

    Returns ``{id(leaf): (leaf, cotangent)}``. With ``create_graph`` the rules see tape
    tensors instead of raw arrays, so at level 0 the backward pass is recorded too.
    With ``free`` each node's saved arrays are released once used.

    Nodes are visited newest first: every consumer of a node was created after it, so by
    the time a node is visited all the cotangent it will receive has arrived. No separate
    pass counts consumers. The nodes waiting are on a heap keyed on their creation
    sequence, except the newest parent a node reaches first: when nothing on the heap is
    newer, it is visited next without going through the heap (in a chain of ops, every
    node), in the order the heap would have given.

    Without an observer, anomaly mode or ``create_graph``, the loop runs in C where it is
    built (``NATIVE_TAPE``, ``native_tape.c``): the same nodes in the same order, the same
    rules and the same sums, its bookkeeping at a C loop's cost.
    """
    grads: dict[Tensor, Any] = {}  # keyed by the tensors (their hash is their identity)
    leaves: list[Tensor] = []
    heap: list = []
    for out, cotangent in zip(outputs, cotangents, strict=True):
        _receive(out, cotangent, grads, leaves, heap)
    observed = STATE.observer is not None
    anomaly = STATE.anomaly
    if not (observed or anomaly or create_graph):
        tape = NATIVE_TAPE.get()
        if tape is not None:
            tape.walk(grads, leaves, [waiting for _, waiting in heap], WRITES.last, free)
            return {id(leaf): (leaf, grads[leaf]) for leaf in leaves}
    last_write = WRITES.last
    tensor = heappop(heap)[1] if heap else None
    while tensor is not None:  # the hot loop of every backward(): a node, then its parents
        if tensor._sequence < last_write:  # a Tensor was written in place since this op
            check_unwritten(tensor)
        g = grads.pop(tensor)
        args = tensor._args
        if args is None or create_graph:
            args, ans = _rule_inputs(tensor, create_graph)
        else:  # the common case of _rule_inputs, without the call
            ans = tensor._value
        if observed:  # see _as_constants
            g, ans, args = _as_constants(g), _as_constants(ans), _as_constants(args)
        vjps, kwargs, inputs = tensor._prim._vjps, tensor._kwargs, tensor._inputs
        newest: Tensor | None = None  # the newest parent reached first here, and its
        newest_sequence = -1  # sequence: maybe the next node to visit
        for position in tensor._parents:
            parent = inputs[position]
            try:  # (free unless it raises: Python 3.11's exception tables)
                if kwargs:  # (calling with an empty **kwargs costs more than this test)
                    parent_grad = vjps[position](g, ans, *args, **kwargs)
                else:
                    parent_grad = vjps[position](g, ans, *args)
            except (ValueError, TypeError) as error:
                raise_in_rule(tensor, position, error)
            if observed and not create_graph and _is_constant(parent_grad):
                parent_grad = raw_data(parent_grad)  # a lower level's Tensor must stay
            like = parent._value
            try:  # the common case decided without a call: the parent's shape and dtype
                fits = (
                    type(parent_grad) is type(like)
                    and parent_grad.shape == like.shape
                    and parent_grad.dtype == like.dtype
                )
            except AttributeError:  # a Python number, or a Tensor over one
                fits = False
            if not fits:
                parent_grad = match_shape(parent_grad, like)
            if anomaly:
                origin = getattr(tensor, "_origin", None)  # set in anomaly mode only
                check_finite(parent_grad, tensor._prim.name, "backward", origin)
            if parent in grads:  # _receive, written out: this runs once per edge
                grads[parent] = add(grads[parent], parent_grad)
                continue
            grads[parent] = parent_grad
            if parent._prim is None:
                leaves.append(parent)
            elif parent._sequence > newest_sequence:
                if newest is not None:
                    heappush(heap, (-newest_sequence, newest))
                newest, newest_sequence = parent, parent._sequence
            else:
                heappush(heap, (-parent._sequence, parent))
        if free:  # release the saved arrays and the links that keep intermediates alive
            tensor._args = None
            tensor._parents = tensor._inputs = ()
        if newest is not None and (not heap or -heap[0][0] < newest_sequence):
            tensor = newest  # newer than every node waiting: the heap would pop it next
        else:
            if newest is not None:
                heappush(heap, (-newest_sequence, newest))
            tensor = heappop(heap)[1] if heap else None
    return {id(leaf): (leaf, grads[leaf]) for leaf in leaves}


def raise_in_rule(tensor: Tensor, position: int, error: Exception) -> NoReturn:
    """Raise ``error``, which the rule of the op that made ``tensor`` raised for argument
    ``position``, with the op named first (``in_rule_of``) where it can be."""
    named = in_rule_of(tensor._prim.name, position, error)
    if named is None:
        raise error
    raise named from error


def in_rule_of(name: str, position: int, error: Exception) -> Exception | None:
    """``error``, raised inside the derivative rule of op ``name`` for argument
    ``position``, with the op named first: the user called ``det``, not the ``inv`` its
    rule calls (``inv: Singular matrix`` becomes ``det: the gradient with respect to
    argument 0 failed: inv: Singular matrix``), in an error of the same type. None where
    the message names the op already, or the error's type cannot be made from a message:
    the error is then raised as it is."""
    if str(error).startswith(name + ":"):
        return None
    message = f"{name}: the gradient with respect to argument {position} failed: {error}"
    try:
        return type(error)(message)
    except Exception:  # an exception type whose constructor takes other arguments
        return None


def check_unwritten(tensor: Tensor) -> None:
    """Raise if ``tensor`` (an op's answer) or a Tensor among the op's inputs was written
    in place after the op ran (``tensor.mark_written``): its rules would read values the
    forward pass never saw. PyTorch raises here too, where the op saved the tensor for its
    gradient; deepgrad keeps every input of an op, so it raises for any."""
    made, name = tensor._sequence, tensor._prim.name
    if written_at(tensor) > made:
        _raise_written(f"the output of {name}", tensor, f"{name} made it")
    for position, value in enumerate(tensor._inputs or ()):  # (a list is passed spread out)
        if isinstance(value, Tensor) and written_at(value) > made:
            _raise_written(f"input {position} of {name}", value, f"{name} read it")


def _raise_written(which: str, tensor: Tensor, when: str) -> None:
    data = raw_data(tensor)
    described = f"{getattr(data, 'dtype', type(data).__name__)} {list(getattr(data, 'shape', ()))}"
    raise RuntimeError(
        f"backward: {which} ({described}) was written in place after {when} (by +=, an "
        "item assignment, Variable.assign, set_weights or an optimizer's step), so its "
        "gradient would use values the forward pass never saw. Compute the output again "
        "after the write, or write after backward(), as PyTorch requires too"
    )


def _rule_inputs(tensor: Tensor, create_graph: bool) -> tuple:
    """The arguments and the answer the rules of the op that made ``tensor`` are called
    with: the saved arrays, or, with create_graph, the tape tensors themselves, so that the
    backward pass is recorded too and can be differentiated again."""
    if tensor._args is None:
        raise RuntimeError(
            "backward: trying to go through the graph a second time, but its saved "
            "arrays were freed after the first backward(). Pass retain_graph=True to the "
            "first call if you need to call backward() twice"
        )
    if not (create_graph and tensor._level == 0):
        return tensor._args, tensor._value
    args = list(tensor._args)
    for position in tensor._parents:
        args[position] = tensor._inputs[position]
    return args, tensor


def _as_constants(value: Any) -> Any:
    """Raw arrays as constant Tensors, for a rule run while an observer listens.

    Rules may use Python operators (``g * x``): on raw arrays those are NumPy's own and
    would escape the observer; on Tensors they dispatch to deepgrad ops, which it sees.
    """
    if type(value) in (list, tuple):
        return [_as_constants(v) for v in value]
    if hasattr(value, "shape") and not isinstance(value, Tensor):
        return Tensor._make(value, -1)
    return value


def _is_constant(value: Any) -> bool:
    """A constant Tensor (made by ``_as_constants``), not one traced by a lower level."""
    return isinstance(value, Tensor) and value._level < 0


def _receive(tensor: Tensor, cotangent: Any, grads: dict, leaves: list, heap: list) -> None:
    """Add ``cotangent`` to what ``tensor`` has received; queue it the first time."""
    if tensor in grads:  # a second consumer's share: add (a primitive, so an observer sees it)
        grads[tensor] = add(grads[tensor], cotangent)
    else:
        grads[tensor] = cotangent
        if tensor._prim is None:
            leaves.append(tensor)
        else:
            heappush(heap, (-tensor._sequence, tensor))


def backward(
    output: Tensor,
    gradient: Any = None,
    *,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    accumulate: bool = True,
    zero_unreached: Sequence[Tensor] = (),
) -> None:
    """``output.backward()``: accumulate gradients into the ``.grad`` of the tape's leaves.

    ``accumulate=False`` overwrites ``.grad`` instead (what zero_grad + backward does, in
    one pass: the compiled training step uses it). Then ``zero_unreached`` lists the
    parameters whose ``.grad`` zero_grad would have cleared: those the output does not
    reach get a zero gradient, not the one an earlier backward left there.

    ``retain_graph=None`` means ``create_graph`` (PyTorch's default): a backward pass that
    records itself keeps the graph, since differentiating it again walks that graph.
    """
    if retain_graph is None:
        retain_graph = create_graph
    cotangent = _output_cotangent(output, gradient, create_graph)
    previous = STATE.grad_enabled  # enable_grad() or no_grad(), without a generator's cost
    STATE.grad_enabled = bool(create_graph)
    try:
        leaves = backward_pass(
            [output], [cotangent], 0, create_graph=create_graph, free=not retain_graph
        )
    finally:
        STATE.grad_enabled = previous
    if not accumulate:
        for leaf in zero_unreached:
            # A None gradient too: what a recording does must not depend on what the last
            # step left (a compiled plain SGD step leaves its weights none: descent.py).
            if id(leaf) not in leaves:
                store_grad(leaf, array_module(leaf._value).zeros_like(leaf._value))
    for leaf, leaf_grad in leaves.values():
        if leaf._level != 0:
            continue  # requires_grad turned off since the graph was made: PyTorch skips it too
        if create_graph:
            if not isinstance(leaf_grad, Tensor):
                leaf_grad = Tensor._make(leaf_grad, -1)
            leaf.grad = leaf_grad if leaf.grad is None else leaf.grad + leaf_grad
        else:  # an effect primitive, so that a compiled step does it on every replay
            (accumulate_grad if accumulate else store_grad)(leaf, leaf_grad)


def _output_cotangent(output: Tensor, gradient: Any, create_graph: bool) -> Any:
    """The cotangent ``backward`` starts from: ``gradient``, or 1 for a one-element output."""
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
        if data.size != 1:
            raise RuntimeError(
                f"backward: the gradient argument can only be omitted for a single-element "
                f"output; this output has shape {data.shape}. Pass gradient=... of that shape"
            )
        if type(data) is np.ndarray:  # (np.ones is Python around empty and copyto: 4x this)
            return np.array(1, data.dtype).reshape(data.shape)
        return array_module(data).ones(data.shape, data.dtype)
    cotangent = gradient if create_graph else raw_data(gradient)
    shape = getattr(raw_data(cotangent), "shape", ())
    if shape != data.shape:
        raise ValueError(
            f"backward: gradient has shape {shape} but the output has shape {data.shape}"
        )
    return cotangent


def _accumulate_grad(leaf: Tensor, leaf_grad: Any) -> None:
    """``leaf.grad += leaf_grad``, in place when ``.grad`` is a writable array of that shape
    (as PyTorch does: ``.grad`` may be a view into an optimizer's flat buffer)."""
    current = leaf.grad
    if current is not None and can_write_grad(current, leaf_grad):
        current._value += leaf_grad
        mark_written(current)
    else:
        xp = array_module(leaf_grad)
        leaf_grad = xp.array(leaf_grad)  # a fresh array: rules may pass g through shared
        if leaf.grad is not None:
            leaf_grad = leaf_grad + raw_data(leaf.grad)
        leaf.grad = Tensor._make(leaf_grad, -1)


def _store_grad(leaf: Tensor, leaf_grad: Any) -> None:
    """``leaf.grad = leaf_grad``, copied into ``.grad``'s array when it has room for it."""
    current = leaf.grad
    if current is not None and can_write_grad(current, leaf_grad):
        current._value[...] = leaf_grad
        mark_written(current)
    else:
        leaf.grad = Tensor._make(array_module(leaf_grad).array(leaf_grad), -1)


accumulate_grad = Impure(_accumulate_grad, "accumulate_grad", effect=True)
store_grad = Impure(_store_grad, "store_grad", effect=True)


def can_write_grad(current: Any, addition: Any) -> bool:
    """Whether ``addition`` can be written into ``current``, a leaf's ``.grad``, in place."""
    if not isinstance(current, Tensor) or current._level >= 0:
        return False
    data = current._value
    return (
        getattr(getattr(data, "flags", None), "writeable", False)
        and data.shape == getattr(addition, "shape", None)
        and data.dtype == getattr(addition, "dtype", None)
    )


def _set_up_native_tape(tape: ModuleType) -> None:
    """Hand the C loops the classes whose slots they read and write, the engine's state and
    constants, and what they leave to Python (the Python binds for what they do not take,
    the errors of a failed op, a write in place, a freed graph and a failed rule, a
    cotangent summed down to its argument's shape, the sum of two cotangents); then make
    every op bind through them."""
    tape.set_up(
        Tensor,
        Primitive,
        STATE,
        primitive.ORDER,
        primitive.FIRST,
        primitive.SECOND,
        primitive.BOTH,
        NO_KWARGS,
        primitive.bind,
        primitive.bind_pair,
        primitive.bind_one,
        primitive.raise_with_context,
        check_unwritten,
        functools.partial(_rule_inputs, create_graph=False),
        match_shape,
        add,
        raise_in_rule,
    )
    primitive.use_binds(tape.bind, tape.bind_pair, tape.bind_one)


# The tape's hot loops in C (native_tape.c): loaded, or built in the background, when a
# first tensor requires grad or at the first backward pass; then every op binds through its
# bind, bind_pair and bind_one, and backward_pass walks with its walk. The Python functions stay
# the definition and the fallback.
NATIVE_TAPE = NativeModule(
    Path(__file__).with_name("native_tape.c"),
    "deepgrad_native_tape",
    numpy_headers=True,
    set_up=_set_up_native_tape,
    follows_switch=False,  # the same bits as the Python engine: kernels.disabled() keeps it
)

ENGINE.tape_begins = NATIVE_TAPE.get  # a tensor that requires grad: the C loops load
ENGINE.backward = backward  # Tensor.backward calls it (tensor.py cannot import the engine)

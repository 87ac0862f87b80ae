"""Primitives: a raw array function with its VJP and JVP rules, and the dispatch that records it.

A primitive's positional arguments are its array operands; its keyword arguments are
static parameters (axis, shape, ...). Rules have the signatures

    vjp_rule(g, ans, *args, **kwargs)  -> the cotangent of one argument
    jvp_rule(t, ans, *args, **kwargs)  -> that argument's contribution to the output tangent

and are written with deepgrad ops, so the same rule is differentiated again for higher
orders. Rules ignore broadcasting: the engine sums a cotangent down to its argument's
shape, and broadcasts a tangent up to the output's shape, once, here and in graph.py.

Nesting works by *levels*, as in HIPS autograd. Level 0 is the imperative tape of
``requires_grad`` tensors; every transform (grad, jvp, ...) opens a new, higher level.
``bind`` finds the highest level among the arguments, unwraps the tensors of that level,
evaluates the primitive on what is underneath (recursing into lower levels) and wraps
the answer again, recording a reverse node or computing a forward tangent. Because a
transform only ever looks at its own level, nested derivatives never confuse their
perturbations.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any, NamedTuple, NoReturn, Protocol

import numpy as np

from deepgrad.autodiff.anomaly import check_finite, user_source_line
from deepgrad.device import DeviceError, device_of
from deepgrad.tensor import NO_KWARGS, ORDER, Tensor, raw_data, use_tensor_binds


class _State:
    """Process-wide switches read on every op; one object so the hot path does one lookup.

    ``observer`` is the engine's one hook for whoever wants to watch it work (the
    compiler does): when set, every primitive evaluated on raw arrays is reported as
    ``observer(prim, args, raw_args, kwargs, result)`` (see :func:`observing`).
    ``watched`` is true while anomaly mode is on or an observer is set: the one test an
    op pays for both when neither is (setting either updates it).
    """

    __slots__ = ("_anomaly", "_observer", "grad_enabled", "watched")

    def __init__(self) -> None:
        self.grad_enabled = True
        self._anomaly = False
        self._observer: Callable | None = None
        self.watched = False

    @property
    def anomaly(self) -> bool:
        return self._anomaly

    @anomaly.setter
    def anomaly(self, on: bool) -> None:
        self._anomaly = on
        self.watched = bool(on) or self._observer is not None

    @property
    def observer(self) -> Callable | None:
        return self._observer

    @observer.setter
    def observer(self, observer: Callable | None) -> None:
        self._observer = observer
        self.watched = self._anomaly or observer is not None


STATE = _State()
_new_tensor = object.__new__  # a Tensor without its __init__ call
_levels = itertools.count(1)
# creation order of nodes, shared with writes in place (tensor.py): the reverse pass runs
# newest first, and refuses a node older than a write to what it read
_sequence = ORDER


def new_level() -> int:
    """A fresh trace level, above every level handed out before (level 0 is the tape)."""
    return next(_levels)


class Rules(Protocol):
    """A primitive's rules by argument position: a tuple, or an endless rule maker."""

    def __len__(self) -> int: ...
    def __getitem__(self, position: int, /) -> Callable | None: ...


class Node(NamedTuple):
    """How a tensor was made, read off the tensor for code off the hot path (evaluation
    traces, graph walks in tests and benchmarks): see :func:`node_of`.

    The engine keeps these fields on the tensor itself (``Tensor._prim``, ``_parents``,
    ``_args``, ``_inputs``, ``_kwargs``, ``_sequence``): a separate node object per op
    was a third of the forward op's allocations. ``parents`` holds ``(position, tensor)``
    for each differentiable argument traced at the tensor's level; ``args`` every argument
    one level down (raw arrays at level 0; None once a backward pass freed them);
    ``inputs`` the arguments as given (so that the reverse pass can tell whether a Tensor
    among them was written in place since: ``tensor.mark_written``); ``sequence`` numbers
    ops in creation order (a tensor's is later than its parents').
    """

    prim: Primitive
    parents: list
    args: Any
    inputs: Any
    kwargs: dict
    sequence: int


# The positions a node's parents hold among its inputs, for the one or two arguments that
# most ops take: shared tuples, so that recording an op allocates none.
FIRST, SECOND, BOTH = (0,), (1,), (0, 1)


def node_of(tensor: Tensor) -> Node | None:
    """How ``tensor`` was made, or None for a leaf, a constant or a dual number.

    >>> import deepgrad as dg
    >>> x = dg.tensor([1.0, 2.0], requires_grad=True)
    >>> node = node_of(x * 3.0)
    >>> node.prim.name, [position for position, _ in node.parents]
    ('multiply', [0])
    """
    if tensor._prim is None:
        return None
    inputs = tensor._inputs
    parents = [(position, inputs[position]) for position in tensor._parents]
    return Node(tensor._prim, parents, tensor._args, inputs, tensor._kwargs, tensor._sequence)


class Primitive:
    """A differentiable function of arrays, defined once with its derivative rules.

    >>> import numpy as np
    >>> cube = Primitive(lambda x: x**3, "cube")
    >>> cube.defvjp(lambda g, ans, x: g * 3 * x**2)
    >>> cube.defjvp(lambda t, ans, x: t * 3 * x**2)
    >>> float(cube(np.array(2.0)))
    8.0
    >>> import deepgrad as dg
    >>> float(dg.grad(cube)(2.0))
    12.0
    """

    __slots__ = (
        "_vjps",
        "first_differentiable",
        "impl",
        "jvps",
        "name",
        "second_differentiable",
        "symbol",
        "ufunc",
    )
    pure = True  # same arguments, same result: an observer may fold it on constants
    effect = False  # writes outside its result: an observer must keep it even if unused

    def __init__(self, impl: Callable, name: str | None = None, symbol: str | None = None):
        self.impl = impl
        self.name = name or impl.__name__
        self.symbol = symbol  # how evaluation traces print it, e.g. "{0} × {1}"
        self.vjps = ()
        self.jvps: Rules = ()
        # a NumPy ufunc takes no static parameters, only its call options (out=, where=,
        # dtype=, ...), which the rules would not see: __call__ refuses them on tensors
        self.ufunc = isinstance(impl, np.ufunc)

    @property
    def vjps(self) -> Rules:
        """The VJP rules by argument position (``None``: not differentiable there)."""
        return self._vjps

    @vjps.setter
    def vjps(self, rules: Rules) -> None:
        self._vjps = rules
        # whether the first and the second argument have a rule: bind_pair and bind_one
        # test these on every op (the reverse pass reads ``_vjps``, without the property)
        self.first_differentiable = len(rules) > 0 and rules[0] is not None
        self.second_differentiable = len(rules) > 1 and rules[1] is not None

    def defvjp(self, *rules: Callable | None) -> None:
        """One VJP rule per positional argument; ``None`` marks a non-differentiable one."""
        self.vjps = rules

    def defjvp(self, *rules: Callable | None) -> None:
        """One JVP rule per positional argument; ``None`` marks a non-differentiable one."""
        self.jvps = rules

    def def_linear(self) -> None:
        """JVP rules for an op linear in each argument separately (reshape, sum, multiply,
        matmul): the contribution of argument i is the op with the tangent in place i.

        Not for ops linear in all arguments jointly, such as add: there the contribution
        of x is t, not add(t, y).
        """

        def rule_for(position: int) -> Callable:
            def rule(t, ans, *args, **kwargs):
                args = list(args)
                args[position] = t
                return self(*args, **kwargs)

            return rule

        self.jvps = tuple(rule_for(i) for i in range(max(len(self.vjps), 1)))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # bind, or its forms for the one or two arguments that most calls pass
        if kwargs:
            if self.ufunc or "out" in kwargs:
                _refuse_call_options(self, args, kwargs)
            return _any(self, args, kwargs)
        if len(args) == 2:
            return _pair(self, args[0], args[1])
        if len(args) == 1:
            return _one(self, args[0])
        return _any(self, args, kwargs)

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"


def _refuse_call_options(prim: Primitive, args: Any, kwargs: dict) -> None:
    """Refuse ``out=`` on any op, and NumPy's other ufunc options (``where=``, ``dtype=``,
    ``casting=``, ...), when a tensor that can be differentiated is among the arguments.

    The derivative rules see none of them: ``out=`` writes into an array outside the graph
    (whatever reads that array gets no gradient), ``where=`` leaves entries unset and
    ``dtype=`` casts behind the rules' back. jax.numpy refuses them too, PyTorch refuses
    ``out=`` when an argument requires grad; on plain arrays NumPy's behaviour is kept.
    """
    if not any(isinstance(arg, Tensor) and arg._level >= 0 for arg in args):
        return
    refused = kwargs if prim.ufunc else ("out",)
    options = ", ".join(f"{name}=" for name in refused)
    shapes = ", ".join(_describe(raw_data(arg)) for arg in args)
    raise TypeError(
        f"{prim.name}: arguments {shapes}: NumPy's call option {options} cannot be "
        f"differentiated (the derivative rules do not see it). Call {prim.name} without it "
        f"and use the result: y = {prim.name}(...) instead of out=, dnp.where(mask, "
        f"y, other) instead of where=, .astype(dtype) on the inputs instead of dtype="
    )


def bind(prim: Primitive, args: Any, kwargs: dict) -> Any:
    """Evaluate ``prim`` on ``args``, recording it on the highest level that traces them.

    Three cases, cheapest first, each calling the raw function as ``_evaluate`` does:

    1. no Tensor among the arguments: return the raw function's array;
    2. the imperative tape or constants (level 0 or -1): unwrap every Tensor, and record a
       node if a tape tensor needs a gradient (inside ``no_grad`` none does);
    3. inside a transform (level ≥ 1): ``_bind_traced``.

    Cases 2 and 3 run once per op of eager training and of every transform, so they are
    written out: ``_evaluate``'s few lines inline, the result Tensor and its Node filled in
    place (each call saved is a measurable share of a small op's cost). ``bind_pair`` and
    ``bind_one`` are this function for two arguments and for one, without the loops.
    """
    level = -2  # -1 marks a constant Tensor, so -2 means "no Tensor at all"
    top: Any = None
    for arg in args:
        if isinstance(arg, Tensor) and arg._level > level:
            level = arg._level
            top = arg
    if level == -2:
        return _evaluate(prim, args, args, kwargs)
    if level > 0:
        return _bind_traced(prim, args, kwargs, level, top._tangent is not None)
    recording = level == 0 and STATE.grad_enabled
    vjps = prim._vjps
    raw = list(args)
    parents: tuple = ()  # the parents' positions among the arguments (see Tensor._parents)
    i = 0  # (a counter: measured faster than enumerate for the few arguments most ops take)
    for arg in args:
        if isinstance(arg, Tensor):
            raw[i] = arg._value  # a tape tensor or a constant holds a raw array
            if recording and arg._level == 0 and i < len(vjps) and vjps[i] is not None:
                parents += (i,)
        i += 1
    return _on_tape(prim, args, raw, kwargs, parents)


def bind_pair(prim: Primitive, x: Any, y: Any) -> Any:
    """``bind(prim, (x, y), {})``: the two arguments unwrapped without a loop.

    Tensor's binary operators and every two-argument call of a primitive come here: it is
    eager code's most frequent call, and the loop, tuple and list ``bind`` builds for any
    number of arguments are a fifth of its cost.
    """
    if isinstance(x, Tensor):
        x_level = x._level
        a = x._value
    else:
        x_level = -2
        a = x
    if isinstance(y, Tensor):
        y_level = y._level
        b = y._value
    else:
        y_level = -2
        b = y
    if x_level > 0 or y_level > 0:
        top = x if x_level >= y_level else y
        return _bind_traced(prim, (x, y), NO_KWARGS, top._level, top._tangent is not None)
    if x_level == -2 and y_level == -2:
        return _evaluate(prim, (x, y), (x, y), NO_KWARGS)
    parents: tuple = ()  # the parents' positions among the arguments (see Tensor._parents)
    if STATE.grad_enabled:
        if x_level == 0 and prim.first_differentiable:
            parents = BOTH if y_level == 0 and prim.second_differentiable else FIRST
        elif y_level == 0 and prim.second_differentiable:
            parents = SECOND
    return _on_tape(prim, (x, y), (a, b), NO_KWARGS, parents)


def bind_one(prim: Primitive, x: Any) -> Any:
    """``bind(prim, (x,), {})``: one argument unwrapped without a loop (unary functions)."""
    if not isinstance(x, Tensor):
        return _evaluate(prim, (x,), (x,), NO_KWARGS)
    level = x._level
    if level > 0:
        return _bind_traced(prim, (x,), NO_KWARGS, level, x._tangent is not None)
    recording = level == 0 and STATE.grad_enabled and prim.first_differentiable
    return _on_tape(prim, (x,), (x._value,), NO_KWARGS, FIRST if recording else ())


def use_binds(
    any_call: Callable[[Primitive, Any, dict], Any],
    pair: Callable[[Primitive, Any, Any], Any],
    one: Callable[[Primitive, Any], Any],
) -> None:
    """Make every call of a primitive and Tensor's operators bind with ``any_call`` (any
    arguments and keywords), ``pair`` (two arguments) and ``one`` (one): the native tape's
    ``bind``, ``bind_pair`` and ``bind_one`` (the same fields set, in C), or this module's
    own functions again."""
    global _any, _pair, _one
    _any, _pair, _one = any_call, pair, one
    use_tensor_binds(any_call, pair)


# The binds Primitive.__call__ and Tensor's operators call: these functions, or their C
# forms once the native tape is loaded (``use_binds``, from graph.py's NATIVE_TAPE).
_any: Callable[[Primitive, Any, dict], Any]
_pair: Callable[[Primitive, Any, Any], Any]
_one: Callable[[Primitive, Any], Any]
use_binds(bind, bind_pair, bind_one)


def _on_tape(prim: Primitive, args: Any, raw: Any, kwargs: dict, parents: tuple) -> Tensor:
    """Case 2 of ``bind``: evaluate on the raw arrays, and return the answer as a tape Tensor
    that records how it was made (when ``parents`` gives the positions of tape tensors to
    differentiate) or as a constant."""
    try:  # _evaluate, written out
        value = prim.impl(*raw, **kwargs) if kwargs else prim.impl(*raw)
    except (ValueError, TypeError) as error:
        raise_with_context(prim, raw, error)
    watched = STATE.watched
    if watched:
        _watch(prim, args, raw, kwargs, value)
    result = _new_tensor(Tensor)
    result._value = value
    result._tangent = result.grad = None
    if parents:
        result._level = 0
        result._prim = prim  # how it was made: the six fields of a Node
        result._parents = parents
        result._args = raw
        result._inputs = args
        result._kwargs = kwargs
        result._sequence = next(_sequence)
        if watched and STATE.anomaly:
            result._origin = user_source_line()
    else:
        result._level = -1
        result._prim = None
    return result


def _bind_traced(prim: Primitive, args: Any, kwargs: dict, level: int, forward: bool) -> Any:
    """Case 3 of ``bind``: unwrap ``level``'s tensors, evaluate what is underneath (binding
    again one level down if a lower-level Tensor remains), then record a node (reverse mode)
    or push a tangent forward (forward mode)."""
    vjps = prim._vjps
    unboxed = list(args)
    parents: tuple = ()  # the parents' positions among the arguments (see Tensor._parents)
    nested = False  # does an argument still hold a Tensor of a lower level?
    i = 0
    for arg in args:
        if isinstance(arg, Tensor):
            if arg._level == level:
                if i < len(vjps) and vjps[i] is not None:
                    parents += (i,)
                arg = unboxed[i] = arg._value
            nested = nested or isinstance(arg, Tensor)
        i += 1
    if nested:
        ans = bind(prim, unboxed, kwargs)
        if isinstance(ans, Tensor) and ans._level < 0:
            ans = ans._value  # a constant under a traced level is stored raw
    else:
        try:  # _evaluate, written out
            ans = prim.impl(*unboxed, **kwargs) if kwargs else prim.impl(*unboxed)
        except (ValueError, TypeError) as error:
            raise_with_context(prim, unboxed, error)
        if STATE.watched:
            _watch(prim, args, unboxed, kwargs, ans)
    if forward:
        return _forward(prim, args, unboxed, kwargs, ans, level)
    if not parents:
        return ans
    result = _new_tensor(Tensor)  # Tensor._make, written out
    result._value = ans
    result._level = level
    result._tangent = result.grad = None
    result._prim = prim  # how it was made: the six fields of a Node
    result._parents = parents
    result._args = unboxed
    result._inputs = args
    result._kwargs = kwargs
    result._sequence = next(_sequence)
    if STATE.watched and STATE.anomaly:
        result._origin = user_source_line()
    return result


def _evaluate(prim: Primitive, args: Any, raw: Any, kwargs: dict) -> Any:
    """Call the raw function, with the op's name on its errors, and tell the observer."""
    try:
        ans = prim.impl(*raw, **kwargs)
    except (ValueError, TypeError) as error:
        raise_with_context(prim, raw, error)
    if STATE.watched:
        _watch(prim, args, raw, kwargs, ans)
    return ans


def _watch(prim: Primitive, args: Any, raw: Any, kwargs: dict, ans: Any) -> None:
    """What anomaly mode and the observer do with an op's answer (while ``STATE.watched``)."""
    if STATE.anomaly:
        check_finite(ans, prim.name, "forward")
    if STATE.observer is not None:
        STATE.observer(prim, args, raw, kwargs, ans)


def _forward(prim: Primitive, args: Any, unboxed: Any, kwargs: dict, ans: Any, level: int) -> Any:
    """Forward mode: the output tangent is the sum of each traced argument's JVP contribution."""
    tangent = None
    jvps = prim.jvps
    observed = STATE.observer is not None
    rule_ans, rule_args = ans, unboxed
    if observed:
        rule_ans, rule_args = _constant(ans), [_constant(a) for a in unboxed]
    for i, arg in enumerate(args):
        if not (isinstance(arg, Tensor) and arg._level == level):
            continue
        rule = jvps[i] if i < len(jvps) else None
        if rule is None:
            if i < len(prim.vjps) and prim.vjps[i] is not None:
                raise NotImplementedError(f"{prim.name}: no forward-mode (JVP) rule")
            continue
        arg_tangent = _constant(arg._tangent) if observed else arg._tangent
        contribution = rule(arg_tangent, rule_ans, *rule_args, **kwargs)
        tangent = contribution if tangent is None else tangent + contribution
    if tangent is None:
        return ans
    tangent = match_shape(tangent, ans, broadcast=True)
    if observed and isinstance(tangent, Tensor) and tangent._level < 0:
        tangent = tangent._value
    if STATE.anomaly:
        check_finite(tangent, prim.name, "forward-mode tangent")
    return Tensor._make_dual(ans, level, tangent)


def _constant(value: Any) -> Any:
    """A raw array as a constant Tensor, for a rule run while an observer listens: Python
    operators in the rule (``t * x``) then dispatch to primitives, which the observer sees,
    instead of to NumPy's, which would escape it (graph.py does the same for VJP rules)."""
    if hasattr(value, "shape") and not isinstance(value, Tensor):
        return Tensor._make(value, -1)
    return value


def raise_with_context(prim: Primitive, raw: Any, error: Exception) -> NoReturn:
    """Raise ``error``, raised by ``prim``'s function on the operands ``raw``, with the op
    and its operands named (``_with_context``)."""
    raise _with_context(prim, raw, error) from error


def _with_context(prim: Primitive, raw: Any, error: Exception) -> Exception:
    """NumPy's error, prefixed with the op and its operands' shapes and dtypes; or, when the
    operands live on different devices (CuPy refuses host arrays), an error naming them.
    Only failed calls are checked, so mixing devices costs the hot path nothing."""
    if str(error).startswith(prim.name + ":"):
        return error
    shapes = ", ".join(_describe(a) for a in raw)
    devices = {str(device_of(a)) for a in raw if hasattr(a, "shape")}
    if len(devices) > 1:
        return DeviceError(
            f"{prim.name}: arguments on different devices ({' and '.join(sorted(devices))}): "
            f"{', '.join(f'{_describe(a)} on {device_of(a)}' for a in raw)}; move them to "
            f"one device first (tensor.to(device), or model.to(device)) [{error}]"
        )
    return type(error)(f"{prim.name}: arguments {shapes}: {error}")


def _describe(value: Any) -> str:
    shape = getattr(value, "shape", None)
    if shape is None:
        return type(value).__name__
    return f"{tuple(shape)} {getattr(value, 'dtype', '')}".strip()


# ---- the engine's own array operations ----------------------------------------------------
# The passes above and in graph.py add cotangents, sum them down to an argument's shape,
# broadcast tangents up and cast dtypes. Those primitives are defined here, once, so the
# engine needs nothing above it; deepgrad.ops re-exports them under NumPy's names.


def _shape(x: Any) -> tuple:
    return getattr(raw_data(x), "shape", ())


def reduced_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    """``axis`` (None, an int or a tuple) as a sorted tuple of non-negative axes.

    >>> reduced_axes(-1, 3), reduced_axes(None, 2)
    ((2,), (0, 1))
    """
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int) or hasattr(axis, "__index__"):
        axis = (axis,)
    return tuple(sorted(int(a) % ndim if ndim else 0 for a in axis))


def unreduce(g: Any, x: Any, axis: Any, keepdims: bool) -> Any:
    """Broadcast ``g``, the result of reducing ``x`` over ``axis``, back to ``x``'s shape."""
    shape = _shape(x)
    if not keepdims and shape and axis is not None:
        # (every axis reduced, the common case, leaves g 0-d: it broadcasts as it is)
        kept = set(reduced_axes(axis, len(shape)))
        g = reshape(g, tuple(1 if i in kept else n for i, n in enumerate(shape)))
    return broadcast_to(g, shape)


# NumPy's ufuncs and array functions dispatch on their arguments' type (NEP 13 and 18), so
# these implementations run on CuPy arrays as they are.
add = Primitive(np.add, "add", "{0} + {1}")
add.defvjp(lambda g, ans, x, y: g, lambda g, ans, x, y: g)
add.defjvp(lambda t, ans, x, y: t, lambda t, ans, x, y: t)


def _reshape_impl(x, shape):
    if type(x) is np.ndarray:  # what np.reshape calls, without its two Python wrappers
        return x.reshape(shape)
    return np.reshape(x, shape)


_reshape = Primitive(_reshape_impl, "reshape")
_reshape.defvjp(lambda g, ans, x, shape: _reshape(g, shape=_shape(x)))
_reshape.def_linear()


def _broadcast_to_impl(x, shape):
    if (
        type(x) is np.ndarray
        and not x.shape
        and x.dtype.kind in "biufc"
        and (not shape or min(shape) >= 0)
    ):
        # What np.broadcast_to makes of a 0-d number array (the cotangent of a full sum or
        # mean, as every loss's is): a read-only view with zero strides, made here without
        # np.broadcast_to's argument checks and iterator, in 40% of its time. It is
        # read-only through its buffer (setting flags.writeable costs as much again).
        # (np.ndarray would take a negative size as 1: np.broadcast_to refuses it.)
        return np.ndarray(shape, x.dtype, x.data.toreadonly(), 0, (0,) * len(shape))
    return np.broadcast_to(x, shape)


_broadcast_to = Primitive(_broadcast_to_impl, "broadcast_to")
_broadcast_to.defvjp(lambda g, ans, x, shape: sum_to(g, _shape(x)))
_broadcast_to.def_linear()


def _sum_impl(x, axis=None, keepdims=False, dtype=None, out=None):
    if type(x) is np.ndarray:  # what np.sum calls, without its wrappers (2 µs in a plan)
        return np.add.reduce(x, axis, dtype, out, keepdims=keepdims)
    return np.sum(x, axis=axis, keepdims=keepdims, dtype=dtype, out=out)


_sum = Primitive(_sum_impl, "sum", "Σ {0}")
_sum.defvjp(lambda g, ans, x, axis=None, keepdims=False, dtype=None: unreduce(g, x, axis, keepdims))
_sum.def_linear()

_astype = Primitive(lambda x, dtype: x.astype(dtype), "astype")
_astype.defvjp(lambda g, ans, x, dtype: g)  # match_shape casts g back to x's dtype
_astype.def_linear()


def reshape(x: Any, shape: tuple) -> Any:
    """``x`` with a new shape; ``x`` itself when it has that shape already."""
    return x if _shape(x) == shape else _reshape(x, shape=shape)


def broadcast_to(x: Any, shape: tuple) -> Any:
    """``x`` broadcast to ``shape`` (a read-only view); ``x`` itself when it has it already."""
    return x if _shape(x) == shape else _broadcast_to(x, shape=shape)


def sum_to(value: Any, shape: tuple) -> Any:
    """Sum ``value`` down to ``shape``, undoing NumPy broadcasting.

    >>> sum_to(np.ones((4, 2, 3)), (2, 1))
    array([[12.],
           [12.]])
    """
    value_shape = _shape(value)
    extra = len(value_shape) - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, size in enumerate(shape) if size == 1 and value_shape[extra + i] != 1
    )
    if axes:
        value = _sum(value, axis=axes, keepdims=False, dtype=None)
    return reshape(value, shape)


def match_shape(value: Any, like: Any, broadcast: bool = False) -> Any:
    """Make ``value`` the shape and floating dtype of ``like``.

    A cotangent is summed over broadcast axes (``broadcast=False``); a tangent is
    broadcast up (``broadcast=True``). Works on raw arrays and Tensors alike.
    """
    shape = _shape(like)
    if _shape(value) != shape:
        value = broadcast_to(value, shape) if broadcast else sum_to(value, shape)
    dtype = getattr(raw_data(like), "dtype", None)
    if dtype is not None and getattr(raw_data(value), "dtype", dtype) != dtype:
        if raw_data(value).dtype.kind == "c" and np.dtype(dtype).kind != "c":
            raise TypeError(
                "a derivative passed through complex numbers (a real value times 1j, "
                "exp(1j·x), ...): deepgrad differentiates real functions of real arrays "
                "only, and casting the complex derivative back to the real input would drop "
                "its imaginary part. Write the computation with real and imaginary parts as "
                "two real arrays"
            )
        value = _astype(value, dtype=dtype)
    return value

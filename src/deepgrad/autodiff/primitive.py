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
import sys
from collections.abc import Callable
from typing import Any

from deepgrad.tensor import Tensor


class _State:
    """Process-wide switches read on every op; one object so the hot path does one lookup."""

    __slots__ = ("anomaly", "grad_enabled", "recorder")

    def __init__(self) -> None:
        self.grad_enabled = True
        self.anomaly = False
        self.recorder = None  # a deepgrad.compiler Recorder while compile records a run


STATE = _State()
_new_tensor = object.__new__
_levels = itertools.count(1)
_sequence = itertools.count()  # creation order of nodes: the reverse pass runs newest first


def new_level() -> int:
    """A fresh trace level, above every level handed out before (level 0 is the tape)."""
    return next(_levels)


class Node:
    """How a tensor was made: the primitive, the tensors it depends on and what the rules need.

    ``parents`` holds ``(position, tensor)`` for each differentiable argument that is
    traced at this node's level; ``args`` holds every argument one level down (raw arrays
    at level 0). ``sequence`` numbers nodes in creation order, ``origin`` is the user's
    source line, recorded only in anomaly mode.
    """

    __slots__ = ("args", "kwargs", "origin", "parents", "prim", "sequence")

    def __init__(self, prim: Primitive, parents: tuple, args: Any, kwargs: dict) -> None:
        self.prim = prim
        self.parents = parents
        self.args = args
        self.kwargs = kwargs
        self.origin = None  # set in anomaly mode
        self.sequence = next(_sequence)  # later than the sequence of every parent


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

    __slots__ = ("impl", "jvps", "name", "symbol", "vjps")

    def __init__(self, impl: Callable, name: str | None = None, symbol: str | None = None):
        self.impl = impl
        self.name = name or impl.__name__
        self.symbol = symbol  # how evaluation traces print it, e.g. "{0} × {1}"
        self.vjps: tuple = ()
        self.jvps: tuple = ()

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
        return bind(self, args, kwargs)

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"


def bind(prim: Primitive, args: tuple, kwargs: dict) -> Any:
    """Evaluate ``prim`` on ``args``, recording it on the highest level that traces them."""
    top = None
    level = -2  # -1 marks a constant Tensor, so -2 means "no Tensor at all"
    for arg in args:
        if isinstance(arg, Tensor) and arg._level > level:
            level = arg._level
            top = arg
    if level < 1:
        return _bind_tape(prim, args, kwargs, level)
    return _bind_traced(prim, args, kwargs, level, top._tangent is not None)


def _bind_traced(prim: Primitive, args: tuple, kwargs: dict, level: int, forward: bool) -> Any:
    """Level ≥ 1 (inside a transform): unwrap this level, evaluate below it, wrap again."""
    vjps = prim.vjps
    unboxed = list(args)
    parents = []
    nested = False  # does anything below this level still need dispatch?
    for i, arg in enumerate(args):
        if isinstance(arg, Tensor):
            if arg._level == level:
                arg = arg._value
                if i < len(vjps) and vjps[i] is not None:
                    parents.append((i, args[i]))
            unboxed[i] = arg
            nested = nested or isinstance(arg, Tensor)
    if nested:
        ans = bind(prim, unboxed, kwargs)
        if isinstance(ans, Tensor) and ans._level < 0:
            ans = ans._value  # a constant under a traced level is stored raw
    else:
        try:
            ans = prim.impl(*unboxed, **kwargs)
        except (ValueError, TypeError) as error:
            raise _with_context(prim, unboxed, error) from error
        if STATE.anomaly:
            check_finite(ans, prim, "forward")
        if STATE.recorder is not None:
            STATE.recorder.record(prim.impl, prim.name, None, unboxed, kwargs, ans)
    if forward:
        return _forward(prim, args, unboxed, kwargs, ans, level)
    if not parents:
        return ans
    node = Node(prim, tuple(parents), unboxed, kwargs)
    if STATE.anomaly:
        node.origin = user_source_line()
    return Tensor._make(ans, level, node)


def _bind_tape(prim: Primitive, args: tuple, kwargs: dict, level: int) -> Any:
    """Level 0 and below: run the raw function, and record on the tape if anything requires grad.

    This is the hot path of eager training, so it is written out in one pass over the
    arguments, without helpers.
    """
    if level == -2:
        raw = args
    elif level == 0 and STATE.grad_enabled:
        vjps = prim.vjps
        raw = list(args)
        parents = []
        for i, arg in enumerate(args):
            if isinstance(arg, Tensor):
                raw[i] = arg._value
                if arg._level == 0 and i < len(vjps) and vjps[i] is not None:
                    parents.append((i, arg))
    else:
        raw = [a._value if isinstance(a, Tensor) else a for a in args]
        level = -1
    try:
        ans = prim.impl(*raw, **kwargs)
    except (ValueError, TypeError) as error:
        raise _with_context(prim, raw, error) from error
    if STATE.anomaly:
        check_finite(ans, prim, "forward")
    if STATE.recorder is not None:
        STATE.recorder.record(prim.impl, prim.name, args, raw, kwargs, ans)
    if level == -2:
        return ans
    result = _new_tensor(Tensor)  # Tensor._make, written out: this runs for every op
    result._value = ans
    result._tangent = result.grad = None
    if level == 0 and parents:
        result._level = 0
        result._node = Node(prim, tuple(parents), raw, kwargs)
        if STATE.anomaly:
            result._node.origin = user_source_line()
    else:
        result._level = -1
        result._node = None
    return result


def _forward(prim: Primitive, args: tuple, unboxed: tuple, kwargs: dict, ans: Any, level: int):
    """Forward mode: the output tangent is the sum of each traced argument's JVP contribution."""
    from deepgrad.autodiff.graph import match_shape

    tangent = None
    jvps = prim.jvps
    for i, arg in enumerate(args):
        if not (isinstance(arg, Tensor) and arg._level == level):
            continue
        if i >= len(jvps) or jvps[i] is None:
            if i < len(prim.vjps) and prim.vjps[i] is not None:
                raise NotImplementedError(f"{prim.name}: no forward-mode (JVP) rule")
            continue
        contribution = jvps[i](arg._tangent, ans, *unboxed, **kwargs)
        tangent = contribution if tangent is None else tangent + contribution
    if tangent is None:
        return ans
    tangent = match_shape(tangent, ans, broadcast=True)
    if STATE.anomaly:
        check_finite(tangent, prim, "forward-mode tangent")
    return Tensor._make_dual(ans, level, tangent)


def _with_context(prim: Primitive, raw: Any, error: Exception) -> Exception:
    """NumPy's error, prefixed with the op and its operands' shapes and dtypes."""
    if str(error).startswith(prim.name + ":"):
        return error
    shapes = ", ".join(_describe(a) for a in raw)
    return type(error)(f"{prim.name}: arguments {shapes}: {error}")


def _describe(value: Any) -> str:
    shape = getattr(value, "shape", None)
    if shape is None:
        return type(value).__name__
    return f"{tuple(shape)} {getattr(value, 'dtype', '')}".strip()


# ---- anomaly mode -------------------------------------------------------------------------


class AnomalyError(FloatingPointError):
    """Raised in anomaly mode at the first op whose result holds NaN or Inf."""


def check_finite(value: Any, prim: Primitive, where: str, origin: str | None = None) -> None:
    """Raise AnomalyError if ``value`` holds NaN or Inf, naming the op and the user's line."""
    import numpy as np

    from deepgrad.tensor import raw_data

    data = raw_data(value)
    if data is None or not np.issubdtype(np.asarray(data).dtype, np.inexact):
        return
    if bool(np.all(np.isfinite(data))):
        return
    origin = origin or user_source_line()
    raise AnomalyError(
        f"{prim.name} produced NaN or Inf in the {where} pass (op called at {origin})"
    )


def user_source_line() -> str:
    """The first stack frame outside deepgrad: where the user called the op."""
    package_dir = __file__.rsplit("autodiff", 1)[0]
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(package_dir):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    import linecache

    code = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
    return f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}: {code}"

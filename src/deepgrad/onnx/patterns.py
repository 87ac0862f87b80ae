"""Groups of ONNX nodes that PyTorch's exporters write for one activation or layer, read
back as that deepgrad layer: exact GELU (``Div`` by √2, ``Erf``, ``Add`` 1, ``Mul`` by x and
½), its tanh form, x·gate(x) (SiLU with ``Sigmoid``, hard SiLU with ``HardSigmoid``, Mish
with ``Softplus`` and ``Tanh``) and, below opset 17, layer normalization (``ReduceMean``,
``Sub``, ``Pow``, ``ReduceMean``, ``Add`` ε, ``Sqrt``, ``Div``, then ``Mul`` γ, ``Add`` β).

Each pattern has one reader. It claims the nodes by the node that no other reading starts
with (an ``Erf`` after x / c, x + c·x³, a gate whose output is multiplied, a ``ReduceMean``
of x), then checks every other node and constant, raising ``ImportGraphError`` naming the
node that differs: a pattern is read whole or not at all, never as a different function.
Products are compared as a constant times a list of factors, so ``0.5·x·a``,
``(x·a)·0.5`` and ``x·(0.5·a)`` read alike.
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from deepgrad import activations
from deepgrad import layers as L
from deepgrad.onnx.errors import ImportGraphError

_DEFAULT_DOMAINS = ("", "ai.onnx")
_HARD_SIGMOID = {"alpha": 1.0 / 6.0, "beta": 0.5}  # deepgrad's (and PyTorch's) hard sigmoid


@dataclass
class Match:
    """A pattern read as ``layer``: the nodes it covers, its output, its weights."""

    layer: L.Layer
    nodes: list[Any]
    output: str
    weights: list[tuple[str, np.ndarray]] = field(default_factory=list)


class GraphView:
    """Who produces and who reads each tensor, and the graph's constants."""

    def __init__(self, nodes: list[Any], constants: dict[str, np.ndarray], outputs: list[str]):
        self.constants = constants
        self.outputs = set(outputs)
        self.producer = {name: node for node in nodes for name in node.output if name}
        self.readers: dict[str, list[Any]] = defaultdict(list)
        for node in nodes:
            for name in dict.fromkeys(node.input):  # Mul(x, x) reads x once
                if name:
                    self.readers[name].append(node)

    def readers_of(self, tensor: str, op_type: str) -> list[Any]:
        return [n for n in self.readers[tensor] if _is(n, op_type)]

    def only_reader(self, tensor: str, op_type: str) -> Any | None:
        """The one node reading ``tensor``, if it is an ``op_type`` and ``tensor`` is not
        also a graph output; else None."""
        readers = self.readers[tensor]
        if len(readers) == 1 and tensor not in self.outputs and _is(readers[0], op_type):
            return readers[0]
        return None

    def scalar(self, name: str) -> float | None:
        value = self.constants.get(name)
        return float(value.reshape(-1)[0]) if value is not None and value.size == 1 else None


def _is(node: Any, op_type: str) -> bool:
    return node.op_type == op_type and node.domain in _DEFAULT_DOMAINS


def _close(value: float | None, expected: float) -> bool:
    # the constants are float32 roundings of the exact numbers (relative error < 6e-8)
    return value is not None and math.isclose(value, expected, rel_tol=1e-6)


def _refuse(node: Any, pattern: str, what: str) -> ImportGraphError:
    return ImportGraphError(
        f"load: node {node.name!r} ({node.op_type}) {what}, so the nodes around it are not "
        f"the {pattern} pattern PyTorch writes; it is not read as anything else"
    )


def _other_input(node: Any, tensor: str) -> str | None:
    """The other input of a two-input node reading ``tensor`` (``tensor`` for ``f(t, t)``)."""
    if len(node.input) != 2 or tensor not in node.input:
        return None
    return node.input[1] if node.input[0] == tensor else node.input[0]


def _only_reader(view: GraphView, node: Any, op_type: str, pattern: str) -> Any:
    reader = view.only_reader(node.output[0], op_type)
    if reader is None:
        found = [f"{r.name!r} ({r.op_type})" for r in view.readers[node.output[0]]]
        raise _refuse(node, pattern, f"is read by {found or 'no node'}, not by one {op_type}")
    return reader


# ---- products: a constant times a list of factors ------------------------------------------


def _factors(view: GraphView, tensor: str, leaves: set[str], nodes: list[Any]) -> tuple:
    """``tensor`` as (constant, sorted factors), expanding the ``Mul`` and ``Pow`` (by a
    constant whole exponent) that produce it; ``leaves`` are not expanded. Expanded nodes
    are appended to ``nodes``."""
    node, value = view.producer.get(tensor), view.scalar(tensor)
    if value is not None and tensor not in leaves:
        return value, []
    if tensor in leaves or node is None:
        return 1.0, [tensor]
    if _is(node, "Mul") and len(node.input) == 2:
        nodes.append(node)
        left, right = (_factors(view, name, leaves, nodes) for name in node.input)
        return left[0] * right[0], sorted(left[1] + right[1])
    exponent = view.scalar(node.input[1]) if _is(node, "Pow") else None
    if exponent is not None and exponent in (2.0, 3.0) and node.input[0] in leaves:
        nodes.append(node)
        return 1.0, [node.input[0]] * int(exponent)
    return 1.0, [tensor]


def _product(view: GraphView, start: str, x: str, scale: float, pattern: str) -> tuple:
    """Climb from ``start`` through the ``Mul`` nodes reading it to ``scale``·x·start:
    (that tensor, the nodes climbed). Partial products on the way (0.5·start before x, or
    x·start before 0.5) go on climbing; a factor that is neither x nor start is refused."""
    wanted = sorted([x, start])
    nodes = [_only_reader(view, view.producer[start], "Mul", pattern)]
    while True:
        expanded: list[Any] = []
        constant, factors = _factors(view, nodes[-1].output[0], {x, start}, expanded)
        if factors == wanted and _close(constant, scale):
            return nodes[-1].output[0], list({id(n): n for n in nodes + expanded}.values())
        following = view.only_reader(nodes[-1].output[0], "Mul")
        if following is None or any(factors.count(f) > wanted.count(f) for f in factors):
            raise _refuse(
                nodes[-1],
                pattern,
                f"computes {constant:g}·{'·'.join(factors)}, not {scale:g}·{x}·{start}",
            )
        nodes.append(following)


def _one_plus(view: GraphView, node: Any, pattern: str) -> Any:
    """The ``Add`` of 1 reading ``node``'s output."""
    add = _only_reader(view, node, "Add", pattern)
    if not _close(view.scalar(_other_input(add, node.output[0]) or ""), 1.0):
        raise _refuse(add, pattern, f"adds {list(add.input)} to {node.output[0]!r}, not 1")
    return add


# ---- GELU ----------------------------------------------------------------------------------


def _divided_by(view: GraphView, node: Any, x: str) -> float | None:
    """c for ``x / c`` or ``x · (1/c)`` by a constant c; else None."""
    if _is(node, "Div") and node.input[0] == x:
        return view.scalar(node.input[1])
    other = _other_input(node, x) if _is(node, "Mul") else None
    factor = view.scalar(other) if other else None
    return 1.0 / factor if factor else None


def _gelu_exact(view: GraphView, x: str, rank: int) -> Match | None:
    """0.5·x·(1 + erf(x/√2)), claimed by an ``Erf`` of x divided by a constant."""
    for scaled in view.readers[x]:
        divisor = _divided_by(view, scaled, x)
        erf = view.only_reader(scaled.output[0], "Erf") if divisor is not None else None
        if erf is not None:
            break
    else:
        return None
    if not _close(divisor, math.sqrt(2.0)):
        raise _refuse(scaled, "exact GELU", f"divides {x!r} by {divisor:g}, not √2")
    one_plus = _one_plus(view, erf, "exact GELU")
    output, product = _product(view, one_plus.output[0], x, 0.5, "exact GELU")
    return Match(L.Activation("gelu"), [scaled, erf, one_plus, *product], output)


def _cube_plus(view: GraphView, x: str) -> tuple[Any, float, list[Any]] | None:
    """The ``Add`` of x and c·x³ reading x: (that node, c, the nodes of c·x³)."""
    for add in view.readers_of(x, "Add"):
        cubic, nodes = _other_input(add, x), []
        constant, factors = _factors(view, cubic or "", {x}, nodes)
        if cubic and factors == [x, x, x]:
            return add, constant, nodes
    return None


def _gelu_tanh(view: GraphView, x: str, rank: int) -> Match | None:
    """0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), claimed by the ``Add`` of x and c·x³."""
    found = _cube_plus(view, x)
    if found is None:
        return None
    inner, constant, cube = found
    pattern = "tanh GELU"
    if not _close(constant, 0.044715):
        raise _refuse(inner, pattern, f"adds {constant:g}·x³ to {x!r}, not 0.044715·x³")
    scaled, scaling = _only_reader(view, inner, "Mul", pattern), []
    factor, factors = _factors(view, scaled.output[0], {inner.output[0]}, scaling)
    if factors != [inner.output[0]] or not _close(factor, math.sqrt(2.0 / math.pi)):
        raise _refuse(scaled, pattern, f"computes {factor:g}·{'·'.join(factors)}, not √(2/π)·…")
    tanh = _only_reader(view, scaled, "Tanh", pattern)
    one_plus = _one_plus(view, tanh, pattern)
    output, product = _product(view, one_plus.output[0], x, 0.5, pattern)
    nodes = [*cube, inner, *scaling, tanh, one_plus, *product]
    layer = L.Activation(functools.partial(activations.gelu, approximate=True))
    return Match(layer, nodes, output)


# ---- x · gate(x) ---------------------------------------------------------------------------

# the gate's ops, in order, → the deepgrad activation x·gate(x), and its formula
_GATES = {
    ("Sigmoid",): ("silu", "x·Sigmoid(x)"),
    ("HardSigmoid",): ("hard_silu", "x·HardSigmoid(x)"),
    ("Softplus", "Tanh"): ("mish", "x·Tanh(Softplus(x))"),
}


def check_hard_sigmoid(node: Any, attrs: dict) -> None:
    """Refuse a ``HardSigmoid`` other than deepgrad's max(0, min(1, x/6 + 1/2))."""
    alpha, beta = attrs.get("alpha", 0.2), attrs.get("beta", 0.5)
    if not (_close(alpha, _HARD_SIGMOID["alpha"]) and _close(beta, _HARD_SIGMOID["beta"])):
        raise ImportGraphError(
            f"load: node {node.name!r} (HardSigmoid) computes max(0, min(1, {alpha:g}·x + "
            f"{beta:g})); deepgrad's hard_sigmoid has alpha=1/6, beta=0.5 (PyTorch's "
            "Hardsigmoid)"
        )


def _gate(view: GraphView, first: Any, ops: tuple[str, ...]) -> list[Any] | None:
    """The gate's nodes from ``first``, if each next op is the one reader of the last."""
    nodes = [first]
    for op_type in ops[1:]:
        nodes.append(view.only_reader(nodes[-1].output[0], op_type))
        if nodes[-1] is None:
            return None
    return nodes


def _gated(view: GraphView, x: str, rank: int) -> Match | None:
    """x·gate(x), claimed by a gate of x whose output is multiplied by something."""
    for ops, (name, formula) in _GATES.items():
        for first in view.readers_of(x, ops[0]):
            gate = _gate(view, first, ops)
            mul = view.only_reader(gate[-1].output[0], "Mul") if gate else None
            if gate is None or mul is None:
                continue
            pattern = f"{name} ({formula})"
            other = _other_input(mul, gate[-1].output[0])
            if other != x:
                raise _refuse(mul, pattern, f"multiplies {gate[-1].output[0]!r} by {other!r}")
            if ops == ("HardSigmoid",):
                check_hard_sigmoid(first, _attributes(first))
            return Match(L.Activation(name), [*gate, mul], mul.output[0])
    return None


def _attributes(node: Any) -> dict[str, Any]:
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


# ---- layer normalization below opset 17 ----------------------------------------------------


def _check_last_axis(view: GraphView, node: Any, rank: int, pattern: str) -> None:
    attrs = _attributes(node)
    axes = attrs.get("axes")
    if axes is None and len(node.input) > 1 and node.input[1]:  # opset 18: an input
        axes = view.constants.get(node.input[1])
    axes = None if axes is None else [int(a) % rank for a in np.reshape(axes, -1)]
    if axes != [rank - 1] or not attrs.get("keepdims", 1):
        raise _refuse(
            node,
            pattern,
            f"averages over axes {axes} of a rank-{rank} input with keepdims="
            f"{attrs.get('keepdims', 1)}; deepgrad's LayerNormalization reads the last axis, "
            "kept",
        )


def _squared(view: GraphView, centred: str) -> Any | None:
    """The ``Pow`` by 2 or ``Mul`` by itself of ``centred`` among its readers."""
    for node in view.readers[centred]:
        constant, factors = _factors(view, node.output[0], {centred}, [])
        if factors == [centred, centred] and constant == 1.0:
            return node
    return None


def _per_feature(view: GraphView, node: Any, value: np.ndarray, pattern: str) -> np.ndarray:
    if value.ndim > 1 and any(n != 1 for n in value.shape[:-1]):
        raise _refuse(
            node,
            pattern,
            f"uses a constant of shape {list(value.shape)}, not one value per feature",
        )
    return value.reshape(-1)


def _affine(view: GraphView, output: str, op_type: str) -> tuple[Any, np.ndarray] | None:
    """The ``op_type`` reading ``output`` with a constant (γ or β), if it is its one reader."""
    node = view.only_reader(output, op_type)
    other = _other_input(node, output) if node is not None else None
    if other is None or other not in view.constants:
        return None
    return node, view.constants[other]


def _layer_norm(view: GraphView, x: str, rank: int) -> Match | None:
    """(x − mean)/√(variance + ε)·γ + β over the last axis, claimed by a ``ReduceMean`` of x."""
    means = view.readers_of(x, "ReduceMean")
    if not means:
        return None
    pattern = "layer normalization"
    mean = means[0]
    _check_last_axis(view, mean, rank, pattern)
    sub = _only_reader(view, mean, "Sub", pattern)
    if list(sub.input) != [x, mean.output[0]]:
        raise _refuse(sub, pattern, f"computes {sub.input[0]!r} − {sub.input[1]!r}, not x − mean")
    centred = sub.output[0]
    square = _squared(view, centred)
    if square is None:
        raise _refuse(sub, pattern, "is not squared (Pow by 2) for the variance")
    variance = _only_reader(view, square, "ReduceMean", pattern)
    _check_last_axis(view, variance, rank, pattern)
    add = _only_reader(view, variance, "Add", pattern)
    epsilon_name = _other_input(add, variance.output[0]) or ""
    epsilon = view.scalar(epsilon_name)
    if epsilon is None:
        raise _refuse(add, pattern, "adds no constant ε to the variance")
    root = _only_reader(view, add, "Sqrt", pattern)
    divide = _only_reader(view, root, "Div", pattern)
    if list(divide.input) != [centred, root.output[0]]:
        raise _refuse(divide, pattern, f"divides {divide.input[0]!r}, not x − mean")
    nodes, output, weights = [mean, sub, square, variance, add, root, divide], divide.output[0], []
    for op_type, weight in (("Mul", "gamma"), ("Add", "beta")):
        found = _affine(view, output, op_type)
        if found is not None:
            nodes.append(found[0])
            output = found[0].output[0]
            weights.append((weight, _per_feature(view, found[0], found[1], pattern)))
    dtype = weights[0][1].dtype if weights else view.constants[epsilon_name].dtype
    names = [w for w, _ in weights]
    layer = L.LayerNormalization(
        axis=-1, epsilon=epsilon, center="beta" in names, scale="gamma" in names, dtype=dtype
    )
    return Match(layer, nodes, output, weights)


# ---- the readers together ------------------------------------------------------------------

_PATTERNS: tuple[Callable[[GraphView, str, int], Match | None], ...] = (
    _gelu_exact,
    _gelu_tanh,
    _gated,
    _layer_norm,
)


def read_pattern(view: GraphView, x: str, rank: int) -> Match | None:
    """The pattern starting at tensor ``x`` (of rank ``rank``), checked to be closed: only its
    own nodes read x and its inner tensors. None if no pattern starts there."""
    for reader in _PATTERNS:
        match = reader(view, x, rank)
        if match is not None:
            _check_closed(view, x, match)
            return match
    return None


def _check_closed(view: GraphView, x: str, match: Match) -> None:
    inside = {id(node) for node in match.nodes}
    inner = {name for node in match.nodes for name in node.output if name} - {match.output}
    for tensor in (x, *sorted(inner)):
        for reader in view.readers[tensor]:
            if id(reader) not in inside:
                raise ImportGraphError(
                    f"load: node {reader.name!r} ({reader.op_type}) reads {tensor!r}, inside "
                    f"what reads as {_name(match.layer)}: a branch, which deepgrad cannot read"
                )
        if tensor in inner and tensor in view.outputs:
            raise ImportGraphError(
                f"load: the graph outputs {tensor!r}, inside what reads as {_name(match.layer)}"
            )


def _name(layer: L.Layer) -> str:
    activation = getattr(layer, "activation", None)
    if isinstance(activation, functools.partial):
        return f"{activation.func.__name__}({activation.keywords})"
    return activation.__name__ if activation is not None else type(layer).__name__

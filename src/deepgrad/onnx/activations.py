"""Each of deepgrad's activations as ONNX nodes, written with the same formula deepgrad
computes (exact GELU with ``Erf``; its tanh form, SiLU and Mish composed from ONNX's ops).

An activation passed as ``functools.partial(fn, **options)`` (e.g. ``partial(gelu,
approximate=True)``) is exported with those options; any other callable raises
``ExportError`` naming it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

from deepgrad import activations as act
from deepgrad.onnx.errors import ExportError
from deepgrad.onnx.graph import Graph


def _gelu(graph: Graph, x: str, scope: str, approximate: bool = False) -> str:
    half_x = graph.add("Mul", [x, graph.constant(f"{scope}/half", 0.5)], scope)
    if approximate:  # 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
        cube = graph.add("Mul", [graph.add("Mul", [x, x], scope), x], scope)
        cubic = graph.add("Mul", [cube, graph.constant(f"{scope}/c", 0.044715)], scope)
        inner = graph.add("Add", [x, cubic], scope)
        scaled = graph.add(
            "Mul", [inner, graph.constant(f"{scope}/k", math.sqrt(2.0 / math.pi))], scope
        )
        bent = graph.add("Tanh", [scaled], scope)
    else:  # 0.5·x·(1 + erf(x/√2))
        scaled = graph.add("Div", [x, graph.constant(f"{scope}/sqrt2", math.sqrt(2.0))], scope)
        bent = graph.add("Erf", [scaled], scope)
    one_plus = graph.add("Add", [graph.constant(f"{scope}/one", 1.0), bent], scope)
    return graph.add("Mul", [half_x, one_plus], scope)


def _relu6(graph: Graph, x: str, scope: str) -> str:
    low, high = graph.constant(f"{scope}/min", 0.0), graph.constant(f"{scope}/max", 6.0)
    return graph.add("Clip", [x, low, high], scope)


def _hard_tanh(graph: Graph, x: str, scope: str) -> str:
    low, high = graph.constant(f"{scope}/min", -1.0), graph.constant(f"{scope}/max", 1.0)
    return graph.add("Clip", [x, low, high], scope)


def _hard_sigmoid(graph: Graph, x: str, scope: str) -> str:
    # relu6(x + 3) / 6 = max(0, min(1, x/6 + 1/2))
    return graph.add("HardSigmoid", [x], scope, alpha=1.0 / 6.0, beta=0.5)


def _silu(graph: Graph, x: str, scope: str) -> str:
    return graph.add("Mul", [x, graph.add("Sigmoid", [x], scope)], scope)


def _hard_silu(graph: Graph, x: str, scope: str) -> str:
    return graph.add("Mul", [x, _hard_sigmoid(graph, x, scope)], scope)


def _mish(graph: Graph, x: str, scope: str) -> str:
    softplus = graph.add("Softplus", [x], scope)
    return graph.add("Mul", [x, graph.add("Tanh", [softplus], scope)], scope)


def _log_sigmoid(graph: Graph, x: str, scope: str) -> str:
    negated = graph.add("Neg", [x], scope)
    return graph.add("Neg", [graph.add("Softplus", [negated], scope)], scope)


def _leaky_relu(graph: Graph, x: str, scope: str, negative_slope: float = 0.2) -> str:
    return graph.add("LeakyRelu", [x], scope, alpha=float(negative_slope))


def _elu(graph: Graph, x: str, scope: str, alpha: float = 1.0) -> str:
    return graph.add("Elu", [x], scope, alpha=float(alpha))


def _celu(graph: Graph, x: str, scope: str, alpha: float = 1.0) -> str:
    return graph.add("Celu", [x], scope, alpha=float(alpha))


def _selu(graph: Graph, x: str, scope: str) -> str:
    return graph.add("Selu", [x], scope, alpha=act.SELU_ALPHA, gamma=act.SELU_SCALE)


def _softmax(graph: Graph, x: str, scope: str, axis: int = -1) -> str:
    return graph.add("Softmax", [x], scope, axis=int(axis))


def _log_softmax(graph: Graph, x: str, scope: str, axis: int = -1) -> str:
    return graph.add("LogSoftmax", [x], scope, axis=int(axis))


def _single(op_type: str) -> Callable[[Graph, str, str], str]:
    def convert(graph: Graph, x: str, scope: str) -> str:
        return graph.add(op_type, [x], scope)

    return convert


def _identity(graph: Graph, x: str, scope: str) -> str:
    return x


CONVERTERS: dict[Callable, Callable[..., str]] = {
    act.linear: _identity,
    act.sigmoid: _single("Sigmoid"),
    act.tanh: _single("Tanh"),
    act.hard_sigmoid: _hard_sigmoid,
    act.hard_tanh: _hard_tanh,
    act.softsign: _single("Softsign"),
    act.softplus: _single("Softplus"),
    act.relu: _single("Relu"),
    act.relu6: _relu6,
    act.leaky_relu: _leaky_relu,
    act.elu: _elu,
    act.selu: _selu,
    act.celu: _celu,
    act.gelu: _gelu,
    act.silu: _silu,
    act.hard_silu: _hard_silu,
    act.mish: _mish,
    act.log_sigmoid: _log_sigmoid,
    act.softmax: _softmax,
    act.log_softmax: _log_softmax,
    act.exponential: _single("Exp"),
}


def convert_activation(
    activation: Callable, graph: Graph, x: str, scope: str, **options: Any
) -> str:
    """Append the nodes of ``activation(x, **options)``; the name of their output.

    >>> import numpy as np
    >>> graph = Graph(np.dtype(np.float32))
    >>> convert_activation(act.gelu, graph, "x", "dense")
    'dense/Mul_1'
    >>> [node.op_type for node in graph.nodes]
    ['Mul', 'Div', 'Erf', 'Add', 'Mul']
    """
    if isinstance(activation, functools.partial):
        if activation.args:
            raise ExportError(
                f"{scope}: the activation {activation!r} has positional options; pass them "
                "by keyword (functools.partial(fn, name=value)) to export it"
            )
        return convert_activation(
            activation.func, graph, x, scope, **{**activation.keywords, **options}
        )
    converter = CONVERTERS.get(activation)
    if converter is None:
        known = ", ".join(sorted(act.name_of(fn) for fn in CONVERTERS))
        raise ExportError(
            f"{scope}: the activation {getattr(activation, '__name__', activation)!r} cannot "
            f"be exported to ONNX; exportable activations: {known}"
        )
    try:
        return converter(graph, x, scope, **options)
    except TypeError:
        raise ExportError(
            f"{scope}: the activation {act.name_of(activation)!r} was given options "
            f"{sorted(options)} that its ONNX form does not take"
        ) from None

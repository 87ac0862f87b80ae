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

import numpy as np

from deepgrad import activations as act
from deepgrad.onnx.errors import ExportError
from deepgrad.onnx.graph import Graph, Node

_INT64 = 7  # onnx.TensorProto.INT64


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


def _float32(graph: Graph) -> bool:
    """Float32 graphs use ONNX's activation ops. Other dtypes get the same functions from
    elementary ops: ONNX's Celu and ONNX Runtime's CPU kernels of Softplus, HardSigmoid,
    Elu, Selu and Softsign are float32 only, and the slopes given as attributes (LeakyRelu's
    α, ...) are float32 numbers. (ONNX Runtime has no float64 Erf, which exact GELU needs.)"""
    return graph.dtype == np.float32


def _hard_sigmoid(graph: Graph, x: str, scope: str) -> str:
    # relu6(x + 3) / 6 = max(0, min(1, x/6 + 1/2))
    if _float32(graph):
        return graph.add("HardSigmoid", [x], scope, alpha=1.0 / 6.0, beta=0.5)
    sixth = graph.add("Mul", [x, graph.constant(f"{scope}/sixth", 1.0 / 6.0)], scope)
    shifted = graph.add("Add", [sixth, graph.constant(f"{scope}/half", 0.5)], scope)
    low, high = graph.constant(f"{scope}/min", 0.0), graph.constant(f"{scope}/max", 1.0)
    return graph.add("Clip", [shifted, low, high], scope)


def _softplus(graph: Graph, x: str, scope: str) -> str:
    if _float32(graph):
        return graph.add("Softplus", [x], scope)
    # log(1 + eˣ) = max(x, 0) + log(1 + e^(−|x|)), finite for any x
    tail = graph.add("Exp", [graph.add("Neg", [graph.add("Abs", [x], scope)], scope)], scope)
    one_plus = graph.add("Add", [graph.constant(f"{scope}/one", 1.0), tail], scope)
    return graph.add(
        "Add", [graph.add("Relu", [x], scope), graph.add("Log", [one_plus], scope)], scope
    )


def _silu(graph: Graph, x: str, scope: str) -> str:
    return graph.add("Mul", [x, graph.add("Sigmoid", [x], scope)], scope)


def _hard_silu(graph: Graph, x: str, scope: str) -> str:
    return graph.add("Mul", [x, _hard_sigmoid(graph, x, scope)], scope)


def _mish(graph: Graph, x: str, scope: str) -> str:
    softplus = _softplus(graph, x, scope)
    return graph.add("Mul", [x, graph.add("Tanh", [softplus], scope)], scope)


def _log_sigmoid(graph: Graph, x: str, scope: str) -> str:
    negated = graph.add("Neg", [x], scope)
    return graph.add("Neg", [_softplus(graph, negated, scope)], scope)


def _positive_or(graph: Graph, x: str, scope: str, negative: str) -> str:
    """x where x > 0, else ``negative``: deepgrad's ``where(x > 0, ...)``."""
    positive = graph.add("Greater", [x, graph.constant(f"{scope}/zero", 0.0)], scope)
    return graph.add("Where", [positive, x, negative], scope)


def _leaky_relu(graph: Graph, x: str, scope: str, negative_slope: float = 0.2) -> str:
    if _float32(graph):
        return graph.add("LeakyRelu", [x], scope, alpha=float(negative_slope))
    # the attribute of LeakyRelu is a float32: the slope as a tensor of the graph's dtype
    slope = graph.add("Mul", [x, graph.constant(f"{scope}/slope", negative_slope)], scope)
    return _positive_or(graph, x, scope, slope)


def _elu(graph: Graph, x: str, scope: str, alpha: float = 1.0) -> str:
    if _float32(graph):
        return graph.add("Elu", [x], scope, alpha=float(alpha))
    # α(e^min(x, 0) − 1) where x ≤ 0 (the clamp keeps the unused branch finite)
    clamped = graph.add("Min", [x, graph.constant(f"{scope}/zero", 0.0)], scope)
    grown = graph.add(
        "Sub", [graph.add("Exp", [clamped], scope), graph.constant(f"{scope}/one", 1.0)], scope
    )
    negative = graph.add("Mul", [graph.constant(f"{scope}/alpha", alpha), grown], scope)
    return _positive_or(graph, x, scope, negative)


def _softsign(graph: Graph, x: str, scope: str) -> str:
    if _float32(graph):
        return graph.add("Softsign", [x], scope)
    one_plus = graph.add(
        "Add", [graph.constant(f"{scope}/one", 1.0), graph.add("Abs", [x], scope)], scope
    )
    return graph.add("Div", [x, one_plus], scope)


def _celu(graph: Graph, x: str, scope: str, alpha: float = 1.0) -> str:
    if _float32(graph):
        return graph.add("Celu", [x], scope, alpha=float(alpha))
    # max(x, 0) + min(0, α(e^(x/α) − 1))
    alpha_name = graph.constant(f"{scope}/alpha", alpha)
    grown = graph.add("Exp", [graph.add("Div", [x, alpha_name], scope)], scope)
    negative = graph.add("Sub", [grown, graph.constant(f"{scope}/one", 1.0)], scope)
    scaled = graph.add("Mul", [alpha_name, negative], scope)
    clipped = graph.add("Min", [scaled, graph.constant(f"{scope}/zero", 0.0)], scope)
    return graph.add("Add", [graph.add("Relu", [x], scope), clipped], scope)


def _selu(graph: Graph, x: str, scope: str) -> str:
    if _float32(graph):
        return graph.add("Selu", [x], scope, alpha=act.SELU_ALPHA, gamma=act.SELU_SCALE)
    elu = _elu(graph, x, scope, act.SELU_ALPHA)
    return graph.add("Mul", [graph.constant(f"{scope}/scale", act.SELU_SCALE), elu], scope)


def _squareplus(graph: Graph, x: str, scope: str, b: float = 4) -> str:
    # (x + √(x·x + b)) / 2, in deepgrad's order of operations
    shifted = graph.add(
        "Add", [graph.add("Mul", [x, x], scope), graph.constant(f"{scope}/b", b)], scope
    )
    total = graph.add("Add", [x, graph.add("Sqrt", [shifted], scope)], scope)
    return graph.add("Div", [total, graph.constant(f"{scope}/two", 2.0)], scope)


def _tanh_shrink(graph: Graph, x: str, scope: str) -> str:
    return graph.add("Sub", [x, graph.add("Tanh", [x], scope)], scope)


def _where(graph: Graph, scope: str, condition: str, chosen: str, other: str) -> str:
    return graph.add("Where", [condition, chosen, other], scope)


def _compare(graph: Graph, op_type: str, x: str, scope: str, value: float) -> str:
    return graph.add(op_type, [x, graph.constant(f"{scope}/bound", value)], scope)


def _shrink_op(graph: Graph, x: str, scope: str, lambd: float, bias: float) -> str | None:
    """ONNX's ``Shrink`` in a float32 graph (its bounds are float32 attributes, as deepgrad
    compares float32 x with them); None for other dtypes, which get ``Where`` forms."""
    if not _float32(graph):
        return None
    return graph.add("Shrink", [x], scope, lambd=float(lambd), bias=float(bias))


def _hard_shrink(graph: Graph, x: str, scope: str, threshold: float = 0.5) -> str:
    shrunk = _shrink_op(graph, x, scope, threshold, 0.0)
    if shrunk is not None:
        return shrunk
    outside = _compare(graph, "Greater", graph.add("Abs", [x], scope), scope, threshold)
    return _where(graph, scope, outside, x, graph.constant(f"{scope}/zero", 0.0))


def _soft_shrink(graph: Graph, x: str, scope: str, threshold: float = 0.5) -> str:
    # Shrink tests x < −λ first, deepgrad x > threshold: the same unless the threshold < 0
    shrunk = _shrink_op(graph, x, scope, threshold, threshold) if threshold >= 0 else None
    if shrunk is not None:
        return shrunk
    raised = graph.add("Add", [x, graph.constant(f"{scope}/threshold", threshold)], scope)
    lowered = graph.add("Sub", [x, graph.constant(f"{scope}/threshold", threshold)], scope)
    below = _where(
        graph,
        scope,
        _compare(graph, "Less", x, scope, -threshold),
        raised,
        graph.constant(f"{scope}/zero", 0.0),
    )
    return _where(graph, scope, _compare(graph, "Greater", x, scope, threshold), lowered, below)


def _threshold(graph: Graph, x: str, scope: str, threshold: float, default_value: float) -> str:
    above = _compare(graph, "Greater", x, scope, threshold)
    return _where(graph, scope, above, x, graph.constant(f"{scope}/default", default_value))


def _sparse_piecewise(graph: Graph, x: str, scope: str, middle: str, top: str) -> str:
    """0 for x ≤ −1, ``top`` for x ≥ 1, ``middle`` between: sparse_plus and sparse_sigmoid."""
    upper = _where(graph, scope, _compare(graph, "GreaterOrEqual", x, scope, 1.0), top, middle)
    lower = _compare(graph, "LessOrEqual", x, scope, -1.0)
    return _where(graph, scope, lower, graph.constant(f"{scope}/zero", 0.0), upper)


def _plus_one(graph: Graph, x: str, scope: str) -> str:
    return graph.add("Add", [x, graph.constant(f"{scope}/one", 1.0)], scope)


def _sparse_plus(graph: Graph, x: str, scope: str) -> str:
    # 0.25·(x + 1)·(x + 1) between the corners, in deepgrad's order
    quarter = graph.add(
        "Mul", [graph.constant(f"{scope}/quarter", 0.25), _plus_one(graph, x, scope)], scope
    )
    square = graph.add("Mul", [quarter, _plus_one(graph, x, scope)], scope)
    return _sparse_piecewise(graph, x, scope, square, x)


def _sparse_sigmoid(graph: Graph, x: str, scope: str) -> str:
    half = graph.add(
        "Mul", [graph.constant(f"{scope}/half", 0.5), _plus_one(graph, x, scope)], scope
    )
    return _sparse_piecewise(graph, x, scope, half, graph.constant(f"{scope}/one", 1.0))


def _glu(graph: Graph, x: str, scope: str, axis: int = -1) -> str:
    # Split (opset 13-17) with no sizes given cuts the axis into as many equal parts as it
    # has outputs; deepgrad has already refused an odd axis when the model was built.
    first, second = graph.fresh(f"{scope}/Split"), graph.fresh(f"{scope}/Split")
    graph.nodes.append(Node("Split", [x], [first, second], first, {"axis": int(axis)}))
    return graph.add("Mul", [first, graph.add("Sigmoid", [second], scope)], scope)


def _axis_length(graph: Graph, x: str, scope: str, axis: int) -> str:
    """The length of ``axis`` of x as a 1-d int64 tensor: ``Shape`` cut to that axis."""
    bounds = {"start": axis} if axis == -1 else {"start": axis, "end": axis + 1}
    return graph.add("Shape", [x], scope, **bounds)


def _ranks(graph: Graph, x: str, scope: str, axis_name: str) -> str:
    """1, 2, ..., n along the axis, in the graph's dtype (deepgrad's ``arange``)."""
    ones = graph.add(
        "Expand", [graph.constant(f"{scope}/one", 1.0), graph.add("Shape", [x], scope)], scope
    )
    return graph.add("CumSum", [ones, axis_name], scope)


def _sparsemax(graph: Graph, x: str, scope: str, axis: int = -1) -> str:
    """Martins & Astudillo's algorithm in deepgrad's order of operations: sort descending
    (``TopK`` of the whole axis), partial sums (``CumSum``), the support's size k counted
    where 1 + j·z₍ⱼ₎ > Σ_{i≤j} z₍ᵢ₎, τ = (Σ_{j≤k} z₍ⱼ₎ − 1) / k, then max(x − τ, 0), on
    x less its maximum along the axis, as deepgrad shifts it."""
    axis = int(axis)
    top = graph.add("ReduceMax", [x], scope, axes=[axis], keepdims=1)  # (an attribute in 17)
    x = graph.add("Sub", [x, top], scope)
    axis_name = graph.constant(f"{scope}/axis", axis, dtype=np.int64)
    ranked, indices = graph.fresh(f"{scope}/TopK"), graph.fresh(f"{scope}/TopK_indices")
    length = _axis_length(graph, x, scope, axis)
    graph.nodes.append(Node("TopK", [x, length], [ranked, indices], ranked, {"axis": axis}))
    partial_sums = graph.add("CumSum", [ranked, axis_name], scope)
    one, zero = graph.constant(f"{scope}/one", 1.0), graph.constant(f"{scope}/zero", 0.0)
    product = graph.add("Mul", [_ranks(graph, x, scope, axis_name), ranked], scope)
    grown = graph.add("Add", [one, product], scope)
    in_support = graph.add("Greater", [grown, partial_sums], scope)
    counted = _where(graph, scope, in_support, one, zero)
    axes = graph.constant(f"{scope}/axes", [axis], dtype=np.int64)
    support_size = graph.add("ReduceSum", [counted, axes], scope, keepdims=1)
    last = graph.add("Max", [graph.add("Sub", [support_size, one], scope), zero], scope)
    index = graph.add("Cast", [last], scope, to=_INT64)
    top_sum = graph.add("GatherElements", [partial_sums, index], scope, axis=axis)
    tau = graph.add("Div", [graph.add("Sub", [top_sum, one], scope), support_size], scope)
    return graph.add("Max", [graph.add("Sub", [x, tau], scope), zero], scope)


def _log_softmax_over(graph: Graph, x: str, scope: str, axes: list[int]) -> str:
    """x − max − log Σ exp(x − max) over several axes together, in deepgrad's order (ONNX's
    Softmax and LogSoftmax run over one axis from opset 13 on)."""
    top = graph.add("ReduceMax", [x], scope, axes=axes, keepdims=1)  # (an attribute in 17)
    shifted = graph.add("Sub", [x, top], scope)
    axes_name = graph.constant(f"{scope}/axes", axes, dtype=np.int64)
    total = graph.add("ReduceSum", [graph.add("Exp", [shifted], scope), axes_name], scope)
    return graph.add("Sub", [shifted, graph.add("Log", [total], scope)], scope)


def _axes(axis: Any) -> list[int] | None:
    """A tuple of several axes as a list; None for one axis (an int or a 1-tuple)."""
    axes = [int(a) for a in axis] if isinstance(axis, tuple | list) else [int(axis)]
    return axes if len(axes) > 1 else None


def _softmax(graph: Graph, x: str, scope: str, axis: Any = -1) -> str:
    axes = _axes(axis)
    if axes is not None:
        return graph.add("Exp", [_log_softmax_over(graph, x, scope, axes)], scope)
    return graph.add("Softmax", [x], scope, axis=int(np.reshape(axis, -1)[0]))


def _log_softmax(graph: Graph, x: str, scope: str, axis: Any = -1) -> str:
    axes = _axes(axis)
    if axes is not None:
        return _log_softmax_over(graph, x, scope, axes)
    return graph.add("LogSoftmax", [x], scope, axis=int(np.reshape(axis, -1)[0]))


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
    act.softsign: _softsign,
    act.softplus: _softplus,
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
    act.squareplus: _squareplus,
    act.tanh_shrink: _tanh_shrink,
    act.hard_shrink: _hard_shrink,
    act.soft_shrink: _soft_shrink,
    act.threshold: _threshold,
    act.sparse_plus: _sparse_plus,
    act.sparse_sigmoid: _sparse_sigmoid,
    act.glu: _glu,
    act.sparsemax: _sparsemax,
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

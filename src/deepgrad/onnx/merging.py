"""The merge layers of functional models (Add, Subtract, Multiply, Average, Maximum,
Minimum, Concatenate) as ONNX nodes: each takes a list of tensor names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from deepgrad import layers as L
from deepgrad.onnx.graph import Graph


def _fold(op_type: str) -> Callable[[Any, Graph, list[str]], str]:
    """Left to right, as deepgrad's ``functools.reduce`` adds (float sums depend on order)."""

    def convert(layer: Any, graph: Graph, xs: list[str]) -> str:
        result = xs[0]
        for x in xs[1:]:
            result = graph.add(op_type, [result, x], layer.name)
        return result

    return convert


def _subtract(layer: L.Subtract, graph: Graph, xs: list[str]) -> str:
    return graph.add("Sub", xs, layer.name)


def _average(layer: L.Average, graph: Graph, xs: list[str]) -> str:
    total = _fold("Add")(layer, graph, xs)
    count = graph.constant(f"{layer.name}/count", len(xs))
    return graph.add("Div", [total, count], layer.name)


def _concatenate(layer: L.Concatenate, graph: Graph, xs: list[str]) -> str:
    return graph.add("Concat", xs, layer.name, axis=layer.axis)


def align_ranks(layer: Any, graph: Graph, xs: list[str], ranks: list[int]) -> list[str]:
    """An elementwise merge's inputs of lower rank with axes of size 1 after the batch axis,
    as the layer aligns them (ONNX's broadcasting would align them from the last axis)."""
    if not getattr(layer, "elementwise", False):
        return xs
    top = max(ranks)
    aligned = []
    for x, rank in zip(xs, ranks, strict=True):
        if rank < top:
            axes = graph.constant(f"{layer.name}/axes", list(range(1, 1 + top - rank)), np.int64)
            x = graph.add("Unsqueeze", [x, axes], layer.name)
        aligned.append(x)
    return aligned


MERGE_CONVERTERS: dict[type, Callable[[Any, Graph, list[str]], str]] = {
    L.Add: _fold("Add"),
    L.Subtract: _subtract,
    L.Multiply: _fold("Mul"),
    L.Average: _average,
    L.Maximum: _fold("Max"),
    L.Minimum: _fold("Min"),
    L.Concatenate: _concatenate,
}

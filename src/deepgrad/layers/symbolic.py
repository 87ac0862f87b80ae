"""Symbolic tensors: what a layer returns when called on ``Input(...)`` (Keras'
``KerasTensor``). One holds a shape (batch axis None unless ``Input`` was given a
``batch_size``), a dtype and the call that made it
(``_keras_history``: the layer, the index of that call among the layer's calls, the index
of this output among the call's outputs). ``Model(inputs, outputs)`` walks these records
back from the outputs to find the graph.

>>> import deepgrad as dg
>>> x = dg.Input((3,))
>>> y = dg.layers.Dense(2)(x)
>>> y.shape, y._keras_history[0].name.startswith("dense")
((None, 2), True)
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from deepgrad.autodiff.modes import no_grad
from deepgrad.layers import structure
from deepgrad.tensor import raw_data


class SymbolicTensor:
    """A placeholder for the values a layer will get: shape, dtype and producing call."""

    def __init__(self, shape: tuple, dtype: Any, history: tuple, name: str | None = None):
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self._keras_history = history
        self.name = name or history[0].name

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        layer, node, index = self._keras_history
        return (
            f"<SymbolicTensor shape={self.shape}, dtype={self.dtype.name}, "
            f"name={self.name!r} (from {layer.name}[{node}][{index}])>"
        )

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(
            f"{self!r} has no values: it stands for a layer's input in the functional API. "
            "Only layers and the arithmetic operators (+, -, *, /, **, @) apply to it "
            "(use layers.Add, layers.Concatenate, ...), not NumPy or deepgrad.numpy functions"
        )

    # Arithmetic makes an Operation layer (layers/operation.py sets OPERATION), as Keras 3
    # turns ops on symbolic tensors into layers.
    __array_ufunc__ = None  # NumPy defers to the reflected operators: 2.0 * x is ours

    def __add__(self, other: Any) -> Any:
        return OPERATION("add", [self, other])

    def __radd__(self, other: Any) -> Any:
        return OPERATION("add", [self, other])

    def __sub__(self, other: Any) -> Any:
        return OPERATION("subtract", [self, other])

    def __rsub__(self, other: Any) -> Any:
        return OPERATION("subtract", [other, self], constant_first=True)

    def __mul__(self, other: Any) -> Any:
        return OPERATION("multiply", [self, other])

    def __rmul__(self, other: Any) -> Any:
        return OPERATION("multiply", [self, other])

    def __truediv__(self, other: Any) -> Any:
        return OPERATION("divide", [self, other])

    def __rtruediv__(self, other: Any) -> Any:
        return OPERATION("divide", [other, self], constant_first=True)

    def __pow__(self, other: Any) -> Any:
        return OPERATION("power", [self, other])

    def __matmul__(self, other: Any) -> Any:
        return OPERATION("matmul", [self, other])

    def __neg__(self) -> Any:
        return OPERATION("negative", [self])

    def __bool__(self) -> bool:
        raise TypeError(f"{self!r}: a symbolic tensor has no truth value")

    def __iter__(self) -> Any:
        raise TypeError(f"{self!r}: a symbolic tensor cannot be iterated")


def _no_operations(op: str, operands: list, constant_first: bool = False) -> Any:
    raise RuntimeError("import deepgrad.layers first: it defines the operation layers")


OPERATION: Any = _no_operations  # replaced by layers/operation.py when it loads


@dataclass(eq=False)
class Node:
    """One call of a layer on symbolic inputs: what went in and what came out."""

    layer: Any
    inputs: Any  # a SymbolicTensor, or a list/dict of them
    outputs: Any

    @property
    def input_tensors(self) -> list[SymbolicTensor]:
        return structure.flatten(self.inputs) if self.inputs is not None else []

    @property
    def output_tensors(self) -> list[SymbolicTensor]:
        return structure.flatten(self.outputs)


def is_symbolic(value: Any) -> bool:
    """A SymbolicTensor, or a list/dict holding one."""
    if isinstance(value, SymbolicTensor):
        return True
    if structure.is_structure(value):
        return any(isinstance(leaf, SymbolicTensor) for leaf in structure.flatten(value))
    return False


def call_symbolically(layer: Any, inputs: Any) -> Any:
    """Record ``layer(inputs)`` on symbolic inputs: build the layer for their shapes, find
    its output shapes by running it on zero batches of 1 and 2 samples (an axis that
    follows the batch is the batch axis), return symbolic outputs."""
    leaves = structure.flatten(inputs)
    if not all(isinstance(leaf, SymbolicTensor) for leaf in leaves):
        kinds = sorted({type(leaf).__name__ for leaf in leaves})
        raise TypeError(
            f"{layer.name}: cannot mix symbolic inputs (Input) with arrays in one call, got {kinds}"
        )
    for leaf in leaves:
        if any(size is None for size in leaf.shape[1:]):
            raise ValueError(
                f"{layer.name}: cannot be called on the symbolic input {leaf.name!r} of shape "
                f"{leaf.shape}: every axis but the batch's needs a size in deepgrad (Keras "
                "allows unknown sizes, e.g. for sequences of any length); give Input the sizes"
            )
    batch = structure.common_batch_size([leaf.shape for leaf in leaves])  # Input(batch_size)

    def zeros(rows: int) -> Any:
        return structure.map_structure(lambda t: np.zeros((rows, *t.shape[1:]), t.dtype), inputs)

    values, shapes = run_on_zero_batches(layer, zeros, batch)
    flat_shapes = iter(structure.flatten(shapes))
    node_index = len(layer._inbound_nodes)
    position = itertools.count()

    def symbolic_output(value: Any) -> SymbolicTensor:
        history = (layer, node_index, next(position))
        return SymbolicTensor(next(flat_shapes), raw_data(value).dtype, history)

    outputs = structure.map_structure(symbolic_output, values)
    layer._inbound_nodes.append(Node(layer, inputs, outputs))
    return outputs


def run_on_zero_batches(layer: Any, zeros: Any, batch: int | None) -> tuple[Any, Any]:
    """``layer`` on ``zeros(1)`` and ``zeros(2)`` (zero batches of 1 and 2 samples),
    without a gradient, in inference mode: its outputs on the first, and their symbolic
    shapes (``shape_across_batches``, of batch size ``batch``) in the same structure."""
    with no_grad():
        one = layer(zeros(1), training=False)
        two = structure.flatten(layer(zeros(2), training=False))
    shapes = iter(
        [
            shape_across_batches(np.shape(raw_data(a)), np.shape(raw_data(b)), batch)
            for a, b in zip(structure.flatten(one), two, strict=True)
        ]
    )
    return one, structure.map_structure(lambda _: next(shapes), one)


def shape_across_batches(one: tuple, two: tuple, batch: int | None) -> tuple:
    """An output's symbolic shape from its shapes on batches of 1 and 2 samples, as Keras'
    symbolic shapes: an axis that follows the batch is the batch axis (``batch``, None
    unless known), one that does not keeps its size (a sum over the batch axis gives the
    other axes' sizes only), and one that changes otherwise is unknown (None)."""
    if len(one) != len(two):
        return (None,) * len(one)
    return tuple(
        a if a == b else batch if (a, b) == (1, 2) else None for a, b in zip(one, two, strict=True)
    )

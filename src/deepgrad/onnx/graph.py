"""A small ONNX graph under construction: nodes, constant tensors and fresh names.

Plain Python and NumPy, so the converters can be written (and read) without the ``onnx``
package; ``export.py`` turns a finished ``Graph`` into an ``onnx.ModelProto``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Node:
    """One ONNX node: ``op_type(inputs) -> outputs`` with its attributes."""

    op_type: str
    inputs: list[str]
    outputs: list[str]
    name: str
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class Graph:
    """The nodes, in evaluation order, and the constants (initializers) they read.

    >>> graph = Graph(np.dtype(np.float32))
    >>> y = graph.add("Relu", ["x"], "dense")
    >>> y, graph.nodes[0].op_type
    ('dense/Relu', 'Relu')
    """

    dtype: np.dtype
    nodes: list[Node] = field(default_factory=list)
    constants: dict[str, np.ndarray] = field(default_factory=dict)
    integer_tensors: set[str] = field(default_factory=set)
    _used: set[str] = field(default_factory=set)

    def fresh(self, name: str) -> str:
        """``name``, or ``name_1``, ``name_2``, ... if it is taken."""
        candidate, count = name, 0
        while candidate in self._used:
            count += 1
            candidate = f"{name}_{count}"
        self._used.add(candidate)
        return candidate

    def add(self, op_type: str, inputs: list[str], scope: str, **attributes: Any) -> str:
        """Append a node with one output, named after ``scope`` and the op; its name."""
        output = self.fresh(f"{scope}/{op_type}")
        self.nodes.append(Node(op_type, list(inputs), [output], output, attributes))
        return output

    def constant(self, name: str, value: Any, dtype: Any = None) -> str:
        """Store ``value`` as an initializer (in the graph's dtype unless told); its name."""
        array = np.array(value, dtype=dtype if dtype is not None else self.dtype)
        key = self.fresh(name)
        self.constants[key] = array
        return key

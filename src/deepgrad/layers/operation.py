"""Arithmetic on symbolic tensors: ``a + b``, ``2 * x``, ``-x``, ``x ** 2``, ``x @ y``
between the outputs of layers in a functional model become ``Operation`` layers, as Keras
3 turns them into op layers. An ``Operation`` names its op from a fixed table and holds
at most one numeric constant, so it saves as JSON like any other layer.

>>> import numpy as np, deepgrad as dg
>>> x = dg.Input((2,))
>>> model = dg.Model(x, 2.0 * x + x ** 2)
>>> model(np.array([[1.0, 3.0]], np.float32)).numpy()
array([[ 3., 15.]], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad import numpy as dnp
from deepgrad.layers import symbolic
from deepgrad.layers.base import Layer, register_serializable

OPS = {
    "add": dnp.add,
    "subtract": dnp.subtract,
    "multiply": dnp.multiply,
    "divide": dnp.divide,
    "power": dnp.power,
    "matmul": dnp.matmul,
    "negative": dnp.negative,
}


@register_serializable
class Operation(Layer):
    """``op`` applied to the inputs (one or two), with ``constant`` as the other operand
    when one is a number (first when ``constant_first``: ``2 - x``)."""

    def __init__(
        self, op: str, constant: Any = None, constant_first: bool = False, **kwargs: Any
    ) -> None:
        if op not in OPS:
            raise ValueError(f"Operation: unknown op {op!r}; known: {sorted(OPS)}")
        self.op, self.constant_first = op, bool(constant_first)
        self.constant = None if constant is None else np.asarray(constant).tolist()
        super().__init__(**kwargs)

    def call(self, inputs: Any) -> Any:
        operands = list(inputs) if isinstance(inputs, list | tuple) else [inputs]
        if self.constant is not None:
            constant = np.asarray(self.constant, self.dtype)
            operands = [constant, *operands] if self.constant_first else [*operands, constant]
        return OPS[self.op](*operands)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "op": self.op,
            "constant": self.constant,
            "constant_first": self.constant_first,
        }


def _apply(op: str, operands: list, constant_first: bool = False) -> Any:
    """``Operation(op)`` called on the symbolic operands; a number among them becomes the
    layer's constant."""
    tensors = [x for x in operands if isinstance(x, symbolic.SymbolicTensor)]
    numbers = [x for x in operands if not isinstance(x, symbolic.SymbolicTensor)]
    for number in numbers:
        if not isinstance(number, int | float | np.number | np.ndarray | list):
            raise TypeError(
                f"{op}: a symbolic tensor combines with another symbolic tensor or a number, "
                f"got {type(number).__name__}"
            )
    constant = numbers[0] if numbers else None
    layer = Operation(op, constant=constant, constant_first=constant_first, dtype=tensors[0].dtype)
    return layer(tensors if len(tensors) > 1 else tensors[0])


symbolic.OPERATION = _apply

"""``Input(shape)``: the symbolic entry point of a functional model, and ``InputLayer``,
the layer it belongs to (the first rows of a functional model's ``summary``).

>>> inputs = Input((4,), name="features")
>>> inputs.shape, inputs.name
((None, 4), 'features')
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad import numpy as dnp
from deepgrad.layers.base import Layer, register_serializable
from deepgrad.layers.symbolic import Node, SymbolicTensor
from deepgrad.tensor import Tensor, raw_data


@register_serializable
class InputLayer(Layer):
    """Holds the shape and dtype of one input of a functional model; passes values on."""

    def __init__(self, shape: Any = None, batch_size: int | None = None, **kwargs: Any) -> None:
        if shape is None:
            raise TypeError("InputLayer: give the shape of one sample, e.g. shape=(4,)")
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        if any(n is not None and (not isinstance(n, int | np.integer) or n < 0) for n in shape):
            raise ValueError(f"Input: shape must hold non-negative integers or None, got {shape}")
        self.shape = tuple(None if n is None else int(n) for n in shape)
        self.batch_size = batch_size
        super().__init__(**kwargs)
        self.built = True
        self.input_shape = self.output_shape = (batch_size, *self.shape)
        output = SymbolicTensor(self.input_shape, self.dtype, (self, 0, 0), self.name)
        self._inbound_nodes.append(Node(self, None, output))

    @property
    def input(self) -> SymbolicTensor:
        """The symbolic tensor this layer stands for (its input is its output)."""
        return self.output

    def call(self, inputs: Any) -> Any:
        return inputs

    def get_config(self) -> dict:
        return {**super().get_config(), "shape": list(self.shape), "batch_size": self.batch_size}


def Input(
    shape: Any = None,
    batch_size: int | None = None,
    dtype: Any = None,
    *,
    name: str | None = None,
) -> SymbolicTensor:
    """A symbolic input of ``shape`` (one sample's shape, without the batch axis): call
    layers on it and pass it to ``Model(inputs, outputs)``.

    ``name`` is keyword-only: Keras' fourth argument is ``sparse`` (then ``ragged``,
    ``batch_shape``), so ``Input((3,), None, "float32", False)`` raises a ``TypeError``
    rather than name the input ``False``.

    >>> Input((3,), None, "float32", name="features").shape
    (None, 3)
    """
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name).output


def cast_to_input_dtype(value: Any, dtype: np.dtype) -> Any:
    """Data for an integer (or bool) ``Input`` in that dtype, floats truncated toward zero,
    as Keras 3 casts a model's inputs to their ``Input``'s dtype. Other data is left to the
    layers (a float layer casts to its own dtype; ``Embedding`` keeps integer indices).

    >>> cast_to_input_dtype(np.array([[0.7, 1.5, -2.3]]), np.dtype("int32"))
    array([[ 0,  1, -2]], dtype=int32)
    """
    if dtype.kind not in "iub":
        return value
    data = raw_data(value)
    if not hasattr(data, "dtype") or data.dtype == dtype:
        return value
    return dnp.astype(value, dtype) if isinstance(value, Tensor) else np.asarray(data).astype(dtype)

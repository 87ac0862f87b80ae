"""``model.using_weights(values)``: run the model with its trainable weights replaced by
other values, such as the ones ``deepgrad.grad`` traces. This is how Keras' JAX-flavoured
``stateless_call`` reads in deepgrad: differentiate a function of the weights' values.

>>> import numpy as np, deepgrad as dg
>>> model = dg.Sequential([dg.layers.Dense(1, use_bias=False, input_shape=(2,))])
>>> x = np.array([[1.0, 2.0]], np.float32)
>>> def loss(weights):
...     with model.using_weights(weights):
...         return (model(x) ** 2).sum()
>>> grads = dg.grad(loss)([np.array([[1.0], [1.0]], np.float32)])
>>> grads[0].ravel()  # d/dw (x·w)² = 2 (x·w) x, with x·w = 3
array([ 6., 12.], dtype=float32)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from deepgrad.layers.weight_lists import structure_changed
from deepgrad.tensor import Tensor, raw_data


@contextlib.contextmanager
def using_weights(model: Any, values: Sequence[Any]) -> Iterator[None]:
    """Inside the block each of ``model.trainable_weights`` is ``values[i]`` (an array or
    a Tensor, traced or not) wherever a layer reads it: its attribute and its weight list,
    so ``call``, the regularisation penalties and ``compute_loss`` all see the values."""
    weights = model.trainable_weights
    values = list(values)
    if len(values) != len(weights):
        raise ValueError(
            f"{model.name}.using_weights: {len(values)} values for {len(weights)} trainable "
            "weights (give them in trainable_weights order)"
        )
    replacement = {}
    for weight, value in zip(weights, values, strict=True):
        if np.shape(raw_data(value)) != weight.shape:
            raise ValueError(
                f"{model.name}.using_weights: a value of shape {np.shape(raw_data(value))} for "
                f"a weight of shape {weight.shape}"
            )
        replacement[id(weight)] = value if isinstance(value, Tensor) else Tensor(value)
    undo: list = []
    try:
        for layer in model._layers_within():
            for i, (name, weight, trainable, regularizer) in enumerate(layer._own_weights):
                if id(weight) in replacement:
                    new = replacement[id(weight)]
                    layer._own_weights[i] = (name, new, trainable, regularizer)
                    structure_changed()
                    undo.append((layer._own_weights, i, (name, weight, trainable, regularizer)))
            for attribute, value in list(vars(layer).items()):
                if isinstance(value, Tensor) and id(value) in replacement:
                    setattr(layer, attribute, replacement[id(value)])
                    undo.append((layer, attribute, value))
        yield
    finally:
        for owner, key, original in reversed(undo):
            if isinstance(owner, list):
                owner[key] = original
                structure_changed()
            else:
                setattr(owner, key, original)

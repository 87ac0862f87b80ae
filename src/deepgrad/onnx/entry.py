"""How a model's input reaches the first layer reading it, cast as deepgrad casts it.

A model casts float data to its own dtype (a ``Sequential`` whose ``Input`` is an integer
dtype then truncates it to that dtype); the layer receiving the data (a NumPy array, not
yet a tensor) casts float data to its own dtype, and integer data where it casts integers
(``Dense`` to its kernel's dtype); ``Embedding`` takes indices as they are. Later layers
receive tensors and cast nothing: NumPy's promotion with the weights decides.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad import layers as L
from deepgrad.models import Model, Sequential
from deepgrad.onnx.errors import ExportError
from deepgrad.onnx.graph import Graph
from deepgrad.tensor import raw_data

#: NumPy dtype → ``onnx.TensorProto`` element type, for ``Cast``
TENSOR_TYPES = {
    np.dtype(np.float16): 10,
    np.dtype(np.float32): 1,
    np.dtype(np.float64): 11,
    np.dtype(np.bool_): 9,
    np.dtype(np.int8): 3,
    np.dtype(np.int16): 5,
    np.dtype(np.int32): 6,
    np.dtype(np.int64): 7,
    np.dtype(np.uint8): 2,
    np.dtype(np.uint16): 4,
    np.dtype(np.uint32): 12,
    np.dtype(np.uint64): 13,
}


def entry_layers(layer: Any) -> list[Any]:
    """``layer``, and inside a ``Sequential`` the layers its input reaches first."""
    if type(layer) is not Sequential:
        return [layer]
    inner = [item for item in layer.layers if type(item) is not L.InputLayer]
    return [layer, *entry_layers(inner[0])] if inner else [layer]


def cast_by(layer: Any, dtype: np.dtype, source: str) -> np.dtype:
    """The dtype of data of ``dtype`` (the model input ``source``) once ``layer`` has it."""
    if isinstance(layer, Model):
        dtype = np.dtype(layer.dtype) if dtype.kind == "f" else dtype
        given = getattr(layer, "_input_dtype", None)
        return given if given is not None and given.kind in "iub" else dtype
    if type(layer) is L.Embedding:  # its indices are not cast (that would round them)
        return dtype
    if dtype.kind == "f" or getattr(layer, "casts_integer_inputs", False):
        return np.dtype(layer.dtype)
    if type(layer) is L.Dense:
        return np.dtype(raw_data(layer.kernel).dtype)
    raise ExportError(
        f"{layer.name} ({type(layer).__name__}): reads the model's {dtype.name} input "
        f"{source!r} as it is; deepgrad computes on integers with NumPy's promotion, which "
        "has no ONNX form: read it with a layer that casts it (Dense, Embedding, ...)"
    )


def entry_dtype(layers: list[Any], dtype: np.dtype, source: str) -> np.dtype:
    """The dtype of the model input ``source`` after the casts of ``layers`` in turn."""
    for layer in layers:
        dtype = cast_by(layer, dtype, source)
    return dtype


def cast_entry(graph: Graph, x: str, dtype: np.dtype, layers: list[Any]) -> str:
    """The model input ``x`` (of ``dtype``) cast as ``layers`` cast it in turn; a float
    result must be the graph's dtype (the weights'), since later layers cast nothing."""
    source = x
    for layer in layers:
        target = cast_by(layer, dtype, source)
        if target != dtype:
            x = graph.add("Cast", [x], f"{layer.name}/input", to=TENSOR_TYPES[target])
            dtype = target
    if dtype.kind != "f":
        graph.integer_tensors.add(x)
    elif dtype != graph.dtype:
        last = layers[-1]
        raise ExportError(
            f"{last.name} ({type(last).__name__}): casts the model's input {source!r} to "
            f"{dtype.name} but the graph computes in {graph.dtype.name} (its weights'); "
            "deepgrad would compute that layer in its own dtype, which one ONNX graph cannot: "
            "give the layers one dtype before exporting"
        )
    return x

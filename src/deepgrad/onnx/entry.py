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


def entry_layers(layer: Any) -> list[tuple[Any, bool]]:
    """``layer``, and inside a ``Sequential`` the layers its input reaches first, each with
    whether it receives the data as an array (and casts it). An ``InputLayer`` in a
    ``Sequential``'s layers casts it and passes on a tensor, which the next layer does not
    cast."""
    inner = layer.layers if type(layer) is Sequential else []
    if not inner:
        return [(layer, True)]
    if type(inner[0]) is not L.InputLayer:
        return [(layer, True), *entry_layers(inner[0])]
    return [(layer, True), (inner[0], True), *[(item, False) for item in inner[1:2]]]


def cast_by(layer: Any, dtype: np.dtype, source: str, array: bool = True) -> np.dtype:
    """The dtype of data of ``dtype`` (the model input ``source``) once ``layer`` has it,
    as an array (``array``) or as a tensor, which only ``Dense`` converts (integers)."""
    if isinstance(layer, Model):
        dtype = np.dtype(layer.dtype) if dtype.kind == "f" and array else dtype
        given = getattr(layer, "_input_dtype", None)
        return given if given is not None and given.kind in "iub" else dtype
    if type(layer) is L.Embedding or (dtype.kind == "f" and not array):
        return dtype  # indices are not cast (that would round them); tensors are not cast
    if array and (dtype.kind == "f" or getattr(layer, "casts_integer_inputs", False)):
        return np.dtype(layer.dtype)
    if type(layer) is L.InputLayer:
        return dtype
    if type(layer) is L.Dense:
        return np.dtype(raw_data(layer.kernel).dtype)
    raise ExportError(
        f"{layer.name} ({type(layer).__name__}): reads the model's {dtype.name} input "
        f"{source!r} as it is; deepgrad computes on integers with NumPy's promotion, which "
        "has no ONNX form: read it with a layer that casts it (Dense, Embedding, ...)"
    )


def entry_dtype(layers: list[tuple[Any, bool]], dtype: np.dtype, source: str) -> np.dtype:
    """The dtype of the model input ``source`` after the casts of ``layers`` in turn."""
    for layer, array in layers:
        dtype = cast_by(layer, dtype, source, array)
    return dtype


def cast_entry(graph: Graph, x: str, dtype: np.dtype, layers: list[tuple[Any, bool]]) -> str:
    """The model input ``x`` (of ``dtype``) cast as ``layers`` cast it in turn; a float
    result must be the graph's dtype (the weights'), since later layers cast nothing."""
    from onnx import helper  # (the exporter has imported onnx, or refused, by now)

    source, caster = x, layers[0][0]
    for layer, array in layers:
        target = cast_by(layer, dtype, source, array)
        if target != dtype:
            to = helper.np_dtype_to_tensor_dtype(target)  # onnx.TensorProto's number
            x = graph.add("Cast", [x], f"{layer.name}/input", to=to)
            dtype, caster = target, layer
    if dtype.kind != "f":
        graph.integer_tensors.add(x)
    elif dtype != graph.dtype:
        raise ExportError(
            f"{caster.name} ({type(caster).__name__}): casts the model's input {source!r} to "
            f"{dtype.name} but the ONNX graph computes in {graph.dtype.name} (one float type "
            "for the whole graph, its weights'); deepgrad computes from there in "
            f"{dtype.name}: give the layers one dtype before exporting"
        )
    return x

"""``export(model, path)``: a built deepgrad model as an ONNX file, opset ``OPSET``, with a
dynamic batch dimension, written atomically.

The ``onnx`` package (``pip install "deepgrad[onnx]"``) is needed here and only here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from deepgrad import layers as L
from deepgrad.autodiff.modes import no_grad
from deepgrad.models import Model, Sequential
from deepgrad.models.functional import Functional
from deepgrad.onnx.entry import cast_entry, entry_dtype, entry_layers
from deepgrad.onnx.errors import ExportError
from deepgrad.onnx.graph import Graph, Node
from deepgrad.onnx.layers import convert_layer
from deepgrad.onnx.merging import MERGE_CONVERTERS, align_ranks
from deepgrad.saving.safetensors import write_atomic
from deepgrad.tensor import raw_data
from deepgrad.version import __version__

#: The ONNX opset of every exported graph (ONNX Runtime ≥ 1.12 runs it).
OPSET = 17
INPUT, OUTPUT = "input", "output"


def _onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise ImportError(
            'deepgrad.onnx needs the onnx package: pip install "deepgrad[onnx]"'
        ) from None
    return onnx


@dataclass
class Port:
    """A graph input or output: its name, dtype and shape (``None`` for the batch axis)."""

    name: str
    dtype: np.dtype
    shape: tuple


def _first_layer(model: Sequential) -> L.Layer:
    inner = [layer for layer in model.layers if type(layer) is not L.InputLayer]
    if not inner:
        raise ExportError(f"{model.name} (Sequential): the model has no layers to export")
    return _first_layer(inner[0]) if isinstance(inner[0], Sequential) else inner[0]


def _check_built(model: Model) -> None:
    if not model.built or model.input_shape is None:
        raise ExportError(
            f"{model.name} ({type(model).__name__}): not built; call it on data, fit it, or "
            "give the first layer an input_shape before exporting"
        )


def _graph_dtype(model: Model, entries: list[np.dtype]) -> np.dtype:
    """The dtype the layers compute in: their weights' (one ONNX graph has one float type),
    else the one float dtype the inputs reach the layers in (``entries``), else the
    model's."""
    paths: dict[np.dtype, str] = {}
    for path, weight, _, _ in model.named_weights():
        dtype = np.dtype(raw_data(weight).dtype)
        if np.issubdtype(dtype, np.floating):
            paths.setdefault(dtype, path)
    if len(paths) > 1:
        found = ", ".join(f"{dtype.name} ({path})" for dtype, path in paths.items())
        raise ExportError(
            f"{model.name} ({type(model).__name__}): weights of several dtypes, {found}; an "
            "ONNX graph computes in one: give every layer the same dtype before exporting"
        )
    if paths:
        return next(iter(paths))
    floats = {dtype for dtype in entries if dtype.kind == "f"}
    return floats.pop() if len(floats) == 1 else np.dtype(model.dtype)


def _check_output(model: Model, name: str, dtype: np.dtype, graph: Graph) -> None:
    """Refuse a float output deepgrad computes in another dtype than the graph."""
    if dtype.kind == "f" and dtype != graph.dtype:
        raise ExportError(
            f"{model.name} ({type(model).__name__}): deepgrad computes the output {name!r} in "
            f"{dtype.name} but the ONNX graph in {graph.dtype.name}; give the layers one "
            "dtype before exporting"
        )


def build_graph(model: Model) -> tuple[Graph, list[Port], list[Port]]:
    """The model's inference graph (plain Python), its inputs and its outputs."""
    if type(model) is Sequential:
        return _sequential_graph(model)
    if type(model) is Functional:
        return _functional_graph(model)
    raise ExportError(
        f"{model.name} ({type(model).__name__}): only Sequential and functional models "
        "(Model(inputs, outputs)) can be exported to ONNX; a subclassed model's call() is "
        "Python code with no graph to read"
    )


def _sequential_input_dtype(model: Sequential) -> np.dtype:
    """An integer ``Input``'s dtype; int64 indices for an ``Embedding`` first; else the
    model's dtype."""
    given = model._input_dtype
    if given is not None and given.kind in "iub":
        return given
    if type(_first_layer(model)) is L.Embedding:
        return np.dtype(np.int64)
    return np.dtype(model.dtype)


def _sequential_graph(model: Sequential) -> tuple[Graph, list[Port], list[Port]]:
    _check_built(model)
    assert model.input_shape is not None
    input_dtype = _sequential_input_dtype(model)
    entry = entry_layers(model)
    graph = Graph(_graph_dtype(model, [entry_dtype(entry, input_dtype, INPUT)]))
    graph.fresh(INPUT)
    graph.fresh(OUTPUT)
    output = convert_layer(model, graph, cast_entry(graph, INPUT, input_dtype, entry))
    graph.nodes.append(Node("Identity", [output], [OUTPUT], graph.fresh("output/Identity")))
    sample = np.zeros((1, *model.input_shape[1:]), dtype=input_dtype)
    with no_grad():
        result = raw_data(model(sample))
    _check_output(model, OUTPUT, np.dtype(result.dtype), graph)
    return (
        graph,
        [Port(INPUT, input_dtype, tuple(model.input_shape))],
        [Port(OUTPUT, graph.dtype, (None, *np.shape(result)[1:]))],
    )


def _functional_graph(model: Functional) -> tuple[Graph, list[Port], list[Port]]:
    entries = {id(t): (t, name) for t, name in zip(model.inputs, model.input_names, strict=True)}
    graph = Graph(_graph_dtype(model, _entry_dtypes(model, entries)))
    names = {key: graph.fresh(name) for key, (_, name) in entries.items()}
    inputs = [Port(names[key], np.dtype(t.dtype), t.shape) for key, (t, _) in entries.items()]
    output_names = [graph.fresh(name) for name in model.output_names]
    for node in model._nodes:
        if type(node.layer) is L.InputLayer:
            continue
        xs = [
            cast_entry(graph, names[id(t)], np.dtype(t.dtype), _reading(model, node.layer))
            if id(t) in entries
            else names[id(t)]
            for t in node.input_tensors
        ]
        merge = MERGE_CONVERTERS.get(type(node.layer))
        if merge is not None:
            xs = align_ranks(node.layer, graph, xs, [len(t.shape) for t in node.input_tensors])
            results = [merge(node.layer, graph, xs)]
        elif len(xs) == 1:
            results = [convert_layer(node.layer, graph, xs[0])]
        else:
            raise ExportError(
                f"{node.layer.name} ({type(node.layer).__name__}): a layer with "
                f"{len(xs)} inputs and no ONNX form"
            )
        for tensor, result in zip(node.output_tensors, results, strict=True):
            names[id(tensor)] = result
    outputs = []
    for tensor, name in zip(model.outputs, output_names, strict=True):
        graph.nodes.append(
            Node("Identity", [names[id(tensor)]], [name], graph.fresh(f"{name}/Identity"))
        )
        _check_output(model, name, np.dtype(tensor.dtype), graph)
        outputs.append(Port(name, tensor.dtype, tensor.shape))
    return graph, inputs, outputs


def _reading(model: Functional, layer: L.Layer) -> list[tuple[Any, bool]]:
    """The model, then ``layer`` (and its first layers): what casts an input ``layer`` reads."""
    return [(model, True), *entry_layers(layer)]


def _entry_dtypes(model: Functional, entries: dict[int, tuple[Any, str]]) -> list[np.dtype]:
    """The dtype each layer reading a model input casts it to."""
    dtypes = []
    for node in model._nodes:
        if type(node.layer) is L.InputLayer:
            continue
        for tensor in node.input_tensors:
            if id(tensor) in entries:
                layers = _reading(model, node.layer)
                name = entries[id(tensor)][1]
                dtypes.append(entry_dtype(layers, np.dtype(tensor.dtype), name))
    return dtypes


def to_proto(model: Model) -> Any:
    """The model as an ``onnx.ModelProto`` (checked by ``onnx.checker``)."""
    onnx = _onnx()
    from onnx import helper, numpy_helper

    graph, inputs, outputs = build_graph(model)

    def info(port: Port) -> Any:
        dims: list[Any] = ["batch", *port.shape[1:]]
        return helper.make_tensor_value_info(
            port.name, helper.np_dtype_to_tensor_dtype(port.dtype), dims
        )

    nodes = [
        helper.make_node(n.op_type, n.inputs, n.outputs, name=n.name, **n.attributes)
        for n in graph.nodes
    ]
    initializers = [numpy_helper.from_array(value, name) for name, value in graph.constants.items()]
    proto = helper.make_model(
        helper.make_graph(
            nodes, model.name, [info(p) for p in inputs], [info(p) for p in outputs], initializers
        ),
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="deepgrad",
        producer_version=__version__,
    )
    proto.ir_version = 8  # the IR version of opset 17 (ONNX 1.12), so older runtimes load it
    onnx.checker.check_model(proto, full_check=True)
    return proto


def export(model: Model, path: str | os.PathLike) -> None:
    """Write ``model`` (a built ``Sequential`` or functional model) to ``path`` as ONNX,
    opset 17, with a dynamic batch dimension, atomically. A ``Sequential``'s input is named
    ``input`` and its output ``output``; a functional model's keep their names.

    >>> import numpy as np, onnxruntime, tempfile, os
    >>> import deepgrad as dg
    >>> from deepgrad import layers
    >>> model = dg.Sequential([layers.Dense(4, activation="gelu", input_shape=(3,)),
    ...                        layers.Dense(2)])
    >>> path = os.path.join(tempfile.mkdtemp(), "model.onnx")
    >>> export(model, path)
    >>> x = np.ones((5, 3), np.float32)
    >>> session = onnxruntime.InferenceSession(path)
    >>> np.allclose(session.run(None, {"input": x})[0], model.predict(x, verbose=0), atol=1e-5)
    True
    """
    write_atomic(path, to_proto(model).SerializeToString())

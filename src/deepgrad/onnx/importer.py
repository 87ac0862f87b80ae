"""``load(path)``: an ONNX chain of Gemm/MatMul/Add/activation nodes, as
``torch.onnx.export`` writes for an ``nn.Sequential`` of ``Linear`` layers and activations
(and ``BatchNorm1d`` in eval mode, ``LayerNorm``), read back into a deepgrad ``Sequential``
with its weights.

Only a chain is read: each node takes the previous node's output (plus constants), except
inside the groups of nodes PyTorch writes for one activation or layer (GELU, SiLU, hard
SiLU, Mish, LayerNorm below opset 17), which ``patterns.py`` reads whole. Any other op, a
branch, or a second input raises ``ImportGraphError`` naming the node, and so does a node
whose attributes or opset make it compute what no deepgrad layer does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from deepgrad import layers as L
from deepgrad.models import Sequential
from deepgrad.onnx.errors import ImportGraphError
from deepgrad.onnx.export import _onnx
from deepgrad.onnx.patterns import GraphView, read_pattern
from deepgrad.onnx.read_activations import ACTIVATION_READERS
from deepgrad.tensor import raw_data


@dataclass
class _Dense:
    """A Dense layer read from Gemm, or from MatMul and then an Add (its bias)."""

    kernel: np.ndarray
    bias: np.ndarray | None


class _Chain:
    """The layers read so far, the name of the tensor the chain has reached, the constants."""

    def __init__(self, graph: Any, numpy_helper: Any, opset: int) -> None:
        self.opset = opset
        self.constants = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
        inputs = [i for i in graph.input if i.name not in self.constants]
        if len(inputs) != 1:
            raise ImportGraphError(
                f"load: expected one graph input, got {[i.name for i in inputs]}"
            )
        self.input = inputs[0]
        self.current = self.input.name
        # the rank of the chain's tensor: the input's; 2 after Flatten; a Reshape's length
        self.rank = len(self.input.type.tensor_type.shape.dim)
        self.layers: list[L.Layer | _Dense] = []
        # (node name, layer, weight name, value): set once the model is built
        self.weights: list[tuple[str, L.Layer, str, np.ndarray]] = []
        self.numpy_helper = numpy_helper

    def constant(self, node: Any, name: str) -> np.ndarray:
        if name not in self.constants:
            raise ImportGraphError(
                f"load: node {node.name!r} ({node.op_type}) reads {name!r}, which is neither "
                "the previous node's output nor a constant: only a chain of layers can be read"
            )
        return self.constants[name]

    def follow(self, node: Any) -> list[str]:
        """The node's other inputs, after checking that its first is the chain's tensor."""
        if not node.input or node.input[0] != self.current:
            raise ImportGraphError(
                f"load: node {node.name!r} ({node.op_type}) does not read the previous "
                f"layer's output {self.current!r}: only a chain of layers can be read"
            )
        self.current = node.output[0]
        return list(node.input[1:])


def _attributes(node: Any, onnx: Any) -> dict[str, Any]:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _gemm(chain: _Chain, node: Any, attrs: dict) -> None:
    rest = chain.follow(node)
    if attrs.get("transA", 0):
        raise ImportGraphError(f"load: node {node.name!r} (Gemm) has transA=1; not a Linear layer")
    if chain.rank != 2:
        raise ImportGraphError(
            f"load: node {node.name!r} (Gemm) multiplies a rank-{chain.rank} input; ONNX's "
            "Gemm takes matrices (MatMul broadcasts over leading axes)"
        )
    kernel = chain.constant(node, rest[0])
    if attrs.get("transB", 0):
        kernel = kernel.T
    kernel = kernel * attrs.get("alpha", 1.0)
    bias = None
    if len(rest) > 1 and rest[1]:
        c = chain.constant(node, rest[1]) * attrs.get("beta", 1.0)
        bias = _per_output(node, c, (1, kernel.shape[1])).reshape(-1)
    _add_dense(chain, kernel, bias)


def _per_output(node: Any, bias: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``bias`` broadcast to ``shape`` (ones, then the outputs): one value per output, the
    same for every sample; any other shape would mix samples or add axes."""
    try:
        fits = bias.ndim <= len(shape) and np.broadcast_shapes(bias.shape, shape) == shape
    except ValueError:
        fits = False
    if not fits:
        raise ImportGraphError(
            f"load: node {node.name!r} ({node.op_type}) adds a constant of shape "
            f"{list(bias.shape)} to a product of shape {['batch', *shape[1:]]}: only one "
            "value per output (a bias) can be read"
        )
    return np.broadcast_to(bias, shape)


def _add_dense(chain: _Chain, kernel: np.ndarray, bias: np.ndarray | None) -> None:
    chain.layers.append(_Dense(kernel, bias))


def _matmul(chain: _Chain, node: Any, attrs: dict) -> None:
    (weight,) = chain.follow(node)
    kernel = chain.constant(node, weight)
    if kernel.ndim != 2:
        raise ImportGraphError(
            f"load: node {node.name!r} (MatMul) multiplies by a constant of shape "
            f"{list(kernel.shape)}: only a matrix (a Dense layer's kernel) can be read"
        )
    _add_dense(chain, kernel, None)


def _add(chain: _Chain, node: Any, attrs: dict) -> None:
    """An Add right after a MatMul is that Dense layer's bias."""
    (other,) = chain.follow(node)
    bias = chain.constant(node, other)
    last = chain.layers[-1] if chain.layers else None
    if not isinstance(last, _Dense) or last.bias is not None:
        raise ImportGraphError(
            f"load: node {node.name!r} (Add) does not follow a MatMul: only a bias added to "
            "a matrix product can be read"
        )
    _check_legacy_broadcast(chain, node, attrs, bias)
    shape = (*[1] * (chain.rank - 1), last.kernel.shape[1])
    last.bias = _per_output(node, bias, shape).reshape(-1)


def _check_legacy_broadcast(chain: _Chain, node: Any, attrs: dict, bias: np.ndarray) -> None:
    """Before opset 7 an ``Add``'s ``axis`` puts the constant's axes from that axis on (the
    spec's example: (3, 4) added to (2, 3, 4, 5) at axis 1), not at the last axes."""
    if chain.opset >= 7 or "axis" not in attrs:
        return
    axis = attrs["axis"] % chain.rank
    if axis + bias.ndim != chain.rank:
        raise ImportGraphError(
            f"load: node {node.name!r} (Add, opset {chain.opset}) has axis={attrs['axis']}: "
            f"its constant of shape {list(bias.shape)} lines up with axes {axis} to "
            f"{axis + bias.ndim - 1} of the rank-{chain.rank} product, not with its last "
            "axes: only a bias per output can be read"
        )


def _identity(chain: _Chain, node: Any, attrs: dict) -> None:
    chain.follow(node)  # Identity


def _dropout(chain: _Chain, node: Any, attrs: dict) -> None:
    """The identity at inference: opset 12's ``training_mode`` input false or absent, and
    before opset 7 the ``is_test`` attribute set (its default, 0, is training)."""
    rest = chain.follow(node)
    training = len(rest) > 1 and rest[1] and bool(chain.constant(node, rest[1]))
    _refuse_training_mode(chain, node, attrs, bool(training), "random masks")


def _refuse_training_mode(
    chain: _Chain, node: Any, attrs: dict, training: bool, what_changes: str
) -> None:
    """Refuse a node in training mode: as its opset says (``training``), or before opset 7
    without the ``is_test`` attribute (its default, 0, is training)."""
    if training or (chain.opset < 7 and not attrs.get("is_test", 0)):
        raise ImportGraphError(
            f"load: node {node.name!r} ({node.op_type}) is in training mode ({what_changes}): "
            "only an inference graph can be read; export the model in eval mode"
        )


def _flatten(chain: _Chain, node: Any, attrs: dict) -> None:
    chain.follow(node)
    if attrs.get("axis", 1) != 1:
        raise ImportGraphError(
            f"load: node {node.name!r} (Flatten) has axis {attrs['axis']}, not 1"
        )
    chain.layers.append(L.Flatten())
    chain.rank = 2


def _batch_norm(chain: _Chain, node: Any, attrs: dict) -> None:
    """BatchNormalization at inference, over axis 1 (the channels), with its running
    statistics: deepgrad's layer at inference computes the same formula."""
    rest = chain.follow(node)
    training = attrs.get("training_mode", 0) or len([o for o in node.output if o]) > 1
    _refuse_training_mode(chain, node, attrs, bool(training), "batch statistics")
    if not attrs.get("spatial", 1) and chain.rank > 2:
        raise ImportGraphError(
            f"load: node {node.name!r} (BatchNormalization) has spatial=0 (statistics per "
            "element): only statistics per channel (axis 1) can be read"
        )
    if len(rest) != 4:
        raise ImportGraphError(
            f"load: node {node.name!r} (BatchNormalization) has {len(rest) + 1} inputs, not 5"
        )
    dtype = chain.constant(node, rest[0]).dtype
    layer = L.BatchNormalization(axis=1, epsilon=attrs.get("epsilon", 1e-5), dtype=dtype)
    chain.layers.append(layer)
    for weight, value in zip(
        ("gamma", "beta", "moving_mean", "moving_variance"), rest, strict=True
    ):
        chain.weights.append((node.name, layer, weight, chain.constant(node, value)))


def _layer_norm(chain: _Chain, node: Any, attrs: dict) -> None:
    """LayerNormalization over the last axis (ONNX normalizes over every axis from ``axis``
    on, deepgrad over one: the same only for the last)."""
    rest = chain.follow(node)
    if len([o for o in node.output if o]) > 1:
        raise ImportGraphError(
            f"load: node {node.name!r} (LayerNormalization) has its mean or inverse deviation "
            "as outputs: only the normalized tensor can be read"
        )
    axis = attrs.get("axis", -1)
    if axis % chain.rank != chain.rank - 1:
        raise ImportGraphError(
            f"load: node {node.name!r} (LayerNormalization) normalizes over axes {axis} to "
            f"-1 of its rank-{chain.rank} input together; only the last axis can be read"
        )
    scale = chain.constant(node, rest[0])
    bias = chain.constant(node, rest[1]) if len(rest) > 1 and rest[1] else None
    layer = L.LayerNormalization(
        axis=-1, epsilon=attrs.get("epsilon", 1e-5), center=bias is not None, dtype=scale.dtype
    )
    chain.layers.append(layer)
    chain.weights.append((node.name, layer, "gamma", scale))
    if bias is not None:
        chain.weights.append((node.name, layer, "beta", bias))


def _reshape(chain: _Chain, node: Any, attrs: dict) -> None:
    """A Reshape by a constant shape that keeps the batch axis (0, or −1 with the rest
    fixed), as the dynamo exporter writes ``nn.Flatten``."""
    rest = chain.follow(node)
    if chain.opset < 5:  # the shape is an attribute before opset 5, an input from 5 on
        shape = [int(n) for n in attrs.get("shape", [])]
    elif rest and rest[0]:
        shape = [int(n) for n in chain.constant(node, rest[0]).reshape(-1)]
    else:
        raise ImportGraphError(f"load: node {node.name!r} (Reshape) has no shape input")
    copies_batch = bool(shape) and shape[0] == 0 and not attrs.get("allowzero", 0)
    infers_batch = bool(shape) and shape[0] == -1 and -1 not in shape[1:]
    if not (copies_batch or infers_batch) or 0 in shape[1:]:
        raise ImportGraphError(
            f"load: node {node.name!r} (Reshape) reshapes to {shape}: only a shape that keeps "
            "the batch axis (first entry 0 or -1) can be read"
        )
    chain.layers.append(L.Reshape(tuple(shape[1:])))
    chain.rank = len(shape)


_READERS = {
    "Gemm": _gemm,
    "MatMul": _matmul,
    "Add": _add,
    "Identity": _identity,
    "Dropout": _dropout,
    "Flatten": _flatten,
    "Reshape": _reshape,
    "BatchNormalization": _batch_norm,
    "LayerNormalization": _layer_norm,
    **ACTIVATION_READERS,
}


# a Constant node's value attribute → the NumPy dtype of its scalar or list forms
_CONSTANT_FORMS = {
    "value_float": np.float32,
    "value_floats": np.float32,
    "value_int": np.int64,
    "value_ints": np.int64,
}


def _constant(node: Any, onnx: Any, numpy_helper: Any) -> np.ndarray:
    """The value of a Constant node, in any of its dense forms."""
    attribute = node.attribute[0] if len(node.attribute) == 1 else None
    if attribute is not None and attribute.name == "value":
        return numpy_helper.to_array(attribute.t)
    if attribute is not None and attribute.name in _CONSTANT_FORMS:
        value = onnx.helper.get_attribute_value(attribute)
        return np.array(value, dtype=_CONSTANT_FORMS[attribute.name])
    names = [a.name for a in node.attribute]
    raise ImportGraphError(
        f"load: node {node.name!r} (Constant) has attributes {names}; readable: value, "
        f"{', '.join(_CONSTANT_FORMS)}"
    )


def load(path: str | os.PathLike) -> Sequential:
    """Read an ONNX file of a chain of Gemm/MatMul/Add/activation nodes into a ``Sequential``.

    A round trip through deepgrad's own exporter (tests/onnx reads PyTorch's files):

    >>> import os, tempfile, numpy as np
    >>> import deepgrad as dg
    >>> from deepgrad import layers
    >>> from deepgrad.onnx import export
    >>> model = dg.Sequential([layers.Dense(4, activation="relu", input_shape=(3,)),
    ...                        layers.Dense(2)])
    >>> path = os.path.join(tempfile.mkdtemp(), "model.onnx")
    >>> export(model, path)
    >>> loaded = load(path)
    >>> [type(layer).__name__ for layer in loaded.layers]
    ['Dense', 'Activation', 'Dense']
    >>> x = np.ones((2, 3), np.float32)
    >>> np.array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    True
    """
    onnx = _onnx()
    from onnx import helper, numpy_helper

    proto = onnx.load(os.fspath(path))
    opsets = [o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")]
    chain = _Chain(proto.graph, numpy_helper, opsets[0] if opsets else 1)
    nodes = [node for node in proto.graph.node if node.op_type != "Constant"]
    for node in proto.graph.node:
        if node.op_type == "Constant":
            chain.constants[node.output[0]] = _constant(node, onnx, numpy_helper)
    outputs = [o.name for o in proto.graph.output]
    view = GraphView(nodes, chain.constants, outputs)
    read: set[int] = set()  # the nodes read as part of a pattern
    for node in nodes:
        if id(node) not in read and not _read_pattern(chain, view, node, read):
            _read_node(chain, node, onnx)
    if outputs != [chain.current]:
        raise ImportGraphError(
            f"load: the graph's outputs {outputs} are not the end of the chain {chain.current!r}"
        )
    input_dtype = helper.tensor_dtype_to_np_dtype(chain.input.type.tensor_type.elem_type)
    return _built(chain, input_dtype)


def _read_pattern(chain: _Chain, view: GraphView, node: Any, read: set[int]) -> bool:
    """Read the pattern (GELU, SiLU, ...) starting at the chain's tensor, if ``node`` reads
    that tensor and one does; whether it did."""
    match = read_pattern(view, chain.current, chain.rank) if chain.current in node.input else None
    if match is None:
        return False
    chain.layers.append(match.layer)
    chain.weights.extend((match.nodes[-1].name, match.layer, w, v) for w, v in match.weights)
    chain.current = match.output
    read.update(id(n) for n in match.nodes)
    return True


def _read_node(chain: _Chain, node: Any, onnx: Any) -> None:
    reader = _READERS.get(node.op_type) if node.domain in ("", "ai.onnx") else None
    if reader is None:
        raise ImportGraphError(
            f"load: node {node.name!r} has op type {node.op_type!r}, which deepgrad cannot "
            f"read; readable: {', '.join(sorted(_READERS))}, Constant"
        )
    reader(chain, node, _attributes(node, onnx))


def _built(chain: _Chain, input_dtype: np.dtype) -> Sequential:
    """The Sequential of the chain's layers, in the dtype of its first kernel, or of the
    graph's input where it has none (a float64 graph of activations alone stays float64)."""
    dims = chain.input.type.tensor_type.shape.dim
    features = [d.dim_value if d.HasField("dim_value") else None for d in dims][1:]
    if not features or any(d is None for d in features):
        raise ImportGraphError(
            f"load: the input {chain.input.name!r} must have a fixed shape after the batch "
            f"axis, got {[d.dim_param or d.dim_value for d in dims]}"
        )
    kernels = [item.kernel for item in chain.layers if isinstance(item, _Dense)]
    floating = input_dtype if input_dtype.kind == "f" else np.dtype(np.float32)
    dtype = kernels[0].dtype if kernels else floating
    layers: list[L.Layer] = []
    denses: list[tuple[L.Dense, _Dense]] = []
    for item in chain.layers:
        if isinstance(item, _Dense):
            dense = L.Dense(item.kernel.shape[1], use_bias=item.bias is not None, dtype=dtype)
            denses.append((dense, item))
            layers.append(dense)
        else:
            item.dtype = np.dtype(dtype)  # an activation's too: it casts its input to it
            layers.append(item)
    model = Sequential(layers, dtype=dtype)
    model.build_for((None, *features))
    for dense, item in denses:
        if tuple(dense.kernel.shape) != item.kernel.shape:
            raise ImportGraphError(
                f"load: {dense.name} has a kernel of shape {item.kernel.shape} but its input "
                f"has {dense.kernel.shape[0]} features"
            )
        raw_data(dense.kernel)[...] = item.kernel
        if item.bias is not None:
            raw_data(dense.bias)[...] = item.bias
    for node_name, layer, weight, value in chain.weights:
        target = raw_data(getattr(layer, weight))
        if value.size != 1 and value.shape != target.shape:
            raise ImportGraphError(
                f"load: node {node_name!r} has a {weight} of shape {list(value.shape)} for "
                f"{target.shape[0]} features"
            )
        target[...] = value
    return model

"""``load(path)``: an ONNX chain of Gemm/MatMul/Add/activation nodes, as
``torch.onnx.export`` writes for an ``nn.Sequential`` of ``Linear`` layers and activations,
read back into a deepgrad ``Sequential`` with its weights.

Only a chain is read: each node takes the previous node's output (plus constants). Any other
op, a branch, or a second input raises ``ImportGraphError`` naming the node.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from deepgrad import activations
from deepgrad import layers as L
from deepgrad.models import Sequential
from deepgrad.onnx.errors import ImportGraphError
from deepgrad.onnx.export import _onnx
from deepgrad.tensor import raw_data

# ONNX op → the deepgrad activation computing the same function (attributes handled below)
_ACTIVATIONS = {
    "Relu": "relu",
    "Tanh": "tanh",
    "Sigmoid": "sigmoid",
    "Softplus": "softplus",
    "Softsign": "softsign",
    "Exp": "exponential",
    "Selu": "selu",
}


@dataclass
class _Dense:
    """A Dense layer read from Gemm, or from MatMul and then an Add (its bias)."""

    kernel: np.ndarray
    bias: np.ndarray | None


class _Chain:
    """The layers read so far, the name of the tensor the chain has reached, the constants."""

    def __init__(self, graph: Any, numpy_helper: Any) -> None:
        self.constants = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
        inputs = [i for i in graph.input if i.name not in self.constants]
        if len(inputs) != 1:
            raise ImportGraphError(
                f"load: expected one graph input, got {[i.name for i in inputs]}"
            )
        self.input = inputs[0]
        self.current = self.input.name
        self.layers: list[L.Layer | _Dense] = []
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
    kernel = chain.constant(node, rest[0])
    if attrs.get("transB", 0):
        kernel = kernel.T
    kernel = kernel * attrs.get("alpha", 1.0)
    bias = None
    if len(rest) > 1 and rest[1]:
        bias = np.broadcast_to(
            chain.constant(node, rest[1]) * attrs.get("beta", 1.0), kernel.shape[1:]
        )
    _add_dense(chain, kernel, bias)


def _add_dense(chain: _Chain, kernel: np.ndarray, bias: np.ndarray | None) -> None:
    chain.layers.append(_Dense(kernel, bias))


def _matmul(chain: _Chain, node: Any, attrs: dict) -> None:
    (weight,) = chain.follow(node)
    _add_dense(chain, chain.constant(node, weight), None)


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
    if bias.size != last.kernel.shape[1]:
        raise ImportGraphError(
            f"load: node {node.name!r} (Add) adds a constant of shape {bias.shape} to a "
            f"matrix product with {last.kernel.shape[1]} outputs"
        )
    last.bias = bias.reshape(-1)


def _activation(chain: _Chain, node: Any, attrs: dict) -> None:
    chain.follow(node)
    op = node.op_type
    if op in _ACTIVATIONS:
        if op == "Selu" and attrs:
            _check_defaults(
                node, attrs, {"alpha": activations.SELU_ALPHA, "gamma": activations.SELU_SCALE}
            )
        chain.layers.append(L.Activation(_ACTIVATIONS[op]))
    elif op == "LeakyRelu":
        chain.layers.append(L.LeakyReLU(attrs.get("alpha", 0.01)))
    elif op == "Elu":
        chain.layers.append(L.ELU(attrs.get("alpha", 1.0)))
    elif op == "Gelu":
        approximate = attrs.get("approximate", b"none") in (b"tanh", "tanh")
        chain.layers.append(
            L.Activation(functools.partial(activations.gelu, approximate=approximate))
        )
    elif op in ("Softmax", "LogSoftmax"):
        layer = L.Softmax(attrs.get("axis", -1))
        chain.layers.append(layer if op == "Softmax" else L.Activation("log_softmax"))
        if op == "LogSoftmax" and attrs.get("axis", -1) not in (-1, 1):
            raise ImportGraphError(
                f"load: node {node.name!r} (LogSoftmax) is not over the last axis"
            )


def _check_defaults(node: Any, attrs: dict, expected: dict) -> None:
    for key, value in expected.items():
        if key in attrs and not np.isclose(attrs[key], value, rtol=1e-6):
            raise ImportGraphError(
                f"load: node {node.name!r} ({node.op_type}) has {key}={attrs[key]}; "
                f"deepgrad's form has {value}"
            )


def _identity(chain: _Chain, node: Any, attrs: dict) -> None:
    chain.follow(node)  # Identity, and Dropout at inference


def _flatten(chain: _Chain, node: Any, attrs: dict) -> None:
    chain.follow(node)
    if attrs.get("axis", 1) != 1:
        raise ImportGraphError(
            f"load: node {node.name!r} (Flatten) has axis {attrs['axis']}, not 1"
        )
    chain.layers.append(L.Flatten())


def _reshape(chain: _Chain, node: Any, attrs: dict) -> None:
    """A Reshape by a constant shape that keeps the batch axis (0, or −1 with the rest
    fixed), as the dynamo exporter writes ``nn.Flatten``."""
    (shape_name,) = chain.follow(node)
    shape = [int(n) for n in chain.constant(node, shape_name).reshape(-1)]
    copies_batch = bool(shape) and shape[0] == 0 and not attrs.get("allowzero", 0)
    infers_batch = bool(shape) and shape[0] == -1 and -1 not in shape[1:]
    if not (copies_batch or infers_batch) or 0 in shape[1:]:
        raise ImportGraphError(
            f"load: node {node.name!r} (Reshape) reshapes to {shape}: only a shape that keeps "
            "the batch axis (first entry 0 or -1) can be read"
        )
    chain.layers.append(L.Reshape(tuple(shape[1:])))


_READERS = {
    "Gemm": _gemm,
    "MatMul": _matmul,
    "Add": _add,
    "Identity": _identity,
    "Dropout": _identity,
    "Flatten": _flatten,
    "Reshape": _reshape,
    **{
        op: _activation
        for op in (*_ACTIVATIONS, "LeakyRelu", "Elu", "Gelu", "Softmax", "LogSoftmax")
    },
}


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
    from onnx import numpy_helper

    proto = onnx.load(os.fspath(path))
    chain = _Chain(proto.graph, numpy_helper)
    for node in proto.graph.node:
        if node.op_type == "Constant":
            value = onnx.helper.get_attribute_value(node.attribute[0])
            chain.constants[node.output[0]] = numpy_helper.to_array(value)
            continue
        reader = _READERS.get(node.op_type) if node.domain in ("", "ai.onnx") else None
        if reader is None:
            raise ImportGraphError(
                f"load: node {node.name!r} has op type {node.op_type!r}, which deepgrad cannot "
                f"read; readable: {', '.join(sorted(_READERS))}, Constant"
            )
        reader(chain, node, _attributes(node, onnx))
    outputs = [o.name for o in proto.graph.output]
    if outputs != [chain.current]:
        raise ImportGraphError(
            f"load: the graph's outputs {outputs} are not the end of the chain {chain.current!r}"
        )
    return _built(chain)


def _built(chain: _Chain) -> Sequential:
    dims = chain.input.type.tensor_type.shape.dim
    features = [d.dim_value if d.HasField("dim_value") else None for d in dims][1:]
    if not features or any(d is None for d in features):
        raise ImportGraphError(
            f"load: the input {chain.input.name!r} must have a fixed shape after the batch "
            f"axis, got {[d.dim_param or d.dim_value for d in dims]}"
        )
    kernels = [item.kernel for item in chain.layers if isinstance(item, _Dense)]
    dtype = kernels[0].dtype if kernels else np.dtype(np.float32)
    layers: list[L.Layer] = []
    denses: list[tuple[L.Dense, _Dense]] = []
    for item in chain.layers:
        if isinstance(item, _Dense):
            dense = L.Dense(item.kernel.shape[1], use_bias=item.bias is not None, dtype=dtype)
            denses.append((dense, item))
            layers.append(dense)
        else:
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
    return model

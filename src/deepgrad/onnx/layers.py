"""Each of deepgrad's layers as ONNX nodes, at inference (Dropout, GaussianNoise,
GaussianDropout and AlphaDropout are the identity; BatchNormalization uses its moving averages).

A converter takes ``(layer, graph, x)`` and returns the name of the layer's output. Layers
are matched by their exact class: a subclass may compute something else, so it raises
``ExportError`` like any layer without a converter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from deepgrad import activations
from deepgrad import layers as L
from deepgrad.models import Sequential
from deepgrad.onnx.activations import convert_activation
from deepgrad.onnx.errors import ExportError
from deepgrad.onnx.graph import Graph
from deepgrad.tensor import raw_data

INT64 = 7  # onnx.TensorProto.INT64


def _array(weight: Any) -> np.ndarray:
    return np.asarray(raw_data(weight))


def _rank(layer: L.Layer) -> int:
    if layer.input_shape is None:
        raise ExportError(f"{layer.name} ({type(layer).__name__}): not built; call the model first")
    return len(layer.input_shape)


def _dense(layer: L.Dense, graph: Graph, x: str) -> str:
    kernel = graph.constant(f"{layer.name}/kernel", _array(layer.kernel))
    bias = None if layer.bias is None else graph.constant(f"{layer.name}/bias", _array(layer.bias))
    if _rank(layer) == 2 and bias is not None:
        y = graph.add("Gemm", [x, kernel, bias], layer.name)
    else:  # (batch, ..., features): MatMul broadcasts over the leading axes
        y = graph.add("MatMul", [x, kernel], layer.name)
        if bias is not None:
            y = graph.add("Add", [y, bias], layer.name)
    return convert_activation(layer.activation, graph, y, layer.name)


def _activation(layer: L.Activation, graph: Graph, x: str) -> str:
    return convert_activation(layer.activation, graph, x, layer.name)


def _relu(layer: L.ReLU, graph: Graph, x: str) -> str:
    if layer.max_value is None and not layer.negative_slope and not layer.threshold:
        return graph.add("Relu", [x], layer.name)
    # Keras' form, as deepgrad computes it: min(x, max_value) where x > threshold, else
    # negative_slope·(x − threshold)
    scope = layer.name
    threshold = graph.constant(f"{scope}/threshold", layer.threshold)
    above = x
    if layer.max_value is not None:
        above = graph.add("Min", [x, graph.constant(f"{scope}/max_value", layer.max_value)], scope)
    if layer.negative_slope:
        shifted = graph.add("Sub", [x, threshold], scope)
        slope = graph.constant(f"{scope}/negative_slope", layer.negative_slope)
        below = graph.add("Mul", [shifted, slope], scope)
    else:
        below = graph.constant(f"{scope}/zero", 0.0)
    positive = graph.add("Greater", [x, threshold], scope)
    return graph.add("Where", [positive, above, below], scope)


def _leaky_relu(layer: L.LeakyReLU, graph: Graph, x: str) -> str:
    slope = layer.negative_slope
    return convert_activation(activations.leaky_relu, graph, x, layer.name, negative_slope=slope)


def _prelu(layer: L.PReLU, graph: Graph, x: str) -> str:
    return graph.add(
        "PRelu", [x, graph.constant(f"{layer.name}/alpha", _array(layer.alpha))], layer.name
    )


def _elu(layer: L.ELU, graph: Graph, x: str) -> str:
    return convert_activation(activations.elu, graph, x, layer.name, alpha=layer.alpha)


def _softmax(layer: L.Softmax, graph: Graph, x: str) -> str:
    return convert_activation(activations.softmax, graph, x, layer.name, axis=layer.axis)


def _identity(layer: L.Layer, graph: Graph, x: str) -> str:
    return x


def _normalized(graph: Graph, x: str, scope: str, mean: str, scale: str) -> str:
    return graph.add("Div", [graph.add("Sub", [x, mean], scope), scale], scope)


def _affine(graph: Graph, y: str, scope: str, gamma: Any, beta: Any, shape: tuple) -> str:
    if gamma is not None:
        y = graph.add(
            "Mul", [y, graph.constant(f"{scope}/gamma", _array(gamma).reshape(shape))], scope
        )
    if beta is not None:
        y = graph.add(
            "Add", [y, graph.constant(f"{scope}/beta", _array(beta).reshape(shape))], scope
        )
    return y


def _batch_norm(layer: L.BatchNormalization, graph: Graph, x: str) -> str:
    # (x − moving_mean) / √(moving_variance + ε) · γ + β, as deepgrad computes it at inference
    shape = layer._param_shape
    mean = graph.constant(f"{layer.name}/moving_mean", _array(layer.moving_mean).reshape(shape))
    variance = _array(layer.moving_variance).reshape(shape)
    root = np.sqrt(variance + np.asarray(layer.epsilon, variance.dtype))
    y = _normalized(graph, x, layer.name, mean, graph.constant(f"{layer.name}/sqrt_var", root))
    return _affine(graph, y, layer.name, layer.gamma, layer.beta, shape)


def _layer_norm(layer: L.LayerNormalization, graph: Graph, x: str) -> str:
    rank = _rank(layer)
    axes = layer._normalized_axes(rank)
    assert layer.input_shape is not None  # built (_rank), so no axis is the batch's
    shape = tuple(int(layer.input_shape[i]) if i in axes else 1 for i in range(1, rank))
    # mean and biased variance over the layer's axes, as deepgrad computes them (ONNX's own
    # LayerNormalization normalizes over every axis from `axis` on, which differs unless
    # the axes are the last ones)
    mean = graph.add("ReduceMean", [x], layer.name, axes=axes, keepdims=1)
    centred = graph.add("Sub", [x, mean], layer.name)
    variance = graph.add(
        "ReduceMean",
        [graph.add("Mul", [centred, centred], layer.name)],
        layer.name,
        axes=axes,
        keepdims=1,
    )
    epsilon = graph.constant(f"{layer.name}/epsilon", layer.epsilon)
    root = graph.add("Sqrt", [graph.add("Add", [variance, epsilon], layer.name)], layer.name)
    # rms_scaling (Keras'): x itself over the deviation, no β
    y = graph.add("Div", [x if layer.rms_scaling else centred, root], layer.name)
    return _affine(graph, y, layer.name, layer.gamma, layer.beta, shape)


def _normalization(layer: L.Normalization, graph: Graph, x: str) -> str:
    shape = layer._broadcast_shape  # the kept axes in place, so that they broadcast there
    mean = graph.constant(f"{layer.name}/mean", _array(layer.mean).reshape(shape))
    # a constant feature's deviation floored at 1e-7, as deepgrad's call (not the variance)
    root = np.maximum(np.sqrt(_array(layer.variance)), 1e-7).astype(layer.dtype).reshape(shape)
    deviation = graph.constant(f"{layer.name}/sqrt_var", root)
    if layer.invert:
        scaled = graph.add("Mul", [x, deviation], layer.name)
        return graph.add("Add", [mean, scaled], layer.name)
    return _normalized(graph, x, layer.name, mean, deviation)


def _embedding(layer: L.Embedding, graph: Graph, x: str) -> str:
    table = graph.constant(f"{layer.name}/embeddings", _array(layer.embeddings))
    if x not in graph.integer_tensors:  # float indices from an earlier layer
        x = graph.add("Cast", [x], layer.name, to=INT64)
    return graph.add("Gather", [table, x], layer.name, axis=0)


def _flatten(layer: L.Flatten, graph: Graph, x: str) -> str:
    rank = _rank(layer)
    if layer.data_format == "channels_first" and rank > 2:  # channels moved last first
        x = graph.add("Transpose", [x], layer.name, perm=[0, *range(2, rank), 1])
    return graph.add("Flatten", [x], layer.name, axis=1)


def _reshape(layer: L.Reshape, graph: Graph, x: str) -> str:
    target = [-1 if n is None else n for n in layer.target_shape]  # None: Keras' -1
    shape = graph.constant(f"{layer.name}/shape", [0, *target], dtype=np.int64)
    return graph.add("Reshape", [x, shape], layer.name)


def _permute(layer: L.Permute, graph: Graph, x: str) -> str:
    return graph.add("Transpose", [x], layer.name, perm=[0, *layer.dims])


def _sequential(model: Sequential, graph: Graph, x: str) -> str:
    for layer in model.layers:
        x = convert_layer(layer, graph, x)
    return x


CONVERTERS: dict[type, Callable[[Any, Graph, str], str]] = {
    L.Dense: _dense,
    L.Activation: _activation,
    L.ReLU: _relu,
    L.LeakyReLU: _leaky_relu,
    L.PReLU: _prelu,
    L.ELU: _elu,
    L.Softmax: _softmax,
    L.InputLayer: _identity,
    L.Dropout: _identity,
    L.GaussianNoise: _identity,
    L.GaussianDropout: _identity,
    L.AlphaDropout: _identity,
    L.BatchNormalization: _batch_norm,
    L.LayerNormalization: _layer_norm,
    L.Normalization: _normalization,
    L.Embedding: _embedding,
    L.Flatten: _flatten,
    L.Reshape: _reshape,
    L.Permute: _permute,
    Sequential: _sequential,
}


def convert_layer(layer: L.Layer, graph: Graph, x: str) -> str:
    """Append ``layer``'s nodes reading tensor ``x``; the name of the layer's output."""
    converter = CONVERTERS.get(type(layer))
    if converter is None:
        known = ", ".join(sorted(cls.__name__ for cls in CONVERTERS))
        raise ExportError(
            f"{layer.name} ({type(layer).__name__}): this layer cannot be exported to ONNX; "
            f"exportable layers: {known}"
        )
    return converter(layer, graph, x)

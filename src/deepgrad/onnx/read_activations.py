"""The activation nodes ``deepgrad.onnx.load`` reads one at a time, each as the deepgrad
activation or layer computing the same function; attributes or bounds that make a node
compute something else raise ``ImportGraphError`` naming it. (Activations that PyTorch
writes as several nodes, such as GELU before opset 20 or SiLU, are in ``patterns.py``.)
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from deepgrad import activations
from deepgrad import layers as L
from deepgrad import numpy as dnp
from deepgrad.onnx.errors import ImportGraphError
from deepgrad.onnx.patterns import check_hard_sigmoid
from deepgrad.tensor import raw_data


class _Chain(Protocol):
    """What a reader needs of the importer's chain (importer.py's ``_Chain``)."""

    opset: int
    rank: int
    layers: list
    constants: dict[str, np.ndarray]

    def follow(self, node: Any) -> list[str]: ...


# ONNX op → the deepgrad activation computing the same function (attributes handled below)
_ACTIVATIONS = {
    "Relu": "relu",
    "Tanh": "tanh",
    "Sigmoid": "sigmoid",
    "Softplus": "softplus",
    "Softsign": "softsign",
    "Exp": "exponential",
    "Selu": "selu",
    "HardSigmoid": "hard_sigmoid",
    "HardSwish": "hard_silu",
    "Mish": "mish",
}

# Clip before opset 11: a bound left out is the float32 extreme
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _activation(chain: _Chain, node: Any, attrs: dict) -> None:
    chain.follow(node)
    op = node.op_type
    if op == "Selu" and attrs:
        _check_defaults(
            node, attrs, {"alpha": activations.SELU_ALPHA, "gamma": activations.SELU_SCALE}
        )
    if op == "HardSigmoid":
        check_hard_sigmoid(node, attrs)
    chain.layers.append(L.Activation(_ACTIVATIONS[op]))


def _leaky_relu(chain: _Chain, node: Any, attrs: dict) -> None:
    chain.follow(node)
    chain.layers.append(L.LeakyReLU(attrs.get("alpha", 0.01)))


def _elu(chain: _Chain, node: Any, attrs: dict) -> None:
    chain.follow(node)
    chain.layers.append(L.ELU(attrs.get("alpha", 1.0)))


def _gelu(chain: _Chain, node: Any, attrs: dict) -> None:
    """Opset 20's ``Gelu``: ``approximate`` is "none" (erf) or "tanh"."""
    chain.follow(node)
    approximate = attrs.get("approximate", b"none")
    approximate = approximate.decode() if isinstance(approximate, bytes) else approximate
    if approximate not in ("none", "tanh"):
        raise ImportGraphError(
            f"load: node {node.name!r} (Gelu) has approximate={approximate!r}; ONNX defines "
            "'none' and 'tanh'"
        )
    gelu = functools.partial(activations.gelu, approximate=approximate == "tanh")
    chain.layers.append(L.Activation(gelu))


def _softmax(chain: _Chain, node: Any, attrs: dict) -> None:
    chain.follow(node)
    axis = _softmax_axis(chain, node, attrs)
    if node.op_type == "Softmax":
        chain.layers.append(L.Softmax(axis))
    else:
        chain.layers.append(L.Activation(functools.partial(activations.log_softmax, axis=axis)))


def _softmax_axis(chain: _Chain, node: Any, attrs: dict) -> int:
    """The one axis of a (Log)Softmax node, as deepgrad's ``axis``. Before opset 13 the
    default axis is 1 and the input is flattened to 2-d there, so the softmax runs over
    every axis from ``axis`` on together: one axis only when ``axis`` is the last."""
    rank = chain.rank
    axis = attrs.get("axis", -1 if chain.opset >= 13 else 1)
    if not -rank <= axis < rank:
        raise ImportGraphError(
            f"load: node {node.name!r} ({node.op_type}) has axis {axis} for an input of rank {rank}"
        )
    axis %= rank
    if chain.opset < 13 and axis != rank - 1:
        raise ImportGraphError(
            f"load: node {node.name!r} ({node.op_type}, opset {chain.opset}) runs over axes "
            f"{axis} to {rank - 1} of its rank-{rank} input together; deepgrad's runs over one "
            "axis: only the last axis (or opset 13's one-axis form) can be read"
        )
    if axis == 0:
        raise ImportGraphError(
            f"load: node {node.name!r} ({node.op_type}) runs over axis 0, the batch axis: "
            "a prediction would depend on how the samples are batched"
        )
    return axis


def _check_defaults(node: Any, attrs: dict, expected: dict) -> None:
    for key, value in expected.items():
        if key in attrs and not np.isclose(attrs[key], value, rtol=1e-6):
            raise ImportGraphError(
                f"load: node {node.name!r} ({node.op_type}) has {key}={attrs[key]}; "
                f"deepgrad's form has {value}"
            )


def _clip(chain: _Chain, node: Any, attrs: dict) -> None:
    """``Clip`` to constant bounds: ReLU6 and Hardtanh as PyTorch writes them."""
    rest = chain.follow(node)
    if chain.opset < 11:
        low, high = attrs.get("min"), attrs.get("max")
        low = None if low is None or low <= -_FLOAT32_MAX else float(low)
        high = None if high is None or high >= _FLOAT32_MAX else float(high)
    else:
        names = [*rest, "", ""][:2]
        low = _clip_bound(chain, node, "min", names[0])
        high = _clip_bound(chain, node, "max", names[1])
    if low is not None and high is not None and low > high:
        raise ImportGraphError(
            f"load: node {node.name!r} (Clip) has min {low:g} above max {high:g}"
        )
    chain.layers.append(_clip_layer(low, high))


def _clip_bound(chain: _Chain, node: Any, kind: str, name: str) -> float | None:
    """A bound given as an input (opset 11 on): absent, or a constant scalar."""
    if not name:
        return None
    if name not in chain.constants:
        raise ImportGraphError(
            f"load: node {node.name!r} (Clip) takes its {kind} from {name!r}, which is not a "
            "constant: only a Clip to constant bounds (ReLU6, Hardtanh) can be read"
        )
    value = chain.constants[name]
    if value.size != 1:
        raise ImportGraphError(
            f"load: node {node.name!r} (Clip) has a {kind} of shape {list(value.shape)}; "
            "ONNX's bounds are scalars"
        )
    return float(value.reshape(-1)[0])


def _clip_layer(low: float | None, high: float | None) -> L.Layer:
    """The deepgrad activation or layer computing min(max(x, low), high)."""
    named = {
        (0.0, None): "relu",
        (0.0, 6.0): "relu6",
        (-1.0, 1.0): "hard_tanh",
        (None, None): "linear",
    }
    if (low, high) in named:
        return L.Activation(named[(low, high)])
    if low == 0.0 and high is not None:
        return L.ReLU(max_value=high)
    return L.Activation(functools.partial(dnp.clip, a_min=low, a_max=high))


def shrink(x: Any, lambd: float = 0.5, bias: float = 0.0) -> Any:
    """ONNX's ``Shrink``: x + ``bias`` where x < −``lambd``, else x − ``bias`` where
    x > ``lambd``, else 0. The first test wins where both hold (a negative ``lambd``), as in
    ONNX's reference and ONNX Runtime; the derivative at ±``lambd`` is 0.

    >>> shrink(np.array([-2.0, 0.5, 1.0]), lambd=0.75, bias=0.25)
    array([-1.75,  0.  ,  0.75])
    """
    data = raw_data(x)
    above = dnp.where(dnp.greater(data, lambd), x - bias, 0.0)
    return dnp.where(dnp.less(data, -lambd), x + bias, above)


def _shrink(chain: _Chain, node: Any, attrs: dict) -> None:
    """``Shrink`` (opset 9 on): hard_shrink for bias 0, soft_shrink for bias = lambd ≥ 0,
    else ``shrink`` itself. Its attributes are float32 numbers, read as they are stored."""
    chain.follow(node)
    lambd, bias = float(attrs.get("lambd", 0.5)), float(attrs.get("bias", 0.0))
    if bias == 0.0:
        activation = functools.partial(activations.hard_shrink, threshold=lambd)
    elif bias == lambd and lambd >= 0.0:
        activation = functools.partial(activations.soft_shrink, threshold=lambd)
    else:
        activation = functools.partial(shrink, lambd=lambd, bias=bias)
    chain.layers.append(L.Activation(activation))


ACTIVATION_READERS: dict[str, Callable[[Any, Any, dict], None]] = {
    **dict.fromkeys(_ACTIVATIONS, _activation),
    "LeakyRelu": _leaky_relu,
    "Elu": _elu,
    "Gelu": _gelu,
    "Softmax": _softmax,
    "LogSoftmax": _softmax,
    "Clip": _clip,
    "Shrink": _shrink,
}

"""Activation functions, traditional and modern, usable by name: ``Dense(64, activation="gelu")``.

Each is written from deepgrad's differentiable ops, so its derivative comes from the
engine. Two patterns keep them stable everywhere:

* the kink of a piecewise function is written with ``where(x > 0, ...)``, never with
  ``maximum(x, 0)``, whose derivative at a tie is ½ (ReLU's derivative at 0 is 0, as in
  PyTorch and Keras);
* a branch that could overflow where it is *not* chosen is clamped first (``expm1`` of
  the negative part of x), because ``where`` still multiplies its gradient by 0 and
  0 · Inf is NaN.

Defaults follow Keras 3 (e.g. ``leaky_relu`` slope 0.2; PyTorch uses 0.01).

>>> import numpy as np
>>> relu(np.array([-1.0, 0.0, 2.0]))
array([0., 0., 2.])
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from deepgrad import numpy as dnp
from deepgrad.ops.activations_math import expit
from deepgrad.ops.activations_math import log_softmax as _log_softmax
from deepgrad.ops.activations_math import relu as _relu
from deepgrad.ops.activations_math import softmax as _softmax
from deepgrad.tensor import raw_data

# SELU's constants (Klambauer et al., 2017).
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _positive(x: Any) -> Any:
    return dnp.greater(x, 0)


def _negative_part(x: Any) -> Any:
    """x where x ≤ 0, else 0: the safe argument for a negative-side branch. (Not
    minimum(x, 0), whose derivative at the tie x = 0 is ½.)"""
    return dnp.where(_positive(x), 0.0, x)


def linear(x: Any) -> Any:
    """The identity: a linear output layer."""
    return x


def sigmoid(x: Any) -> Any:
    """σ(x) = 1 / (1 + e^(−x)), stable for any x."""
    return expit(x)


def tanh(x: Any) -> Any:
    """The hyperbolic tangent, σ's zero-centred cousin: tanh(x) = 2σ(2x) − 1."""
    return dnp.tanh(x)


def hard_sigmoid(x: Any) -> Any:
    """relu6(x + 3) / 6, a piecewise-linear σ (Keras 3 and PyTorch's ``hardsigmoid``)."""
    return relu6(x + 3.0) / 6.0


def hard_tanh(x: Any) -> Any:
    """x clipped to [−1, 1]; slope 0 at the corners, as PyTorch's ``hardtanh``."""
    inside = dnp.less(dnp.abs(raw_data(x)), 1)
    return dnp.where(inside, x, dnp.astype(dnp.sign(raw_data(x)), raw_data(x).dtype))


def softsign(x: Any) -> Any:
    """x / (1 + |x|)."""
    return x / (1.0 + dnp.absolute(x))


def softplus(x: Any) -> Any:
    """log(1 + eˣ), computed as logaddexp(x, 0): finite for any x."""
    return dnp.logaddexp(x, 0.0)


def relu(x: Any) -> Any:
    """max(x, 0), with derivative 0 at 0 (one fused primitive: see ops/activations_math)."""
    return _relu(x)


def relu6(x: Any) -> Any:
    """min(max(x, 0), 6), with derivative 0 at both corners."""
    data = raw_data(x)
    inside = dnp.logical_and(dnp.greater(data, 0), dnp.less(data, 6))
    corner = dnp.where(dnp.greater_equal(data, 6), 6.0, 0.0)
    return dnp.where(inside, x, dnp.astype(corner, raw_data(x).dtype))


def leaky_relu(x: Any, negative_slope: float = 0.2) -> Any:
    """x for x > 0, ``negative_slope``·x otherwise."""
    return dnp.where(_positive(x), x, negative_slope * x)


def elu(x: Any, alpha: float = 1.0) -> Any:
    """x for x > 0, α(eˣ − 1) otherwise (Clevert et al., 2016)."""
    return dnp.where(_positive(x), x, alpha * dnp.expm1(_negative_part(x)))


def selu(x: Any) -> Any:
    """Scaled ELU with the self-normalising constants (Klambauer et al., 2017)."""
    return SELU_SCALE * elu(x, SELU_ALPHA)


def celu(x: Any, alpha: float = 1.0) -> Any:
    """x for x > 0, α(e^(x/α) − 1) otherwise (Barron, 2017)."""
    return dnp.where(_positive(x), x, alpha * dnp.expm1(_negative_part(x) / alpha))


def gelu(x: Any, approximate: bool = False) -> Any:
    """x·Φ(x) (Hendrycks & Gimpel, 2016); ``approximate=True`` uses the tanh form.

    The exact form by default, as ``keras.activations.gelu`` (and so
    ``Dense(activation="gelu")``) and PyTorch's; only ``keras.ops.gelu`` defaults to the
    tanh form.
    """
    if approximate:
        inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1.0 + dnp.tanh(inner))
    return 0.5 * x * (1.0 + dnp.erf(x / math.sqrt(2.0)))


def silu(x: Any) -> Any:
    """x·σ(x), also called swish (Ramachandran et al., 2017)."""
    return x * expit(x)


def hard_silu(x: Any) -> Any:
    """x·hard_sigmoid(x), also called hard swish (Howard et al., 2019)."""
    return x * hard_sigmoid(x)


def mish(x: Any) -> Any:
    """x·tanh(softplus(x)) (Misra, 2019)."""
    return x * dnp.tanh(softplus(x))


def log_sigmoid(x: Any) -> Any:
    """log σ(x) = −softplus(−x), finite for any x."""
    return -softplus(-x)


def softmax(x: Any, axis: int | tuple[int, ...] = -1) -> Any:
    """exp(x) / Σ exp(x) along ``axis`` (an int, or a tuple of ints)."""
    return _softmax(x, axis=axis)


def log_softmax(x: Any, axis: int = -1) -> Any:
    """x − logsumexp(x) along ``axis``."""
    return _log_softmax(x, axis=axis)


def exponential(x: Any) -> Any:
    """eˣ."""
    return dnp.exp(x)


swish = silu
hard_swish = hard_silu

ACTIVATIONS: dict[str, Callable] = {
    "linear": linear,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "hard_sigmoid": hard_sigmoid,
    "hard_tanh": hard_tanh,
    "softsign": softsign,
    "softplus": softplus,
    "relu": relu,
    "relu6": relu6,
    "leaky_relu": leaky_relu,
    "elu": elu,
    "selu": selu,
    "celu": celu,
    "gelu": gelu,
    "silu": silu,
    "swish": silu,
    "hard_silu": hard_silu,
    "hard_swish": hard_silu,
    "mish": mish,
    "log_sigmoid": log_sigmoid,
    "softmax": softmax,
    "log_softmax": log_softmax,
    "exponential": exponential,
}


def get(identifier: str | Callable | None) -> Callable:
    """An activation from its name, a callable, or None (linear).

    >>> get("relu") is relu
    True
    """
    if identifier is None:
        return linear
    if callable(identifier):
        return identifier
    try:
        return ACTIVATIONS[identifier]
    except KeyError:
        known = ", ".join(sorted(ACTIVATIONS))
        raise ValueError(f"unknown activation {identifier!r}; known: {known}") from None


def name_of(activation: Callable) -> str:
    """The registered name of an activation (for saving a model's architecture)."""
    for name, fn in ACTIVATIONS.items():
        if fn is activation:
            return name
    raise ValueError(
        f"activation {activation!r} has no registered name, so a model using it cannot be "
        "saved; pass it by name or add it to deepgrad.activations.ACTIVATIONS"
    )

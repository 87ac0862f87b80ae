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

import numpy as np

from deepgrad import numpy as dnp
from deepgrad.ops.activations_math import expit, normal_cdf
from deepgrad.ops.activations_math import log_softmax as _log_softmax
from deepgrad.ops.activations_math import relu as _relu
from deepgrad.ops.activations_math import softmax as _softmax
from deepgrad.ops.activations_math import sparsemax as _sparsemax
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
    """relu6(x + 3) / 6, a piecewise-linear σ (Keras 3 and PyTorch's ``hardsigmoid``);
    NaN stays NaN."""
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


def relu(
    x: Any, negative_slope: float = 0.0, max_value: float | None = None, threshold: float = 0.0
) -> Any:
    """max(x, 0), with derivative 0 at 0 (one fused primitive: see ops/activations_math).

    With Keras 3's arguments: min(x, ``max_value``) above ``threshold``, and
    ``negative_slope``·(x − ``threshold``) at or below it; the derivative is 0 at
    ``max_value`` and ``negative_slope`` at the threshold. ``max_value`` and ``threshold``
    must be ≥ 0 (Keras' layer requires it; its function clips a negative one's outputs to
    [0, max_value] or to max_value alone). NaN stays NaN, except with a threshold > 0 and
    no negative slope (0, as Keras' ``where(x > threshold, x, 0)``).

    >>> relu(np.array([-2.0, 1.0, 9.0]), negative_slope=0.5, max_value=6.0)
    array([-1.,  1.,  6.])
    """
    if max_value is None and negative_slope == 0 and threshold == 0:
        return _relu(x)
    _check_relu_arguments(negative_slope, max_value, threshold)
    data = raw_data(x)
    outputs = x
    if max_value is not None:  # slope 0 at the corner, as relu6
        cap = dnp.astype(dnp.full_like(data, max_value), data.dtype)
        outputs = dnp.where(dnp.greater_equal(data, max_value), cap, x)
    below = _relu_below(x, negative_slope, threshold)
    return dnp.where(dnp.greater(data, threshold), outputs, below)


def _check_relu_arguments(negative_slope: Any, max_value: Any, threshold: Any) -> None:
    """A number for each, and max_value and threshold ≥ 0, or an error naming the argument."""
    for argument, value in (
        ("negative_slope", negative_slope),
        ("max_value", max_value),
        ("threshold", threshold),
    ):
        if value is None and argument == "max_value":
            continue
        if isinstance(value, bool) or not isinstance(value, int | float | np.number):
            raise TypeError(f"relu: {argument} must be a number, got {argument}={value!r}")
        if argument != "negative_slope" and not value >= 0:
            raise ValueError(f"relu: {argument} must be a number >= 0, got {argument}={value}")


def _relu_below(x: Any, negative_slope: float, threshold: float) -> Any:
    """relu's output at or below the threshold, NaN's as Keras': NaN with a negative slope
    or a threshold of 0 (a max(x, 0) keeps it), 0 above a threshold > 0."""
    if negative_slope:
        return negative_slope * (x - threshold)
    if threshold:
        return 0.0
    data = raw_data(x)
    return dnp.where(dnp.isnan(data), data, 0.0)  # a constant: derivative 0 at NaN


def relu6(x: Any) -> Any:
    """min(max(x, 0), 6), with derivative 0 at both corners; NaN stays NaN (as Keras 3 and
    PyTorch), with derivative 0 there, as ReLU's.

    >>> relu6(np.array([-1.0, 3.0, 7.0, np.nan]))
    array([ 0.,  3.,  6., nan])
    """
    data = raw_data(x)
    inside = dnp.logical_and(dnp.greater(data, 0), dnp.less(data, 6))
    # a constant outside (0 or 6), and NaN where x is NaN: clip keeps NaN, where a
    # where(x >= 6, 6, 0) would turn it into 0
    corner = dnp.clip(data, 0, 6)
    return dnp.where(inside, x, dnp.astype(corner, data.dtype))


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
    """x for x > 0, α(e^(x/α) − 1) otherwise (Barron, 2017). α = 0 is an error, as in
    PyTorch (it divides by α; Keras 3 gives NaN).

    >>> celu(np.array([-1.0, 2.0]), alpha=0.5)
    array([-0.43233236,  2.        ])
    """
    if alpha == 0:
        raise ValueError(f"celu: alpha must be nonzero (x is divided by it), got alpha={alpha}")
    return dnp.where(_positive(x), x, alpha * dnp.expm1(_negative_part(x) / alpha))


def gelu(x: Any, approximate: bool = False) -> Any:
    """x·Φ(x) (Hendrycks & Gimpel, 2016); ``approximate=True`` uses the tanh form.

    The exact form by default, as ``keras.activations.gelu`` (and so
    ``Dense(activation="gelu")``) and PyTorch's; only ``keras.ops.gelu`` defaults to the
    tanh form. The exact form is accurate far into the negative tail, as Keras'
    (PyTorch's float32 gelu is 0 below about −5.9).

    >>> gelu(np.array([-10.0, 0.0, 1.0]))
    array([-7.61985302e-23,  0.00000000e+00,  8.41344746e-01])
    """
    if approximate:
        inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1.0 + dnp.tanh(inner))
    return x * normal_cdf(x)  # Φ from erfc, as Keras: ½(1 + erf(x/√2)) cancels for x ≪ 0


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


def _axis_size(activation: str, x: Any, axis: Any) -> int:
    """The length of ``axis`` of x, or an error naming the activation."""
    shape = np.shape(raw_data(x))
    if isinstance(axis, bool) or not isinstance(axis, int | np.integer):
        raise TypeError(f"{activation}: axis must be an int, got {axis!r}")
    if not -len(shape) <= axis < len(shape):
        raise np.exceptions.AxisError(
            f"{activation}: axis {axis} is out of range for an input of shape {shape}"
        )
    return shape[axis]


def squareplus(x: Any, b: float = 4) -> Any:
    """(x + √(x² + b)) / 2, a smooth ReLU with algebraic tails (So, 2021).

    >>> squareplus(np.array([-2.0, 0.0, 2.0]))
    array([0.41421356, 1.        , 2.41421356])
    """
    return (x + dnp.sqrt(x * x + b)) / 2


def tanh_shrink(x: Any) -> Any:
    """x − tanh(x).

    >>> tanh_shrink(np.array([0.0, 1.0]))
    array([0.        , 0.23840584])
    """
    return x - dnp.tanh(x)


def hard_shrink(x: Any, threshold: float = 0.5) -> Any:
    """x where |x| > ``threshold``, else 0; the derivative at ±threshold is 0 (as Keras 3
    and PyTorch's ``hardshrink``).

    >>> hard_shrink(np.array([-1.0, 0.5, 0.7]))
    array([-1. ,  0. ,  0.7])
    """
    outside = dnp.greater(dnp.abs(raw_data(x)), threshold)
    return dnp.where(outside, x, 0.0)


def soft_shrink(x: Any, threshold: float = 0.5) -> Any:
    """x − threshold above ``threshold``, x + threshold below −threshold, else 0; the
    derivative at ±threshold is 0 (as Keras 3 and PyTorch's ``softshrink``).

    >>> soft_shrink(np.array([-1.0, 0.2, 0.7]))
    array([-0.5,  0. ,  0.2])
    """
    data = raw_data(x)
    below = dnp.where(dnp.less(data, -threshold), x + threshold, 0.0)
    return dnp.where(dnp.greater(data, threshold), x - threshold, below)


def threshold(x: Any, threshold: float, default_value: float) -> Any:
    """x where x > ``threshold``, else ``default_value`` (derivative 0 at the threshold).
    Both arguments are required, as in Keras 3 and PyTorch's ``threshold``.

    >>> threshold(np.array([-1.0, 0.5, 2.0]), 0.5, -3.0)
    array([-3., -3.,  2.])
    """
    return dnp.where(dnp.greater(raw_data(x), threshold), x, default_value)


def sparse_plus(x: Any) -> Any:
    """0 for x ≤ −1, (x + 1)²/4 on (−1, 1), x for x ≥ 1: a softplus that is exactly 0 and
    exactly linear away from the origin (Blondel et al., 2019).

    >>> sparse_plus(np.array([-2.0, 0.0, 2.0]))
    array([0.  , 0.25, 2.  ])
    """
    data = raw_data(x)
    inner = dnp.where(dnp.greater_equal(data, 1), x, 0.25 * (x + 1.0) * (x + 1.0))
    return dnp.where(dnp.less_equal(data, -1), 0.0, inner)


def sparse_sigmoid(x: Any) -> Any:
    """0 for x ≤ −1, (x + 1)/2 on (−1, 1), 1 for x ≥ 1: the derivative of ``sparse_plus``
    (Blondel et al., 2019). Its derivative at ±1 is 0, as in Keras 3 on TensorFlow and
    PyTorch (Keras on JAX, through ``clip``, gives ¼ there).

    >>> sparse_sigmoid(np.array([-2.0, 0.0, 0.5, 2.0]))
    array([0.  , 0.5 , 0.75, 1.  ])
    """
    data = raw_data(x)
    inner = dnp.where(dnp.greater_equal(data, 1), 1.0, 0.5 * (x + 1.0))
    return dnp.where(dnp.less_equal(data, -1), 0.0, inner)


def glu(x: Any, axis: int = -1) -> Any:
    """The gated linear unit a·σ(b), a and b the two halves of x along ``axis``, whose
    length must be even (Dauphin et al., 2017). The output is half as long on ``axis``.

    >>> glu(np.array([-1.0, 0.0, 1.0, 1.0]))
    array([-0.73105858,  0.        ])
    """
    size = _axis_size("glu", x, axis)
    if size % 2 != 0:
        raise ValueError(
            f"glu: axis size must be divisible by 2. Received: x.shape="
            f"{np.shape(raw_data(x))} with axis={axis}"
        )
    first, second = dnp.split(x, 2, axis=axis)
    return first * expit(second)


def sparsemax(x: Any, axis: int = -1) -> Any:
    """The Euclidean projection of x onto the probability simplex along ``axis``,
    max(x − τ(x), 0) with τ making each slice sum to 1 (Martins & Astudillo, 2016); its
    Jacobian is diag(s) − s sᵀ/|S| on the support S.

    Keras 3.15 computes τ from the sum of the partial sums over the support, so its slices
    do not sum to 1 when more than one element is in the support (keras-team/keras#23425,
    fixed upstream); deepgrad follows the paper, as Keras does after the fix.

    >>> sparsemax(np.array([0.0, 0.5, 1.0]))
    array([0.  , 0.25, 0.75])
    """
    _axis_size("sparsemax", x, axis)
    return _sparsemax(x, axis=axis)


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
    "squareplus": squareplus,
    "tanh_shrink": tanh_shrink,
    "hard_shrink": hard_shrink,
    "soft_shrink": soft_shrink,
    "threshold": threshold,
    "sparse_plus": sparse_plus,
    "sparse_sigmoid": sparse_sigmoid,
    "glu": glu,
    "sparsemax": sparsemax,
}


def get(identifier: str | dict | Callable | None) -> Callable:
    """An activation from its name, Keras' serialized form of it (a dict, read by
    ``deserialize``), a callable, or None (linear).

    >>> get("relu") is relu
    True
    """
    if identifier is None:
        return linear
    if callable(identifier):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
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
        "saved; pass it by name, or register it with register_keras_serializable or in "
        "deepgrad.activations.ACTIVATIONS"
    )


def serialize(activation: Callable) -> str:
    """The name that stands for ``activation`` in a saved config, as
    ``keras.activations.serialize``: an alias gives its canonical name (swish → "silu").

    >>> serialize(swish)
    'silu'
    """
    if not callable(activation):
        raise ValueError(
            f"activations.serialize expects an activation function, got {activation!r}"
        )
    return name_of(activation)


def deserialize(config: str | dict, custom_objects: dict[str, Callable] | None = None) -> Callable:
    """The activation a saved config names, as ``keras.activations.deserialize``: a name,
    or Keras' ``{"class_name": "function", "config": name, ...}``. It is looked up in
    ``custom_objects`` first, then among deepgrad's activations; no module is imported and
    no code is run, and an unknown name is an error (Keras 3.15 returns the string).

    >>> deserialize({"class_name": "function", "config": "relu", "module": "builtins"}) is relu
    True
    """
    name = _config_name(config)
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if name not in ACTIVATIONS:
        known = ", ".join(sorted(ACTIVATIONS))
        raise ValueError(f"activations.deserialize: unknown activation {name!r}; known: {known}")
    return ACTIVATIONS[name]


def _config_name(config: Any) -> str:
    """The activation's name in a serialized config (a string, or Keras' dict form)."""
    if isinstance(config, dict):
        if config.get("class_name") != "function" or not isinstance(config.get("config"), str):
            raise ValueError(
                "activations.deserialize expects a name or a dict with class_name 'function' "
                f"and the name as config, got {config!r}"
            )
        return config["config"]
    if not isinstance(config, str):
        raise TypeError(
            f"activations.deserialize expects a name or a dict, got {type(config).__name__}"
        )
    return config

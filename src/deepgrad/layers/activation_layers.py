"""Activation layers: ReLU, LeakyReLU, PReLU (learned slope), ELU, Softmax."""

from __future__ import annotations

from typing import Any

from deepgrad import activations, initializers
from deepgrad import numpy as dnp
from deepgrad.layers.base import Layer, register_serializable
from deepgrad.tensor import raw_data


@register_serializable
class ReLU(Layer):
    """max(x, 0); with Keras' arguments, min(x, ``max_value``) above ``threshold`` and
    ``negative_slope``·(x − ``threshold``) below it."""

    def __init__(
        self,
        max_value: float | None = None,
        negative_slope: float = 0.0,
        threshold: float = 0.0,
        **kwargs: Any,
    ) -> None:
        for argument, value in (
            ("max_value", max_value),
            ("negative_slope", negative_slope),
            ("threshold", threshold),
        ):
            if value is not None and not float(value) >= 0:
                raise ValueError(f"ReLU: {argument} must be a number >= 0, got {value}")
        self.max_value = None if max_value is None else float(max_value)
        self.negative_slope, self.threshold = float(negative_slope), float(threshold)
        super().__init__(**kwargs)

    def call(self, inputs: Any) -> Any:
        if self.max_value is None and not self.negative_slope and not self.threshold:
            return activations.relu(inputs)
        data = raw_data(inputs)
        outputs = inputs
        if self.max_value is not None:  # slope 0 at the corner, as relu6
            cap = dnp.astype(dnp.full_like(data, self.max_value), data.dtype)
            outputs = dnp.where(dnp.greater_equal(data, self.max_value), cap, inputs)
        below = self.negative_slope * (inputs - self.threshold) if self.negative_slope else 0.0
        return dnp.where(dnp.greater(data, self.threshold), outputs, below)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "max_value": self.max_value,
            "negative_slope": self.negative_slope,
            "threshold": self.threshold,
        }


@register_serializable
class LeakyReLU(Layer):
    """x for x > 0, ``negative_slope``·x otherwise (Keras' layer default 0.3)."""

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any) -> None:
        self.negative_slope = float(negative_slope)
        super().__init__(**kwargs)

    def call(self, inputs: Any) -> Any:
        return activations.leaky_relu(inputs, self.negative_slope)

    def get_config(self) -> dict:
        return {**super().get_config(), "negative_slope": self.negative_slope}


@register_serializable
class PReLU(Layer):
    """Leaky ReLU whose negative slope α is learned, one per feature (He et al., 2015)."""

    def __init__(self, alpha_initializer: Any = "zeros", **kwargs: Any) -> None:
        self.alpha_initializer = initializers.get(alpha_initializer)
        super().__init__(**kwargs)

    def build(self, input_shape: tuple) -> None:
        self.alpha = self.add_weight("alpha", tuple(input_shape[1:]), self.alpha_initializer)

    def call(self, inputs: Any) -> Any:
        return dnp.where(dnp.greater(inputs, 0), inputs, self.alpha * inputs)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
        }


@register_serializable
class ELU(Layer):
    """x for x > 0, α(eˣ − 1) otherwise."""

    def __init__(self, alpha: float = 1.0, **kwargs: Any) -> None:
        self.alpha = float(alpha)
        super().__init__(**kwargs)

    def call(self, inputs: Any) -> Any:
        return activations.elu(inputs, self.alpha)

    def get_config(self) -> dict:
        return {**super().get_config(), "alpha": self.alpha}


@register_serializable
class Softmax(Layer):
    """Softmax along ``axis``."""

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        self.axis = int(axis)
        super().__init__(**kwargs)

    def call(self, inputs: Any) -> Any:
        return activations.softmax(inputs, self.axis)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}

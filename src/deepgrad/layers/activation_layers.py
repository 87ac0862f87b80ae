"""Activation layers: ReLU, LeakyReLU, PReLU (learned slope), ELU, Softmax."""

from __future__ import annotations

from typing import Any

from deepgrad import activations, initializers
from deepgrad import numpy as dnp
from deepgrad.layers.base import Layer, register_serializable


@register_serializable
class ReLU(Layer):
    """max(x, 0)."""

    def call(self, inputs: Any) -> Any:
        return activations.relu(inputs)


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

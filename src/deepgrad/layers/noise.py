"""Layers active only in training: Dropout and GaussianNoise."""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad import numpy as dnp
from deepgrad import random
from deepgrad.autodiff.effects import Impure
from deepgrad.layers.base import Layer, register_serializable
from deepgrad.tensor import raw_data


@register_serializable
class Dropout(Layer):
    """Inverted dropout (Srivastava et al., 2014): in training, zero each input with
    probability ``rate`` and scale the rest by 1/(1 − rate); at inference, the identity."""

    def __init__(self, rate: float, **kwargs: Any) -> None:
        if not 0 <= rate < 1:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate}")
        self.rate = float(rate)
        super().__init__(**kwargs)

    def call(self, inputs: Any, training: bool = False) -> Any:
        if not training or self.rate == 0:
            return inputs
        data = raw_data(inputs)
        scale = _dropout_scale(data.shape, self.rate, data.dtype)
        return dnp.multiply(inputs, scale)  # inputs may be a raw array: a deepgrad op

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate}


@register_serializable
class GaussianNoise(Layer):
    """In training, add N(0, stddev²) noise; at inference, the identity."""

    def __init__(self, stddev: float, **kwargs: Any) -> None:
        self.stddev = float(stddev)
        super().__init__(**kwargs)

    def call(self, inputs: Any, training: bool = False) -> Any:
        if not training or self.stddev == 0:
            return inputs
        data = raw_data(inputs)
        noise = _gaussian_noise(0.0, self.stddev, data.shape, data.dtype)
        return dnp.add(inputs, noise)

    def get_config(self) -> dict:
        return {**super().get_config(), "stddev": self.stddev}


# Random draws are Impure primitives: a compiled training step draws anew on every replay.


def _draw_dropout_scale(shape: tuple, rate: float, dtype: np.dtype) -> np.ndarray:
    """1/(1 − rate) where a unit is kept (probability 1 − rate), 0 where it is dropped."""
    keep = random.default_rng().random(shape) >= rate
    return (keep / (1.0 - rate)).astype(dtype)


_dropout_scale = Impure(_draw_dropout_scale, "_dropout_scale")
_gaussian_noise = Impure(random.normal, "normal")

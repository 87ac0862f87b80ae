"""Layers active only in training: Dropout and GaussianNoise."""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad import random
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
        keep = random.default_rng().random(np.shape(data)) >= self.rate
        return inputs * (keep / (1.0 - self.rate)).astype(data.dtype)

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
        return inputs + random.normal(0.0, self.stddev, np.shape(data), data.dtype)

    def get_config(self) -> dict:
        return {**super().get_config(), "stddev": self.stddev}

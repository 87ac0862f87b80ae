"""Stochastic gradient descent, with momentum and Nesterov momentum."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from deepgrad.optimizers.base import Optimizer
from deepgrad.tensor import Tensor


class SGD(Optimizer):
    """θ ← θ − η g; with momentum μ, v ← μ v + g and θ ← θ − η v; with Nesterov,
    θ ← θ − η (g + μ v).

    This is PyTorch's form of momentum (Sutskever et al., 2013, write v ← μv − ηg,
    θ ← θ + v, as Keras does); the two agree exactly while η is constant.
    """

    def __init__(
        self,
        params: Iterable[Tensor] | None = None,
        learning_rate: Any = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        if momentum < 0:
            raise ValueError(f"SGD: momentum must be >= 0, got {momentum}")
        if nesterov and momentum == 0:
            raise ValueError("SGD: nesterov=True needs a momentum > 0")
        self.momentum, self.nesterov = float(momentum), nesterov
        super().__init__(params, learning_rate)

    def init_state(self, values: np.ndarray) -> dict[str, np.ndarray]:
        return {"velocity": np.zeros_like(values)} if self.momentum else {}

    def update(self, values, grads, state, rate):
        if not self.momentum:
            values -= rate * grads
            return
        velocity = state["velocity"]
        velocity *= self.momentum
        velocity += grads
        if self.nesterov:
            values -= rate * (grads + self.momentum * velocity)
        else:
            values -= rate * velocity

    def get_config(self) -> dict:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}

"""Adam (Kingma & Ba, 2015)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from deepgrad.optimizers.base import Optimizer
from deepgrad.tensor import Tensor


class Adam(Optimizer):
    """m ← β₁m + (1 − β₁)g,  v ← β₂v + (1 − β₂)g²,
    θ ← θ − η m̂ / (√v̂ + ε) with m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ).

    ε = 1e-8, outside the square root, as in the paper and PyTorch (Keras uses 1e-7).
    Paper: https://arxiv.org/abs/1412.6980
    """

    def __init__(
        self,
        params: Iterable[Tensor] | None = None,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
    ) -> None:
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)
        super().__init__(params, learning_rate)

    def init_state(self, values: np.ndarray) -> dict[str, np.ndarray]:
        return {"m": np.zeros_like(values), "v": np.zeros_like(values)}

    def update(self, values, grads, state, rate):
        m, v, t = state["m"], state["v"], self.iterations
        m *= self.beta_1
        m += (1 - self.beta_1) * grads
        v *= self.beta_2
        v += (1 - self.beta_2) * np.square(grads)
        step = rate / (1 - self.beta_1**t)
        denominator = np.sqrt(v / (1 - self.beta_2**t))
        denominator += self.epsilon
        values -= step * m / denominator

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
        }

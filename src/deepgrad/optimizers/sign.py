"""Rules that use only the sign of a gradient: Rprop and Lion."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from deepgrad.optimizers.base import Optimizer
from deepgrad.optimizers.elementwise import Operand, elementwise
from deepgrad.optimizers.flat import FlatGroup
from deepgrad.tensor import Tensor


@elementwise(updates=2)
def lion(
    gradient: Operand,
    parameter: Operand,
    m: Operand,
    rate: float,
    beta_1: float,
    one_minus_beta_1: float,
    beta_2: float,
    one_minus_beta_2: float,
) -> tuple[Operand, ...]:
    """Lion: θ ← θ − η·sign(β₁m + (1 − β₁)g), m ← β₂m + (1 − β₂)g."""
    step = np.sign(beta_1 * m + one_minus_beta_1 * gradient)
    return parameter - rate * step, beta_2 * m + one_minus_beta_2 * gradient


class Rprop(Optimizer):
    """Resilient backpropagation (Riedmiller & Braun, 1993), PyTorch's form: each weight's
    step size grows by η⁺ while its gradient keeps its sign and shrinks by η⁻ when it flips
    (that step is skipped), within [step_min, step_max]; θ ← θ − sign(g)·step. Full batch."""

    def __init__(
        self,
        params: Iterable[Tensor] | None = None,
        learning_rate: Any = 0.01,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50.0),
        **options: Any,
    ) -> None:
        self.etas, self.step_sizes = tuple(etas), tuple(step_sizes)
        super().__init__(params, learning_rate, **options)

    def init_state(self, values: np.ndarray) -> dict[str, np.ndarray]:
        return {"previous": np.zeros_like(values), "step_size": np.full_like(values, np.nan)}

    def update(
        self, values: np.ndarray, grads: np.ndarray, state: dict, rate: float, group: FlatGroup
    ) -> None:
        step = state["step_size"]
        if np.isnan(step).any():
            step[...] = rate
        eta_minus, eta_plus = self.etas
        agreement = np.sign(grads * state["previous"])
        factor = np.where(agreement > 0, eta_plus, np.where(agreement < 0, eta_minus, 1.0))
        np.clip(step * factor, *self.step_sizes, out=step)
        grads = np.where(agreement < 0, 0.0, grads).astype(values.dtype)
        values -= np.sign(grads) * step
        state["previous"][...] = grads

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "etas": list(self.etas),
            "step_sizes": list(self.step_sizes),
        }


class Lion(Optimizer):
    """Lion (Chen et al., 2023, "Symbolic discovery of optimization algorithms"):
    c = β₁m + (1 − β₁)g, θ ← θ − η·sign(c), m ← β₂m + (1 − β₂)g. Use a learning rate 3–10×
    smaller than Adam's, and ``decoupled_weight_decay`` for the paper's λ."""

    keras_arguments = ("beta_1", "beta_2")

    def __init__(
        self,
        params: Iterable[Tensor] | None = None,
        learning_rate: Any = 1e-4,
        beta_1: float = 0.9,
        beta_2: float = 0.99,
        **options: Any,
    ) -> None:
        if not (0 <= beta_1 <= 1 and 0 <= beta_2 <= 1):  # outside, the momentum diverges
            raise ValueError(f"Lion: betas must be in [0, 1], got {beta_1}, {beta_2}")
        self.beta_1, self.beta_2 = float(beta_1), float(beta_2)
        super().__init__(params, learning_rate, **options)

    def init_state(self, values: np.ndarray) -> dict[str, np.ndarray]:
        return {"m": np.zeros_like(values)}

    def update(
        self, values: np.ndarray, grads: np.ndarray, state: dict, rate: float, group: FlatGroup
    ) -> None:
        b1, b2 = self.beta_1, self.beta_2
        lion(grads, values, state["m"], rate, b1, 1 - b1, b2, 1 - b2, scratch=self.scratch)

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}

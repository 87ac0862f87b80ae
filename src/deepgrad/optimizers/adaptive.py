"""Per-coordinate adaptive rates: Adagrad, Adadelta, RMSprop."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from deepgrad.optimizers.base import Optimizer
from deepgrad.optimizers.flat import FlatGroup
from deepgrad.tensor import Tensor


class Adagrad(Optimizer):
    """s ← s + g², θ ← θ − η_t g / (√s + ε), η_t = η / (1 + (t − 1)·decay) (Duchi et al.,
    2011). PyTorch's defaults (accumulator 0, ε = 1e-10); Keras starts s at 0.1, ε = 1e-7."""

    def __init__(
        self,
        params: Iterable[Tensor] | None = None,
        learning_rate: Any = 0.01,
        initial_accumulator_value: float = 0.0,
        epsilon: float = 1e-10,
        lr_decay: float = 0.0,
        **options: Any,
    ) -> None:
        self.initial_accumulator_value, self.epsilon = (
            float(initial_accumulator_value),
            float(epsilon),
        )
        self.lr_decay = float(lr_decay)
        super().__init__(params, learning_rate, **options)

    def init_state(self, values: np.ndarray) -> dict[str, np.ndarray]:
        return {"sum": np.full_like(values, self.initial_accumulator_value)}

    def update(
        self, values: np.ndarray, grads: np.ndarray, state: dict, rate: float, group: FlatGroup
    ) -> None:
        rate = rate / (1.0 + (self.iterations - 1) * self.lr_decay)
        state["sum"] += np.square(grads)
        values -= rate * grads / (np.sqrt(state["sum"]) + self.epsilon)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "initial_accumulator_value": self.initial_accumulator_value,
            "epsilon": self.epsilon,
            "lr_decay": self.lr_decay,
        }


class Adadelta(Optimizer):
    """Zeiler (2012): v ← ρv + (1 − ρ)g², Δ = √(u + ε)/√(v + ε)·g, u ← ρu + (1 − ρ)Δ²,
    θ ← θ − ηΔ. The paper's ρ = 0.95, ε = 1e-6 and η = 1 (PyTorch uses ρ = 0.9)."""

    def __init__(
        self,
        params: Iterable[Tensor] | None = None,
        learning_rate: Any = 1.0,
        rho: float = 0.95,
        epsilon: float = 1e-6,
        **options: Any,
    ) -> None:
        self.rho, self.epsilon = float(rho), float(epsilon)
        super().__init__(params, learning_rate, **options)

    def init_state(self, values: np.ndarray) -> dict[str, np.ndarray]:
        return {"square_avg": np.zeros_like(values), "delta_avg": np.zeros_like(values)}

    def update(
        self, values: np.ndarray, grads: np.ndarray, state: dict, rate: float, group: FlatGroup
    ) -> None:
        rho, eps = self.rho, self.epsilon
        state["square_avg"] *= rho
        state["square_avg"] += (1 - rho) * np.square(grads)
        delta = np.sqrt(state["delta_avg"] + eps) / np.sqrt(state["square_avg"] + eps) * grads
        state["delta_avg"] *= rho
        state["delta_avg"] += (1 - rho) * np.square(delta)
        values -= rate * delta

    def get_config(self) -> dict:
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


class RMSprop(Optimizer):
    """Hinton's RMSprop: v ← ρv + (1 − ρ)g², θ ← θ − ηg / (√v + ε); ``centered`` divides
    by the variance √(v − ḡ²) instead, ``momentum`` μ accumulates b ← μb + g/(√v + ε).
    Hinton's ρ = 0.9, η = 0.001 (PyTorch's are 0.99 and 0.01: ``rho`` is PyTorch's alpha)."""

    def __init__(
        self,
        params: Iterable[Tensor] | None = None,
        learning_rate: Any = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-8,
        centered: bool = False,
        **options: Any,
    ) -> None:
        self.rho, self.momentum, self.epsilon, self.centered = (
            float(rho),
            float(momentum),
            float(epsilon),
            centered,
        )
        super().__init__(params, learning_rate, **options)

    def init_state(self, values: np.ndarray) -> dict[str, np.ndarray]:
        state = {"square_avg": np.zeros_like(values)}
        if self.centered:
            state["grad_avg"] = np.zeros_like(values)
        if self.momentum:
            state["buffer"] = np.zeros_like(values)
        return state

    def update(
        self, values: np.ndarray, grads: np.ndarray, state: dict, rate: float, group: FlatGroup
    ) -> None:
        rho = self.rho
        state["square_avg"] *= rho
        state["square_avg"] += (1 - rho) * np.square(grads)
        if self.centered:
            state["grad_avg"] += (1 - rho) * (grads - state["grad_avg"])
            denominator = np.sqrt(state["square_avg"] - np.square(state["grad_avg"])) + self.epsilon
        else:
            denominator = np.sqrt(state["square_avg"]) + self.epsilon
        if self.momentum:
            state["buffer"] *= self.momentum
            state["buffer"] += grads / denominator
            values -= rate * state["buffer"]
        else:
            values -= rate * grads / denominator

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "rho": self.rho,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "centered": self.centered,
        }

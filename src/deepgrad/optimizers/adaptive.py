"""Per-coordinate adaptive rates: Adagrad, Adadelta, RMSprop. Adagrad's and Adadelta's
updates are elementwise rules (``elementwise.py``); RMSprop's options change which state it
keeps, so it stays an ``update`` method. The moving averages are Adam's ``first_moment``
and ``second_moment``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from deepgrad.optimizers.adam_rules import first_moment, second_moment
from deepgrad.optimizers.base import Optimizer
from deepgrad.optimizers.elementwise import Operand, elementwise
from deepgrad.optimizers.flat import FlatGroup
from deepgrad.tensor import Tensor


@elementwise(updates=2)
def adagrad(
    gradient: Operand, parameter: Operand, total: Operand, rate: float, epsilon: float
) -> tuple[Operand, ...]:
    """Adagrad: s ← s + g², θ ← θ − ηg/(√s + ε)."""
    total = total + gradient * gradient
    return parameter - rate * gradient / (np.sqrt(total) + epsilon), total


@elementwise(updates=3)
def adadelta(
    gradient: Operand,
    parameter: Operand,
    square_avg: Operand,
    delta_avg: Operand,
    rate: float,
    rho: float,
    one_minus_rho: float,
    epsilon: float,
) -> tuple[Operand, ...]:
    """Adadelta: v ← ρv + (1 − ρ)g², Δ = √(u + ε)/√(v + ε)·g, u ← ρu + (1 − ρ)Δ², θ ← θ − ηΔ."""
    square_avg = second_moment(gradient, square_avg, rho, one_minus_rho)
    delta = np.sqrt(delta_avg + epsilon) / np.sqrt(square_avg + epsilon) * gradient
    delta_avg = second_moment(delta, delta_avg, rho, one_minus_rho)
    return parameter - rate * delta, square_avg, delta_avg


class Adagrad(Optimizer):
    """s ← s + g², θ ← θ − η_t g / (√s + ε), η_t = η / (1 + (t − 1)·decay) (Duchi et al.,
    2011). PyTorch's defaults (accumulator 0, ε = 1e-10); Keras starts s at 0.1, ε = 1e-7."""

    keras_arguments = ("initial_accumulator_value", "epsilon")

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
        adagrad(grads, values, state["sum"], rate, self.epsilon, scratch=self.scratch)

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

    keras_arguments = ("rho", "epsilon")

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
        adadelta(
            grads,
            values,
            state["square_avg"],
            state["delta_avg"],
            rate,
            self.rho,
            1 - self.rho,
            self.epsilon,
            scratch=self.scratch,
        )

    def get_config(self) -> dict:
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


class RMSprop(Optimizer):
    """Hinton's RMSprop: v ← ρv + (1 − ρ)g², θ ← θ − ηg / (√v + ε); ``centered`` divides
    by the variance √(v − ḡ²) instead. ``momentum`` μ accumulates, as SGD's does, in one of
    two forms that agree while the rate is constant: ``momentum_form="pytorch"`` (the
    default) b ← μb + g/(√v + ε), θ ← θ − ηb; ``"keras"`` b ← μb + ηg/(√v + ε), θ ← θ − b,
    where a rate that changes (a schedule, ``ReduceLROnPlateau``) scales new steps only.
    Hinton's ρ = 0.9, η = 0.001 (PyTorch's are 0.99 and 0.01: ``rho`` is PyTorch's alpha)."""

    keras_arguments = ("rho", "momentum", "epsilon", "centered")

    def __init__(
        self,
        params: Iterable[Tensor] | None = None,
        learning_rate: Any = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-8,
        centered: bool = False,
        momentum_form: str = "pytorch",
        **options: Any,
    ) -> None:
        if momentum_form not in ("pytorch", "keras"):
            raise ValueError(
                f"RMSprop: momentum_form must be 'pytorch' or 'keras', got {momentum_form!r}"
            )
        self.rho, self.momentum, self.epsilon, self.centered = (
            float(rho),
            float(momentum),
            float(epsilon),
            centered,
        )
        self.momentum_form = momentum_form
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
        rho, square_avg = self.rho, state["square_avg"]
        square_avg[...] = second_moment(grads, square_avg, rho, 1 - rho)
        if self.centered:
            grad_avg = state["grad_avg"]
            grad_avg[...] = first_moment(grads, grad_avg, 1 - rho)
            denominator = np.sqrt(square_avg - np.square(grad_avg)) + self.epsilon
        else:
            denominator = np.sqrt(square_avg) + self.epsilon
        if self.momentum and self.momentum_form == "keras":  # the rate inside the buffer
            state["buffer"] *= self.momentum
            state["buffer"] += rate * grads / denominator
            values -= state["buffer"]
        elif self.momentum:
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
            "momentum_form": self.momentum_form,
        }

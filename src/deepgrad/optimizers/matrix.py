"""Rules that treat weight matrices as matrices: Adafactor's factored second moment and
Muon's orthogonalised momentum. They work parameter by parameter (views of the buffer)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from deepgrad.optimizers.adam_rules import adam
from deepgrad.optimizers.base import Optimizer
from deepgrad.optimizers.flat import FlatGroup
from deepgrad.optimizers.sgd import heavy_ball
from deepgrad.tensor import Tensor


class Adafactor(Optimizer):
    """Adafactor (Shazeer & Stern, 2018), in PyTorch's form. For a matrix the second moment
    is kept as row and column means (O(n + m) memory instead of O(nm)):

        β₂ₜ = 1 − t^c (c = ``beta2_decay`` = −0.8),  ρ_t = min(η, 1/√t),
        α_t = max(ε₂, RMS(θ))·ρ_t,  V̂ = R C / mean(R),  U = g/√max(V̂, ε₁²),
        θ ← θ − α_t U / max(1, RMS(U)/d)

    ``weight_decay`` is decoupled (θ ← (1 − ηλ)θ), as in PyTorch.
    """

    keras_arguments = ("beta_2_decay", "epsilon_1", "epsilon_2", "clip_threshold", "relative_step")

    def __init__(
        self,
        params: Iterable[Tensor] | None = None,
        learning_rate: Any = 0.01,
        beta2_decay: float = -0.8,
        epsilon1: float | None = None,
        epsilon2: float = 1e-3,
        clip_threshold: float = 1.0,
        weight_decay: float = 0.0,
        **options: Any,
    ) -> None:
        self.beta2_decay, self.epsilon1, self.epsilon2 = (
            float(beta2_decay),
            epsilon1,
            float(epsilon2),
        )
        self.clip_threshold, self.adafactor_weight_decay = (
            float(clip_threshold),
            float(weight_decay),
        )
        super().__init__(params, learning_rate, **options)

    def init_state(self, values: np.ndarray) -> dict[str, np.ndarray]:
        return {"variance": np.zeros_like(values)}

    def init_group_state(self, group: FlatGroup, state: dict[str, np.ndarray]) -> None:
        for i, p in enumerate(group.params):
            if p.ndim > 1:
                state[f"row.{i}"] = np.zeros((*p.shape[:-1], 1), p.dtype)
                state[f"col.{i}"] = np.zeros((*p.shape[:-2], 1, p.shape[-1]), p.dtype)

    def update(
        self, values: np.ndarray, grads: np.ndarray, state: dict, rate: float, group: FlatGroup
    ) -> None:
        t = self.iterations
        mix = t**self.beta2_decay  # 1 − β₂ₜ
        rho = min(rate, 1 / math.sqrt(t))
        eps1 = np.finfo(values.dtype).eps if self.epsilon1 is None else self.epsilon1
        pieces = zip(
            group.views(values), group.views(grads), group.views(state["variance"]), strict=True
        )
        for i, (theta, g, variance) in enumerate(pieces):
            alpha = max(self.epsilon2, float(np.linalg.norm(theta)) / math.sqrt(theta.size)) * rho
            if self.adafactor_weight_decay:
                theta *= 1 - rate * self.adafactor_weight_decay
            squared = np.square(g)
            if g.ndim > 1:
                row, col = state[f"row.{i}"], state[f"col.{i}"]
                row += mix * (squared.mean(axis=-1, keepdims=True) - row)
                col += mix * (squared.mean(axis=-2, keepdims=True) - col)
                estimate = (row @ col) / np.maximum(row.mean(axis=-2, keepdims=True), eps1)
            else:
                variance += mix * (squared - variance)
                estimate = variance
            step = g / np.sqrt(np.maximum(estimate, eps1 * eps1))
            scale = max(
                1.0, float(np.linalg.norm(step)) / (math.sqrt(step.size) * self.clip_threshold)
            )
            theta -= (alpha / scale) * step

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "beta2_decay": self.beta2_decay,
            "epsilon1": self.epsilon1,
            "epsilon2": self.epsilon2,
            "clip_threshold": self.clip_threshold,
            "weight_decay": self.adafactor_weight_decay,
        }


def newton_schulz(
    matrix: np.ndarray,
    steps: int = 5,
    coefficients: tuple[float, float, float] = (3.4445, -4.7750, 2.0315),
    epsilon: float = 1e-7,
) -> np.ndarray:
    """Approximately orthogonalise ``matrix`` (UV' of its SVD, singular values pushed
    towards 1) with a quintic Newton–Schulz iteration, as in Jordan et al.'s Muon."""
    a, b, c = coefficients
    x = matrix / max(float(np.linalg.norm(matrix)), epsilon)
    transposed = x.shape[0] > x.shape[1]
    if transposed:
        x = x.T
    for _ in range(steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * gram @ gram) @ x
    return x.T if transposed else x


class Muon(Optimizer):
    """Muon (Jordan et al., 2024): momentum B ← μB + g (Nesterov: g + μB), orthogonalised
    by Newton–Schulz, θ ← θ − η·√max(1, rows/cols)·NS(B), for 2-D weights. Every other
    parameter (biases, norms) falls back to Adam with ``adam_learning_rate``.
    ``weight_decay`` is decoupled and applies to the matrices, as in PyTorch.

    PyTorch runs Newton–Schulz in bfloat16; deepgrad in the parameters' dtype.
    """

    keras_arguments = ("adam_beta_1", "adam_beta_2", "adam_weight_decay", "epsilon")

    def __init__(
        self,
        params: Iterable[Tensor] | None = None,
        learning_rate: Any = 0.02,
        momentum: float = 0.95,
        nesterov: bool = True,
        ns_steps: int = 5,
        ns_coefficients: tuple = (3.4445, -4.7750, 2.0315),
        epsilon: float = 1e-7,
        weight_decay: float = 0.0,
        adam_learning_rate: float = 3e-4,
        adam_betas: tuple = (0.9, 0.95),
        adam_epsilon: float = 1e-8,
        **options: Any,
    ) -> None:
        self.momentum, self.nesterov, self.ns_steps = float(momentum), nesterov, int(ns_steps)
        self.ns_coefficients, self.epsilon = tuple(ns_coefficients), float(epsilon)
        self.muon_weight_decay = float(weight_decay)
        self.adam_learning_rate, self.adam_betas, self.adam_epsilon = (
            adam_learning_rate,
            tuple(adam_betas),
            adam_epsilon,
        )
        super().__init__(params, learning_rate, **options)

    def init_state(self, values: np.ndarray) -> dict[str, np.ndarray]:
        return {
            "momentum": np.zeros_like(values),
            "m": np.zeros_like(values),
            "v": np.zeros_like(values),
        }

    def update(
        self, values: np.ndarray, grads: np.ndarray, state: dict, rate: float, group: FlatGroup
    ) -> None:
        pieces = zip(
            group.views(values),
            group.views(grads),
            group.views(state["momentum"]),
            group.views(state["m"]),
            group.views(state["v"]),
            group.params,
            strict=True,
        )
        for theta, g, buffer, m, v, p in pieces:
            if p.ndim == 2:
                # B ← μB + g (from B = 0, so no first-step case), Nesterov g + μB.
                direction, buffer[...] = heavy_ball(
                    g, buffer, self.momentum, 1.0, self.nesterov, False
                )
                orthogonal = newton_schulz(
                    np.asarray(direction), self.ns_steps, self.ns_coefficients, self.epsilon
                )
                if self.muon_weight_decay:
                    theta *= 1 - rate * self.muon_weight_decay
                theta -= rate * math.sqrt(max(1.0, p.shape[0] / p.shape[1])) * orthogonal
            else:  # the Adam rule itself, with Muon's own rate and betas
                adam(g, theta, m, v, *self._adam_scalars(), scratch=self.scratch)

    def _adam_scalars(self) -> tuple[float, ...]:
        (b1, b2), t = self.adam_betas, self.iterations
        rate = self.adam_learning_rate
        return rate / (1 - b1**t), 1 - b1, b2, 1 - b2, 1 / math.sqrt(1 - b2**t), self.adam_epsilon

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "momentum": self.momentum,
            "nesterov": self.nesterov,
            "ns_steps": self.ns_steps,
            "ns_coefficients": list(self.ns_coefficients),
            "epsilon": self.epsilon,
            "weight_decay": self.muon_weight_decay,
            "adam_learning_rate": self.adam_learning_rate,
            "adam_betas": list(self.adam_betas),
            "adam_epsilon": self.adam_epsilon,
        }

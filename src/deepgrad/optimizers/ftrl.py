"""FTRL-Proximal (McMahan et al., 2013, "Ad click prediction: a view from the trenches")."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from deepgrad.optimizers.base import Optimizer
from deepgrad.optimizers.flat import FlatGroup
from deepgrad.tensor import Tensor


class Ftrl(Optimizer):
    """Per coordinate, with n the sum of squared gradients (Algorithm 1 of the paper,
    generalised to n^(−p) for ``learning_rate_power`` p = −½):

        σ = (n_new^(−p) − n^(−p))/η,  z ← z + g − σθ,  n ← n_new = n + g²,
        θ = 0 if |z| ≤ λ₁ else −(z − sign(z)λ₁) / ((β + n^(−p))/η + λ₂)

    L1 drives weights to exactly zero (sparse models). λ₂ is the paper's; Keras' ``l2``
    corresponds to λ₂/2.
    """

    keras_arguments = (
        "learning_rate_power",
        "initial_accumulator_value",
        "l1_regularization_strength",
        "l2_regularization_strength",
        "l2_shrinkage_regularization_strength",
        "beta",
    )

    def __init__(
        self,
        params: Iterable[Tensor] | None = None,
        learning_rate: Any = 0.001,
        learning_rate_power: float = -0.5,
        initial_accumulator_value: float = 0.1,
        l1: float = 0.0,
        l2: float = 0.0,
        beta: float = 0.0,
        **options: Any,
    ) -> None:
        if learning_rate_power > 0:
            raise ValueError(f"Ftrl: learning_rate_power must be <= 0, got {learning_rate_power}")
        self.power, self.initial_accumulator_value = (
            float(learning_rate_power),
            float(initial_accumulator_value),
        )
        self.l1, self.l2, self.beta = float(l1), float(l2), float(beta)
        super().__init__(params, learning_rate, **options)

    def init_state(self, values: np.ndarray) -> dict[str, np.ndarray]:
        return {
            "n": np.full_like(values, self.initial_accumulator_value),
            "z": np.zeros_like(values),
        }

    def update(
        self, values: np.ndarray, grads: np.ndarray, state: dict, rate: float, group: FlatGroup
    ) -> None:
        n, z, p = state["n"], state["z"], self.power
        n_new = n + np.square(grads)
        sigma = (n_new ** (-p) - n ** (-p)) / rate
        z += grads - sigma * values
        n[...] = n_new
        denominator = (self.beta + n ** (-p)) / rate + self.l2
        values[...] = np.where(np.abs(z) > self.l1, -(z - np.sign(z) * self.l1) / denominator, 0.0)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "learning_rate_power": self.power,
            "initial_accumulator_value": self.initial_accumulator_value,
            "l1": self.l1,
            "l2": self.l2,
            "beta": self.beta,
        }

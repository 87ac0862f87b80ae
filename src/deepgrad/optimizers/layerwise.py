"""Layer-wise trust ratios for large batches: LARS and LAMB. The ratio is per parameter
tensor; on the flat buffer all the norms come from one reduction (``FlatGroup.norms``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from deepgrad.optimizers.adam import _Moments
from deepgrad.optimizers.adam_rules import adam_direction, moments
from deepgrad.optimizers.base import Optimizer
from deepgrad.optimizers.flat import FlatGroup
from deepgrad.tensor import Tensor


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator/denominator where both are positive, else 1 (the papers' convention)."""
    ok = (numerator > 0) & (denominator > 0)
    return np.where(ok, numerator / np.where(ok, denominator, 1.0), 1.0)


class LARS(Optimizer):
    """LARS (You et al., 2017): local rate η_l = τ‖θ‖/(‖g‖ + λ‖θ‖) per layer, then
    v ← μv + η·η_l·(g + λθ), θ ← θ − v. ``weight_decay_lars`` is the paper's λ."""

    def __init__(
        self,
        params: Iterable[Tensor] | None = None,
        learning_rate: Any = 0.1,
        momentum: float = 0.9,
        weight_decay_lars: float = 0.0,
        trust_coefficient: float = 0.001,
        **options: Any,
    ) -> None:
        self.momentum, self.weight_decay_lars = float(momentum), float(weight_decay_lars)
        self.trust_coefficient = float(trust_coefficient)
        super().__init__(params, learning_rate, **options)

    def init_state(self, values: np.ndarray) -> dict[str, np.ndarray]:
        return {"velocity": np.zeros_like(values)}

    def update(
        self, values: np.ndarray, grads: np.ndarray, state: dict, rate: float, group: FlatGroup
    ) -> None:
        wd = self.weight_decay_lars
        weight_norm, grad_norm = group.norms(values), group.norms(grads)
        local = self.trust_coefficient * _ratio(weight_norm, grad_norm + wd * weight_norm)
        velocity = state["velocity"]
        velocity *= self.momentum
        velocity += rate * group.spread(local).astype(values.dtype) * (grads + wd * values)
        values -= velocity

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "momentum": self.momentum,
            "weight_decay_lars": self.weight_decay_lars,
            "trust_coefficient": self.trust_coefficient,
        }


class Lamb(_Moments):
    """LAMB (You et al., 2020): the Adam direction plus decay, r = m̂/(√v̂ + ε) + λθ, scaled
    per layer by the trust ratio ‖θ‖/‖r‖: θ ← θ − η·(‖θ‖/‖r‖)·r. ``weight_decay_lamb`` is λ.
    Not elementwise (the ratio needs each layer's norms), so NumPy only."""

    keras_arguments = ("beta_1", "beta_2", "epsilon")

    def __init__(
        self,
        params: Iterable[Tensor] | None = None,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-6,
        weight_decay_lamb: float = 0.0,
        **options: Any,
    ) -> None:
        self.weight_decay_lamb = float(weight_decay_lamb)
        super().__init__(params, learning_rate, beta_1, beta_2, epsilon, **options)

    def update(
        self, values: np.ndarray, grads: np.ndarray, state: dict, rate: float, group: FlatGroup
    ) -> None:
        t = self.iterations
        _, one_minus_beta_1, beta_2, one_minus_beta_2, _, epsilon = self.adam_scalars(rate)
        m, v = state["m"], state["v"]
        moments(grads, m, v, one_minus_beta_1, beta_2, one_minus_beta_2, scratch=self.scratch)
        # m̂ and v̂ themselves (the scale 1): ‖r‖ needs no step size folded in.
        direction = adam_direction(m / (1 - self.beta_1**t), v / (1 - self.beta_2**t), 1.0, epsilon)
        direction += self.weight_decay_lamb * values
        trust = _ratio(group.norms(values), group.norms(direction))
        values -= rate * group.spread(trust).astype(values.dtype) * direction

    def get_config(self) -> dict:
        return {**super().get_config(), "weight_decay_lamb": self.weight_decay_lamb}

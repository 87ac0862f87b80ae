"""Schedule-free SGD and AdamW (Defazio et al., 2024, "The Road Less Scheduled",
https://arxiv.org/abs/2405.15682): no learning-rate schedule, and no stopping time to fix
in advance. Three sequences replace the one of SGD:

    z_{t+1} = z_t − γ_t ∇f(y_t)                    the base optimizer's iterates
    x_{t+1} = (1 − c_{t+1}) x_t + c_{t+1} z_{t+1}   their running average
    y_{t+1} = (1 − β) z_{t+1} + β x_{t+1}           where the next gradient is taken

The parameters hold y (the gradient is taken there, so ``fit`` works unchanged) and the
state holds z; x is recovered from them as x = (y − (1 − β)z)/β. Keras' optimizer has no
way to swap x into the parameters: ``fit``, ``evaluate`` and ``predict`` all see y, and so
they do here. (The authors' PyTorch code swaps x in with ``optimizer.eval()``.)

Each update is one elementwise rule over the flat buffer, run by NumPy or, where numba is
installed, by its kernel (3.6x and 6.9x faster on 1.86 M parameters;
``docs/optimizer-kernels.md``).
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

from deepgrad.optimizers.base import Optimizer
from deepgrad.optimizers.elementwise import Operand, elementwise
from deepgrad.optimizers.flat import FlatGroup
from deepgrad.tensor import Tensor

# ---- the rules ---------------------------------------------------------------------------


@elementwise(updates=2, kernel=True)
def schedule_free_sgd(
    gradient: Operand,
    parameter: Operand,
    z: Operand,
    average_weight: float,
    gradient_step: float,
    rate: float,
) -> tuple[Operand, ...]:
    """Schedule-free SGD on y, x left implicit (the authors' ``SGDScheduleFree``):
    y ← y + c(z − y) + γ(β(1 − c) − 1)g, then z ← z − γg; ``gradient_step`` is
    γ(β(1 − c) − 1). The first line is (1 − β)z' + βx' written with y and z alone."""
    moved = parameter + average_weight * (z - parameter) + gradient_step * gradient
    return moved, z - rate * gradient


@elementwise(updates=3, kernel=True)
def schedule_free_adamw(
    gradient: Operand,
    parameter: Operand,
    z: Operand,
    v: Operand,
    rate: float,
    one_minus_beta_2: float,
    bias_correction_2: float,
    epsilon: float,
    beta_1: float,
    one_minus_beta_1: float,
    average_weight: float,
    one_minus_average_weight: float,
) -> tuple[Operand, ...]:
    """Keras' schedule-free AdamW, in Keras' order of operations: v ← v + (g² − v)(1 − β₂),
    z' = z − γg/(√(v/(1 − β₂ᵗ)) + ε), x = (y − (1 − β₁)z)/β₁, x' = (1 − c)x + cz',
    y' = (1 − β₁)z' + β₁x'."""
    v = v + (gradient * gradient - v) * one_minus_beta_2
    moved_z = z - rate * gradient / (np.sqrt(v / bias_correction_2) + epsilon)
    average = (parameter - one_minus_beta_1 * z) / beta_1
    average = one_minus_average_weight * average + average_weight * moved_z
    return one_minus_beta_1 * moved_z + beta_1 * average, moved_z, v


# ---- the optimizers ----------------------------------------------------------------------


def _checked_warmup(optimizer: str, warmup_steps: Any) -> int:
    if (
        isinstance(warmup_steps, bool)
        or not isinstance(warmup_steps, numbers.Integral)
        or warmup_steps < 0
    ):
        raise ValueError(
            f"{optimizer}: warmup_steps must be an integer >= 0 (the steps over which the "
            f"rate rises linearly to learning_rate), got {warmup_steps!r}"
        )
    return int(warmup_steps)


def _warmed_up(rate: float, step: int, warmup_steps: int) -> float:
    """γ_t = η·min(t/warmup_steps, 1), t = 1, 2, ... (Keras' and the authors' warmup)."""
    return rate * min(step / warmup_steps, 1.0) if warmup_steps else rate


class ScheduleFreeSGD(Optimizer):
    """Schedule-free SGD (Defazio et al., 2024, Algorithm 1; the authors'
    ``SGDScheduleFree``): SGD steps on z, gradients taken at the interpolation
    y = (1 − β)z + βx, and x the weighted average of the z's.

        γ_t = η·min(t/warmup_steps, 1),   w_t = t^r·(max_{s≤t} γ_s)^p,   c_t = w_t/Σ_{s≤t} w_s
        z ← z − γ_t g,   x ← (1 − c_t)x + c_t z,   y = (1 − β)z + βx

    With r = 0 and no warmup, c_t = 1/t: x is the plain mean of the z's. Arguments and
    defaults are the authors': ``learning_rate`` η = 1, ``momentum`` β = 0.9 (in (0, 1)),
    ``warmup_steps`` = 0, ``r`` = 0, ``weight_lr_power`` p = 2; ``weight_decay`` is an L2
    term added to the gradient, taken at y, as theirs is. The parameters hold y, which
    ``fit``, ``evaluate`` and ``predict`` use (as Keras' ``ScheduleFreeAdamW``); the state
    holds z and the sums of the averaging weights.

    >>> import deepgrad as dg
    >>> w = dg.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = ScheduleFreeSGD([w], learning_rate=0.1)
    >>> (w * w).sum().backward()  # g = 2w
    >>> opt.step()  # c₁ = 1: y = z = w − ηg
    >>> w.numpy()
    array([ 0.8, -1.6], dtype=float32)
    """

    def __init__(
        self,
        params: Iterable[Tensor] | None = None,
        learning_rate: Any = 1.0,
        momentum: float = 0.9,
        warmup_steps: int = 0,
        r: float = 0.0,
        weight_lr_power: float = 2.0,
        **options: Any,
    ) -> None:
        if not 0 < momentum < 1:
            raise ValueError(
                f"ScheduleFreeSGD: momentum must be in (0, 1) (the weight of x in "
                f"y = (1 − β)z + βx), got {momentum}"
            )
        self.momentum = float(momentum)
        self.warmup_steps = _checked_warmup(type(self).__name__, warmup_steps)
        self.r, self.weight_lr_power = float(r), float(weight_lr_power)
        super().__init__(params, learning_rate, **options)

    update_has_kernel = True

    def init_state(self, values: np.ndarray) -> dict[str, np.ndarray]:
        # The averaging weights' sum and the largest rate so far, as the authors keep them.
        return {"z": values.copy(), "weight_sum": np.array(0.0), "lr_max": np.array(-1.0)}

    def update(
        self, values: np.ndarray, grads: np.ndarray, state: dict, rate: float, group: FlatGroup
    ) -> None:
        step = self.iterations
        rate = _warmed_up(rate, step, self.warmup_steps)
        lr_max = max(rate, float(state["lr_max"]))
        weight = step**self.r * lr_max**self.weight_lr_power
        weight_sum = float(state["weight_sum"]) + weight
        state["lr_max"][...], state["weight_sum"][...] = lr_max, weight_sum
        average_weight = weight / weight_sum if weight_sum else 0.0
        gradient_step = rate * (self.momentum * (1 - average_weight) - 1)
        schedule_free_sgd(
            grads, values, state["z"], average_weight, gradient_step, rate, scratch=self.scratch
        )

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "momentum": self.momentum,
            "warmup_steps": self.warmup_steps,
            "r": self.r,
            "weight_lr_power": self.weight_lr_power,
        }


class ScheduleFreeAdamW(Optimizer):
    """Schedule-free AdamW as Keras 3 has it (``keras.optimizers.ScheduleFreeAdamW``):
    the schedule-free sequences with an Adam-scaled step on z and the plain mean of the
    z's as x (Keras weights every step alike, 1/t; the authors' code weights by γ²).

        γ_t = η·min(t/warmup_steps, 1),   v ← β₂v + (1 − β₂)g²,
        z ← z − γ_t g/(√(v/(1 − β₂ᵗ)) + ε),   x ← (1 − 1/t)x + z/t,   y = (1 − β₁)z + β₁x

    Keras' arguments and defaults: η = 0.0025, β₁ = 0.9 (in (0, 1): x = (y − (1 − β₁)z)/β₁),
    β₂ = 0.999, ε = 1e-8, ``warmup_steps`` = 0, and ``weight_decay`` decoupled as in
    Keras, y ← y − ηλy before the step, with the rate before warmup. The parameters hold
    y, where the gradient is taken: as in Keras, ``fit``, ``evaluate`` and ``predict``
    all use y (Keras has no switch to x). The state holds z and v.

    >>> import deepgrad as dg
    >>> w = dg.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = ScheduleFreeAdamW([w], learning_rate=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()  # the first step is y = z = w − η·sign(g), as Adam's (to ε)
    >>> w.numpy().round(6)
    array([ 0.9, -1.9], dtype=float32)
    """

    keras_arguments = ("beta_1", "beta_2", "epsilon", "warmup_steps")

    def __init__(
        self,
        params: Iterable[Tensor] | None = None,
        learning_rate: Any = 0.0025,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        warmup_steps: int = 0,
        weight_decay: float | None = None,
        **options: Any,
    ) -> None:
        if not (0 < beta_1 < 1 and 0 <= beta_2 < 1):
            raise ValueError(
                "ScheduleFreeAdamW: beta_1 must be in (0, 1) (x is recovered as "
                f"(y − (1 − β₁)z)/β₁) and beta_2 in [0, 1), got {beta_1}, {beta_2}"
            )
        if "decoupled_weight_decay" in options:
            raise TypeError(
                "ScheduleFreeAdamW: weight_decay is already decoupled (Keras' meaning); "
                "pass weight_decay, not decoupled_weight_decay"
            )
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)
        self.warmup_steps = _checked_warmup(type(self).__name__, warmup_steps)
        super().__init__(
            params,
            learning_rate,
            decoupled_weight_decay=0.0 if weight_decay is None else float(weight_decay),
            **options,
        )

    update_has_kernel = True

    def init_state(self, values: np.ndarray) -> dict[str, np.ndarray]:
        return {"z": values.copy(), "v": np.zeros_like(values)}

    def update(
        self, values: np.ndarray, grads: np.ndarray, state: dict, rate: float, group: FlatGroup
    ) -> None:
        step, beta_1 = self.iterations, self.beta_1
        schedule_free_adamw(
            grads,
            values,
            state["z"],
            state["v"],
            _warmed_up(rate, step, self.warmup_steps),
            1 - self.beta_2,
            1 - self.beta_2**step,
            self.epsilon,
            beta_1,
            1 - beta_1,
            1 / step,
            1 - 1 / step,
            scratch=self.scratch,
        )

    def get_config(self) -> dict:
        config = super().get_config()
        config["weight_decay"] = config.pop("decoupled_weight_decay")
        return {
            **config,
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "warmup_steps": self.warmup_steps,
        }

"""Adam (Kingma & Ba, 2015) and its descendants: AMSGrad, AdamW, Adamax, Nadam, RAdam,
Yogi, AdaBelief. All keep a first moment m and a second moment v of the gradient:

    m ← β₁m + (1 − β₁)g,   v ← β₂v + (1 − β₂)g²,   m̂ = m/(1 − β₁ᵗ),   v̂ = v/(1 − β₂ᵗ)

and differ in how they turn them into a step. ε = 1e-8 outside the square root, as in the
paper and PyTorch (Keras uses 1e-7).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from deepgrad import kernels
from deepgrad.optimizers import fused
from deepgrad.optimizers.base import Optimizer
from deepgrad.tensor import Tensor


class _Moments(Optimizer):
    """Shared by the rules that keep m (and usually v)."""

    def __init__(
        self,
        params: Iterable[Tensor] | None = None,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        **options: Any,
    ) -> None:
        if not (0 <= beta_1 < 1 and 0 <= beta_2 < 1):
            raise ValueError(
                f"{type(self).__name__}: betas must be in [0, 1), got {beta_1}, {beta_2}"
            )
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)
        super().__init__(params, learning_rate, **options)

    def init_state(self, values):
        return {"m": np.zeros_like(values), "v": np.zeros_like(values)}

    def _update_first_moment(self, grads, m):
        m += (1 - self.beta_1) * (grads - m)  # m ← β₁m + (1 − β₁)g

    def _update_moments(self, grads, state):
        m, v = state["m"], state["v"]
        self._update_first_moment(grads, m)
        v *= self.beta_2
        v += (1 - self.beta_2) * np.square(grads)

    def get_config(self):
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
        }


class Adam(_Moments):
    """θ ← θ − η m̂ / (√v̂ + ε); ``amsgrad`` uses the running maximum of v̂ (Reddi et al.,
    2018). Paper: https://arxiv.org/abs/1412.6980

    The update is written in place over the flat buffers with one scratch array, so one
    step makes no allocation.
    """

    def __init__(
        self,
        params: Iterable[Tensor] | None = None,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        amsgrad: bool = False,
        **options: Any,
    ) -> None:
        self.amsgrad = amsgrad
        super().__init__(params, learning_rate, beta_1, beta_2, epsilon, **options)

    def init_state(self, values):
        state = {**super().init_state(values)}
        if self.amsgrad:
            state["v_max"] = np.zeros_like(values)
        return state

    def _scratch_for(self, values: np.ndarray) -> np.ndarray:
        """A work array per buffer, reused every step (not state: nothing to save)."""
        scratch = getattr(self, "_scratch", {})
        self._scratch = scratch
        if id(values) not in scratch:
            scratch[id(values)] = np.empty_like(values)
        return scratch[id(values)]

    def update(self, values, grads, state, rate, group):
        b1, b2, t = self.beta_1, self.beta_2, self.iterations
        m, v = state["m"], state["v"]
        if kernels.available(values):  # the same rule in one pass
            fused.adam(
                values,
                grads,
                m,
                v,
                state.get("v_max", v),
                self.amsgrad,
                rate / (1 - b1**t),  # the step size η/(1 − β₁ᵗ)
                1 - b1,
                b2,
                1 - b2,
                1 / math.sqrt(1 - b2**t),
                self.epsilon,
            )
            return
        scratch = self._scratch_for(values)
        np.subtract(grads, m, out=scratch)  # m ← m + (1 − β₁)(g − m)
        scratch *= 1 - b1
        m += scratch
        np.multiply(grads, grads, out=scratch)  # v ← β₂v + (1 − β₂)g²
        scratch *= 1 - b2
        v *= b2
        v += scratch
        second = v
        if self.amsgrad:
            np.maximum(state["v_max"], v, out=state["v_max"])
            second = state["v_max"]
        np.sqrt(second, out=scratch)  # √v / √(1 − β₂ᵗ) + ε
        scratch *= 1 / math.sqrt(1 - b2**t)
        scratch += self.epsilon
        np.divide(m, scratch, out=scratch)
        scratch *= rate / (1 - b1**t)
        values -= scratch

    def get_config(self):
        return {**super().get_config(), "amsgrad": self.amsgrad}


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019): θ ← θ − ηλθ before the
    Adam step. ``weight_decay`` here is the decoupled λ (default 0.01), as in PyTorch."""

    def __init__(
        self,
        params: Iterable[Tensor] | None = None,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        weight_decay: float = 0.01,
        amsgrad: bool = False,
        **options: Any,
    ) -> None:
        super().__init__(
            params,
            learning_rate,
            beta_1,
            beta_2,
            epsilon,
            amsgrad,
            decoupled_weight_decay=weight_decay,
            **options,
        )

    def get_config(self):
        config = super().get_config()
        config["weight_decay"] = config.pop("decoupled_weight_decay")
        return config


class Adamax(_Moments):
    """The ∞-norm variant of Adam: u ← max(β₂u, |g| + ε), θ ← θ − η/(1 − β₁ᵗ) · m/u
    (Kingma & Ba, section 7; ε inside the max as in PyTorch). Default η = 0.002."""

    def __init__(
        self,
        params: Iterable[Tensor] | None = None,
        learning_rate: Any = 0.002,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        **options: Any,
    ) -> None:
        super().__init__(params, learning_rate, beta_1, beta_2, epsilon, **options)

    def init_state(self, values):
        return {"m": np.zeros_like(values), "u": np.zeros_like(values)}

    def update(self, values, grads, state, rate, group):
        m, u = state["m"], state["u"]
        self._update_first_moment(grads, m)
        np.maximum(u * self.beta_2, np.abs(grads) + self.epsilon, out=u)
        values -= rate / (1 - self.beta_1**self.iterations) * m / u


class Nadam(_Moments):
    """Adam with Nesterov momentum (Dozat, 2016), with the momentum schedule
    μ_t = β₁(1 − ½·0.96^(tψ)), ψ = ``momentum_decay`` = 0.004, as PyTorch and Keras use:

        θ ← θ − η(1 − μ_t)/(1 − Πμ) · g/(√v̂ + ε) − η μ_{t+1}/(1 − Πμ·μ_{t+1}) · m/(√v̂ + ε)
    """

    def __init__(
        self,
        params: Iterable[Tensor] | None = None,
        learning_rate: Any = 0.002,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        momentum_decay: float = 0.004,
        **options: Any,
    ) -> None:
        self.momentum_decay = float(momentum_decay)
        super().__init__(params, learning_rate, beta_1, beta_2, epsilon, **options)

    def init_state(self, values):
        return {**super().init_state(values), "mu_product": np.array(1.0)}

    def update(self, values, grads, state, rate, group):
        t, b1 = self.iterations, self.beta_1
        mu = b1 * (1 - 0.5 * 0.96 ** (t * self.momentum_decay))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * self.momentum_decay))
        product = float(state["mu_product"]) * mu
        state["mu_product"][...] = product
        self._update_moments(grads, state)
        denominator = np.sqrt(state["v"] / (1 - self.beta_2**t)) + self.epsilon
        # The ratios first, then the scalars: PyTorch's order, so rounding agrees too.
        values -= (rate * (1 - mu) / (1 - product)) * (grads / denominator)
        values -= (rate * mu_next / (1 - product * mu_next)) * (state["m"] / denominator)

    def get_config(self):
        return {**super().get_config(), "momentum_decay": self.momentum_decay}


class RAdam(_Moments):
    """Rectified Adam (Liu et al., 2020): while the variance of the adaptive rate is
    intractable (ρ_t ≤ 5) take momentum-SGD steps η m̂, then Adam steps scaled by the
    rectification r_t = √((ρ_t − 4)(ρ_t − 2)ρ_∞ / ((ρ_∞ − 4)(ρ_∞ − 2)ρ_t))."""

    def update(self, values, grads, state, rate, group):
        t, b2 = self.iterations, self.beta_2
        self._update_moments(grads, state)
        m_hat = state["m"] / (1 - self.beta_1**t)
        rho_inf = 2 / (1 - b2) - 1
        rho_t = rho_inf - 2 * t * b2**t / (1 - b2**t)
        if rho_t > 5:
            rect = math.sqrt(
                (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            )
            adaptive = math.sqrt(1 - b2**t) / (np.sqrt(state["v"]) + self.epsilon)
            values -= m_hat * rate * adaptive * rect
        else:
            values -= m_hat * rate


class Yogi(_Moments):
    """Yogi (Zaheer et al., 2018): v ← v − (1 − β₂)·sign(v − g²)·g², an additive second
    moment that cannot grow as fast as Adam's; then θ ← θ − η m̂/(√v̂ + ε), with Adam's
    bias correction (the paper's Algorithm 2 leaves it out; its experiments and the
    TensorFlow implementation use it). The paper's η = 0.01, ε = 1e-3 and v₀ = 1e-6."""

    def __init__(
        self,
        params: Iterable[Tensor] | None = None,
        learning_rate: Any = 0.01,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-3,
        initial_accumulator_value: float = 1e-6,
        **options: Any,
    ) -> None:
        self.initial_accumulator_value = float(initial_accumulator_value)
        super().__init__(params, learning_rate, beta_1, beta_2, epsilon, **options)

    def init_state(self, values):
        return {
            "m": np.zeros_like(values),
            "v": np.full_like(values, self.initial_accumulator_value),
        }

    def update(self, values, grads, state, rate, group):
        t, m, v = self.iterations, state["m"], state["v"]
        self._update_first_moment(grads, m)
        squared = np.square(grads)
        v -= (1 - self.beta_2) * np.sign(v - squared) * squared
        v_hat = v / (1 - self.beta_2**t)
        values -= rate * (m / (1 - self.beta_1**t)) / (np.sqrt(v_hat) + self.epsilon)

    def get_config(self):
        return {**super().get_config(), "initial_accumulator_value": self.initial_accumulator_value}


class AdaBelief(_Moments):
    """AdaBelief (Zhuang et al., 2020): the second moment of the gradient's surprise,
    s ← β₂s + (1 − β₂)(g − m)² + ε, replaces v; θ ← θ − η m̂/(√ŝ + ε). The authors' ε = 1e-16."""

    def __init__(
        self,
        params: Iterable[Tensor] | None = None,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-16,
        **options: Any,
    ) -> None:
        super().__init__(params, learning_rate, beta_1, beta_2, epsilon, **options)

    def update(self, values, grads, state, rate, group):
        t, m, s = self.iterations, state["m"], state["v"]
        self._update_first_moment(grads, m)
        s *= self.beta_2
        s += (1 - self.beta_2) * np.square(grads - m) + self.epsilon
        s_hat = s / (1 - self.beta_2**t)
        values -= rate * (m / (1 - self.beta_1**t)) / (np.sqrt(s_hat) + self.epsilon)

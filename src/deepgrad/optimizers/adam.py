"""Adam (Kingma & Ba, 2015) and its descendants: AMSGrad, AdamW, Adamax, Nadam, RAdam,
Yogi, AdaBelief (and, in other files, Lamb and Muon's Adam part). All keep a first moment m
and a second moment v of the gradient,

    m ← β₁m + (1 − β₁)g,   v ← β₂v + (1 − β₂)g²,   m̂ = m/(1 − β₁ᵗ),   v̂ = v/(1 − β₂ᵗ),

and step along one direction, m̂/(√v̂ + ε) (``adam_direction``); they differ only where
their papers do: AMSGrad divides by the running maximum of v̂, Nadam adds a Nesterov term,
RAdam rectifies it, Yogi and AdaBelief estimate v differently, Lamb scales it per layer.
ε = 1e-8 outside the square root, as in the paper and PyTorch (Keras uses 1e-7).

Each rule is an elementwise function in ``adam_rules.py``: written once, run with NumPy by
``elementwise.py``, and for Adam and AMSGrad also compiled by numba, where that pays. The
factor 1/(1 − β₁ᵗ) of m̂ is a scalar, so the classes fold it into the step size η/(1 − β₁ᵗ).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from deepgrad.optimizers.adam_rules import (
    adabelief,
    adam,
    adamax,
    amsgrad,
    nadam,
    radam,
    yogi,
)
from deepgrad.optimizers.base import Optimizer
from deepgrad.optimizers.flat import FlatGroup
from deepgrad.tensor import Tensor

# ---- the optimizers ----------------------------------------------------------------------


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

    def init_state(self, values: np.ndarray) -> dict[str, np.ndarray]:
        return {"m": np.zeros_like(values), "v": np.zeros_like(values)}

    def adam_scalars(self, rate: float) -> tuple[float, float, float, float, float, float]:
        """The Adam rule's scalars at this step: η/(1 − β₁ᵗ), 1 − β₁, β₂, 1 − β₂,
        (1 − β₂ᵗ)^(−½) and ε."""
        b1, b2, t = self.beta_1, self.beta_2, self.iterations
        return (
            rate / (1 - b1**t),
            1 - b1,
            b2,
            1 - b2,
            1 / math.sqrt(1 - b2**t),
            self.epsilon,
        )

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
        }


class Adam(_Moments):
    """θ ← θ − η m̂ / (√v̂ + ε); ``amsgrad`` uses the running maximum of v̂ (Reddi et al.,
    2018). Paper: https://arxiv.org/abs/1412.6980

    The rule is ``adam`` (``amsgrad``) above: with NumPy it runs in place over the flat
    buffers with one scratch array, and with numba (when installed) in one pass.

    >>> import deepgrad as dg
    >>> w = dg.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = Adam([w], learning_rate=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()  # the first step is η·sign(g): m̂ = g, √v̂ = |g|
    >>> w.numpy()
    array([ 0.9, -1.9], dtype=float32)
    """

    keras_arguments = ("beta_1", "beta_2", "epsilon", "amsgrad")

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

    update_has_kernel = True  # the adam and amsgrad rules, one kernel pass each

    def init_state(self, values: np.ndarray) -> dict[str, np.ndarray]:
        state = {**super().init_state(values)}
        if self.amsgrad:
            state["v_max"] = np.zeros_like(values)
        return state

    def update(
        self, values: np.ndarray, grads: np.ndarray, state: dict, rate: float, group: FlatGroup
    ) -> None:
        scalars = self.adam_scalars(rate)
        if self.amsgrad:
            amsgrad(
                grads,
                values,
                state["m"],
                state["v"],
                state["v_max"],
                *scalars,
                scratch=self.scratch,
            )
        else:
            adam(grads, values, state["m"], state["v"], *scalars, scratch=self.scratch)

    def get_config(self) -> dict:
        return {**super().get_config(), "amsgrad": self.amsgrad}


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019): θ ← θ − ηλθ before the
    Adam step. ``weight_decay`` here is the decoupled λ (default 0.01), as in PyTorch."""

    keras_arguments = ("weight_decay", "beta_1", "beta_2", "epsilon", "amsgrad")

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

    def get_config(self) -> dict:
        config = super().get_config()
        config["weight_decay"] = config.pop("decoupled_weight_decay")
        return config


class Adamax(_Moments):
    """The ∞-norm variant of Adam: u ← max(β₂u, |g| + ε), θ ← θ − η/(1 − β₁ᵗ) · m/u
    (Kingma & Ba, section 7; ε inside the max as in PyTorch). Default η = 0.002."""

    keras_arguments = ("beta_1", "beta_2", "epsilon")

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

    def init_state(self, values: np.ndarray) -> dict[str, np.ndarray]:
        return {"m": np.zeros_like(values), "u": np.zeros_like(values)}

    def update(
        self, values: np.ndarray, grads: np.ndarray, state: dict, rate: float, group: FlatGroup
    ) -> None:
        step_size = rate / (1 - self.beta_1**self.iterations)
        adamax(
            grads,
            values,
            state["m"],
            state["u"],
            step_size,
            1 - self.beta_1,
            self.beta_2,
            self.epsilon,
            scratch=self.scratch,
        )


class Nadam(_Moments):
    """Adam with Nesterov momentum (Dozat, 2016), with the momentum schedule
    μ_t = β₁(1 − ½·0.96^(tψ)), ψ = ``momentum_decay`` = 0.004, as PyTorch uses (Keras uses
    0.96^t: ``momentum_decay=1.0``):

        θ ← θ − η(1 − μ_t)/(1 − Πμ) · g/(√v̂ + ε) − η μ_{t+1}/(1 − Πμ·μ_{t+1}) · m/(√v̂ + ε)
    """

    keras_arguments = ("beta_1", "beta_2", "epsilon")

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

    def init_state(self, values: np.ndarray) -> dict[str, np.ndarray]:
        return {**super().init_state(values), "mu_product": np.array(1.0)}

    def update(
        self, values: np.ndarray, grads: np.ndarray, state: dict, rate: float, group: FlatGroup
    ) -> None:
        t, b1 = self.iterations, self.beta_1
        mu = b1 * (1 - 0.5 * 0.96 ** (t * self.momentum_decay))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * self.momentum_decay))
        product = float(state["mu_product"]) * mu
        state["mu_product"][...] = product
        _, one_minus_beta_1, beta_2, one_minus_beta_2, inv_root_bias_2, epsilon = self.adam_scalars(
            rate
        )
        nadam(
            grads,
            values,
            state["m"],
            state["v"],
            rate * (1 - mu) / (1 - product),
            rate * mu_next / (1 - product * mu_next),
            one_minus_beta_1,
            beta_2,
            one_minus_beta_2,
            inv_root_bias_2,
            epsilon,
            scratch=self.scratch,
        )

    def get_config(self) -> dict:
        return {**super().get_config(), "momentum_decay": self.momentum_decay}


class RAdam(_Moments):
    """Rectified Adam (Liu et al., 2020): while the variance of the adaptive rate is
    intractable (ρ_t ≤ 5) take momentum-SGD steps η m̂, then Adam steps scaled by the
    rectification r_t = √((ρ_t − 4)(ρ_t − 2)ρ_∞ / ((ρ_∞ − 4)(ρ_∞ − 2)ρ_t)). As in the
    authors' code and PyTorch, ε is added to √v rather than to √v̂."""

    def update(
        self, values: np.ndarray, grads: np.ndarray, state: dict, rate: float, group: FlatGroup
    ) -> None:
        t, b2 = self.iterations, self.beta_2
        step_size, one_minus_beta_1, beta_2, one_minus_beta_2, inv_root_bias_2, epsilon = (
            self.adam_scalars(rate)
        )
        rho_inf = 2 / (1 - b2) - 1
        rho_t = rho_inf - 2 * t * b2**t / (1 - b2**t)
        rectified = rho_t > 5
        if rectified:
            step_size *= math.sqrt(
                (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            )
        radam(
            grads,
            values,
            state["m"],
            state["v"],
            step_size,
            one_minus_beta_1,
            beta_2,
            one_minus_beta_2,
            inv_root_bias_2,
            epsilon * inv_root_bias_2,
            rectified,
            scratch=self.scratch,
        )


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

    def init_state(self, values: np.ndarray) -> dict[str, np.ndarray]:
        return {
            "m": np.zeros_like(values),
            "v": np.full_like(values, self.initial_accumulator_value),
        }

    def update(
        self, values: np.ndarray, grads: np.ndarray, state: dict, rate: float, group: FlatGroup
    ) -> None:
        step_size, one_minus_beta_1, _, one_minus_beta_2, inv_root_bias_2, epsilon = (
            self.adam_scalars(rate)
        )
        yogi(
            grads,
            values,
            state["m"],
            state["v"],
            step_size,
            one_minus_beta_1,
            one_minus_beta_2,
            inv_root_bias_2,
            epsilon,
            scratch=self.scratch,
        )

    def get_config(self) -> dict:
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

    def update(
        self, values: np.ndarray, grads: np.ndarray, state: dict, rate: float, group: FlatGroup
    ) -> None:
        adabelief(
            grads, values, state["m"], state["v"], *self.adam_scalars(rate), scratch=self.scratch
        )

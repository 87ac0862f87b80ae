"""Stochastic gradient descent: plain, with (Nesterov) momentum, and averaged (ASGD)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from deepgrad import kernels
from deepgrad.optimizers import fused
from deepgrad.optimizers.base import Optimizer
from deepgrad.tensor import Tensor


class SGD(Optimizer):
    """Gradient descent θ ← θ − ηg, with optional momentum μ.

    ``momentum_form="pytorch"`` (default): v ← μv + (1 − d)g (v₁ = g), θ ← θ − ηv; with
    Nesterov θ ← θ − η(g + μv). ``"keras"`` (Sutskever et al., 2013): v ← μv − ηg, θ ← θ + v;
    with Nesterov θ ← θ + μv − ηg. The two agree while η is constant and differ under a
    schedule (PyTorch's form applies today's η to the whole velocity).
    """

    def __init__(
        self,
        params: Iterable[Tensor] | None = None,
        learning_rate: Any = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        dampening: float = 0.0,
        momentum_form: str = "pytorch",
        **options: Any,
    ) -> None:
        if momentum < 0:
            raise ValueError(f"SGD: momentum must be >= 0, got {momentum}")
        if nesterov and (momentum == 0 or dampening != 0):
            raise ValueError("SGD: nesterov=True needs momentum > 0 and dampening = 0")
        if momentum_form not in ("pytorch", "keras"):
            raise ValueError(
                f"SGD: momentum_form must be 'pytorch' or 'keras', got {momentum_form!r}"
            )
        self.momentum, self.nesterov = float(momentum), nesterov
        self.dampening, self.momentum_form = float(dampening), momentum_form
        super().__init__(params, learning_rate, **options)

    def init_state(self, values):
        return {"velocity": np.zeros_like(values)} if self.momentum else {}

    def update(self, values, grads, state, rate, group):
        if kernels.available(values) and self.momentum_form == "pytorch":
            self._fused_update(values, grads, state, rate)
            return
        if not self.momentum:
            values -= rate * grads
            return
        velocity, mu = state["velocity"], self.momentum
        if self.momentum_form == "keras":
            velocity *= mu
            velocity -= rate * grads
            values += (mu * velocity - rate * grads) if self.nesterov else velocity
            return
        if self.iterations == 1:
            velocity[...] = grads
        else:
            velocity *= mu
            velocity += (1.0 - self.dampening) * grads
        values -= rate * ((grads + mu * velocity) if self.nesterov else velocity)

    def _fused_update(self, values, grads, state, rate):
        """The same rule in one pass (``fused.py``)."""
        if not self.momentum:
            fused.sgd(values, grads, rate)
            return
        fused.sgd_momentum(
            values,
            grads,
            state["velocity"],
            rate,
            self.momentum,
            1 - self.dampening,
            self.nesterov,
            self.iterations == 1,
        )

    def get_config(self):
        return {
            **super().get_config(),
            "momentum": self.momentum,
            "nesterov": self.nesterov,
            "dampening": self.dampening,
            "momentum_form": self.momentum_form,
        }


class ASGD(Optimizer):
    """Averaged SGD (Polyak & Juditsky, 1992), in PyTorch's form: θ ← (1 − λη_t)θ − η_t g,
    the running average θ̄ ← θ̄ + μ_t(θ − θ̄) with μ_t = 1/max(1, t − t₀), and
    η_t = η / (1 + ληt)^α. θ̄ is the estimate (Polyak–Ruppert averaging): inside
    ``averaged_weights()`` the parameters hold it, ``fit`` validates with it and ends
    holding it. Averaging starts after step t₀ (10⁶ by default: set it lower)."""

    def __init__(
        self,
        params: Iterable[Tensor] | None = None,
        learning_rate: Any = 0.01,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        **options: Any,
    ) -> None:
        self.lambd, self.alpha, self.t0 = float(lambd), float(alpha), float(t0)
        super().__init__(params, learning_rate, **options)

    def init_state(self, values):
        return {"average": np.zeros_like(values), "eta": np.array(np.nan), "mu": np.array(1.0)}

    def update(self, values, grads, state, rate, group):
        eta = rate if np.isnan(state["eta"]) else float(state["eta"])
        values *= 1.0 - self.lambd * eta
        values -= eta * grads
        if float(state["mu"]) != 1.0:
            state["average"] += (values - state["average"]) * float(state["mu"])
        else:
            state["average"][...] = values
        t = self.iterations
        state["eta"][...] = rate / (1.0 + self.lambd * rate * t) ** self.alpha
        state["mu"][...] = 1.0 / max(1.0, t - self.t0)

    def averaged_state(self, state):
        return state["average"]

    @property
    def averaged(self) -> list[np.ndarray]:
        """θ̄ for each parameter (views into the state)."""
        return [
            v
            for group, s in zip(self.flat.groups, self.state, strict=True)
            for v in group.views(s["average"])
        ]

    def get_config(self):
        return {**super().get_config(), "lambd": self.lambd, "alpha": self.alpha, "t0": self.t0}

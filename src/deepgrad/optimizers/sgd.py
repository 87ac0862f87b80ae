"""Stochastic gradient descent: plain, with (Nesterov) momentum, and averaged (ASGD).

The update rules are the elementwise functions below; ``SGD`` picks one and supplies its
scalars (``elementwise.py`` runs them with NumPy, or with numba where that was measured to
pay).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from deepgrad import blas
from deepgrad.optimizers.base import Optimizer
from deepgrad.optimizers.elementwise import Operand, elementwise
from deepgrad.optimizers.flat import FlatGroup
from deepgrad.tensor import Tensor


@elementwise(updates=1, kernel=True)
def sgd(gradient: Operand, parameter: Operand, rate: float) -> Operand:
    """θ ← θ − ηg."""
    return parameter - rate * gradient


def heavy_ball(
    gradient: Operand,
    velocity: Operand,
    momentum: float,
    one_minus_dampening: float,
    nesterov: bool,
    first: bool,
) -> tuple[Operand, Operand]:
    """Polyak's momentum as PyTorch writes it: v ← μv + (1 − d)g (v ← g at the first step);
    the step is v, or g + μv with Nesterov. Returns (step, v). Muon's momentum too."""
    velocity = gradient if first else momentum * velocity + one_minus_dampening * gradient
    return (gradient + momentum * velocity if nesterov else velocity), velocity


@elementwise(updates=2, kernel=True)
def sgd_momentum(
    gradient: Operand,
    parameter: Operand,
    velocity: Operand,
    rate: float,
    momentum: float,
    one_minus_dampening: float,
    nesterov: bool,
    first: bool,
) -> tuple[Operand, ...]:
    """SGD with momentum: θ ← θ − η·step, the step and v from ``heavy_ball``."""
    step, velocity = heavy_ball(gradient, velocity, momentum, one_minus_dampening, nesterov, first)
    return parameter - rate * step, velocity


@elementwise(updates=2)
def sgd_momentum_keras(
    gradient: Operand,
    parameter: Operand,
    velocity: Operand,
    rate: float,
    momentum: float,
    nesterov: bool,
) -> tuple[Operand, ...]:
    """Sutskever et al.'s (Keras') momentum: v ← μv − ηg, then θ ← θ + v, or with Nesterov
    θ ← θ + μv − ηg."""
    velocity = momentum * velocity - rate * gradient
    step = momentum * velocity - rate * gradient if nesterov else velocity
    return parameter + step, velocity


class SGD(Optimizer):
    """Gradient descent θ ← θ − ηg, with optional momentum μ.

    ``momentum_form="pytorch"`` (default): v ← μv + (1 − d)g (v₁ = g), θ ← θ − ηv; with
    Nesterov θ ← θ − η(g + μv). ``"keras"`` (Sutskever et al., 2013): v ← μv − ηg, θ ← θ + v;
    with Nesterov θ ← θ + μv − ηg. The two agree while η is constant and differ under a
    schedule (PyTorch's form applies today's η to the whole velocity).

    >>> import deepgrad as dg
    >>> w = dg.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = SGD([w], learning_rate=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     (w * w).sum().backward()  # ∇ = 2w
    ...     opt.step()
    ...     opt.zero_grad()
    >>> w.numpy()  # v₁ = 2w₀, w₁ = 0.8w₀; v₂ = 0.9v₁ + 2w₁, w₂ = w₁ − 0.1v₂ = 0.46w₀
    array([ 0.46, -0.92], dtype=float32)
    """

    keras_arguments = ("momentum", "nesterov")

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
        if not 0 <= momentum <= 1:  # above 1 every step grows: Keras refuses it too
            raise ValueError(f"SGD: momentum must be in [0, 1], got {momentum}")
        if nesterov and (momentum == 0 or dampening != 0):
            raise ValueError("SGD: nesterov=True needs momentum > 0 and dampening = 0")
        if momentum_form not in ("pytorch", "keras"):
            raise ValueError(
                f"SGD: momentum_form must be 'pytorch' or 'keras', got {momentum_form!r}"
            )
        self.momentum, self.nesterov = float(momentum), nesterov
        self.dampening, self.momentum_form = float(dampening), momentum_form
        super().__init__(params, learning_rate, **options)

    def init_state(self, values: np.ndarray) -> dict[str, np.ndarray]:
        return {"velocity": np.zeros_like(values)} if self.momentum else {}

    @property
    def update_has_kernel(self) -> bool:  # type: ignore[override]
        """With PyTorch's momentum, the update is one kernel pass (``sgd_momentum``)."""
        return bool(self.momentum) and self.momentum_form == "pytorch"

    def _moves_without_gradient(self) -> bool:
        """Plain SGD leaves a parameter with a zero gradient where it is, as PyTorch leaves
        one with none; momentum, weight decay, the moving average or accumulation move it."""
        return type(self) is not SGD or bool(
            self.momentum
            or self.weight_decay
            or self.decoupled_weight_decay
            or self.use_ema
            or self.gradient_accumulation_steps
        )

    def applies_in_products(self) -> bool:
        """Plain SGD (no momentum, decay, clipping, averaging, ``maximize``, gradient
        accumulation, nor several processes), on
        the CPU, with NumPy's BLAS at hand (``deepgrad.blas``): its step θ ← θ − ηg may be
        applied inside the gradient products."""
        return (
            type(self) is SGD
            and blas.available()
            and not self.momentum
            and not self.maximize
            and not self.weight_decay
            and not self.decoupled_weight_decay
            and self.clipvalue is None
            and self.clipnorm is None
            and self.global_clipnorm is None
            and not self.use_ema
            and not self.gradient_accumulation_steps
            and self.data_parallel is None
            and self.flat is not None
            and all(type(g.values) is np.ndarray for g in self.flat.groups)
        )

    def update(
        self, values: np.ndarray, grads: np.ndarray, state: dict, rate: float, group: FlatGroup
    ) -> None:
        if not self.momentum:
            sgd(grads, values, rate, scratch=self.scratch)
        elif self.momentum_form == "keras":
            sgd_momentum_keras(
                grads,
                values,
                state["velocity"],
                rate,
                self.momentum,
                self.nesterov,
                scratch=self.scratch,
            )
        else:
            sgd_momentum(
                grads,
                values,
                state["velocity"],
                rate,
                self.momentum,
                1.0 - self.dampening,
                self.nesterov,
                self.iterations == 1,
                scratch=self.scratch,
            )

    def get_config(self) -> dict:
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

    def init_state(self, values: np.ndarray) -> dict[str, np.ndarray]:
        return {"average": np.zeros_like(values), "eta": np.array(np.nan), "mu": np.array(1.0)}

    def update(
        self, values: np.ndarray, grads: np.ndarray, state: dict, rate: float, group: FlatGroup
    ) -> None:
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

    @contextlib.contextmanager
    def validation_weights(self) -> Iterator[None]:
        """``fit`` validates with the Polyak–Ruppert average, the rule's estimate."""
        with self.averaged_weights():
            yield

    def averaged_state(self, state: dict[str, np.ndarray]) -> np.ndarray:
        return state["average"]

    @property
    def averaged(self) -> list[np.ndarray]:
        """θ̄ for each parameter (views into the state)."""
        return [
            v
            for group, s in zip(self._require_built().groups, self.state, strict=True)
            for v in group.views(s["average"])
        ]

    def get_config(self) -> dict:
        return {**super().get_config(), "lambd": self.lambd, "alpha": self.alpha, "t0": self.t0}

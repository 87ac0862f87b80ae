"""The Adam family's update rules: the shared moments and direction, then one elementwise
rule per member (``elementwise.py`` runs each with NumPy and, where measured to pay, numba).
The optimizer classes that apply them are in ``adam.py``; its docstring has the maths.
"""

from __future__ import annotations

import numpy as np

from deepgrad.optimizers.elementwise import Operand, elementwise

# ---- the shared pieces -------------------------------------------------------------------


def first_moment(gradient: Operand, m: Operand, one_minus_beta_1: float) -> Operand:
    """m ← β₁m + (1 − β₁)g, computed as m + (1 − β₁)(g − m)."""
    return m + one_minus_beta_1 * (gradient - m)


def second_moment(gradient: Operand, v: Operand, beta_2: float, one_minus_beta_2: float) -> Operand:
    """v ← β₂v + (1 − β₂)g²."""
    return beta_2 * v + one_minus_beta_2 * (gradient * gradient)


def adam_direction(m: Operand, v: Operand, inv_root_bias_2: float, epsilon: float) -> Operand:
    """The Adam family's direction m̂/(√v̂ + ε), less m̂'s scalar 1/(1 − β₁ᵗ) (the caller
    folds it into its step size): m/(√v·(1 − β₂ᵗ)^(−½) + ε), with ``inv_root_bias_2`` =
    (1 − β₂ᵗ)^(−½). A multiplication by the inverse root rather than √(v/(1 − β₂ᵗ)): one
    division fewer per element, a quarter of a compiled step's time."""
    return m / (np.sqrt(v) * inv_root_bias_2 + epsilon)


@elementwise(updates=2)
def moments(
    gradient: Operand,
    m: Operand,
    v: Operand,
    one_minus_beta_1: float,
    beta_2: float,
    one_minus_beta_2: float,
) -> tuple[Operand, ...]:
    """Both moments, for rules that use them outside an elementwise rule (Lamb)."""
    return first_moment(gradient, m, one_minus_beta_1), second_moment(
        gradient, v, beta_2, one_minus_beta_2
    )


# ---- the rules ---------------------------------------------------------------------------


@elementwise(updates=3, kernel=True)
def adam(
    gradient: Operand,
    parameter: Operand,
    m: Operand,
    v: Operand,
    step_size: float,
    one_minus_beta_1: float,
    beta_2: float,
    one_minus_beta_2: float,
    inv_root_bias_2: float,
    epsilon: float,
) -> tuple[Operand, ...]:
    """Adam: the moments, then θ ← θ − η m̂/(√v̂ + ε); ``step_size`` = η/(1 − β₁ᵗ)."""
    m = first_moment(gradient, m, one_minus_beta_1)
    v = second_moment(gradient, v, beta_2, one_minus_beta_2)
    return parameter - step_size * adam_direction(m, v, inv_root_bias_2, epsilon), m, v


@elementwise(updates=4, kernel=True)
def amsgrad(
    gradient: Operand,
    parameter: Operand,
    m: Operand,
    v: Operand,
    v_max: Operand,
    step_size: float,
    one_minus_beta_1: float,
    beta_2: float,
    one_minus_beta_2: float,
    inv_root_bias_2: float,
    epsilon: float,
) -> tuple[Operand, ...]:
    """AMSGrad (Reddi et al., 2018): Adam with the running maximum of v, v̂ ← max(v̂, v),
    in the direction's denominator."""
    m = first_moment(gradient, m, one_minus_beta_1)
    v = second_moment(gradient, v, beta_2, one_minus_beta_2)
    v_max = np.maximum(v_max, v)
    return parameter - step_size * adam_direction(m, v_max, inv_root_bias_2, epsilon), m, v, v_max


@elementwise(updates=3)
def adamax(
    gradient: Operand,
    parameter: Operand,
    m: Operand,
    u: Operand,
    step_size: float,
    one_minus_beta_1: float,
    beta_2: float,
    epsilon: float,
) -> tuple[Operand, ...]:
    """Adamax: u ← max(β₂u, |g| + ε), θ ← θ − η/(1 − β₁ᵗ) · m/u (the ∞-norm replaces
    √v̂, so there is no Adam direction here)."""
    m = first_moment(gradient, m, one_minus_beta_1)
    u = np.maximum(beta_2 * u, np.abs(gradient) + epsilon)
    return parameter - step_size * m / u, m, u


@elementwise(updates=3)
def nadam(
    gradient: Operand,
    parameter: Operand,
    m: Operand,
    v: Operand,
    gradient_step: float,
    momentum_step: float,
    one_minus_beta_1: float,
    beta_2: float,
    one_minus_beta_2: float,
    inv_root_bias_2: float,
    epsilon: float,
) -> tuple[Operand, ...]:
    """Nadam: the Adam direction of g and of m, θ ← θ − a·g/(√v̂ + ε) − b·m/(√v̂ + ε), with
    a = η(1 − μ_t)/(1 − Πμ) and b = η μ_{t+1}/(1 − Πμ·μ_{t+1}) (``gradient_step``,
    ``momentum_step``)."""
    m = first_moment(gradient, m, one_minus_beta_1)
    v = second_moment(gradient, v, beta_2, one_minus_beta_2)
    parameter = parameter - gradient_step * adam_direction(gradient, v, inv_root_bias_2, epsilon)
    return parameter - momentum_step * adam_direction(m, v, inv_root_bias_2, epsilon), m, v


@elementwise(updates=3)
def radam(
    gradient: Operand,
    parameter: Operand,
    m: Operand,
    v: Operand,
    step_size: float,
    one_minus_beta_1: float,
    beta_2: float,
    one_minus_beta_2: float,
    inv_root_bias_2: float,
    epsilon: float,
    rectified: bool,
) -> tuple[Operand, ...]:
    """RAdam: θ ← θ − η r_t m̂/(√v̂ + ε) once ``rectified`` (ρ_t > 5), θ ← θ − η m̂ before;
    ``step_size`` = η r_t/(1 − β₁ᵗ) or η/(1 − β₁ᵗ). Its authors (and PyTorch) add ε to √v,
    not √v̂: the caller passes ε·(1 − β₂ᵗ)^(−½)."""
    m = first_moment(gradient, m, one_minus_beta_1)
    v = second_moment(gradient, v, beta_2, one_minus_beta_2)
    if rectified:
        return parameter - step_size * adam_direction(m, v, inv_root_bias_2, epsilon), m, v
    return parameter - step_size * m, m, v


@elementwise(updates=3)
def yogi(
    gradient: Operand,
    parameter: Operand,
    m: Operand,
    v: Operand,
    step_size: float,
    one_minus_beta_1: float,
    one_minus_beta_2: float,
    inv_root_bias_2: float,
    epsilon: float,
) -> tuple[Operand, ...]:
    """Yogi: v ← v − (1 − β₂)·sign(v − g²)·g², then the Adam step."""
    m = first_moment(gradient, m, one_minus_beta_1)
    squared = gradient * gradient
    v = v - one_minus_beta_2 * np.sign(v - squared) * squared
    return parameter - step_size * adam_direction(m, v, inv_root_bias_2, epsilon), m, v


@elementwise(updates=3)
def adabelief(
    gradient: Operand,
    parameter: Operand,
    m: Operand,
    s: Operand,
    step_size: float,
    one_minus_beta_1: float,
    beta_2: float,
    one_minus_beta_2: float,
    inv_root_bias_2: float,
    epsilon: float,
) -> tuple[Operand, ...]:
    """AdaBelief: s ← β₂s + ((1 − β₂)(g − m)² + ε), the spread of g around its mean m, then
    the Adam step with s for v."""
    m = first_moment(gradient, m, one_minus_beta_1)
    surprise = gradient - m
    s = beta_2 * s + (one_minus_beta_2 * (surprise * surprise) + epsilon)
    return parameter - step_size * adam_direction(m, s, inv_root_bias_2, epsilon), m, s

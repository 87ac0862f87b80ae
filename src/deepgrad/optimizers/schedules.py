"""Learning-rate schedules: callables from the step k = 0, 1, 2, ... to a rate ε_k.

Stochastic approximation (Robbins & Monro, 1951) converges to the optimum, rather than
to a noise floor, when the rates satisfy

    Σ_k ε_k = ∞   (steps are long enough to get anywhere)   and
    Σ_k ε_k² < ∞  (the noise they inject adds up to something finite).

Every schedule answers ``robbins_monro()`` with both verdicts and the reason; for your
own function ``robbins_monro(fn)`` estimates them from its decay rate, marked as an
estimate.

>>> InversePowerDecay(0.1, decay_steps=10, power=0.75).robbins_monro().holds
True
>>> ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5).robbins_monro().reason
'geometric decay: Σε_k converges, so the steps stop short of the optimum'
"""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class RobbinsMonro:
    """The two conditions, whether each holds, and why."""

    sum_diverges: bool
    sum_of_squares_converges: bool
    reason: str
    estimated: bool = False

    @property
    def holds(self) -> bool:
        return self.sum_diverges and self.sum_of_squares_converges

    def __str__(self) -> str:
        verdict = "meets" if self.holds else "does not meet"
        marker = " (an estimate from partial sums)" if self.estimated else ""
        return f"{verdict} the Robbins–Monro conditions{marker}: {self.reason}"


_CONSTANT_TAIL = "ends at a constant rate > 0: Σε_k² diverges, so SGD stalls at a noise floor"
_ZERO_TAIL = "ends at a rate of 0: Σε_k converges, so the steps stop short of the optimum"
_GEOMETRIC = "geometric decay: Σε_k converges, so the steps stop short of the optimum"


def checked_rate(owner: str, rate: Any) -> Any:
    """A learning rate checked: a finite number ≥ 0, or a schedule (any callable).

    >>> checked_rate("SGD", -0.1)
    Traceback (most recent call last):
    ...
    ValueError: SGD: learning_rate must be a finite number >= 0 or a schedule, got -0.1
    """
    if callable(rate):
        return _CalledWithoutStep(rate) if _takes_no_step(rate) else rate
    try:
        value = math.nan if isinstance(rate, str | bytes) else float(rate)  # Keras: no "0.1"
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise ValueError(
            f"{owner}: learning_rate must be a finite number >= 0 or a schedule, got {rate!r}"
        )
    return rate


def _takes_no_step(rate: Callable[..., Any]) -> bool:
    """Whether a learning-rate function takes no argument (Keras calls such a function
    with none at each step); a function whose signature is unknown is given the step."""
    try:
        parameters = inspect.signature(rate).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return not any(
        p.kind in positional or p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters
    )


class _CalledWithoutStep:
    """A learning rate given as a function of no argument, as Keras 3 takes it (it calls
    ``learning_rate()`` at each step): called here with the step, it ignores it."""

    def __init__(self, function: Callable[[], Any]) -> None:
        self.function = function

    def __call__(self, step: int) -> Any:
        return self.function()

    def __repr__(self) -> str:
        return repr(self.function)


class Schedule:
    """Base class: ``schedule(step)`` is the learning rate for that step."""

    def __call__(self, step: int) -> float:
        raise NotImplementedError

    def robbins_monro(self) -> RobbinsMonro:
        raise NotImplementedError

    def get_config(self) -> dict:
        return dict(vars(self))

    @classmethod
    def from_config(cls, config: dict) -> Schedule:
        """The schedule ``get_config`` describes, as Keras' ``from_config``.

        >>> ExponentialDecay.from_config(ExponentialDecay(0.1, 10, 0.5).get_config())(10)
        0.05
        """
        if SCHEDULES.get(cls.__name__) is cls:  # nested schedules and old files too
            return get({"class_name": cls.__name__, "config": config})
        return cls(**config)

    def rates(self, steps: int) -> np.ndarray:
        """ε_0 … ε_{steps−1}, for plotting."""
        return np.array([self(k) for k in range(steps)])


class Constant(Schedule):
    """ε_k = ε₀."""

    def __init__(self, rate: float) -> None:
        self.rate = float(rate)

    def __call__(self, step: int) -> float:
        return self.rate

    def robbins_monro(self) -> RobbinsMonro:
        if self.rate == 0:
            return RobbinsMonro(False, True, "a rate of 0 never moves")
        return RobbinsMonro(True, False, "constant: Σε_k² diverges, so SGD stalls at a noise floor")


class PiecewiseConstant(Schedule):
    """``values[i]`` for steps below ``boundaries[i]``, ``values[-1]`` after the last.
    A boundary may be fractional: step 2 is below 2.5.

    >>> [PiecewiseConstant([2.5], [1.0, 0.1])(step) for step in range(4)]
    [1.0, 1.0, 1.0, 0.1]
    """

    def __init__(self, boundaries: list[float], values: list[float]) -> None:
        if len(values) != len(boundaries) + 1:
            raise ValueError("PiecewiseConstant: need one more value than boundaries")
        self.boundaries = [_step_number(b) for b in boundaries]
        self.values = [float(v) for v in values]

    def __call__(self, step: int) -> float:
        for boundary, value in zip(self.boundaries, self.values, strict=False):
            if step < boundary:
                return value
        return self.values[-1]

    def robbins_monro(self) -> RobbinsMonro:
        last = self.values[-1]
        return RobbinsMonro(last > 0, last == 0, _CONSTANT_TAIL if last > 0 else _ZERO_TAIL)


class PiecewiseConstantDecay(PiecewiseConstant):
    """Keras' ``PiecewiseConstantDecay``: ``values[0]`` up to and including step
    ``boundaries[0]``, ``values[i]`` for ``boundaries[i-1] < step <= boundaries[i]``,
    ``values[-1]`` after the last boundary (Keras counts the boundary step in the interval
    before it; ``PiecewiseConstant`` counts it in the one after).

    >>> schedule = PiecewiseConstantDecay([2, 4], [1.0, 0.5, 0.1])
    >>> [schedule(step) for step in range(6)]
    [1.0, 1.0, 1.0, 0.5, 0.5, 0.1]
    """

    def __init__(
        self, boundaries: list[float], values: list[float], name: str = "PiecewiseConstant"
    ) -> None:
        if len(values) != len(boundaries) + 1:
            raise ValueError(
                f"PiecewiseConstantDecay: need one more value than boundaries, got "
                f"{len(boundaries)} boundaries and {len(values)} values"
            )
        if list(boundaries) != sorted(boundaries):
            raise ValueError(f"PiecewiseConstantDecay: boundaries must increase, got {boundaries}")
        super().__init__(boundaries, values)
        self.name = name

    def __call__(self, step: int) -> float:
        for boundary, value in zip(self.boundaries, self.values, strict=False):
            if step <= boundary:
                return value
        return self.values[-1]


class StepDecay(Schedule):
    """ε_k = ε₀·factor^⌊k/step_size⌋: drop by ``factor`` every ``step_size`` steps."""

    def __init__(self, initial_rate: float, step_size: int, factor: float = 0.1) -> None:
        self.initial_rate, self.step_size, self.factor = (
            float(initial_rate),
            int(step_size),
            float(factor),
        )

    def __call__(self, step: int) -> float:
        return self.initial_rate * self.factor ** (step // self.step_size)

    def robbins_monro(self) -> RobbinsMonro:
        if self.factor >= 1:
            return Constant(self.initial_rate).robbins_monro()
        return RobbinsMonro(False, True, _GEOMETRIC)


class ExponentialDecay(Schedule):
    """ε_k = ε₀·r^(k/τ) (``staircase``: r^⌊k/τ⌋), Keras' arguments."""

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: float,
        decay_rate: float,
        staircase: bool = False,
    ) -> None:
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps = _positive_steps("ExponentialDecay", "decay_steps", decay_steps)
        self.decay_rate, self.staircase = float(decay_rate), staircase

    def __call__(self, step: int) -> float:
        exponent = step / self.decay_steps
        return self.initial_learning_rate * self.decay_rate ** (
            math.floor(exponent) if self.staircase else exponent
        )

    def robbins_monro(self) -> RobbinsMonro:
        if self.decay_rate >= 1:
            return RobbinsMonro(True, False, "does not decay: Σε_k² diverges")
        return RobbinsMonro(False, True, _GEOMETRIC)


class InversePowerDecay(Schedule):
    """ε_k = ε₀ / (1 + k/τ)^p. Meets the Robbins–Monro conditions exactly when ½ < p ≤ 1.

    >>> InversePowerDecay(1.0, decay_steps=2, power=0.5)(6)
    0.5
    """

    def __init__(
        self, initial_learning_rate: float, decay_steps: float = 1.0, power: float = 1.0
    ) -> None:
        if power < 0:
            raise ValueError(f"InversePowerDecay: power must be >= 0, got {power}")
        self.initial_learning_rate, self.decay_steps, self.power = (
            float(initial_learning_rate),
            float(decay_steps),
            float(power),
        )

    def __call__(self, step: int) -> float:
        return self.initial_learning_rate / (1.0 + step / self.decay_steps) ** self.power

    def robbins_monro(self) -> RobbinsMonro:
        return _power_law(self.power, estimated=False)


class PolynomialDecay(Schedule):
    """Keras' ``PolynomialDecay``: (ε₀ − ε_end)·(1 − k/τ)^p + ε_end, reaching
    ``end_learning_rate`` at step τ = ``decay_steps`` and staying there; with ``cycle``,
    τ grows to the first multiple of ``decay_steps`` past k, so the rate climbs back at
    each multiple. (The power law ε₀/(1 + k/τ)^p is ``InversePowerDecay``.)

    >>> PolynomialDecay(0.1, 100, end_learning_rate=0.001)(50)
    0.0505
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        end_learning_rate: float = 0.0001,
        power: float = 1.0,
        cycle: bool = False,
        name: str | None = None,
    ) -> None:
        if decay_steps <= 0:
            raise ValueError(f"PolynomialDecay: decay_steps must be > 0, got {decay_steps}")
        self.initial_learning_rate, self.decay_steps = float(initial_learning_rate), decay_steps
        self.end_learning_rate, self.power = float(end_learning_rate), float(power)
        self.cycle, self.name = bool(cycle), name

    def __call__(self, step: int) -> float:
        if self.cycle:
            horizon = self.decay_steps * (1 if step == 0 else math.ceil(step / self.decay_steps))
        else:
            horizon, step = self.decay_steps, min(step, self.decay_steps)
        remaining = (1.0 - step / horizon) ** self.power
        return (self.initial_learning_rate - self.end_learning_rate) * remaining + (
            self.end_learning_rate
        )

    def robbins_monro(self) -> RobbinsMonro:
        if self.cycle:  # up again at every multiple of decay_steps: estimated from its rates
            return robbins_monro(self)
        if self.end_learning_rate > 0:
            return RobbinsMonro(True, False, _CONSTANT_TAIL)
        return RobbinsMonro(False, True, _ZERO_TAIL)


class InverseTimeDecay(InversePowerDecay):
    """ε_k = ε₀ / (1 + r·k/τ): the classic 1/k schedule (p = 1), which meets both
    conditions; with ``staircase``, ε₀ / (1 + r·⌊k/τ⌋), as Keras' (still 1/k in the long run).

    >>> InverseTimeDecay(1.0, decay_steps=10, decay_rate=1.0, staircase=True)(19)
    0.5

    ``decay_rate=0`` keeps the rate at ε₀, as in Keras.
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: float = 1.0,
        decay_rate: float = 1.0,
        staircase: bool = False,
    ) -> None:
        period = _positive_steps("InverseTimeDecay", "decay_steps", decay_steps)
        # τ/r is the power law's τ; a rate of 0 never decays (an infinite τ, as Keras has it)
        super().__init__(initial_learning_rate, period / decay_rate if decay_rate else math.inf)
        self.decay_rate, self.staircase = float(decay_rate), bool(staircase)
        self.period = period  # τ as given: ⌊k/τ⌋ exact at its multiples

    def __call__(self, step: int) -> float:
        progress = math.floor(step / self.period) if self.staircase else step / self.period
        return self.initial_learning_rate / (1.0 + self.decay_rate * progress)

    def robbins_monro(self) -> RobbinsMonro:
        if self.decay_rate == 0:
            return Constant(self.initial_learning_rate).robbins_monro()
        return super().robbins_monro()

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.period,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
        }


def _step_number(boundary: Any) -> int | float:
    """A boundary between steps as given: an integer, or a fraction kept (truncated to an
    integer, 2.5 would move step 2 past it)."""
    value = float(boundary)
    return int(value) if value.is_integer() else value


def _positive_steps(schedule: str, name: str, steps: Any) -> float:
    """A number of steps as Keras takes it: any number > 0, a fraction kept (Keras divides
    the step by it as a float; truncated to an integer it would change the rate)."""
    value = float(steps) if isinstance(steps, numbers.Real) else math.nan
    if isinstance(steps, bool) or not value > 0:
        raise ValueError(f"{schedule}: {name} must be a number > 0, got {steps!r}")
    return value


def _power_law(power: float, estimated: bool) -> RobbinsMonro:
    p = f"{power:.3g}"
    diverges, converges = power <= 1, power > 0.5
    if diverges and converges:
        reason = f"ε_k ∝ k^(−{p}) with ½ < {p} ≤ 1: Σε_k diverges and Σε_k² converges"
    elif not diverges:
        reason = (
            f"ε_k ∝ k^(−{p}) with {p} > 1: Σε_k converges, so the steps stop short of the optimum"
        )
    else:
        reason = f"ε_k ∝ k^(−{p}) with {p} ≤ ½: Σε_k² diverges, so the noise never averages out"
    return RobbinsMonro(diverges, converges, reason, estimated)


class CosineDecay(Schedule):
    """ε_peak·(α + (1 − α)·½(1 + cos(π k/decay_steps))), and α·ε_peak after
    ``decay_steps`` (Loshchilov & Hutter, 2017), after an optional linear warmup over
    ``warmup_steps``, given in either of two forms:

    - Keras': ``warmup_target``, the rate the warmup climbs to from ε₀ and the cosine
      decays from (ε_peak = ``warmup_target``);
    - ``warmup_initial``, the rate the warmup starts from on its way to ε₀ (ε_peak = ε₀).

    ``warmup_steps`` with neither raises: Keras would ignore the steps, and a warmup from
    0 was this class's meaning before, so either guess could be a silent surprise.

    >>> CosineDecay(0.0, 100, warmup_target=0.1, warmup_steps=10)(5)
    0.05
    >>> CosineDecay(0.1, 100, warmup_steps=10, warmup_initial=0.0)(5)
    0.05
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: float,
        alpha: float = 0.0,
        name: str | None = None,
        warmup_target: float | None = None,
        warmup_steps: float = 0,
        warmup_initial: float | None = None,
    ) -> None:
        if warmup_target is not None and warmup_initial is not None:
            raise ValueError(
                "CosineDecay: give warmup_target (Keras': warm up from initial_learning_rate "
                "to it) or warmup_initial (warm up from it to initial_learning_rate), not both"
            )
        if warmup_steps and warmup_target is None and warmup_initial is None:
            raise ValueError(
                f"CosineDecay: warmup_steps={warmup_steps} needs warmup_target (Keras': warm "
                "up from initial_learning_rate to it, then decay from it) or warmup_initial "
                "(warm up from it to initial_learning_rate); Keras ignores warmup_steps "
                "without warmup_target"
            )
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps = _positive_steps("CosineDecay", "decay_steps", decay_steps)
        self.alpha, self.name, self.warmup_steps = float(alpha), name, float(warmup_steps)
        self.warmup_target = None if warmup_target is None else float(warmup_target)
        self.warmup_initial = None if warmup_initial is None else float(warmup_initial)

    def _ends(self) -> tuple[float, float]:
        """The warmup's start and the peak the cosine decays from."""
        if self.warmup_initial is not None:
            return self.warmup_initial, self.initial_learning_rate
        if self.warmup_target is not None:
            return self.initial_learning_rate, self.warmup_target
        return self.initial_learning_rate, self.initial_learning_rate

    def __call__(self, step: int) -> float:
        start, peak = self._ends()
        if step < self.warmup_steps:
            return start + step / self.warmup_steps * (peak - start)
        progress = min(step - self.warmup_steps, self.decay_steps) / self.decay_steps
        cosine = 0.5 * (1 + math.cos(math.pi * progress))
        return peak * (self.alpha + (1 - self.alpha) * cosine)

    def robbins_monro(self) -> RobbinsMonro:
        tail = self.alpha * self._ends()[1]
        return RobbinsMonro(tail > 0, tail == 0, _CONSTANT_TAIL if tail > 0 else _ZERO_TAIL)


class CosineDecayRestarts(Schedule):
    """Cosine decay restarted (SGDR, Loshchilov & Hutter, 2017): period i lasts
    first_decay_steps·t_mulⁱ steps and decays from ε₀·(α + (1 − α)·m_mulⁱ) to α·ε₀, as
    Keras' does."""

    def __init__(
        self,
        initial_learning_rate: float,
        first_decay_steps: float,
        t_mul: float = 2.0,
        m_mul: float = 1.0,
        alpha: float = 0.0,
    ) -> None:
        self.initial_learning_rate = float(initial_learning_rate)
        self.first_decay_steps = _positive_steps(
            "CosineDecayRestarts", "first_decay_steps", first_decay_steps
        )
        if t_mul <= 0:
            raise ValueError(f"CosineDecayRestarts: t_mul must be > 0, got {t_mul}")
        self.t_mul, self.m_mul, self.alpha = float(t_mul), float(m_mul), float(alpha)

    def __call__(self, step: int) -> float:
        if self.t_mul < 1 and step >= self.first_decay_steps / (1 - self.t_mul):
            # periods shrinking by t_mul < 1 add up to a finite number of steps; past it
            # Keras' rate is NaN (the log of a negative number), which would train to NaN
            raise ValueError(
                f"CosineDecayRestarts: with t_mul={self.t_mul} < 1 the periods add up to "
                f"{self.first_decay_steps / (1 - self.t_mul):g} steps, and step {step} is past "
                "their end; use t_mul >= 1 for a schedule without an end"
            )
        period, length, start = 0, self.first_decay_steps, 0.0
        while step >= start + length:
            start += length
            length *= self.t_mul
            period += 1
        cosine = 0.5 * (1 + math.cos(math.pi * (step - start) / length))
        # Keras' (and TensorFlow's) form: m_mul shrinks the cosine, the floor α·ε₀ stays
        return self.initial_learning_rate * (
            self.alpha + (1 - self.alpha) * self.m_mul**period * cosine
        )

    def robbins_monro(self) -> RobbinsMonro:
        if self.alpha > 0:  # every period ends at the floor α·ε₀
            return RobbinsMonro(True, False, _CONSTANT_TAIL)
        # Period i contributes ∝ (m·t)ⁱ to Σε_k and ∝ (m²·t)ⁱ to Σε_k².
        m, t = self.m_mul, self.t_mul
        diverges, converges = m * t >= 1, m * m * t < 1
        reason = (
            f"period i adds ∝ (m_mul·t_mul)ⁱ = {m * t:.3g}ⁱ to Σε_k and ∝ (m_mul²·t_mul)ⁱ = "
            f"{m * m * t:.3g}ⁱ to Σε_k²: both hold when m_mul·t_mul ≥ 1 > m_mul²·t_mul"
        )
        return RobbinsMonro(diverges, converges, reason)


class OneCycle(Schedule):
    """One cycle (Smith & Topin, 2019), PyTorch's cosine form: from max_rate/div_factor up
    to ``max_rate`` over ``pct_start`` of ``total_steps``, then down to
    max_rate/(div_factor·final_div_factor), and constant after."""

    def __init__(
        self,
        max_rate: float,
        total_steps: int,
        pct_start: float = 0.3,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
    ) -> None:
        self.max_rate, self.total_steps, self.pct_start = (
            float(max_rate),
            int(total_steps),
            float(pct_start),
        )
        self.div_factor, self.final_div_factor = float(div_factor), float(final_div_factor)

    def __call__(self, step: int) -> float:
        initial = self.max_rate / self.div_factor
        final = initial / self.final_div_factor
        up = float(self.pct_start * self.total_steps) - 1
        down = float(self.total_steps) - 1
        position = min(float(step), down)
        if position <= up:
            start, end, fraction = initial, self.max_rate, position / up if up > 0 else 1.0
        else:
            start, end, fraction = self.max_rate, final, (position - up) / (down - up)
        return end + (start - end) / 2.0 * (math.cos(math.pi * fraction) + 1)

    def robbins_monro(self) -> RobbinsMonro:
        return RobbinsMonro(True, False, "a finite cycle, then constant: " + _CONSTANT_TAIL)


class Warmup(Schedule):
    """A linear warmup from 0 over ``warmup_steps``, then ``schedule`` (from its step 0).
    A finite prefix changes neither sum's convergence, so the verdict is the schedule's."""

    def __init__(self, schedule: Schedule | float, warmup_steps: int) -> None:
        self.schedule = schedule if isinstance(schedule, Schedule) else Constant(schedule)
        self.warmup_steps = int(warmup_steps)

    def __call__(self, step: int) -> float:
        if step < self.warmup_steps:
            return self.schedule(0) * (step + 1) / self.warmup_steps
        return self.schedule(step - self.warmup_steps)

    def robbins_monro(self) -> RobbinsMonro:
        inner = self.schedule.robbins_monro()
        return RobbinsMonro(
            inner.sum_diverges,
            inner.sum_of_squares_converges,
            f"after the warmup, {inner.reason}",
            inner.estimated,
        )

    def get_config(self) -> dict:
        return {"schedule": serialize(self.schedule), "warmup_steps": self.warmup_steps}


class Scaled(Schedule):
    """``factor`` × ``schedule``: what ``ReduceLROnPlateau`` makes of a schedule, so that
    the schedule's shape is kept. A constant factor > 0 changes neither sum's convergence."""

    def __init__(self, schedule: Schedule, factor: float) -> None:
        if factor <= 0:
            raise ValueError(f"Scaled: factor must be > 0, got {factor}")
        self.schedule, self.factor = schedule, float(factor)

    def __call__(self, step: int) -> float:
        return self.factor * self.schedule(step)

    def robbins_monro(self) -> RobbinsMonro:
        return self.schedule.robbins_monro()

    def get_config(self) -> dict:
        return {"schedule": serialize(self.schedule), "factor": self.factor}


def robbins_monro(schedule: Callable[[int], float], steps: int = 100_000) -> RobbinsMonro:
    """The verdict for any schedule: exact for deepgrad's, estimated for a plain function
    from the decay exponent p of ε_k ∝ k^(−p) fitted over the last decades of ``steps``.

    >>> str(robbins_monro(lambda k: 0.5 / (k + 1) ** 0.75))[:44]
    'meets the Robbins–Monro conditions (an estim'
    """
    if isinstance(schedule, Schedule):
        return schedule.robbins_monro()
    ks = np.unique(np.logspace(2, math.log10(steps), 20).astype(int))
    rates = np.array([float(schedule(int(k))) for k in ks])
    if np.any(rates < 0):
        raise ValueError("robbins_monro: a learning rate must not be negative")
    if rates[-1] == 0:
        return RobbinsMonro(False, True, "reaches a rate of 0: Σε_k converges", estimated=True)
    slope = np.polyfit(np.log(ks), np.log(np.maximum(rates, 1e-300)), 1)[0]
    # Two decimals: a fitted exponent of 0.999 for 1/k is 1, not "just under".
    return _power_law(round(max(-slope, 0.0), 2), estimated=True)


SCHEDULES = {
    cls.__name__: cls
    for cls in (
        Constant,
        PiecewiseConstant,
        PiecewiseConstantDecay,
        StepDecay,
        ExponentialDecay,
        PolynomialDecay,
        InversePowerDecay,
        InverseTimeDecay,
        CosineDecay,
        CosineDecayRestarts,
        OneCycle,
        Warmup,
        Scaled,
    )
}


def serialize(schedule: Schedule) -> dict:
    if SCHEDULES.get(type(schedule).__name__) is not type(schedule):  # a subclass named as one
        raise ValueError(f"schedule {schedule!r} is not a built-in schedule and cannot be saved")
    return {"class_name": type(schedule).__name__, "config": schedule.get_config()}


def get(config: dict | Schedule) -> Schedule:
    """A schedule from ``serialize``'s output (or a schedule, returned as is)."""
    if isinstance(config, Schedule):
        return config
    settings = dict(config.get("config", {}))
    name = config["class_name"]
    if name == "PolynomialDecay" and "end_learning_rate" not in settings:
        name = "InversePowerDecay"  # saved by deepgrad 0.1, whose PolynomialDecay it was
    if name in ("Warmup", "Scaled"):
        settings["schedule"] = get(settings["schedule"])
    return SCHEDULES[name](**settings)

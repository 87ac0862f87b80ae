"""Every optimizer on two classic problems, with the settings the docs recommend.

A convex quadratic ½(θ − θ*)'A(θ − θ*) and the Rosenbrock function
(1 − x)² + 100(y − x²)², both started at (−1.5, 2). A run ends when θ is within 1e-3 of
the minimiser (Euclidean distance). Gradients are exact, so what is measured is the
update rule alone.

    python -m tests.optimizers.convergence    # print the table in docs/optimizers.md
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import deepgrad as dg
from deepgrad import optimizers as O
from deepgrad.optimizers import schedules as S

START = np.array([-1.5, 2.0])
TOLERANCE = 1e-3
MAX_STEPS = 30_000

A = np.array([[3.0, 1.0], [1.0, 2.0]])
QUADRATIC_MINIMUM = np.array([1.0, -2.0])
ROSENBROCK_MINIMUM = np.array([1.0, 1.0])


def quadratic(theta: np.ndarray) -> tuple[float, np.ndarray]:
    """½(θ − θ*)'A(θ − θ*) and its gradient."""
    offset = theta - QUADRATIC_MINIMUM
    return 0.5 * float(offset @ A @ offset), A @ offset


def rosenbrock(theta: np.ndarray) -> tuple[float, np.ndarray]:
    """(1 − x)² + 100(y − x²)² and its gradient."""
    x, y = theta
    value = (1 - x) ** 2 + 100 * (y - x * x) ** 2
    return value, np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])


PROBLEMS = {
    "quadratic": (quadratic, QUADRATIC_MINIMUM),
    "rosenbrock": (rosenbrock, ROSENBROCK_MINIMUM),
}


def halving(rate: float, every: int) -> S.ExponentialDecay:
    return S.ExponentialDecay(rate, decay_steps=every, decay_rate=0.5)


# name -> (the settings as the docs show them, a factory taking the parameter list)
SETTINGS: dict[str, tuple[str, Callable[[list], O.Optimizer]]] = {
    "SGD": ("η = 0.002", lambda p: O.SGD(p, 0.002)),
    "SGD momentum": ("η = 0.001, μ = 0.9", lambda p: O.SGD(p, 0.001, momentum=0.9)),
    "SGD Nesterov": (
        "η = 0.001, μ = 0.9",
        lambda p: O.SGD(p, 0.001, momentum=0.9, nesterov=True),
    ),
    "ASGD": ("η = 0.002, λ = 0", lambda p: O.ASGD(p, 0.002, lambd=0.0)),
    "Adagrad": ("η = 0.5", lambda p: O.Adagrad(p, 0.5)),
    "Adadelta": (
        "η = 1 halved every 1000 steps",
        lambda p: O.Adadelta(p, halving(1.0, 1000)),
    ),
    "RMSprop": ("η = 0.01 halved every 1000 steps", lambda p: O.RMSprop(p, halving(0.01, 1000))),
    "Adam": ("η = 0.02", lambda p: O.Adam(p, 0.02)),
    "AMSGrad": ("η = 0.02", lambda p: O.Adam(p, 0.02, amsgrad=True)),
    "AdamW": ("η = 0.02, λ = 0", lambda p: O.AdamW(p, 0.02, weight_decay=0.0)),
    "Adamax": ("η = 0.02", lambda p: O.Adamax(p, 0.02)),
    "Nadam": ("η = 0.02 halved every 2000 steps", lambda p: O.Nadam(p, halving(0.02, 2000))),
    "RAdam": ("η = 0.01", lambda p: O.RAdam(p, 0.01)),
    "Yogi": ("η = 0.02", lambda p: O.Yogi(p, 0.02)),
    "AdaBelief": ("η = 0.02", lambda p: O.AdaBelief(p, 0.02)),
    "Rprop": ("η = 0.01", lambda p: O.Rprop(p, 0.01)),
    "Lion": ("η = 0.01 halved every 1000 steps", lambda p: O.Lion(p, halving(0.01, 1000))),
    "LARS": ("η = 1, trust 0.01", lambda p: O.LARS(p, 1.0, trust_coefficient=0.01)),
    "Lamb": ("η = 0.02 halved every 2000 steps", lambda p: O.Lamb(p, halving(0.02, 2000))),
    "Ftrl": ("η = 1", lambda p: O.Ftrl(p, 1.0)),
    "Adafactor": (
        "η = 0.02 halved every 2000 steps",
        lambda p: O.Adafactor(p, halving(0.02, 2000)),
    ),
    # θ as a 1×2 matrix, so that Muon's orthogonalised update (not its fallback) runs.
    "Muon": ("η = 0.05 halved every 500 steps", lambda p: O.Muon(p, halving(0.05, 500))),
    "ScheduleFreeSGD": ("η = 0.01, β = 0.9", lambda p: O.ScheduleFreeSGD(p, 0.01)),
    "ScheduleFreeAdamW": ("η = 0.05", lambda p: O.ScheduleFreeAdamW(p, 0.05)),
    "L-BFGS": (
        "η = 1, strong Wolfe line search",
        lambda p: O.LBFGS(p, 1.0, max_iter=1, line_search_fn="strong_wolfe"),
    ),
}


def steps_to_converge(name: str, problem: str, max_steps: int = MAX_STEPS) -> int | None:
    """Steps until ‖θ − θ*‖ ≤ 1e-3 (None if not within ``max_steps``). For L-BFGS a step
    is one iteration (one ``step(closure)`` with ``max_iter=1``)."""
    function, minimum = PROBLEMS[problem]
    make = SETTINGS[name][1]
    shape = (1, 2) if name == "Muon" else (2,)
    theta = dg.tensor(START.reshape(shape), dtype="float64", requires_grad=True)
    optimizer = make([theta])

    def closure() -> float:
        value, gradient = function(theta.numpy().ravel())
        assert theta.grad is not None  # the optimizer made it a view of its buffer
        theta.grad.data[...] = gradient.reshape(shape)
        return value

    for step in range(max_steps):
        if np.linalg.norm(theta.numpy().ravel() - minimum) <= TOLERANCE:
            return step
        if isinstance(optimizer, O.LBFGS):
            optimizer.step(closure)
        else:
            closure()
            optimizer.step()
    return None


def table() -> str:
    lines = [
        "| optimizer | settings | quadratic | Rosenbrock |",
        "|---|---|---|---|",
    ]
    for name, (settings, _) in SETTINGS.items():
        counts = [steps_to_converge(name, problem) for problem in PROBLEMS]
        cells = ["—" if c is None else f"{c:,}" for c in counts]
        lines.append(f"| {name} | {settings} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())

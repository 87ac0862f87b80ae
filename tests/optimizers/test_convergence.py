"""Every optimizer reaches the minimum of a convex quadratic and of the Rosenbrock function;
momentum beats plain SGD on an ill-conditioned quadratic; a Robbins–Monro schedule
converges on a noisy problem where a constant rate stalls. The step counts published in
docs/optimizers.md are checked here."""

import re
from pathlib import Path

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import optimizers as O
from deepgrad.optimizers import schedules as S
from tests.optimizers.convergence import PROBLEMS, SETTINGS, steps_to_converge

DOCS = Path(__file__).parents[2] / "docs" / "optimizers.md"


def published_steps() -> dict[str, list[str]]:
    """The docs' table: optimizer name -> [quadratic, Rosenbrock] step counts as text."""
    rows = {}
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] in SETTINGS:
            rows[cells[0]] = cells[2:]
    return rows


@pytest.mark.parametrize("problem", list(PROBLEMS))
@pytest.mark.parametrize("name", list(SETTINGS))
def test_every_optimizer_converges_as_published(name, problem):
    steps = steps_to_converge(name, problem)
    assert steps is not None, f"{name} did not reach the {problem} minimum"
    published = published_steps()[name][list(PROBLEMS).index(problem)]
    # A cell may list the counts of the two BLAS kernels seen ("680 or 1,982"): see the docs.
    counts = {int(count.replace(",", "")) for count in published.split(" or ")}
    assert steps in counts, f"{name} on {problem}: {steps} steps, the docs say {published}"


def test_docs_list_the_settings_the_tests_use():
    text = DOCS.read_text(encoding="utf-8")
    for name, (settings, _) in SETTINGS.items():
        assert re.search(rf"\| {re.escape(name)} \| {re.escape(settings)} \|", text), name


def _steps_on_ill_conditioned_quadratic(optimizer, max_steps=5000):
    hessian = np.diag([1.0, 100.0])  # condition number 100
    theta = dg.tensor(np.array([1.0, 1.0]), dtype="float64", requires_grad=True)
    opt = optimizer([theta])
    for step in range(max_steps):
        if np.linalg.norm(theta.numpy()) <= 1e-3:
            return step
        theta.grad.data[...] = hessian @ theta.numpy()
        opt.step()
    return max_steps


def test_momentum_beats_plain_sgd_on_an_ill_conditioned_quadratic():
    # The same learning rate, just below the 2/100 at which plain SGD diverges.
    plain = _steps_on_ill_conditioned_quadratic(lambda p: O.SGD(p, 0.01))
    heavy_ball = _steps_on_ill_conditioned_quadratic(lambda p: O.SGD(p, 0.01, momentum=0.9))
    nesterov = _steps_on_ill_conditioned_quadratic(
        lambda p: O.SGD(p, 0.01, momentum=0.9, nesterov=True)
    )
    assert plain == 688  # the slow direction shrinks by (1 − 0.01) per step
    assert heavy_ball < plain / 4
    assert nesterov < plain / 4


def _noisy_quadratic(rate, steps=20_000, dimension=200, seed=0):
    """SGD on ½‖θ‖² with gradient noise N(0, 1): the mean squared error every 2000 steps."""
    rng = np.random.default_rng(seed)
    theta = dg.tensor(np.ones(dimension), dtype="float64", requires_grad=True)
    opt = O.SGD([theta], rate)
    errors = []
    for step in range(1, steps + 1):
        theta.grad.data[...] = theta.numpy() + rng.standard_normal(dimension)
        opt.step()
        if step % 2000 == 0:
            errors.append(float(np.mean(theta.numpy() ** 2)))
    return np.array(errors)


def test_robbins_monro_schedule_converges_where_a_constant_rate_stalls():
    constant = S.Constant(0.1)
    decaying = S.InversePowerDecay(0.5, decay_steps=10, power=1.0)
    geometric = S.ExponentialDecay(0.5, decay_steps=100, decay_rate=0.5)
    assert not constant.robbins_monro().holds
    assert decaying.robbins_monro().holds
    assert not geometric.robbins_monro().holds

    # A constant rate η stalls at the noise floor E θ² = η/(2 − η) ≈ 0.053.
    stalled = _noisy_quadratic(constant)
    assert stalled[-5:].mean() == pytest.approx(0.1 / 1.9, rel=0.25)
    # ε_k ∝ 1/k averages the noise out: the error keeps falling, like 1/k.
    converging = _noisy_quadratic(decaying)
    assert converging[-1] < 1e-3
    assert converging[-1] < converging[0] / 5
    # Geometric decay freezes: Σε_k < ∞, so θ stops wherever the noise left it.
    frozen = _noisy_quadratic(geometric)
    assert frozen[-1] == pytest.approx(frozen[1], rel=1e-6)
    assert frozen[-1] > converging[-1]

"""The optimizers PyTorch does not have (Lion, LARS, Lamb, Ftrl, Yogi, AdaBelief, Muon):
against references written from each paper's algorithm, one parameter tensor at a time in
plain NumPy, and against two steps computed by hand."""

import math

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import optimizers as O
from deepgrad.optimizers.matrix import newton_schulz

SHAPES = [(3, 4), (4,), (4, 2), (2,)]
STEPS = 20


def _gradients(seed=1):
    rng = np.random.default_rng(seed)
    return [[rng.standard_normal(s) for s in SHAPES] for _ in range(STEPS)]


def _start(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in SHAPES]


def run_deepgrad(make):
    params = [dg.tensor(s, dtype="float64", requires_grad=True) for s in _start()]
    opt = make(params)
    for grads in _gradients():
        for p, g in zip(params, grads, strict=True):
            p.grad.data[...] = g
        opt.step()
    return [p.numpy() for p in params]


# ---- references, from the papers' pseudo-code, one tensor at a time --------------------


def lion_reference(lr, beta_1, beta_2, decay):
    """Chen et al. 2023, Algorithm 2 (with decoupled weight decay λ)."""
    thetas, moments = _start(), [np.zeros(s) for s in SHAPES]
    for grads in _gradients():
        for theta, m, g in zip(thetas, moments, grads, strict=True):
            c = beta_1 * m + (1 - beta_1) * g
            theta -= lr * (np.sign(c) + decay * theta)
            m[...] = beta_2 * m + (1 - beta_2) * g
    return thetas


def lars_reference(lr, momentum, weight_decay, trust):
    """You et al. 2017, Algorithm 1: local rate τ‖w‖/(‖∇L‖ + β‖w‖) per layer."""
    thetas, velocities = _start(), [np.zeros(s) for s in SHAPES]
    for grads in _gradients():
        for w, v, g in zip(thetas, velocities, grads, strict=True):
            local = (
                trust * np.linalg.norm(w) / (np.linalg.norm(g) + weight_decay * np.linalg.norm(w))
            )
            v[...] = momentum * v + lr * local * (g + weight_decay * w)
            w -= v
    return thetas


def lamb_reference(lr, beta_1, beta_2, eps, decay):
    """You et al. 2020, Algorithm 2 with φ(z) = z."""
    thetas = _start()
    ms, vs = [np.zeros(s) for s in SHAPES], [np.zeros(s) for s in SHAPES]
    for t, grads in enumerate(_gradients(), start=1):
        for x, m, v, g in zip(thetas, ms, vs, grads, strict=True):
            m[...] = beta_1 * m + (1 - beta_1) * g
            v[...] = beta_2 * v + (1 - beta_2) * g * g
            r = (m / (1 - beta_1**t)) / (np.sqrt(v / (1 - beta_2**t)) + eps)
            direction = r + decay * x
            x -= lr * np.linalg.norm(x) / np.linalg.norm(direction) * direction
    return thetas


def ftrl_reference(alpha, beta, l1, l2, n0):
    """McMahan et al. 2013, Algorithm 1, per coordinate, with the gradient taken at the
    current weights (as Keras and deepgrad do) and the accumulator started at n0."""
    thetas = [t.copy() for t in _start()]
    zs, ns = [np.zeros(s) for s in SHAPES], [np.full(s, n0) for s in SHAPES]
    for grads in _gradients():
        for w, z, n, g in zip(thetas, zs, ns, grads, strict=True):
            for i in np.ndindex(w.shape):
                sigma = (math.sqrt(n[i] + g[i] ** 2) - math.sqrt(n[i])) / alpha
                z[i] += g[i] - sigma * w[i]
                n[i] += g[i] ** 2
                if abs(z[i]) <= l1:
                    w[i] = 0.0
                else:
                    w[i] = -(z[i] - math.copysign(l1, z[i])) / (
                        (beta + math.sqrt(n[i])) / alpha + l2
                    )
    return thetas


def yogi_reference(lr, beta_1, beta_2, eps, v0):
    """Zaheer et al. 2018, Algorithm 2, with Adam's bias correction."""
    thetas = _start()
    ms, vs = [np.zeros(s) for s in SHAPES], [np.full(s, v0) for s in SHAPES]
    for t, grads in enumerate(_gradients(), start=1):
        for x, m, v, g in zip(thetas, ms, vs, grads, strict=True):
            m[...] = beta_1 * m + (1 - beta_1) * g
            v[...] = v - (1 - beta_2) * np.sign(v - g * g) * g * g
            x -= lr * (m / (1 - beta_1**t)) / (np.sqrt(v / (1 - beta_2**t)) + eps)
    return thetas


def adabelief_reference(lr, beta_1, beta_2, eps):
    """Zhuang et al. 2020, Algorithm 2."""
    thetas = _start()
    ms, ss = [np.zeros(s) for s in SHAPES], [np.zeros(s) for s in SHAPES]
    for t, grads in enumerate(_gradients(), start=1):
        for x, m, s, g in zip(thetas, ms, ss, grads, strict=True):
            m[...] = beta_1 * m + (1 - beta_1) * g
            s[...] = beta_2 * s + (1 - beta_2) * (g - m) ** 2 + eps
            x -= lr * (m / (1 - beta_1**t)) / (np.sqrt(s / (1 - beta_2**t)) + eps)
    return thetas


def _quintic_newton_schulz(g, steps=5):
    """Jordan et al. 2024: X ← aX + b(XXᵀ)X + c(XXᵀ)²X on the wide orientation."""
    a, b, c = 3.4445, -4.7750, 2.0315
    x = g / np.linalg.norm(g)
    tall = x.shape[0] > x.shape[1]
    x = x.T if tall else x
    for _ in range(steps):
        x = a * x + b * (x @ x.T) @ x + c * (x @ x.T) @ (x @ x.T) @ x
    return x.T if tall else x


def muon_reference(lr, momentum, adam_lr):
    """Muon for the matrices (Nesterov momentum, orthogonalised, scaled by
    √max(1, rows/cols)); Adam (β = 0.9, 0.95) for the vectors."""
    thetas = _start()
    buffers = [np.zeros(s) for s in SHAPES]
    ms, vs = [np.zeros(s) for s in SHAPES], [np.zeros(s) for s in SHAPES]
    for t, grads in enumerate(_gradients(), start=1):
        for x, buffer, m, v, g in zip(thetas, buffers, ms, vs, grads, strict=True):
            if x.ndim == 2:
                buffer[...] = momentum * buffer + g
                update = _quintic_newton_schulz(g + momentum * buffer)
                x -= lr * math.sqrt(max(1.0, x.shape[0] / x.shape[1])) * update
            else:
                m[...] = 0.9 * m + 0.1 * g
                v[...] = 0.95 * v + 0.05 * g * g
                x -= adam_lr * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.95**t)) + 1e-8)
    return thetas


REFERENCES = {
    "lion": (
        lambda p: O.Lion(p, 0.01, beta_1=0.8, beta_2=0.95, decoupled_weight_decay=0.1),
        lambda: lion_reference(0.01, 0.8, 0.95, 0.1),
    ),
    "lars": (
        lambda p: O.LARS(p, 0.5, momentum=0.9, weight_decay_lars=0.01, trust_coefficient=0.02),
        lambda: lars_reference(0.5, 0.9, 0.01, 0.02),
    ),
    "lamb": (
        lambda p: O.Lamb(p, 0.01, weight_decay_lamb=0.1),
        lambda: lamb_reference(0.01, 0.9, 0.999, 1e-6, 0.1),
    ),
    "ftrl": (
        lambda p: O.Ftrl(p, 0.1, l1=0.05, l2=0.2, beta=0.5, initial_accumulator_value=0.1),
        lambda: ftrl_reference(0.1, 0.5, 0.05, 0.2, 0.1),
    ),
    "yogi": (lambda p: O.Yogi(p, 0.01), lambda: yogi_reference(0.01, 0.9, 0.999, 1e-3, 1e-6)),
    "adabelief": (
        lambda p: O.AdaBelief(p, 0.01),
        lambda: adabelief_reference(0.01, 0.9, 0.999, 1e-16),
    ),
    "muon": (
        lambda p: O.Muon(p, 0.02, adam_learning_rate=0.003),
        lambda: muon_reference(0.02, 0.95, 0.003),
    ),
}


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_matches_the_papers_algorithm(name):
    make, reference = REFERENCES[name]
    for ours, expected in zip(run_deepgrad(make), reference(), strict=True):
        np.testing.assert_allclose(ours, expected, rtol=1e-10, atol=1e-12)


# ---- two steps by hand: θ₀ = 1, g₁ = 2, g₂ = −1 -----------------------------------------

GOLDEN = {
    # c₁ = 0.1·2 = 0.2 > 0: θ₁ = 1 − 0.1 = 0.9; m₁ = 0.01·2 = 0.02.
    # c₂ = 0.9·0.02 + 0.1·(−1) = −0.082 < 0: θ₂ = 0.9 + 0.1 = 1.0.
    "lion": (lambda p: O.Lion(p, 0.1), (1,), [0.9, 1.0]),
    # m₁ = 0.2, s₁ = 0.001·1.8² = 0.00324, m̂ = 2, ŝ = 3.24: θ₁ = 1 − 0.1·2/1.8 = 0.888889.
    # m₂ = 0.08, s₂ = 0.999·0.00324 + 0.001·1.08² = 0.00440316, m̂ = 0.08/0.19,
    # ŝ = 0.00440316/0.001999 = 2.202681: θ₂ = θ₁ − 0.1·0.421053/1.484143 = 0.860519.
    "adabelief": (lambda p: O.AdaBelief(p, 0.1), (1,), [0.888889, 0.860519]),
    # v₁ = 1e-6 + 0.001·4 (v₀ < g²) = 0.004001, v̂ = 4.001: θ₁ = 1 − 0.2/(2.000250 + 0.001)
    # = 0.900062. v₂ = 0.004001 + 0.001·1 = 0.005001, v̂ = 2.501751, m̂ = 0.421053:
    # θ₂ = θ₁ − 0.1·0.421053/(1.581692 + 0.001) = 0.873459.
    "yogi": (lambda p: O.Yogi(p, 0.1), (1,), [0.900062, 0.873459]),
    # One weight: the trust ratio |θ|/|r| makes each step η|θ|·sign(r): 1 → 0.9 → 0.81.
    "lamb": (lambda p: O.Lamb(p, 0.1), (1,), [0.9, 0.81]),
    # local₁ = 0.5·1/2 = 0.25, v₁ = 0.1·0.25·2 = 0.05: θ₁ = 0.95.
    # local₂ = 0.5·0.95/1 = 0.475, v₂ = 0.9·0.05 − 0.1·0.475 = −0.0025: θ₂ = 0.9525.
    "lars": (lambda p: O.LARS(p, 0.1, trust_coefficient=0.5), (1,), [0.95, 0.9525]),
    # n: 0 → 4, σ₁ = (2 − 0)/0.1 = 20, z₁ = 2 − 20·1 = −18: θ₁ = (18 − 0.1)/(2/0.1) = 0.895.
    # n: 4 → 5, σ₂ = (√5 − 2)/0.1 = 2.360680, z₂ = −18 − 1 − 2.360680·0.895 = −21.112808:
    # θ₂ = (21.112808 − 0.1)/(√5/0.1) = 0.939721.
    "ftrl": (
        lambda p: O.Ftrl(p, 0.1, l1=0.1, initial_accumulator_value=0.0),
        (1,),
        [0.895, 0.939721],
    ),
    # A 1×1 matrix: Newton–Schulz sends ±1 to ±0.696436 (five steps of
    # s ← 3.4445s − 4.7750s³ + 2.0315s⁵ from 1). Step 1: B = 2, direction 2 + 0.95·2 > 0:
    # θ₁ = 1 − 0.1·0.696436 = 0.930356. Step 2: B = 0.95·2 − 1 = 0.9, direction
    # −1 + 0.95·0.9 = −0.145 < 0: θ₂ = θ₁ + 0.0696436 = 1.0.
    "muon": (lambda p: O.Muon(p, 0.1), (1, 1), [0.930356, 1.0]),
}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_two_steps_by_hand(name):
    make, shape, expected = GOLDEN[name]
    theta = dg.tensor(np.ones(shape), dtype="float64", requires_grad=True)
    opt = make([theta])
    path = []
    for gradient in (2.0, -1.0):
        theta.grad.data[...] = gradient
        opt.step()
        path.append(float(theta.numpy().ravel()[0]))
    assert path == pytest.approx(expected, abs=1e-6)


def test_newton_schulz_orthogonalises():
    rng = np.random.default_rng(0)
    for shape in [(8, 5), (5, 8), (6, 6)]:
        matrix = rng.standard_normal(shape)
        singular = np.linalg.svd(newton_schulz(matrix), compute_uv=False)
        # Jordan's coefficients trade exactness for speed: singular values in about
        # [0.7, 1.2] rather than exactly 1, with the singular vectors of the input.
        assert singular.min() > 0.6 and singular.max() < 1.3
        u, _, vt = np.linalg.svd(matrix, full_matrices=False)
        polar = u @ vt
        cosine = np.sum(polar * newton_schulz(matrix)) / (
            np.linalg.norm(polar) * np.linalg.norm(newton_schulz(matrix))
        )
        assert cosine > 0.97

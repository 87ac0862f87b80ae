"""Every member of the Adam family steps along the one shared direction m̂/(√v̂ + ε)
(``adam.adam_direction``) and differs from Adam only where its paper does: each test
rebuilds one step from the optimizer's own state and that function, bit for bit where the
member is elementwise."""

import math

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import optimizers as O
from deepgrad.optimizers import adam_rules as rules
from deepgrad.optimizers.adam_rules import adam_direction

SHAPES = [(4, 3), (3,)]
STEPS = 8  # past RAdam's ρ_t > 5 (from t = 6 with β₂ = 0.999)


def one_more_step(make):
    """The optimizer after STEPS steps, the parameters before the last one and after it,
    and the last gradients."""
    rng = np.random.default_rng(0)
    params = [
        dg.tensor(rng.standard_normal(s), dtype="float64", requires_grad=True) for s in SHAPES
    ]
    opt = make(params)
    for _ in range(STEPS):
        before = [p.numpy().copy() for p in params]
        grads = [rng.standard_normal(s) for s in SHAPES]
        for p, g in zip(params, grads, strict=True):
            p.grad.data[...] = g
        opt.step()
    flat = np.concatenate
    return (
        opt,
        flat([b.ravel() for b in before]),
        opt.flat.groups[0].values,
        flat([g.ravel() for g in grads]),
    )


def root_bias(beta_2, t=STEPS):
    """The direction's (1 − β₂ᵗ)^(−½)."""
    return 1 / math.sqrt(1 - beta_2**t)


@pytest.mark.parametrize("name", ["adam", "amsgrad", "nadam", "radam", "yogi", "adabelief"])
def test_every_rule_of_the_family_calls_the_shared_direction(name):
    assert "adam_direction" in getattr(rules, name).function.__code__.co_names


def test_adam_and_adamw():
    for make, decay in [(lambda p: O.Adam(p, 0.01), 0.0), (lambda p: O.AdamW(p, 0.01), 0.01)]:
        opt, before, after, _ = one_more_step(make)
        m, v = opt.state[0]["m"], opt.state[0]["v"]
        root = root_bias(0.999)
        decayed = before * (1.0 - 0.01 * decay) if decay else before
        expected = decayed - (0.01 / (1 - 0.9**STEPS)) * adam_direction(m, v, root, 1e-8)
        np.testing.assert_array_equal(after, expected)


def test_amsgrad_divides_by_the_running_maximum():
    opt, before, after, _ = one_more_step(lambda p: O.Adam(p, 0.01, amsgrad=True))
    state = opt.state[0]
    assert (state["v_max"] >= state["v"]).all() and (state["v_max"] > state["v"]).any()
    root = root_bias(0.999)
    step = 0.01 / (1 - 0.9**STEPS)
    np.testing.assert_array_equal(
        after, before - step * adam_direction(state["m"], state["v_max"], root, 1e-8)
    )


def test_nadam_adds_the_direction_of_the_gradient():
    opt, before, after, g = one_more_step(lambda p: O.Nadam(p, 0.01))
    m, v, product = opt.state[0]["m"], opt.state[0]["v"], float(opt.state[0]["mu_product"])
    mu = 0.9 * (1 - 0.5 * 0.96 ** (STEPS * 0.004))
    mu_next = 0.9 * (1 - 0.5 * 0.96 ** ((STEPS + 1) * 0.004))
    root = root_bias(0.999)
    expected = before - 0.01 * (1 - mu) / (1 - product) * adam_direction(g, v, root, 1e-8)
    expected = expected - 0.01 * mu_next / (1 - product * mu_next) * adam_direction(
        m, v, root, 1e-8
    )
    np.testing.assert_array_equal(after, expected)


def test_radam_rectifies_it_with_epsilon_added_to_the_root_of_v():
    opt, before, after, _ = one_more_step(lambda p: O.RAdam(p, 0.01))
    m, v = opt.state[0]["m"], opt.state[0]["v"]
    rho_inf = 2 / (1 - 0.999) - 1
    rho_t = rho_inf - 2 * STEPS * 0.999**STEPS / (1 - 0.999**STEPS)
    assert rho_t > 5
    rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
    root = root_bias(0.999)
    step = 0.01 / (1 - 0.9**STEPS) * rect
    np.testing.assert_array_equal(after, before - step * adam_direction(m, v, root, 1e-8 * root))


@pytest.mark.parametrize("make", [lambda p: O.Yogi(p, 0.01), lambda p: O.AdaBelief(p, 0.01)])
def test_yogi_and_adabelief_differ_only_in_their_second_moment(make):
    opt, before, after, _ = one_more_step(make)
    m, second = opt.state[0]["m"], opt.state[0]["v"]
    root = root_bias(0.999)
    step = 0.01 / (1 - 0.9**STEPS)
    np.testing.assert_array_equal(
        after, before - step * adam_direction(m, second, root, opt.epsilon)
    )


def test_lamb_scales_it_per_layer():
    opt, before, after, _ = one_more_step(lambda p: O.Lamb(p, 0.01, weight_decay_lamb=0.1))
    m, v = opt.state[0]["m"], opt.state[0]["v"]
    m_hat, v_hat = m / (1 - 0.9**STEPS), v / (1 - 0.999**STEPS)
    r = adam_direction(m_hat, v_hat, 1.0, 1e-6) + 0.1 * before
    for start, size in zip(opt.flat.groups[0].starts, opt.flat.groups[0].sizes, strict=True):
        piece = slice(start, start + size)
        trust = np.linalg.norm(before[piece]) / np.linalg.norm(r[piece])
        np.testing.assert_allclose(
            after[piece], before[piece] - 0.01 * trust * r[piece], rtol=1e-12
        )


def test_muon_steps_its_vectors_by_adam():
    opt, before, after, _ = one_more_step(lambda p: O.Muon(p, 0.02, adam_learning_rate=0.003))
    vector = slice(12, 15)  # the (3,) parameter; the (4, 3) matrix is orthogonalised
    m, v = opt.state[0]["m"][vector], opt.state[0]["v"][vector]
    root = root_bias(0.95)
    step = 0.003 / (1 - 0.9**STEPS)
    np.testing.assert_array_equal(
        after[vector], before[vector] - step * adam_direction(m, v, root, 1e-8)
    )

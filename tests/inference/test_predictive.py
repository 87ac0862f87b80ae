"""Predictive distributions: the 95% prediction intervals of the shallow net cover 95% of
fresh points and widen away from the data; the linearised predictive agrees with Monte
Carlo where it must."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import datasets, inference, layers, losses, regularizers
from tests.inference.fitting import fitted, linear_model

SEEDS = range(5)


def fresh(truth, n, rng):
    """New draws from the same shallow net y = Σ β_j ψ(x'γ_j) + ε."""
    x = rng.uniform(-2, 2, (n, 1))
    hidden = 1 / (1 + np.exp(-np.hstack([np.ones((n, 1)), x]) @ truth["gamma"]))
    return x, (hidden @ truth["beta"] + truth["sigma"] * rng.standard_normal(n)).reshape(-1, 1)


def shallow_net(seed):
    x, y, truth = datasets.make_shallow_net_regression(
        n=300, m=3, sigma=0.3, seed=seed, return_params=True
    )
    dg.random.seed(seed)
    penalty = regularizers.L2(1e-4)  # a proper prior: saturated units would leave H singular
    model = dg.Sequential(
        [
            layers.Dense(3, "sigmoid", kernel_regularizer=penalty, bias_regularizer=penalty),
            layers.Dense(1, kernel_regularizer=penalty, bias_regularizer=penalty),
        ]
    )
    model.compile(optimizer=dg.optimizers.LBFGS(max_iter=50), loss="mse")
    model.fit(x.astype(np.float64), y.astype(np.float64), batch_size=None, epochs=10, verbose=0)
    return inference.Laplace(model).fit(x, y), truth


def test_prediction_intervals_cover_95_percent_and_widen_outside_the_data(float64):
    coverages, ratios = [], []
    inside = np.linspace(-2, 2, 41).reshape(-1, 1)
    outside = np.r_[np.linspace(-4, -2.5, 20), np.linspace(2.5, 4, 20)].reshape(-1, 1)
    for seed in SEEDS:
        la, truth = shallow_net(seed)
        x, y = fresh(truth, 4000, np.random.default_rng(100 + seed))
        lower, upper = la.prediction_interval(x, level=0.95)
        coverages.append(float(np.mean((lower <= y) & (y <= upper))))
        widths = [
            np.mean(np.sqrt(la.functional_variance(g)[1][:, 0, 0])) for g in (inside, outside)
        ]
        ratios.append(widths[1] / widths[0])
    print(f"coverage per fit: {np.round(coverages, 4)}; outside/inside std: {np.round(ratios, 2)}")
    assert all(0.92 <= c <= 0.98 for c in coverages), coverages
    assert min(ratios) > 1.0, ratios


def test_predict_returns_the_mean_and_the_predictive_std(float64):
    la, _ = shallow_net(0)
    x = np.linspace(-1, 1, 7).reshape(-1, 1)
    mean, std = la.predict(x, return_std=True)
    np.testing.assert_allclose(mean, la.model.predict(x), rtol=1e-12)
    _, variance = la.functional_variance(x)
    np.testing.assert_allclose(std**2, variance[:, :, 0] + la.sigma2, rtol=1e-12)
    lower, upper = la.prediction_interval(x, level=0.95)
    np.testing.assert_allclose((upper - lower) / 2, 1.959963984540054 * std, rtol=1e-12)


def test_monte_carlo_equals_the_linearised_predictive_for_a_linear_model(float64):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 2))
    y = x @ [1.0, -1.0] + 0.5 * rng.normal(size=40)
    la = inference.Laplace(linear_model(x, y, "mse")).fit(x, y)
    glm_mean, glm_std = la.predict(x[:5], return_std=True)
    mc_mean, mc_std = la.predict(x[:5], return_std=True, method="mc", samples=20000)
    draws = la.sample(20000, seed=1)
    np.testing.assert_allclose(
        draws.mean(axis=0), la.theta, atol=5 * la.standard_errors().max() / 100
    )
    np.testing.assert_allclose(np.cov(draws.T), la.posterior_covariance, rtol=0.05, atol=1e-5)
    np.testing.assert_allclose(mc_mean, glm_mean, atol=4 * glm_std.max() / np.sqrt(20000) * 3)
    np.testing.assert_allclose(mc_std, glm_std, rtol=0.02)


@pytest.mark.parametrize(
    "loss, activation, outputs",
    [
        (losses.BinaryCrossentropy(from_logits=True), None, 1),
        (losses.SparseCategoricalCrossentropy(from_logits=True), None, 3),
    ],
    ids=["bernoulli", "categorical"],
)
def test_probit_is_close_to_monte_carlo_and_pulls_towards_one_half(
    float64, loss, activation, outputs
):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(60, 2))
    if outputs == 1:
        y = (x[:, 0] + 0.5 * rng.normal(size=60) > 0).astype(float)
    else:
        y = np.argmax(x @ rng.normal(size=(2, 3)) + rng.normal(size=(60, 3)), axis=1)
    dg.random.seed(0)
    model = dg.Sequential([layers.Dense(4, "tanh"), layers.Dense(outputs, activation)])
    fitted(model, x, y, loss, epochs=5)
    la = inference.Laplace(model, prior_precision=1.0).fit(x, y)
    grid = rng.normal(size=(20, 2)) * 3
    probit = la.predict(grid)
    monte_carlo = la.predict(grid, method="mc", samples=4000)
    plug_in = la.likelihood.mean(la.network.forward(la.network.inputs(grid, "t")))
    assert np.abs(probit - monte_carlo).max() < 0.1
    if outputs == 1:
        assert np.all(np.abs(probit - 0.5) <= np.abs(plug_in - 0.5) + 1e-12)
    else:
        np.testing.assert_allclose(probit.sum(axis=1), 1.0)
        assert np.all(probit.max(axis=1) <= plug_in.max(axis=1) + 1e-12)


def test_poisson_log_link_mean_is_lognormal(float64):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(50, 1))
    y = rng.poisson(np.exp(0.5 * x[:, 0] + 0.2)).astype(float)
    la = inference.Laplace(linear_model(x, y, losses.Poisson(), activation="exponential")).fit(x, y)
    grid = np.array([[-3.0], [0.0], [3.0]])
    eta, variance = la.functional_variance(grid)
    mean = la.predict(grid)
    np.testing.assert_allclose(mean, np.exp(eta + variance[:, :, 0] / 2), rtol=1e-12)
    mc = la.predict(grid, method="mc", samples=20000)
    np.testing.assert_allclose(mc, mean, rtol=0.02)

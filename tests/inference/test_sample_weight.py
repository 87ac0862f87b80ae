"""A model fitted with sample weights: ``Laplace.fit(x, y, sample_weight=w)`` counts sample
i's −log p w_i times. A net with no hidden layer is then weighted least squares
(statsmodels' WLS) or a GLM with ``var_weights``; integer weights on a net give the
curvature of the data with each sample repeated w_i times."""

import warnings

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import inference, layers, losses, regularizers
from tests.inference.fitting import design, fitted, linear_model

sm = pytest.importorskip("statsmodels.api")


def data(n=50, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    return x, x @ [1.0, -1.0] + 0.3 + rng.normal(size=n), rng.uniform(0.2, 3.0, n)


@pytest.mark.parametrize("curvature", ["ggn", "exact", "kfac"])
def test_weighted_least_squares_equals_statsmodels_wls(float64, curvature):
    """Without the weights, fit warned (not at the optimum, 0.64 SE) and gave the standard
    errors of the unweighted fit (0.1507 for WLS's 0.1538 on the first weight)."""
    x, y, w = data()
    wls = sm.WLS(y, design(x), weights=w).fit()
    model = linear_model(x, y, "mse", weights=[wls.params[:-1, None], wls.params[-1:]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        la = inference.Laplace(model, curvature=curvature).fit(x, y, sample_weight=w)
    assert la.sigma2 == pytest.approx(wls.scale, rel=1e-12)
    np.testing.assert_allclose(la.standard_errors(), wls.bse, rtol=1e-10)
    table = la.summary(print_fn=None)
    assert table.degrees_of_freedom == wls.df_resid
    np.testing.assert_allclose(table.p_values, wls.pvalues, rtol=1e-8)
    np.testing.assert_allclose(np.c_[table.lower, table.upper], wls.conf_int(), rtol=1e-10)
    assert la.aic() == pytest.approx(wls.aic, rel=1e-12)
    assert la.bic() == pytest.approx(wls.bic, rel=1e-12)
    x_new = np.random.default_rng(1).normal(size=(3, 2))
    frame = wls.get_prediction(design(x_new)).summary_frame(alpha=0.1)  # a new y of weight 1
    lower, upper = la.prediction_interval(x_new, level=0.9)
    np.testing.assert_allclose(lower[:, 0], frame["obs_ci_lower"], rtol=1e-10)
    np.testing.assert_allclose(upper[:, 0], frame["obs_ci_upper"], rtol=1e-10)


def test_samples_of_weight_zero_are_left_out(float64):
    x, y, w = data()
    w[:5] = 0.0
    wls = sm.WLS(y[5:], design(x[5:]), weights=w[5:]).fit()
    model = linear_model(x, y, "mse", weights=[wls.params[:-1, None], wls.params[-1:]])
    la = inference.Laplace(model).fit(x, y, sample_weight=w)
    np.testing.assert_allclose(la.standard_errors(), wls.bse, rtol=1e-10)
    assert la.aic() == pytest.approx(wls.aic, rel=1e-12)


@pytest.mark.parametrize(
    ("family", "loss", "activation"),
    [
        ("Binomial", losses.BinaryCrossentropy(from_logits=True), None),
        ("Poisson", losses.Poisson(), "exponential"),
    ],
)
def test_weighted_glms_equal_statsmodels_var_weights(float64, family, loss, activation):
    x, _, w = data()
    rng = np.random.default_rng(2)
    eta = x @ [0.8, -0.4] + 0.2
    if family == "Binomial":
        y = (rng.random(len(x)) < 1 / (1 + np.exp(-eta))).astype(float)
    else:
        y = rng.poisson(np.exp(eta)).astype(float)
    glm = sm.GLM(y, design(x), family=getattr(sm.families, family)(), var_weights=w)
    fit = glm.fit(tol=1e-12)
    weights = [fit.params[:-1, None], fit.params[-1:]]
    model = linear_model(x, y, loss, weights=weights, activation=activation)
    for curvature in ("ggn", "exact"):
        la = inference.Laplace(model, curvature=curvature).fit(x, y, sample_weight=w)
        assert la.distance_from_optimum < 1e-8
        np.testing.assert_allclose(la.standard_errors(), fit.bse, rtol=1e-6)
        assert la.log_likelihood() == pytest.approx(fit.llf, rel=1e-12)
        assert la.aic() == pytest.approx(fit.aic, rel=1e-12)


@pytest.mark.parametrize("curvature", ["ggn", "exact", "kfac", "diag"])
def test_integer_weights_on_a_net_are_repeated_samples(float64, curvature):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(30, 1))
    y = np.sin(2 * x) + 0.2 * rng.normal(size=(30, 1))
    w = rng.integers(1, 4, 30).astype(float)
    dg.random.seed(0)
    net = dg.Sequential([layers.Dense(3, "tanh"), layers.Dense(1)])
    fitted(net, x, y, losses.GaussianNLL(sigma=0.3), epochs=3, sample_weight=w)
    repeated = np.repeat(np.arange(30), w.astype(int))
    prior = 100.0  # the exact Hessian of this short fit has eigenvalues down to −79
    weighted = inference.Laplace(net, curvature=curvature, prior_precision=prior)
    weighted.fit(x, y, sample_weight=w)
    plain = inference.Laplace(net, curvature=curvature, prior_precision=prior)
    plain.fit(x[repeated], y[repeated])
    np.testing.assert_allclose(
        weighted.posterior_covariance, plain.posterior_covariance, rtol=1e-9, atol=1e-15
    )
    np.testing.assert_allclose(
        weighted.predict(x[:4], return_std=True), plain.predict(x[:4], return_std=True)
    )


def test_the_prior_of_a_weighted_mean_counts_the_weights(float64):
    """Σ w_i ℓ_i / Σ w_i + l2·‖w‖² is the mode for δ = 2·l2·(Σ w_i)·c; this reduction
    was refused."""
    x, y, w = data()
    l2 = 0.05
    model = dg.Sequential([layers.Dense(1, kernel_regularizer=regularizers.L2(l2),
                                        bias_regularizer=regularizers.L2(l2))])  # fmt: skip
    loss = losses.GaussianNLL(sigma=1.0, reduction="mean_with_sample_weight")
    fitted(model, x, y, loss, epochs=10, sample_weight=w)
    la = inference.Laplace(model).fit(x, y, sample_weight=w)
    np.testing.assert_allclose(la.prior, 2 * l2 * np.sum(w), rtol=1e-12)
    assert la.distance_from_optimum < 0.01  # the fit is that prior's mode


def test_bad_sample_weights_raise(float64):
    x, y, w = data()
    model = linear_model(x, y, "mse")
    with pytest.raises(ValueError, match=r"sample_weight has shape \(49,\).*\(50,\)"):
        inference.Laplace(model).fit(x, y, sample_weight=w[:-1])
    for bad in (-w, np.where(w > 1, np.nan, w), 0 * w):
        with pytest.raises(ValueError, match="sample_weight must be finite and ≥ 0"):
            inference.Laplace(model).fit(x, y, sample_weight=bad)


@pytest.mark.filterwarnings("ignore:Laplace.fit. the weights are not at the optimum")
def test_weighted_evidence_is_the_closed_form(float64):
    """log N(y | 0, σ² W⁻¹ + Z Zᵀ/δ), and MacKay's δ and σ² are its maximiser."""
    optimize = pytest.importorskip("scipy.optimize")
    x, y, w = data()
    z = design(x)

    def evidence(sigma2, delta):
        covariance = np.diag(sigma2 / w) + z @ z.T / delta
        _, logdet = np.linalg.slogdet(2 * np.pi * covariance)
        return -0.5 * logdet - 0.5 * y @ np.linalg.solve(covariance, y)

    model = linear_model(x, y, losses.GaussianNLL(sigma=0.9))
    la = inference.Laplace(model, prior_precision=2.0).fit(x, y, sample_weight=w)
    assert la.log_marginal_likelihood() == pytest.approx(evidence(0.81, 2.0), rel=1e-12)
    la = inference.Laplace(linear_model(x, y, "mse"), prior_precision=1.0)
    delta = la.fit(x, y, sample_weight=w).optimize_prior_precision()
    best = optimize.minimize(lambda logs: -evidence(np.exp(logs[1]), np.exp(logs[0])),
                             [0.0, 0.0], method="Nelder-Mead",
                             options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 4000})  # fmt: skip
    assert delta == pytest.approx(np.exp(best.x[0]), rel=1e-6)
    assert la.sigma2 == pytest.approx(np.exp(best.x[1]), rel=1e-6)

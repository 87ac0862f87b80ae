"""A net with no hidden layer and a Gaussian likelihood is linear regression: its standard
errors, intervals and σ̂² are those of OLS; with an L2 penalty its posterior and evidence
are the Bayesian ridge closed forms."""

import warnings

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import inference, layers, losses, regularizers
from tests.inference.fitting import design, linear_model

sm = pytest.importorskip("statsmodels.api")
optimize = pytest.importorskip("scipy.optimize")


def data(n=60, d=3, seed=0, noise=0.5):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    y = x @ rng.normal(size=d) + 0.3 + noise * rng.normal(size=n)
    return x, y


@pytest.mark.parametrize("curvature", ["ggn", "exact", "kfac", "last_layer"])
def test_ols_equals_statsmodels(float64, curvature):
    x, y = data()
    ols = sm.OLS(y, design(x)).fit()
    model = linear_model(x, y, "mse", weights=[ols.params[:-1, None], ols.params[-1:]])
    la = inference.Laplace(model, curvature=curvature).fit(x, y)
    assert la.sigma2 == pytest.approx(ols.scale, rel=1e-6, abs=0)
    np.testing.assert_allclose(la.theta, ols.params, rtol=0, atol=1e-12)
    np.testing.assert_allclose(la.standard_errors(), ols.bse, rtol=1e-6)
    table = la.summary(print_fn=None)
    np.testing.assert_allclose(table.standard_errors, ols.bse, rtol=1e-6)
    np.testing.assert_allclose(np.c_[table.lower, table.upper], ols.conf_int(), rtol=1e-6)
    np.testing.assert_allclose(table.statistics, ols.tvalues, rtol=1e-6)
    np.testing.assert_allclose(table.p_values, ols.pvalues, rtol=1e-6, atol=1e-14)
    assert table.degrees_of_freedom == ols.df_resid
    assert la.aic() == pytest.approx(ols.aic, rel=1e-10)
    assert la.bic() == pytest.approx(ols.bic, rel=1e-10)


def test_ols_summary_prints_a_regression_table(float64, capsys):
    x, y = data()
    ols = sm.OLS(y, design(x)).fit()
    model = linear_model(x, y, "mse", weights=[ols.params[:-1, None], ols.params[-1:]])
    inference.Laplace(model).fit(x, y).summary()
    printed = capsys.readouterr().out
    assert "std err" in printed and "P>|t|" in printed and "layers.0.bias[0]" in printed
    assert "not identified" not in printed  # no hidden layer: no symmetry note


def ridge(x, y, sigma, delta):
    """The Bayesian ridge posterior N(m, S) and log evidence for prior N(0, I/δ)."""
    z = design(x)
    precision = z.T @ z / sigma**2 + delta * np.eye(z.shape[1])
    covariance = np.linalg.inv(precision)
    mean = covariance @ z.T @ y / sigma**2
    marginal = sigma**2 * np.eye(len(y)) + z @ z.T / delta
    _, logdet = np.linalg.slogdet(2 * np.pi * marginal)
    evidence = -0.5 * logdet - 0.5 * y @ np.linalg.solve(marginal, y)
    return mean, covariance, evidence


@pytest.mark.parametrize("curvature", ["ggn", "exact", "kfac", "diag"])
def test_ridge_posterior_and_evidence_are_the_closed_form(float64, curvature):
    x, y = data(n=40, d=2)
    sigma, l2 = 0.7, 0.05
    delta = 2 * l2 * len(x)  # l2·‖w‖² added to the mean NLL is a prior of precision 2·l2·n
    mean, covariance, evidence = ridge(x, y, sigma, delta)
    penalty = regularizers.L2(l2)
    model = linear_model(
        x,
        y,
        losses.GaussianNLL(sigma=sigma),
        weights=[mean[:-1, None], mean[-1:]],
        kernel_regularizer=penalty,
        bias_regularizer=penalty,
    )
    la = inference.Laplace(model, curvature=curvature).fit(x, y)
    np.testing.assert_allclose(la.prior, delta)
    if curvature == "diag":  # the diagonal keeps only diag(ZᵀZ)/σ² + δ
        z = design(x)
        expected = np.diag(1 / (np.sum(z * z, axis=0) / sigma**2 + delta))
        np.testing.assert_allclose(la.posterior_covariance, expected, rtol=1e-10)
        return
    np.testing.assert_allclose(la.posterior_covariance, covariance, rtol=1e-9, atol=1e-14)
    assert la.log_marginal_likelihood() == pytest.approx(evidence, rel=1e-10)
    # at another δ the mode moves: evaluated there, still the closed form
    other = ridge(x, y, sigma, 3.0)[2]
    assert la.log_marginal_likelihood(prior_precision=3.0) == pytest.approx(other, rel=1e-10)
    assert la.log_marginal_likelihood() == pytest.approx(evidence, rel=1e-10)  # restored


def test_evidence_optimised_prior_precision_is_the_closed_form_optimum(float64):
    x, y = data(n=50, d=3, noise=1.0)
    sigma = 1.0
    model = linear_model(x, y, losses.GaussianNLL(sigma=sigma))
    la = inference.Laplace(model, prior_precision=1.0).fit(x, y)
    found = la.optimize_prior_precision()
    best = optimize.minimize_scalar(
        lambda log_delta: -ridge(x, y, sigma, np.exp(log_delta))[2],
        bounds=(-10, 10),
        method="bounded",
        options={"xatol": 1e-12},
    )
    assert found == pytest.approx(np.exp(best.x), rel=1e-6)
    assert la.log_marginal_likelihood() == pytest.approx(-best.fun, rel=1e-10)


def test_evidence_optimised_prior_and_noise_are_the_closed_form_optimum(float64):
    x, y = data(n=50, d=3, noise=0.8, seed=3)
    model = linear_model(x, y, "mse")
    la = inference.Laplace(model, prior_precision=1.0).fit(x, y)
    delta = la.optimize_prior_precision(sigma=True)

    def negative(logs):
        return -ridge(x, y, np.exp(logs[1] / 2), np.exp(logs[0]))[2]

    best = optimize.minimize(negative, [0.0, 0.0], method="Nelder-Mead",
                             options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 4000})  # fmt: skip
    assert delta == pytest.approx(np.exp(best.x[0]), rel=1e-5)
    assert la.sigma2 == pytest.approx(np.exp(best.x[1]), rel=1e-5)


def test_one_layer_per_layer_prior_is_the_common_prior(float64):
    x, y = data(n=50, d=3, noise=0.8, seed=3)
    model = linear_model(x, y, "mse")
    common = inference.Laplace(model, prior_precision=1.0).fit(x, y)
    per_layer = inference.Laplace(model, prior_precision=1.0).fit(x, y)
    delta = common.optimize_prior_precision()
    (layer_delta,) = per_layer.optimize_layer_prior_precisions()
    assert layer_delta == pytest.approx(delta, rel=1e-7)
    assert per_layer.sigma2 == pytest.approx(common.sigma2, rel=1e-7)


def test_the_last_layer_of_a_net_is_a_linear_model_for_the_evidence(float64):
    """With the hidden layer fixed, the last layer is ridge regression on its features:
    the evidence, at any δ, is the closed form on those features."""
    x, y = data(n=40, d=2, seed=5)
    penalty = regularizers.L2(0.01)
    model = dg.Sequential(
        [
            layers.Dense(3, "tanh"),
            layers.Dense(1, kernel_regularizer=penalty, bias_regularizer=penalty),
        ]
    )
    model.compile(optimizer="lbfgs", loss=losses.GaussianNLL(sigma=0.6))
    model.fit(x, y, batch_size=None, epochs=3, verbose=0)
    la = inference.Laplace(model, subset="last_layer", prior_precision=2.0).fit(x, y)
    assert la.evidence_mode == "newton"
    kernel, bias = (np.asarray(w, np.float64) for w in model.get_weights()[:2])
    features = np.tanh(x @ kernel + bias)
    for delta in (0.5, 2.0, 7.0):
        expected = ridge(features, y, 0.6, delta)[2]
        assert la.log_marginal_likelihood(prior_precision=delta) == pytest.approx(
            expected, rel=1e-9
        )


def test_ols_prediction_interval_is_statsmodels_students_t_interval(float64):
    """With σ̂² = RSS/(N − p) and no prior, the prediction interval uses Student's t with
    N − p degrees of freedom, as statsmodels' obs_ci (the normal one is too narrow)."""
    x, y = data(n=20, d=3, seed=7)
    ols = sm.OLS(y, design(x)).fit()
    model = linear_model(x, y, "mse", weights=[ols.params[:-1, None], ols.params[-1:]])
    la = inference.Laplace(model).fit(x, y)
    x_new = np.random.default_rng(8).normal(size=(5, 3))
    frame = ols.get_prediction(design(x_new)).summary_frame(alpha=0.10)
    lower, upper = la.prediction_interval(x_new, level=0.90)
    np.testing.assert_allclose(lower[:, 0], frame["obs_ci_lower"], rtol=1e-6)
    np.testing.assert_allclose(upper[:, 0], frame["obs_ci_upper"], rtol=1e-6)
    # with σ fixed the noise is known: the normal quantile
    fixed = inference.Laplace(model, sigma=0.5).fit(x, y)
    mean, std = fixed.predict(x_new, return_std=True)
    lower, upper = fixed.prediction_interval(x_new, level=0.90)
    np.testing.assert_allclose(upper - mean, 1.6448536269514722 * std, rtol=1e-9)


def test_weights_away_from_the_ols_optimum_warn(float64):
    """Weights half a standard error from OLS's optimum (a fit stopped early) give standard
    errors and intervals around the wrong point: fit warns, with the Newton step in
    standard errors, and the summary says so. At the optimum it is silent."""
    x, y = data(n=40, d=2, seed=4)
    ols = sm.OLS(y, design(x)).fit()
    sigma = float(np.sqrt(ols.scale))
    model = linear_model(x, y, "mse", weights=[ols.params[:-1, None], ols.params[-1:]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        at_optimum = inference.Laplace(model, sigma=sigma).fit(x, y)
    assert at_optimum.distance_from_optimum < 1e-6
    np.testing.assert_allclose(at_optimum.standard_errors(), ols.bse, rtol=1e-9)
    params = ols.params.copy()
    params[0] += 0.5 * ols.bse[0]
    model.set_weights([params[:-1, None], params[-1:]])
    with pytest.warns(UserWarning, match=r"not at the optimum .* 0\.5 standard errors"):
        away = inference.Laplace(model, sigma=sigma).fit(x, y)
    assert away.distance_from_optimum == pytest.approx(0.5, rel=1e-9)
    assert any("not at the optimum" in note for note in away.summary(print_fn=None).notes)


def test_mackay_keeps_a_sigma_fixed_by_the_caller(float64):
    """Laplace(sigma=0.5) fixes σ; MacKay's updates moved it to σ² = 0.574 and gave
    δ = 15.61, where the closed-form evidence at σ = 0.5 is maximal at δ = 14.088."""
    x, y = data(n=50, d=3, noise=0.8, seed=3)
    model = linear_model(x, y, "mse")
    best = optimize.minimize_scalar(
        lambda log_delta: -ridge(x, y, 0.5, np.exp(log_delta))[2],
        bounds=(-10, 10),
        method="bounded",
        options={"xatol": 1e-12},
    )
    common = inference.Laplace(model, sigma=0.5, prior_precision=1.0).fit(x, y)
    assert common.optimize_prior_precision() == pytest.approx(np.exp(best.x), rel=1e-6)
    assert common.sigma2 == 0.25
    per_layer = inference.Laplace(model, sigma=0.5, prior_precision=1.0).fit(x, y)
    (delta,) = per_layer.optimize_layer_prior_precisions()
    assert delta == pytest.approx(np.exp(best.x), rel=1e-6)
    assert per_layer.sigma2 == 0.25

"""Nets with no hidden layer and a non-Gaussian likelihood are GLMs: logistic, multinomial
logistic and Poisson regression, whose standard errors statsmodels computes."""

import warnings

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import activations, inference, layers, losses
from tests.inference.fitting import design, linear_model

sm = pytest.importorskip("statsmodels.api")


def features(n=200, d=3, seed=0):
    return np.random.default_rng(seed).normal(size=(n, d))


@pytest.mark.parametrize(
    "loss",
    [losses.BinaryCrossentropy(from_logits=True), losses.BinaryCrossentropy()],
    ids=["logits", "sigmoid"],
)
def test_logistic_regression_equals_statsmodels_logit(float64, loss):
    x = features()
    rng = np.random.default_rng(1)
    y = (rng.random(len(x)) < 1 / (1 + np.exp(-(x @ [1.0, -0.5, 0.25] - 0.2)))).astype(float)
    logit = sm.Logit(y, design(x)).fit(disp=0, tol=1e-12, maxiter=100)
    activation = None if loss.from_logits else "sigmoid"
    weights = [logit.params[:-1, None], logit.params[-1:]]
    model = linear_model(x, y, loss, weights=weights, activation=activation)
    la = inference.Laplace(model).fit(x, y)
    assert la.likelihood.name == "bernoulli"
    np.testing.assert_allclose(la.standard_errors(), logit.bse, rtol=1e-5)
    table = la.summary(print_fn=None)
    assert table.degrees_of_freedom is None  # Wald z
    np.testing.assert_allclose(table.statistics, logit.tvalues, rtol=1e-5)
    np.testing.assert_allclose(np.c_[table.lower, table.upper], logit.conf_int(), rtol=1e-5)
    np.testing.assert_allclose(table.p_values, logit.pvalues, rtol=1e-5, atol=1e-12)
    assert la.aic() == pytest.approx(logit.aic, rel=1e-9)
    assert la.bic() == pytest.approx(logit.bic, rel=1e-9)


def test_softmax_regression_equals_statsmodels_mnlogit(float64):
    x = features(n=300, d=2, seed=2)
    scores = x @ np.array([[0.0, 1.0, -1.0], [0.0, -0.5, 0.8]]) + [0.0, 0.3, -0.2]
    probabilities = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    rng = np.random.default_rng(3)
    y = np.array([rng.choice(3, p=p) for p in probabilities])
    mnlogit = sm.MNLogit(y, design(x)).fit(disp=0, method="newton", tol=1e-12, maxiter=100)
    # statsmodels fixes class 0's coefficients at 0; so does this net (a prior-free softmax
    # is over-parametrised): the kernel's and bias's first column stay 0 and are frozen.
    params = np.asarray(mnlogit.params)  # (d + 1, 2)
    kernel = np.c_[np.zeros(2), params[:-1]]
    bias = np.r_[0.0, params[-1]]
    model = linear_model(x, y, losses.SparseCategoricalCrossentropy(from_logits=True),
                         weights=[kernel, bias])  # fmt: skip
    # with all 3 columns free the curvature is singular (softmax is shift invariant) ...
    with pytest.raises(ValueError, match="singular"):
        inference.Laplace(model).fit(x, y)
    # ... and the reference-class parametrisation is statsmodels': compare on its weights
    la = inference.Laplace(model, prior_precision=_reference_prior(model)).fit(x, y)
    errors = la.standard_errors().reshape(-1)
    kernel_errors = errors[:6].reshape(2, 3)[:, 1:]
    bias_errors = errors[6:][1:]
    expected = np.asarray(mnlogit.bse)
    np.testing.assert_allclose(kernel_errors, expected[:-1], rtol=1e-4)
    np.testing.assert_allclose(bias_errors, expected[-1], rtol=1e-4)
    # 9 weights, 6 identified, as MNLogit counts: AIC 478.0357 (it counted 9: 484.0357)
    assert la.aic() == pytest.approx(mnlogit.aic, rel=1e-9)
    assert la.bic() == pytest.approx(mnlogit.bic, rel=1e-9)


def _mnlogit_data():
    x = features(n=300, d=2, seed=2)
    scores = x @ np.array([[0.0, 1.0, -1.0], [0.0, -0.5, 0.8]]) + [0.0, 0.3, -0.2]
    probabilities = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    rng = np.random.default_rng(3)
    return x, np.array([rng.choice(3, p=p) for p in probabilities])


def _centred_softmax_model(x, y, mnlogit):
    """The MLE with every row of [kernel; bias] centred over the classes (no reference
    class): the same probabilities as MNLogit's."""
    params = np.asarray(mnlogit.params)
    weights = np.c_[np.zeros(3), params]  # (d + 1, k): rows x1, x2, the constant
    weights = weights - weights.mean(axis=1, keepdims=True)
    loss = losses.SparseCategoricalCrossentropy(from_logits=True)
    return linear_model(x, y, loss, weights=[weights[:-1], weights[-1]])


@pytest.mark.parametrize("curvature", ["ggn", "exact", "diag", "kfac"])
def test_softmax_aic_and_bic_count_the_identified_weights_as_mnlogit(float64, curvature):
    x, y = _mnlogit_data()
    mnlogit = sm.MNLogit(y, design(x)).fit(disp=0, method="newton", tol=1e-12, maxiter=100)
    assert (mnlogit.aic, mnlogit.bic) == pytest.approx((478.03565795, 500.25835280), rel=1e-9)
    model = _centred_softmax_model(x, y, mnlogit)
    la = inference.Laplace(model, curvature=curvature, prior_precision=1.0).fit(x, y)
    assert la.log_likelihood() == pytest.approx(mnlogit.llf, rel=1e-10)
    assert la.aic() == pytest.approx(mnlogit.aic, rel=1e-10)  # p = 6 of the 9 weights
    assert la.bic() == pytest.approx(mnlogit.bic, rel=1e-10)


@pytest.mark.parametrize("curvature", ["ggn", "exact", "diag", "kfac", "last_layer"])
def test_a_softmax_without_a_prior_on_a_row_is_refused(float64, curvature):
    """Shifting a row of the weights alike for every class changes no probability: with
    no prior the posterior variance along it is infinite. The diagonal curvature gave
    finite standard errors there (0.17 for the first weight); all curvatures now raise."""
    x, y = _mnlogit_data()
    mnlogit = sm.MNLogit(y, design(x)).fit(disp=0, method="newton", tol=1e-12, maxiter=100)
    model = _centred_softmax_model(x, y, mnlogit)
    with pytest.raises(inference.SingularPosterior, match=r"leaves 3 directions free"):
        inference.Laplace(model, curvature=curvature).fit(x, y)
    only_the_bias = np.zeros(9)
    only_the_bias[6:] = 1.0  # the kernel's two rows stay free
    with pytest.raises(inference.SingularPosterior, match=r"leaves 2 directions free"):
        inference.Laplace(model, curvature=curvature, prior_precision=only_the_bias).fit(x, y)
    la = inference.Laplace(model, curvature=curvature, prior_precision=1.0).fit(x, y)
    with pytest.raises(inference.SingularPosterior, match="softmax output is unchanged"):
        la.set_hyperparameters(prior_precision=0.0)


def test_a_softmax_net_counts_its_output_layer_rows_once(float64):
    x, y = _mnlogit_data()
    model = dg.Sequential([layers.Dense(4, "tanh"), layers.Dense(3)])
    loss = losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer="lbfgs", loss=loss)
    model.fit(x, y, batch_size=None, epochs=2, verbose=0)
    la = inference.Laplace(model, subset="last_layer", prior_precision=1.0).fit(x, y)
    weights = 2 * 4 + 4 + 4 * 3 + 3  # 27; the output layer's 5 rows are free shifts
    assert la.aic() == pytest.approx(-2 * la.log_likelihood() + 2 * (weights - 5), rel=1e-12)
    with pytest.raises(inference.SingularPosterior, match="leaves 5 directions free"):
        inference.Laplace(model, subset="last_layer").fit(x, y)


def _reference_prior(model):
    """An enormous precision on class 0's weights pins them at 0 (the reference class)."""
    prior = np.zeros(9)
    prior[[0, 3, 6]] = 1e12
    return prior


def test_poisson_regression_equals_statsmodels_glm(float64):
    x = features(n=150, d=2, seed=4)
    y = np.random.default_rng(5).poisson(np.exp(x @ [0.4, -0.3] + 0.5)).astype(float)
    glm = sm.GLM(y, design(x), family=sm.families.Poisson()).fit(tol=1e-12)
    model = linear_model(x, y, losses.Poisson(), activation="exponential",
                         weights=[glm.params[:-1, None], glm.params[-1:]])  # fmt: skip
    la = inference.Laplace(model).fit(x, y)
    assert la.likelihood.link == "log"
    np.testing.assert_allclose(la.standard_errors(), glm.bse, rtol=1e-6)
    assert la.log_likelihood() == pytest.approx(glm.llf, rel=1e-10)
    assert activations.get("exponential") is activations.exponential


def test_poisson_with_a_rate_output_uses_the_fisher_of_the_rate(float64):
    x = np.abs(features(n=80, d=1, seed=6)) + 0.5
    y = np.random.default_rng(7).poisson(2 * x[:, 0]).astype(float)
    model = linear_model(x, y, losses.Poisson(), activation="softplus")
    la = inference.Laplace(model, prior_precision=1e-6).fit(x, y)
    assert la.likelihood.link == "identity"
    mean, std = la.predict(x[:5], return_std=True)
    assert np.all(std**2 >= mean)  # Poisson noise plus the rate's uncertainty
    assert isinstance(model.layers[0], layers.Dense)


def test_a_softmax_layer_is_the_categorical_link(float64):
    x = features(n=60, d=2, seed=8)
    y = np.random.default_rng(9).integers(0, 3, 60)
    logits = linear_model(x, y, losses.SparseCategoricalCrossentropy(from_logits=True))
    probabilities = dg.Sequential([layers.Dense(3), layers.Softmax()])
    probabilities.compile(optimizer="sgd", loss=losses.SparseCategoricalCrossentropy())
    probabilities.fit(x, y, epochs=1, verbose=0)
    probabilities.set_weights(logits.get_weights())
    one = inference.Laplace(logits, prior_precision=1.0).fit(x, y)
    other = inference.Laplace(probabilities, prior_precision=1.0).fit(x, y)
    np.testing.assert_allclose(other.posterior_covariance, one.posterior_covariance, rtol=1e-12)
    np.testing.assert_allclose(other.predict(x), one.predict(x), rtol=1e-12)


@pytest.mark.filterwarnings("ignore:Laplace.fit. the weights are not at the optimum")
def test_separated_classes_warn_that_the_weights_are_infinite(float64):
    """y = 1 exactly where x > 0: the logistic likelihood has no maximum (statsmodels'
    Logit does not converge), so the finite standard errors where the optimiser stopped
    mean nothing; fit warns and the summary says so. One overlapping label, or a prior,
    gives a proper optimum and no warning."""
    x = np.linspace(-2, 2, 40).reshape(-1, 1)
    y = (x[:, 0] > 0).astype(float)
    logit = sm.Logit(y, design(x))
    with pytest.warns(Warning):  # statsmodels: no maximum to converge to
        logit.fit(disp=0, maxiter=50)
    model = linear_model(x, y, losses.BinaryCrossentropy(from_logits=True),
                         weights=[[[30.0]], [0.0]])  # fmt: skip
    with pytest.warns(UserWarning, match="data are separated"):
        la = inference.Laplace(model).fit(x, y)
    assert any("separated" in note for note in la.summary(print_fn=None).notes)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not inference.Laplace(model, prior_precision=1.0).fit(x, y).separated
        overlapping = y.copy()
        overlapping[[5, 30]] = 1 - overlapping[[5, 30]]
        fit = sm.Logit(overlapping, design(x)).fit(disp=0, tol=1e-12, maxiter=100)
        model.set_weights([fit.params[:-1, None], fit.params[-1:]])
        la = inference.Laplace(model).fit(x, overlapping)
    assert not la.separated
    np.testing.assert_allclose(la.standard_errors(), fit.bse, rtol=1e-5)


@pytest.mark.filterwarnings("ignore:Laplace.fit. the weights are not at the optimum")
def test_separated_classes_of_a_softmax_warn(float64):
    x = np.linspace(-2, 2, 30).reshape(-1, 1)
    labels = np.digitize(x[:, 0], [-0.7, 0.7])  # 0, 1, 2 in order along x
    kernel = 20 * np.array([[-1.0, 0.0, 1.0]])
    bias = np.array([-14.0, 0.0, -14.0])
    model = linear_model(x, labels, losses.SparseCategoricalCrossentropy(from_logits=True),
                         weights=[kernel, bias])  # fmt: skip
    # no prior: separated, and the softmax's common shift of each row is free as well
    with (
        pytest.warns(UserWarning, match="data are separated"),
        pytest.raises(inference.SingularPosterior, match="softmax output is unchanged"),
    ):
        inference.Laplace(model, curvature="diag").fit(x, labels)


@pytest.mark.parametrize("ignored", [-1, 0])
def test_samples_of_the_ignored_class_are_left_out(float64, ignored):
    """SparseCategoricalCrossentropy(ignore_class=c) gives label c weight 0 and leaves it
    out of the mean: the fit is the model of the other samples alone. Laplace counted
    them as class c (or refused label -1)."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=(90, 2))
    labels = rng.integers(1, 3, 90)
    labels[:20] = ignored
    penalty = dg.regularizers.L2(0.01)

    def softmax_regression(loss, x, y, epochs):
        dense = layers.Dense(3, kernel_regularizer=penalty, bias_regularizer=penalty)
        model = dg.Sequential([dense])
        model.compile(optimizer="lbfgs", loss=loss)
        model.fit(x, y, batch_size=None, epochs=epochs, verbose=0)
        return model

    loss = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=ignored)
    model = softmax_regression(loss, x, labels, epochs=10)
    kept = softmax_regression(losses.SparseCategoricalCrossentropy(from_logits=True),
                              x[20:], labels[20:], epochs=1)  # fmt: skip
    kept.set_weights(model.get_weights())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        la = inference.Laplace(model).fit(x, labels)
    expected = inference.Laplace(kept).fit(x[20:], labels[20:])
    np.testing.assert_allclose(la.prior, 2 * 0.01 * 70)  # the mean over the 70 that count
    np.testing.assert_allclose(la.standard_errors(), expected.standard_errors(), rtol=1e-12)
    assert la.log_likelihood() == pytest.approx(expected.log_likelihood(), rel=1e-12)


def test_a_model_compiled_with_a_loss_function_is_its_glm(float64):
    """compile(loss=dg.losses.binary_crossentropy) was refused ('_FunctionLoss is not the
    negative log-likelihood'); it is the Bernoulli likelihood, as the class is."""
    x = features()
    rng = np.random.default_rng(1)
    y = (rng.random(len(x)) < 1 / (1 + np.exp(-(x @ [1.0, -0.5, 0.25] - 0.2)))).astype(float)
    logit = sm.Logit(y, design(x)).fit(disp=0, tol=1e-12, maxiter=100)
    weights = [logit.params[:-1, None], logit.params[-1:]]
    model = linear_model(x, y, losses.binary_crossentropy, weights=weights, activation="sigmoid")
    la = inference.Laplace(model).fit(x, y)
    np.testing.assert_allclose(la.standard_errors(), logit.bse, rtol=1e-5)
    assert la.aic() == pytest.approx(logit.aic, rel=1e-9)
    counts = np.random.default_rng(5).poisson(np.exp(x @ [0.4, -0.3, 0.1] + 0.5)).astype(float)
    glm = sm.GLM(counts, design(x), family=sm.families.Poisson()).fit(tol=1e-12)
    model = linear_model(x, counts, losses.poisson, activation="exponential",
                         weights=[glm.params[:-1, None], glm.params[-1:]])  # fmt: skip
    np.testing.assert_allclose(inference.Laplace(model).fit(x, counts).standard_errors(),
                               glm.bse, rtol=1e-6)  # fmt: skip

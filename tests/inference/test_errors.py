"""Bad input gets an error that names the function, the shapes and what was expected."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import inference, layers, losses
from tests.inference.fitting import fitted, linear_model


def data(n=30, d=2):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, d))
    return x, x @ np.ones(d) + 0.1 * rng.normal(size=n)


def test_a_model_that_was_not_fitted(float64):
    x, y = data()
    model = dg.Sequential([layers.Dense(1)])
    with pytest.raises(ValueError, match="not compiled"):
        inference.Laplace(model).fit(x, y)
    model.compile(optimizer="sgd", loss="mse")
    model(x[:1])
    with pytest.raises(ValueError, match=r"has not been fitted.*model.fit"):
        inference.Laplace(model).fit(x, y)
    model.fit(x, y, epochs=1, verbose=0)
    model.compile(optimizer="adam", loss="mse")  # compiled again after fitting: still fitted
    inference.Laplace(model).fit(x, y)


@pytest.mark.parametrize(
    "loss", [losses.Hinge(), losses.Huber(), losses.MeanAbsoluteError(), losses.KLDivergence()]
)
def test_a_loss_with_no_likelihood(float64, loss):
    x, y = data()
    model = linear_model(x, (y > 0).astype(float), loss)
    with pytest.raises(ValueError, match=f"{type(loss).__name__} is not the negative log-lik"):
        inference.Laplace(model).fit(x, (y > 0).astype(float))


def test_a_singular_curvature_with_no_prior(float64):
    x, y = data()
    x = np.c_[x, x[:, :1]]  # a duplicated column: the weights along it are not determined
    model = linear_model(x, y, "mse")
    with pytest.raises(inference.SingularPosterior, match=r"singular.*no prior precision.*prior"):
        inference.Laplace(model).fit(x, y)
    la = inference.Laplace(model, prior_precision=1e-3).fit(x, y)  # a prior makes it proper
    table = la.summary(print_fn=None)
    assert any("ill-conditioned" in note for note in table.notes)


def test_the_diagonal_curvature_says_it_cannot_see_a_duplicated_input(float64):
    """Its standard errors for [x1, x1] looked as confident as for one column, silently."""
    x, y = data()
    x = np.c_[x, x[:, :1]]
    model = linear_model(x, y, "mse")
    table = inference.Laplace(model, curvature="diag").fit(x, y).summary(print_fn=None)
    assert any("drops the correlations between weights" in note for note in table.notes)


def test_saturated_units_are_detected_and_explained(float64):
    x, y = data(n=40, d=1)
    dg.random.seed(0)
    model = fitted(dg.Sequential([layers.Dense(2, "sigmoid"), layers.Dense(1)]), x, y, "mse")
    kernel, bias, *rest = model.get_weights()
    model.set_weights([kernel, bias + np.array([40.0, 0.0]), *rest])  # unit 0 saturated at 1
    with pytest.raises(inference.SingularPosterior, match="saturated"):
        inference.Laplace(model).fit(x, y)
    table = inference.Laplace(model, prior_precision=1e-2).fit(x, y).summary(print_fn=None)
    notes = " ".join(table.notes)
    assert "units [0] are saturated" in notes
    assert "permuting the hidden units" in notes


def test_an_indefinite_exact_hessian_says_so(float64):
    x, y = data(n=20, d=1)
    dg.random.seed(1)
    model = dg.Sequential([layers.Dense(3, "tanh"), layers.Dense(1)])
    fitted(model, x, y, "mse", optimizer="sgd")  # one SGD step: far from a minimum
    with pytest.raises(inference.SingularPosterior, match=r"not positive definite.*'ggn'"):
        inference.Laplace(model, curvature="exact", prior_precision=1e-6).fit(x, y)


def test_data_of_the_wrong_shape(float64):
    x, y = data()
    la = inference.Laplace(linear_model(x, y, "mse"))
    with pytest.raises(ValueError, match=r"Laplace.fit: x has shape \(30, 3\).*\(n, 2\)"):
        la.fit(np.c_[x, x[:, 0]], y)
    with pytest.raises(ValueError, match=r"y has shape \(29,\).*expected \(30, 1\)"):
        la.fit(x, y[:-1])
    la.fit(x, y)
    with pytest.raises(ValueError, match=r"Laplace.predict: x has shape \(4,\)"):
        la.predict(np.ones(4))


def test_labels_that_are_not_counts_or_classes(float64):
    x, y = data()
    counts = linear_model(x, np.abs(np.round(y)), losses.Poisson(), activation="exponential")
    with pytest.raises(ValueError, match="counts"):
        inference.Laplace(counts).fit(x, np.abs(y) + 0.5)
    labels = np.arange(30) % 3
    classes = linear_model(x, labels, losses.SparseCategoricalCrossentropy(from_logits=True))
    with pytest.raises(ValueError, match=r"integers in \[0, 3\)"):
        inference.Laplace(classes, prior_precision=1.0).fit(x, labels + 1)


def test_unsupported_models_and_settings(float64):
    x, y = data()
    model = linear_model(x, y, "mse")
    with pytest.raises(ValueError, match="curvature must be one of"):
        inference.Laplace(model, curvature="fisher")
    with pytest.raises(ValueError, match="subset must be"):
        inference.Laplace(model, subset="first_layer").fit(x, y)
    with pytest.raises(ValueError, match="evidence needs a proper prior"):
        inference.Laplace(model).fit(x, y).log_marginal_likelihood()
    with pytest.raises(ValueError, match="Gaussian likelihood"):
        logistic = linear_model(x, (y > 0).astype(float), losses.BinaryCrossentropy(True))
        inference.Laplace(logistic).fit(x, (y > 0).astype(float)).prediction_interval(x)
    with pytest.raises(RuntimeError, match="call fit"):
        inference.Laplace(model).predict(x)

    class Subclassed(dg.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)

        def call(self, inputs, training=False):
            return self.dense(inputs)

    subclassed = fitted(Subclassed(), x, y, "mse")
    with pytest.raises(TypeError, match="expected a Sequential model, got Subclassed"):
        inference.Laplace(subclassed).fit(x, y)
    normalised = dg.Sequential([layers.LayerNormalization(), layers.Dense(1)])
    fitted(normalised, x, y, "mse")
    with pytest.raises(ValueError, match=r"LayerNormalization.*not supported"):
        inference.Laplace(normalised).fit(x, y)
    sigmoid_logits = linear_model(
        x, (y > 0).astype(float), losses.BinaryCrossentropy(), activation="tanh"
    )
    with pytest.raises(ValueError, match="expects the model to end in sigmoid"):
        inference.Laplace(sigmoid_logits).fit(x, (y > 0).astype(float))
    l1 = linear_model(x, y, "mse", kernel_regularizer=dg.regularizers.L1(0.1))
    with pytest.raises(ValueError, match="not a Gaussian prior"):
        inference.Laplace(l1).fit(x, y)
    kfac_mixed = linear_model(x, y, "mse", kernel_regularizer=dg.regularizers.L2(0.1))
    with pytest.raises(ValueError, match="K-FAC needs one per layer"):
        inference.Laplace(kfac_mixed, curvature="kfac").fit(x, y)


@pytest.mark.parametrize("sigma", [np.float32(0.5), np.float64(0.5), np.array(0.5)])
def test_a_numpy_sigma_is_used_not_ignored(float64, sigma):
    """σ given as a NumPy number was taken for no σ at all: σ² was estimated from the
    residuals (0.0103 here) instead of 0.25, and every standard error with it."""
    x, y = data()
    model = linear_model(x, y, "mse")
    given = inference.Laplace(model, sigma=sigma).fit(x, y)
    assert given.sigma2 == 0.25
    expected = inference.Laplace(model, sigma=0.5).fit(x, y).standard_errors()
    np.testing.assert_array_equal(given.standard_errors(), expected)
    with pytest.raises(TypeError, match="sigma must be a number"):
        inference.Laplace(model, sigma=np.array([0.5, 0.5]))
    with pytest.raises(ValueError, match="sigma must be finite and positive"):
        inference.Laplace(model, sigma=float("nan"))


def test_nan_or_inf_in_the_data_or_the_weights_raise(float64):
    """They gave NaN standard errors (or, for NaN weights of a linear Gaussian model, NaN
    estimates beside finite standard errors) without a word; statsmodels raises too."""
    x, y = data()
    model = linear_model(x, y, "mse")
    bad_x, bad_y = x.copy(), y.copy()
    bad_x[3, 1], bad_y[5] = np.nan, np.inf
    with pytest.raises(ValueError, match=r"x holds NaN or inf in 1 of its 30 rows .*row 3"):
        inference.Laplace(model).fit(bad_x, y)
    with pytest.raises(ValueError, match="y holds NaN or inf"):
        inference.Laplace(model).fit(x, bad_y)
    kernel, bias = model.get_weights()
    kernel[0, 0] = np.nan
    model.set_weights([kernel, bias])
    with pytest.raises(ValueError, match=r"weight layers.0.kernel \(2, 1\) holds NaN"):
        inference.Laplace(model, sigma=1.0).fit(x, y)


@pytest.mark.filterwarnings("ignore:Laplace.fit. the weights are not at the optimum")
def test_labels_outside_the_likelihoods_support_raise(float64):
    """y = 2 for a Bernoulli, or one-hot rows that do not sum to 1, are not labels of the
    likelihood: its −log p (and the curvature's gradient term) was silently wrong."""
    x, y = data()
    labels = (y > 0).astype(float)
    logistic = linear_model(x, labels, losses.BinaryCrossentropy(from_logits=True))
    with pytest.raises(ValueError, match=r"Bernoulli: y must hold labels .* in \[0, 1\]"):
        inference.Laplace(logistic, prior_precision=1.0).fit(x, 2 * labels)
    one_hot = np.eye(3)[np.arange(30) % 3]
    softmax = linear_model(x, one_hot, losses.CategoricalCrossentropy(from_logits=True))
    with pytest.raises(ValueError, match="each row of y must be one-hot"):
        inference.Laplace(softmax, prior_precision=1.0).fit(x, 0.5 * one_hot)
    inference.Laplace(softmax, prior_precision=1.0).fit(x, 0.8 * one_hot + 0.2 / 3)  # soft


def test_an_exact_fit_has_no_noise_estimate(float64):
    """RSS = 0 made σ̂² = 0 and fit died in a ZeroDivisionError."""
    x, _ = data()
    y = x @ np.array([1.0, 2.0])
    model = linear_model(x, y, "mse", weights=[np.array([[1.0], [2.0]]), np.zeros(1)])
    for sigma in (None, "mle"):
        with pytest.raises(ValueError, match=r"fits its 30 observations exactly.*sigma="):
            inference.Laplace(model, sigma=sigma).fit(x, y)
    assert inference.Laplace(model, sigma=0.1).fit(x, y).sigma2 == pytest.approx(0.01)


def test_hyperparameters_out_of_range_raise(float64):
    """A negative or NaN prior precision, or σ² ≤ 0, was accepted (NaN standard errors,
    or a posterior precision 'not positive definite' blamed on the fit)."""
    x, y = data()
    model = linear_model(x, y, "mse")
    for prior in (float("nan"), -1.0, float("inf")):
        with pytest.raises(ValueError, match="prior_precision must be finite and ≥ 0"):
            inference.Laplace(model, prior_precision=prior).fit(x, y)
    with pytest.raises(ValueError, match=r"a number or 3 values .* got shape \(2,\)"):
        inference.Laplace(model, prior_precision=[1.0, 2.0]).fit(x, y)
    la = inference.Laplace(model).fit(x, y)
    with pytest.raises(ValueError, match="set_hyperparameters: prior_precision must be"):
        la.set_hyperparameters(prior_precision=-1.0)
    with pytest.raises(ValueError, match="sigma2 must be finite and > 0"):
        la.set_hyperparameters(sigma2=-1.0)
    with pytest.raises(ValueError, match="prior_precision must be finite"):
        la.log_marginal_likelihood(prior_precision=float("nan"))


def test_a_cross_entropy_along_another_axis_is_not_the_labels_likelihood(float64):
    """CategoricalCrossentropy(axis=0) takes the softmax over the samples: Laplace read it
    as the softmax over the classes, a different model, without a word."""
    x, _ = data()
    one_hot = np.eye(3)[np.arange(30) % 3]
    loss = losses.CategoricalCrossentropy(from_logits=True, axis=0)
    model = linear_model(x, one_hot, loss)
    with pytest.raises(ValueError, match=r"CategoricalCrossentropy\(axis=0\).*axis=-1"):
        inference.Laplace(model, prior_precision=1.0).fit(x, one_hot)
    for axis in (-1, 1):
        loss = losses.CategoricalCrossentropy(from_logits=True, axis=axis)
        inference.Laplace(linear_model(x, one_hot, loss), prior_precision=1.0).fit(x, one_hot)

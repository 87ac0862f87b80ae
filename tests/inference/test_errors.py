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

"""The Gaussian's σ as the model was fitted (fixed, learned, estimated), float32 models,
and the exact Hessian against PyTorch's."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import inference, layers, losses
from tests.inference.fitting import fitted


def data(n=50, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    return x, (np.tanh(x @ [1.0, -1.0]) + 0.2 * rng.normal(size=n)).reshape(-1, 1)


def small_net(seed=0):
    dg.random.seed(seed)
    return dg.Sequential([layers.Dense(3, "tanh"), layers.Dense(1)])


def test_sigma_as_fixed_learned_or_estimated(float64):
    x, y = data()
    learned = losses.GaussianNLL(sigma="learned")
    model = fitted(small_net(), x, y, learned, epochs=5)
    la = inference.Laplace(model, prior_precision=1.0).fit(x, y)
    assert la.sigma2 == pytest.approx(learned.sigma**2, rel=1e-12)
    rss = la.residual_sum_of_squares
    assert inference.Laplace(model, sigma="mle").fit(x, y).sigma2 == pytest.approx(rss / 50)
    unbiased = inference.Laplace(model, sigma="unbiased").fit(x, y).sigma2
    assert unbiased == pytest.approx(rss / (50 - 13))
    assert inference.Laplace(model, sigma=0.5).fit(x, y).sigma2 == pytest.approx(0.25)
    fixed = fitted(small_net(), x, y, losses.GaussianNLL(sigma=0.3), epochs=5)
    assert inference.Laplace(fixed, prior_precision=1.0).fit(x, y).sigma2 == pytest.approx(0.09)
    with pytest.raises(ValueError, match="sigma must be"):
        inference.Laplace(model, sigma="robust")
    # the curvature scales as 1/σ²: changing σ² rescales, without recomputing
    la.set_hyperparameters(sigma2=4 * la.sigma2)
    changed = inference.Laplace(model, prior_precision=1.0, sigma=la.sigma2**0.5).fit(x, y)
    np.testing.assert_allclose(la.posterior.curvature, changed.posterior.curvature, rtol=1e-12)


def test_a_float32_model_gets_float64_inference():
    x, y = data()
    model = fitted(small_net(), x, y, "mse", epochs=5)
    assert model.layers[0].kernel.dtype == np.float32
    la = inference.Laplace(model, prior_precision=1.0).fit(x, y)
    _, std = la.predict(x[:4], return_std=True)
    assert la.posterior_covariance.dtype == np.float64 and std.dtype == np.float64
    previous = dg.get_default_dtype()
    dg.set_default_dtype(np.float64)
    try:
        twin = small_net()
        twin.compile(optimizer="sgd", loss="mse")
        twin(x[:1])
        twin.optimizer.build(twin.trainable_weights)
        twin.set_weights([w.astype(np.float64) for w in model.get_weights()])
    finally:
        dg.set_default_dtype(previous)
    reference = inference.Laplace(twin, prior_precision=1.0).fit(x, y)
    np.testing.assert_allclose(la.posterior_covariance, reference.posterior_covariance, rtol=1e-12)
    np.testing.assert_allclose(std, reference.predict(x[:4], return_std=True)[1], rtol=1e-12)


def test_exact_hessian_equals_pytorchs(float64):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x, labels = rng.normal(size=(20, 3)), rng.integers(0, 3, 20)
    dg.random.seed(0)
    model = dg.Sequential([layers.Dense(4, "tanh"), layers.Dense(3)])
    fitted(model, x, labels, losses.SparseCategoricalCrossentropy(from_logits=True), epochs=3)
    la = inference.Laplace(model, curvature="exact")
    la.prepare(x, labels, "test")
    ours = inference.curvature.exact_hessian(la.network, la.likelihood, la.blocks, la.x, la.y)
    shapes = [w.shape for w in model.get_weights()]
    inputs, targets = torch.tensor(x), torch.tensor(labels)

    def nll(flat):
        pieces, start = [], 0
        for shape in shapes:
            size = int(np.prod(shape))
            pieces.append(flat[start : start + size].reshape(shape))
            start += size
        kernel, bias, kernel_out, bias_out = pieces
        logits = torch.tanh(inputs @ kernel + bias) @ kernel_out + bias_out
        return torch.nn.functional.cross_entropy(logits, targets, reduction="sum")

    theirs = torch.autograd.functional.hessian(nll, torch.tensor(la.network.theta)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def test_a_learned_sigma_gets_normal_quantiles_and_the_unbiased_one_students_t(float64):
    """GaussianNLL(sigma="learned") fits σ² by maximum likelihood (≈ RSS/N): a t table
    over those standard errors gave intervals 0.93x OLS's width (coverage 93% for 95%)."""
    x, y = data(n=30)
    learned = losses.GaussianNLL(sigma="learned")
    model = fitted(small_net(), x, y, learned, epochs=5)
    summary = inference.Laplace(model).fit(x, y).summary()
    assert summary.degrees_of_freedom is None
    estimated = inference.Laplace(model, sigma="unbiased").fit(x, y).summary()
    assert estimated.degrees_of_freedom == 30 - 13


def test_the_prior_of_a_summed_loss_counts_the_batches_the_penalty_was_added_to(float64):
    """With reduction="sum" each batch adds the L2 penalty to its summed loss: B batches an
    epoch make the fit the mode for δ = 2·l2·B·c, which Laplace read as 2·l2·c."""
    x, y = data(n=100)
    model = dg.Sequential([layers.Dense(1, kernel_regularizer=dg.regularizers.L2(0.01))])
    loss = losses.MeanSquaredError(reduction="sum")
    fitted(model, x, y, loss, epochs=1, optimizer=dg.optimizers.SGD(1e-3), batch_size=20)
    la = inference.Laplace(model).fit(x, y)
    expected = 2 * 0.01 * 5 * la.likelihood.scale()
    np.testing.assert_allclose(la.prior[:2], expected, rtol=1e-12)
    model.history.params = {}  # as for a model that was loaded, not fitted, here
    with pytest.raises(ValueError, match="number of batches per epoch"):
        inference.Laplace(model).fit(x, y)


@pytest.mark.parametrize(
    "noise",
    [
        layers.Dropout(0.3),
        layers.AlphaDropout(0.3),
        layers.GaussianDropout(0.3),
        layers.GaussianNoise(0.3),
    ],
    ids=lambda layer: type(layer).__name__,
)
def test_a_noise_layer_is_the_identity_for_the_laplace_approximation(float64, noise):
    x, y = data()
    plain = fitted(small_net(), x, y, "mse", epochs=2)
    dg.random.seed(0)
    noisy = fitted(dg.Sequential([layers.Dense(3, "tanh"), noise, layers.Dense(1)]), x, y, "mse")
    noisy.set_weights(plain.get_weights())
    expected = inference.Laplace(plain, prior_precision=1.0).fit(x, y)
    got = inference.Laplace(noisy, prior_precision=1.0).fit(x, y)
    np.testing.assert_allclose(got.posterior_covariance, expected.posterior_covariance)
    np.testing.assert_allclose(
        got.predict(x[:4], return_std=True), expected.predict(x[:4], return_std=True)
    )


def test_a_net_away_from_a_mode_is_measured_and_noted(float64):
    """A net's distance from a stationary point was not measured (NaN) and the summary of a
    fit stopped early read as one at a mode. It is measured on the curvature in use and
    the summary says so; fit does not warn (a net's fit is rarely converged to the digit)."""
    x, y = data()
    model = fitted(small_net(), x, y, "mse", epochs=1, optimizer="sgd")
    for curvature in ("ggn", "kfac", "diag"):
        la = inference.Laplace(model, curvature=curvature, prior_precision=1.0).fit(x, y)
        prior = la.prior_from_regularizers()  # the training objective's: no penalty here
        step = la.posterior.solve(la.unit_gradient / la.sigma2 + prior * la.theta)
        expected = np.max(np.abs(step) / la.standard_errors())
        assert la.distance_from_optimum == pytest.approx(expected, rel=1e-12)
        assert la.distance_from_optimum > 1
        notes = " ".join(la.summary(print_fn=None).notes)
        assert "not at a stationary point of the training objective" in notes
    dg.random.seed(0)
    penalty = {"kernel_regularizer": "l2", "bias_regularizer": "l2"}  # a proper mode
    dense = [layers.Dense(3, "tanh", **penalty), layers.Dense(1, **penalty)]
    converged = fitted(dg.Sequential(dense), x, y, "mse", epochs=5)  # L-BFGS reaches it
    la = inference.Laplace(converged).fit(x, y)
    assert la.distance_from_optimum < 0.01
    assert "stationary point" not in " ".join(la.summary(print_fn=None).notes)

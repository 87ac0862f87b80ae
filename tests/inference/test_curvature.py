"""The curvatures agree where theory says they must, and each is checked against autodiff
and central differences in float64 on random nets."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import deepgrad as dg
from deepgrad import inference, layers, losses
from deepgrad.inference import curvature
from deepgrad.inference.laplace import Laplace
from deepgrad.inference.network import Network
from tests.inference.fitting import fitted

LIKELIHOOD_LOSSES = {
    "gaussian": (lambda: losses.GaussianNLL(sigma=0.5), None),
    "bernoulli": (lambda: losses.BinaryCrossentropy(), "sigmoid"),
    "categorical": (lambda: losses.CategoricalCrossentropy(from_logits=True), None),
    "poisson": (lambda: losses.Poisson(), "exponential"),
}


def net(inputs, widths, outputs, activation, output_activation=None, seed=0):
    dg.random.seed(seed)
    stack = [layers.Dense(w, activation=activation) for w in widths]
    model = dg.Sequential([*stack, layers.Dense(outputs, activation=output_activation)])
    model(np.zeros((1, inputs)))
    return model


def targets(kind, n, outputs, rng):
    if kind == "gaussian":
        return rng.normal(size=(n, outputs))
    if kind == "bernoulli":
        return (rng.random((n, outputs)) < 0.5).astype(float)
    if kind == "categorical":
        return np.eye(outputs)[rng.integers(0, outputs, n)]
    return rng.poisson(1.5, (n, outputs)).astype(float)


def fitted_net(kind, n=12, inputs=3, widths=(4,), outputs=2, activation="tanh", seed=0):
    rng = np.random.default_rng(seed)
    make_loss, output_activation = LIKELIHOOD_LOSSES[kind]
    model = net(inputs, widths, outputs, activation, output_activation, seed)
    x, y = rng.normal(size=(n, inputs)), targets(kind, n, outputs, rng)
    return fitted(model, x, y, make_loss(), optimizer="sgd"), x, y


def unit_nll(la):
    """θ ↦ −log p(D | θ) written with deepgrad ops (the Laplace object's own pieces)."""
    return lambda theta: la.likelihood.nll(la.y, la.network.eta(theta, la.x))


def test_exact_hessian_equals_ggn_for_a_linear_gaussian_model(float64):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(30, 4)), rng.normal(size=(30, 2))
    model = fitted(dg.Sequential([layers.Dense(2)]), x, y, "mse")
    exact = Laplace(model, curvature="exact").fit(x, y)
    ggn = Laplace(model, curvature="ggn").fit(x, y)
    np.testing.assert_allclose(exact.posterior.curvature, ggn.posterior.curvature, rtol=1e-12)


def test_kfac_equals_ggn_for_one_dense_layer_with_one_output(float64):
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(25, 3)), rng.normal(size=(25, 1))
    model = fitted(dg.Sequential([layers.Dense(1)]), x, y, losses.GaussianNLL(sigma=0.3))
    kfac = Laplace(model, curvature="kfac", prior_precision=0.5).fit(x, y)
    ggn = Laplace(model, curvature="ggn", prior_precision=0.5).fit(x, y)
    (a, b), = kfac._unit_curvature  # fmt: skip
    np.testing.assert_allclose(np.kron(a, b) / 0.09, ggn.posterior.curvature, rtol=1e-12)
    np.testing.assert_allclose(kfac.posterior_covariance, ggn.posterior_covariance, rtol=1e-10)
    assert kfac.log_marginal_likelihood() == pytest.approx(ggn.log_marginal_likelihood())


@pytest.mark.parametrize("kind", sorted(LIKELIHOOD_LOSSES))
def test_diagonal_and_last_layer_are_parts_of_the_ggn(float64, kind):
    model, x, y = fitted_net(kind, widths=(3, 4))
    ggn = Laplace(model, prior_precision=1.0).fit(x, y).posterior.curvature
    diagonal = Laplace(model, curvature="diag", prior_precision=1.0).fit(x, y)
    np.testing.assert_allclose(diagonal.posterior.curvature, np.diag(ggn), rtol=1e-10, atol=1e-14)
    jac = next(curvature.jacobian_chunks(diagonal.network, diagonal.blocks, diagonal.x))[2]
    expected = (jac / (np.diag(ggn) + 1.0)) @ jac.transpose(0, 2, 1)
    np.testing.assert_allclose(diagonal.functional_variance(x)[1], expected, rtol=1e-10)
    last = Laplace(model, curvature="last_layer", prior_precision=1.0).fit(x, y)
    size = len(last.theta)
    np.testing.assert_allclose(last.posterior.curvature, ggn[-size:, -size:], rtol=1e-10)


@pytest.mark.parametrize("kind", sorted(LIKELIHOOD_LOSSES))
def test_ggn_is_the_hessian_minus_the_residual_term(float64, kind):
    """H = GGN + Σ_i Σ_c r_ic ∇²η_ic: checked with the exact Hessian of −log p and the
    second derivatives of η by autodiff."""
    model, x, y = fitted_net(kind, n=5, widths=(3,), outputs=2)
    la = Laplace(model, prior_precision=1.0).fit(x, y)
    exact = curvature.exact_hessian(la.network, la.likelihood, la.blocks, la.x, la.y)
    residual = la.likelihood.gradient(la.y, la.eta)
    weighted = dg.hessian(lambda t: dg.numpy.sum(residual * la.network.eta(t, la.x)))
    expected = la.posterior.curvature + np.asarray(weighted(la.network.theta))
    np.testing.assert_allclose(exact, expected, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("kind", sorted(LIKELIHOOD_LOSSES))
def test_exact_hessian_matches_central_differences(float64, kind):
    model, x, y = fitted_net(kind, n=6, widths=(2,), outputs=2)
    la = Laplace(model, curvature="exact")
    la.prepare(x, y, "test")
    exact = curvature.exact_hessian(la.network, la.likelihood, la.blocks, la.x, la.y)
    gradient = dg.grad(unit_nll(la))
    theta, h = la.network.theta, 1e-5
    columns = []
    for j in range(len(theta)):
        step = np.zeros_like(theta)
        step[j] = h
        columns.append(
            (np.asarray(gradient(theta + step)) - np.asarray(gradient(theta - step))) / (2 * h)
        )
    np.testing.assert_allclose(exact, np.array(columns), rtol=1e-6, atol=1e-7)


ACTIVATIONS = ["tanh", "sigmoid", "softplus", "gelu", "elu", "silu"]


@given(
    inputs=st.integers(1, 4),
    widths=st.lists(st.integers(1, 4), min_size=0, max_size=2),
    outputs=st.integers(1, 3),
    n=st.integers(1, 5),
    activation=st.sampled_from(ACTIVATIONS),
    seed=st.integers(0, 100),
)
def test_batched_jacobian_equals_autodiff(inputs, widths, outputs, n, activation, seed):
    previous = dg.get_default_dtype()
    dg.set_default_dtype(np.float64)
    try:
        model = net(inputs, widths, outputs, activation, seed=seed)
    finally:
        dg.set_default_dtype(previous)
    network = Network(model)
    x = np.random.default_rng(seed).normal(size=(n, inputs))
    blocks = network.trainable_blocks()
    (_, eta, jac), = curvature.jacobian_chunks(network, blocks, x)  # fmt: skip
    reverse = dg.jacobian(lambda t: network.eta(t, x))(network.theta)
    forward = dg.jacobian(lambda t: network.eta(t, x), mode="fwd")(network.theta)
    np.testing.assert_allclose(eta, network.forward(x), rtol=1e-12)
    np.testing.assert_allclose(jac, reverse, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(jac, forward, rtol=1e-10, atol=1e-12)
    h = 1e-6
    for j in range(0, network.size, max(1, network.size // 5)):
        step = np.zeros(network.size)
        step[j] = h
        central = (
            network.forward(x, network.theta + step) - network.forward(x, network.theta - step)
        ) / (2 * h)
        np.testing.assert_allclose(jac[:, :, j], central, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("kind", sorted(LIKELIHOOD_LOSSES))
def test_per_example_gradients_equal_autodiff_per_sample(float64, kind):
    model, x, y = fitted_net(kind, n=4, widths=(3,), outputs=2)
    gradients = inference.per_example_gradients(model, x, y)
    la = Laplace(model)
    la.prepare(x, y, "test")
    for i in range(len(x)):
        one = dg.grad(
            lambda t, i=i: la.likelihood.nll(la.y[i : i + 1], la.network.eta(t, la.x[i : i + 1]))
        )
        np.testing.assert_allclose(gradients[i], one(la.network.theta), rtol=1e-10, atol=1e-12)
    empirical = inference.fisher_information(model, x, y, kind="empirical")
    np.testing.assert_allclose(empirical, gradients.T @ gradients, rtol=1e-12)
    ggn = inference.fisher_information(model, x, y)
    np.testing.assert_allclose(
        ggn, Laplace(model, prior_precision=1.0).fit(x, y).posterior.curvature, rtol=1e-12
    )


def test_kronecker_posterior_equals_its_dense_form(float64):
    model, x, y = fitted_net("categorical", n=20, widths=(3,), outputs=3)
    la = Laplace(model, curvature="kfac", prior_precision=0.7).fit(x, y)
    posterior = la.posterior
    dense = np.zeros((len(la.theta), len(la.theta)))
    start = 0
    for block, (a, b) in zip(la.blocks, la._unit_curvature, strict=True):
        dense[start : start + block.size, start : start + block.size] = np.kron(a, b)
        start += block.size
    precision = dense + 0.7 * np.eye(len(dense))
    covariance = np.linalg.inv(precision)
    np.testing.assert_allclose(posterior.covariance(), covariance, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(posterior.variance(), np.diag(covariance), rtol=1e-9)
    vector = np.random.default_rng(0).normal(size=len(dense))
    np.testing.assert_allclose(posterior.solve(vector), covariance @ vector, rtol=1e-9)
    assert posterior.curvature_form(vector) == pytest.approx(vector @ dense @ vector)
    assert posterior.logdet_precision() == pytest.approx(np.linalg.slogdet(precision)[1])
    _, variance = la.functional_variance(x)
    chunks = curvature.jacobian_chunks(la.network, la.blocks, la.network.inputs(x, "t"))
    jac = next(chunks)[2]
    np.testing.assert_allclose(
        variance, jac @ covariance @ jac.transpose(0, 2, 1), rtol=1e-9, atol=1e-12
    )
    draws = posterior.sample(np.random.default_rng(1), 40000)
    np.testing.assert_allclose(np.cov(draws.T), covariance, atol=0.05 * np.abs(covariance).max())


def test_exact_hessian_of_the_last_layer_is_a_block_of_the_full_one(float64):
    model, x, y = fitted_net("bernoulli", n=8, widths=(3,), outputs=1)
    la = Laplace(model)
    la.prepare(x, y, "test")
    full = curvature.exact_hessian(la.network, la.likelihood, la.blocks, la.x, la.y)
    last = la.network.trainable_blocks()[-1:]
    block = curvature.exact_hessian(la.network, la.likelihood, last, la.x, la.y)
    np.testing.assert_allclose(block, full[-last[0].size :, -last[0].size :], rtol=1e-12)


@pytest.mark.parametrize("kind", ["ggn", "kfac", "diag"])
def test_per_layer_prior_precisions_are_a_stationary_point_of_the_evidence(float64, kind):
    model, x, y = fitted_net("categorical", n=30, widths=(3,), outputs=3)
    la = Laplace(model, curvature=kind, prior_precision=1.0).fit(x, y)
    deltas = la.optimize_layer_prior_precisions()
    sizes = [block.size for block in la.blocks]
    best = la.log_marginal_likelihood()
    for layer in range(len(sizes)):
        values = []
        for factor in (1 - 1e-4, 1 + 1e-4):
            moved = deltas.copy()
            moved[layer] *= factor
            values.append(la.log_marginal_likelihood(prior_precision=np.repeat(moved, sizes)))
        slope = (values[1] - values[0]) / (2e-4 * deltas[layer])
        assert abs(slope * deltas[layer]) < 1e-5 and max(values) <= best + 1e-9
    common = Laplace(model, curvature=kind, prior_precision=1.0).fit(x, y)
    common.optimize_prior_precision()
    assert best >= common.log_marginal_likelihood() - 1e-9  # more freedom, no lower

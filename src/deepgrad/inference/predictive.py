"""Predictive distributions of a ``Laplace`` posterior.

- ``"glm"`` (default): linearise the network at θ*, η(x; θ) ≈ η(x; θ*) + J(x)(θ − θ*), so
  that η is Gaussian with mean η(x; θ*) and covariance J P⁻¹ Jᵀ (Immer et al., 2021: the
  generalised linear model of the Laplace–GGN posterior). Then: Gaussian, y has variance
  J P⁻¹ Jᵀ + σ² (noise plus weight uncertainty); Bernoulli, the probit approximation
  E[sigmoid(η)] ≈ sigmoid(μ / √(1 + π v / 8)) (MacKay, 1992); categorical, the same per
  class on the softmax (Lu et al., 2020); Poisson with a log link, E[e^η] = e^(μ + v/2).
- ``"mc"``: draw weights θ_s ~ N(θ*, P⁻¹), run the (non-linear) network, average.

``predict`` returns E[y | x, D] and, with ``return_std``, the standard deviation of y
under the predictive distribution (law of total variance).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from deepgrad.inference.distributions import normal_quantile, t_quantile
from deepgrad.inference.network import block_jacobian

METHODS = ("glm", "probit", "mc")


def linearised(la: Any, x: Any, caller: str = "Laplace.predict") -> tuple[np.ndarray, np.ndarray]:
    """η(x; θ*) (n, k) and J P⁻¹ Jᵀ (n, k, k)."""
    network, posterior = la.network, la.posterior
    inputs = network.inputs(x, caller)
    wanted = {id(b) for b in la.blocks}
    means, variances = [], []
    for start in range(0, len(inputs), 256):
        eta, factors = network.jacobian_factors(inputs[start : start + 256])
        chosen = [
            (block, pair)
            for block, pair in zip(network.trainable_blocks(), factors, strict=True)
            if id(block) in wanted
        ]
        if posterior.kind in ("kfac", "diag"):
            variance = posterior.functional_variance_from_factors([pair for _, pair in chosen])
        else:
            jacobian = np.concatenate([block_jacobian(b, a, g) for b, (a, g) in chosen], axis=2)
            variance = posterior.functional_variance(jacobian)
        means.append(eta)
        variances.append(variance)
    return np.concatenate(means), np.concatenate(variances)


def predict(
    la: Any,
    x: Any,
    return_std: bool = False,
    method: str = "glm",
    samples: int = 200,
    seed: int | None = 0,
) -> Any:
    """E[y | x, D] and, with ``return_std``, the predictive standard deviation of y."""
    if method not in METHODS:
        raise ValueError(f"Laplace.predict: method must be one of {METHODS}, got {method!r}")
    if method == "mc":
        mean, variance = _monte_carlo(la, x, samples, seed)
    else:
        eta, covariance = linearised(la, x)
        mean, variance = _glm(la.likelihood, eta, np.diagonal(covariance, axis1=1, axis2=2))
    return (mean, np.sqrt(variance)) if return_std else mean


def _glm(likelihood: Any, eta: np.ndarray, variance: np.ndarray) -> tuple[np.ndarray, ...]:
    name = likelihood.name
    if name == "gaussian":
        return eta, variance + likelihood.sigma2
    if name in ("bernoulli", "categorical"):
        p = likelihood.mean(eta / np.sqrt(1.0 + math.pi * variance / 8.0))
        if name == "categorical":
            p = p / p.sum(axis=-1, keepdims=True)
        return p, p * (1 - p)
    if likelihood.link == "log":  # η ~ N(μ, v): e^η is log-normal
        rate = np.exp(eta + variance / 2)
        return rate, rate + np.expm1(variance) * rate * rate
    return eta, eta + variance


def _monte_carlo(la: Any, x: Any, samples: int, seed: int | None) -> tuple[np.ndarray, ...]:
    network, likelihood = la.network, la.likelihood
    inputs = network.inputs(x, "Laplace.predict")
    deviations = la.posterior.sample(np.random.default_rng(seed), samples)
    means, variances = [], []
    for deviation in deviations:
        theta = network.theta.copy()
        theta[la.indices] += deviation
        eta = network.forward(inputs, theta)
        mean = likelihood.mean(eta)
        means.append(mean)
        if likelihood.name == "gaussian":
            variances.append(np.full_like(mean, likelihood.sigma2))
        elif likelihood.name == "poisson":
            variances.append(mean)
        else:
            variances.append(mean * (1 - mean))
    stacked = np.stack(means)
    average = stacked.mean(axis=0)
    if likelihood.classification:
        return average, average * (1 - average)
    return average, np.mean(variances, axis=0) + stacked.var(axis=0)


def prediction_interval(la: Any, x: Any, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """ŷ ± q √(J P⁻¹ Jᵀ + σ²) for a Gaussian likelihood, q the (1 + level)/2 quantile of
    Student's t with N − p degrees of freedom when σ² is OLS's RSS/(N − p) and there is no
    prior (statsmodels' ``get_prediction().summary_frame(obs=True)``), of the standard
    normal otherwise."""
    if la.likelihood.name != "gaussian":
        raise ValueError(
            f"Laplace.prediction_interval: defined for a Gaussian likelihood, not "
            f"{la.likelihood.name}; use predict(x, return_std=True)"
        )
    if not 0.0 < level < 1.0:
        raise ValueError(f"Laplace.prediction_interval: level must be in (0, 1), got {level}")
    mean, std = predict(la, x, return_std=True)
    freedom = la.degrees_of_freedom
    if freedom is None:
        quantile = normal_quantile(0.5 + level / 2)
    else:
        quantile = t_quantile(0.5 + level / 2, freedom)
    half = quantile * std
    return mean - half, mean + half

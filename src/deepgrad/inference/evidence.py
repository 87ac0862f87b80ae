"""Model evidence: the Laplace approximation of log p(D), MacKay's hyperparameter updates,
and AIC/BIC.

With the posterior N(θ_δ, P⁻¹), P = H + diag(δ) and a prior N(0, diag(δ)⁻¹),

    log p(D) ≈ log p(D | θ_δ) − ½ Σ_j δ_j θ_δj² + ½ Σ_j log δ_j − ½ log det P,

(the (2π)^(p/2) of the Gaussian integral cancels the prior's). θ_δ is the mode for the
prior δ. ``la.evidence_mode``:

- "newton" (the default when η is linear in the weights of the subset: no hidden layer,
  or ``subset="last_layer"``, with a linear output or the likelihood's link: a GLM, whose
  GGN is its Hessian): one Newton step from the fitted θ*, θ_δ = θ* − P⁻¹(g + δ ⊙ θ*),
  g the gradient of −log p(D | θ) at θ*. At the δ the model was trained with, θ_δ = θ*; for a linear
  model with a Gaussian likelihood the step is exact, and so is the evidence: the closed
  form log N(y | 0, σ²I + X diag(δ)⁻¹ Xᵀ).
- "fixed" (the default for a net): θ_δ = θ*, as in MacKay (1992) and Immer et al. (2021).
  A net's GGN does not describe its loss far from θ*, so a Newton step for a δ far from
  the one it was trained with could land anywhere; refit the net for such a δ instead.

MacKay (1992): at a stationary point of the evidence in a common δ and σ²,
δ = γ / ‖θ_δ‖² and σ² = RSS(θ_δ) / (N − γ), with γ = Σ_j h_j / (h_j + δ) the effective
number of parameters (h_j the curvature's eigenvalues); iterating these updates is the
evidence framework's fixed point.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from deepgrad.inference import curvature as curvatures


def _mode_shift(la: Any) -> np.ndarray:
    """Δ = θ_δ − θ* = −P⁻¹(g + δ ⊙ θ*) ("newton"), or 0 ("fixed")."""
    if la.evidence_mode == "fixed":
        return np.zeros_like(la.theta)
    gradient = la.unit_gradient * la.curvature_scale()
    return -la.posterior.solve(gradient + la.prior * la.theta)


def _log_likelihood_at(la: Any, shift: np.ndarray) -> float:
    """log p(D | θ* + Δ) on the quadratic model of −log p around θ*."""
    unit_gradient = la.unit_gradient
    unit_form = la.posterior.curvature_form(shift) / la.curvature_scale()
    if la.likelihood.name == "gaussian":
        rss = _linearised_rss(la, shift)
        observations = la.y.size
        constant = -0.5 * observations * math.log(2 * math.pi * la.sigma2) + _log_weights(la)
        return constant - rss / (2 * la.sigma2)
    scale = la.curvature_scale()
    return la.log_likelihood() - scale * float(unit_gradient @ shift) - 0.5 * scale * unit_form


def _linearised_rss(la: Any, shift: np.ndarray) -> float:
    """‖y − η* − JΔ‖²: the residual sum of squares of the linearised model at θ* + Δ
    (computed from J, not expanded, so that it cannot cancel below 0)."""
    if not np.any(shift):
        return la.residual_sum_of_squares
    total = 0.0
    for part, eta, jacobian in curvatures.jacobian_chunks(la.network, la.blocks, la.x):
        residual = la.y[part] - eta - jacobian @ shift
        total += float(np.sum(curvatures.weigh(residual * residual, la.sample_weight, part)))
    return total


def _log_weights(la: Any) -> float:
    """½ k Σ_i log w_i: a Gaussian's y_i has variance σ²/w_i (0 without sample weights)."""
    if la.sample_weight is None:
        return 0.0
    return 0.5 * la.y.shape[1] * float(np.sum(np.log(la.sample_weight)))


def log_marginal_likelihood(
    la: Any, prior_precision: Any = None, sigma2: float | None = None
) -> float:
    """log p(D) ≈ log p(D | θ_δ) + log N(θ_δ | 0, δ⁻¹) + (p/2) log 2π − ½ log det P."""
    saved = (la.prior, la.sigma2)
    if prior_precision is not None or sigma2 is not None:
        la.set_hyperparameters(prior_precision, sigma2)
    try:
        if np.any(la.prior <= 0):
            raise ValueError(
                "Laplace.log_marginal_likelihood: the evidence needs a proper prior, but "
                f"{int(np.sum(la.prior <= 0))} weights have prior precision 0; give "
                "prior_precision=... (or fit with L2 regularisers on every weight)"
            )
        shift = _mode_shift(la)
        mode = la.theta + shift
        return (
            _log_likelihood_at(la, shift)
            - 0.5 * float(np.sum(la.prior * mode * mode))
            + 0.5 * float(np.sum(np.log(la.prior)))
            - 0.5 * la.posterior.logdet_precision()
        )
    finally:
        if prior_precision is not None or sigma2 is not None:
            la.set_hyperparameters(saved[0], saved[1])


def _sigma_is_free(la: Any) -> bool:
    """Whether σ² of a Gaussian is estimated (MSE, or a learned σ), so that MacKay's
    updates may move it; not when the loss fixes σ or ``Laplace(sigma=<a number>)`` does."""
    if la.likelihood.name != "gaussian" or la.likelihood.sigma_mode == "fixed":
        return False
    return not isinstance(la.sigma_choice(la.likelihood), float)


def optimize_prior_precision(
    la: Any, sigma: bool = True, iterations: int = 500, tolerance: float = 1e-12
) -> float:
    """MacKay's updates of one common δ (and σ² for a Gaussian whose σ is not fixed, by the
    loss or by ``Laplace(sigma=<a number>)``, when ``sigma``) until they stop moving; sets
    them on ``la`` and returns δ.

    With the mode fixed (a net) an update needs only the curvature's eigenvalues, computed
    once; with Newton steps (a GLM) it also solves with P = H + δI, in H's eigenbasis for a
    dense curvature (one eigendecomposition), with the new posterior otherwise."""
    update_sigma = sigma and _sigma_is_free(la)
    delta = float(np.mean(la.prior)) if np.all(la.prior > 0) else 1.0
    sigma2 = la.sigma2
    newton = la.evidence_mode == "newton"
    eigenbasis = None
    if newton and la.posterior.kind == "dense":
        unit_eigenvalues, eigenbasis = np.linalg.eigh(la._unit_curvature)
        unit_eigenvalues = np.clip(unit_eigenvalues, 0.0, None)
    else:
        unit_eigenvalues = np.clip(la.unit_curvature_eigenvalues(), 0.0, None)
        if newton:
            la.set_hyperparameters(delta)
    for _ in range(iterations):
        scale = 1.0 / sigma2 if sigma2 is not None else 1.0
        eigenvalues = unit_eigenvalues * scale
        if eigenbasis is not None:  # Δ = −V (Vᵀ(g + δθ*)) / (h + δ)
            rotated = eigenbasis.T @ (la.unit_gradient * scale + delta * la.theta)
            shift = -eigenbasis @ (rotated / (eigenvalues + delta))
        else:
            shift = _mode_shift(la) if newton else np.zeros_like(la.theta)
        mode = la.theta + shift
        gamma = float(np.sum(eigenvalues / (eigenvalues + delta)))
        new_delta = gamma / float(mode @ mode)
        new_sigma2 = sigma2
        if update_sigma:
            new_sigma2 = _linearised_rss(la, shift) / (la.y.size - gamma)
        valid_sigma2 = new_sigma2 is None or (np.isfinite(new_sigma2) and new_sigma2 > 0)
        if not (np.isfinite(new_delta) and new_delta > 0 and valid_sigma2):
            raise ValueError(
                f"Laplace.optimize_prior_precision: the updates left the valid range (δ = "
                f"{new_delta:.3g}, σ² = {new_sigma2}); the curvature or the fit is degenerate"
            )
        moved = abs(new_delta - delta) / delta
        if update_sigma and sigma2 is not None and new_sigma2 is not None:
            moved = max(moved, abs(new_sigma2 - sigma2) / sigma2)
        delta, sigma2 = new_delta, new_sigma2
        if newton and eigenbasis is None:
            la.set_hyperparameters(delta, sigma2 if update_sigma else None)
        if moved < tolerance:
            break
    la.set_hyperparameters(delta, sigma2 if update_sigma else None)
    return delta


def optimize_layer_prior_precisions(
    la: Any, sigma: bool = True, iterations: int = 300, tolerance: float = 1e-10
) -> np.ndarray:
    """MacKay's updates with one δ_l per Dense layer of the subset (and σ² as above):
    γ_l = p_l − δ_l tr(P⁻¹)_ll, δ_l ← γ_l/‖θ_δ,l‖², the stationary point of the evidence
    in each δ_l. Each update factors the new posterior; sets them on ``la`` and returns
    the δ_l."""
    update_sigma = sigma and _sigma_is_free(la)
    sizes = np.array([block.size for block in la.blocks])
    edges = np.concatenate([[0], np.cumsum(sizes)])
    groups = [slice(int(a), int(b)) for a, b in itertools.pairwise(edges)]
    deltas = np.array(
        [float(np.mean(la.prior[g])) if np.all(la.prior[g] > 0) else 1.0 for g in groups]
    )
    sigma2 = la.sigma2
    for _ in range(iterations):
        la.set_hyperparameters(np.repeat(deltas, sizes), sigma2 if update_sigma else None)
        shift = _mode_shift(la)
        mode = la.theta + shift
        variance = la.posterior.variance()
        gammas = np.array(
            [
                size - d * np.sum(variance[g])
                for size, d, g in zip(sizes, deltas, groups, strict=True)
            ]
        )
        new = gammas / np.array([float(mode[g] @ mode[g]) for g in groups])
        new_sigma2 = sigma2
        if update_sigma:
            new_sigma2 = _linearised_rss(la, shift) / (la.y.size - float(np.sum(gammas)))
        valid_sigma2 = new_sigma2 is None or (np.isfinite(new_sigma2) and new_sigma2 > 0)
        if not (np.all(np.isfinite(new)) and np.all(new > 0) and valid_sigma2):
            raise ValueError(
                f"Laplace.optimize_prior_precision(per_layer=True): the updates left the "
                f"valid range (δ = {new}, σ² = {new_sigma2}); the curvature or the fit is "
                "degenerate"
            )
        moved = float(np.max(np.abs(new - deltas) / deltas))
        if update_sigma and sigma2 is not None and new_sigma2 is not None:
            moved = max(moved, abs(new_sigma2 - sigma2) / sigma2)
        deltas, sigma2 = new, new_sigma2
        if moved < tolerance:
            break
    la.set_hyperparameters(np.repeat(deltas, sizes), sigma2 if update_sigma else None)
    return deltas


def effective_parameters(la: Any) -> float:
    """γ = Σ_j h_j / (h_j + δ_j) for a common δ (the mean of the prior precisions)."""
    eigenvalues = np.clip(la.unit_curvature_eigenvalues(), 0.0, None) * la.curvature_scale()
    return float(np.sum(eigenvalues / (eigenvalues + np.mean(la.prior))))


def _maximised_log_likelihood(la: Any) -> float:
    """log p(D | θ*), with σ² at its maximum-likelihood value RSS/N when σ is not fixed."""
    if la.likelihood.name == "gaussian" and la.likelihood.sigma_mode != "fixed":
        sigma2 = la.residual_sum_of_squares / la.y.size
        return -0.5 * la.y.size * (math.log(2 * math.pi * sigma2) + 1.0) + _log_weights(la)
    return la.log_likelihood()


def counted_parameters(la: Any) -> int:
    """p for AIC and BIC: the network's weights, less the directions the likelihood leaves
    free by construction: one per row of a softmax output layer (its input's weights, or
    its bias, shifted alike for every class), so that softmax regression over k classes
    with d inputs counts (k − 1)(d + 1), as statsmodels' MNLogit."""
    return la.network.size - len(la.shift_invariant_rows())


def aic(la: Any) -> float:
    """−2 log p(D | θ*) + 2p, p the identified weights (σ not counted, as in statsmodels)."""
    return -2.0 * _maximised_log_likelihood(la) + 2.0 * counted_parameters(la)


def bic(la: Any) -> float:
    """−2 log p(D | θ*) + p log n."""
    return -2.0 * _maximised_log_likelihood(la) + counted_parameters(la) * math.log(la.n)

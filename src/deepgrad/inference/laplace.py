"""``Laplace``: a Gaussian approximation of the posterior of a fitted model's weights.

Training minimises −log p(D | θ) − log p(θ) (an L2 penalty is a Gaussian prior); around the
minimum θ* the posterior is approximated by N(θ*, P⁻¹) with the posterior precision

    P = ∇²_θ[−log p(D | θ)] at θ* (or an approximation of it: see ``curvature.py``)
        + diag(δ),   δ the prior precision.

Everything is computed in float64, from a float64 copy of the weights, whatever the
model's dtype. See docs/inference.md for the maths, the cost of each curvature and the
sizes where each stops being practical.

>>> import numpy as np, deepgrad as dg
>>> from deepgrad import inference, layers
>>> dg.random.seed(0)
>>> x = np.linspace(-1, 1, 40).reshape(-1, 1)
>>> y = 2 * x + 0.1 * np.random.default_rng(0).standard_normal((40, 1))
>>> model = dg.Sequential([layers.Dense(1)])
>>> model.compile(optimizer="lbfgs", loss="mse")
>>> _ = model.fit(x, y, batch_size=None, epochs=3, verbose=0)
>>> la = inference.Laplace(model).fit(x, y)
>>> mean, std = la.predict(np.array([[0.0], [3.0]]), return_std=True)
>>> bool(std[1, 0] > std[0, 0])  # wider away from the data
True
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from deepgrad.inference import curvature as curvatures
from deepgrad.inference import evidence, predictive, summary
from deepgrad.inference.likelihoods import Gaussian, Likelihood, likelihood_for, strips_link
from deepgrad.inference.network import Network
from deepgrad.inference.posteriors import (
    DensePosterior,
    DiagonalPosterior,
    KroneckerPosterior,
    SingularPosterior,
)
from deepgrad.regularizers import L1L2
from deepgrad.tensor import raw_data

SIGMA_CHOICES = ("unbiased", "mle", "learned")


class Laplace:
    """The Laplace approximation around a fitted model's weights.

    ``curvature``: "ggn" (default), "exact", "diag", "kfac" or "last_layer" (the GGN of
    the last Dense layer alone). ``subset``: "all" or "last_layer". ``prior_precision``:
    None (read from the L2 regularisers the model was fitted with: l2·‖w‖² added to the
    mean loss is a prior of precision 2·l2·n × the loss-to-likelihood factor), a number,
    or one value per weight of the subset. ``sigma`` (Gaussian likelihoods): None (σ as
    fixed in GaussianNLL, σ as learned, or for MeanSquaredError σ̂² = RSS/(n·k − p), the
    unbiased estimate of a linear model), a number, "mle" (RSS/(n·k)), "unbiased" or
    "learned".
    """

    def __init__(
        self,
        model: Any,
        curvature: str = "ggn",
        subset: str = "all",
        prior_precision: Any = None,
        sigma: float | str | None = None,
    ) -> None:
        if curvature not in curvatures.CURVATURES:
            raise ValueError(
                f"Laplace: curvature must be one of {curvatures.CURVATURES}, got {curvature!r}"
            )
        if curvature == "last_layer":
            curvature, subset = "ggn", "last_layer"
        self.model, self.curvature_kind, self.subset = model, curvature, subset
        self.prior_precision_arg, self.sigma_arg = prior_precision, _sigma_argument(sigma)
        self.posterior: Any = None

    # ---- fit -----------------------------------------------------------------------------

    def fit(self, x: Any, y: Any, sample_weight: Any = None) -> Laplace:
        """Compute the curvature on the training data (x, y) and the posterior.

        ``sample_weight`` (one number ≥ 0 per sample): the weights the model was fitted
        with; sample i's −log p counts w_i times (a Gaussian's y_i has variance σ²/w_i,
        as in weighted least squares). Samples of weight 0 are left out."""
        self.prepare(x, y, "Laplace.fit", sample_weight)
        self.prior = self._prior_from_arguments()
        # separated data, and a softmax row with no prior (refused before the curvature's cost)
        self.separated = self._check_separation()
        self._check_identified()
        self._unit_curvature = self._compute_curvature()
        self.unit_gradient = curvatures.gradient(
            self.network, self._unit_likelihood(), self.blocks, self.x, self.y, self.sample_weight
        )
        self._unit_eigenvalues: np.ndarray | None = None
        self._make_posterior()
        # η linear in the subset's weights (no hidden layer, or the last layer alone, with
        # its link in the likelihood) is a GLM, whose GGN is its Hessian: a Newton step to
        # the mode of another δ is sound. A net's is not (see evidence.py).
        last = self.network.blocks[-1]
        linear = self.blocks == [last] and not last.functions
        self.evidence_mode = "newton" if linear else "fixed"
        # A GLM (no hidden layer) has one optimum, which the Newton step finds: check that
        # the fit reached it, and warn. A net's θ* is one of many modes and rarely converged
        # to the digit: its step (on the curvature in use) is measured for the summary only.
        glm = linear and len(self.network.blocks) == 1
        self.distance_from_optimum = self._distance_from_optimum(warn=glm)
        return self

    def _check_separation(self) -> bool:
        """Whether a classifier with no prior classifies every training sample correctly:
        the data are separated, the likelihood grows without bound as the weights are
        scaled up, the maximum-likelihood weights are infinite, and any finite standard
        error only says where the optimiser stopped. Warns when so."""
        if not self.likelihood.classification or np.any(self.prior > 0):
            return False
        if self.likelihood.name == "bernoulli":
            correct = np.where(self.y == 1, self.eta > 0, (self.y == 0) & (self.eta < 0))
        else:
            labels = np.argmax(self.y, axis=1)
            others = np.where(self.y == 1, -np.inf, self.eta)
            one_hot = np.all(np.max(self.y, axis=1) == 1)
            correct = one_hot & (self.eta[np.arange(self.n), labels] > np.max(others, axis=1))
        if not np.all(correct):
            return False
        warnings.warn(
            f"Laplace.fit: the model classifies all {self.n} training samples correctly and "
            "has no prior: the data are separated, the likelihood keeps growing as the "
            "weights grow, and the maximum-likelihood weights are infinite. The standard "
            "errors, p-values and intervals describe where the optimiser stopped, not an "
            "estimate. Give a prior (prior_precision=... or an L2 penalty when fitting), or "
            "drop the separating inputs.",
            UserWarning,
            stacklevel=3,
        )
        return True

    def _distance_from_optimum(self, warn: bool) -> float:
        """max_j |Δ_j| / SE_j, Δ = P⁻¹(g + δ_train ⊙ θ*) the Newton step to the optimum of the
        training objective (δ_train from its L2 penalties); warns (when ``warn``) if it exceeds
        ``summary.MODE_TOLERANCE``: the fit stopped early, or was made with other data or sample
        weights, and the posterior is not centred at a mode."""
        try:
            training_prior = self.prior_from_regularizers()
        except ValueError:  # an L1 penalty, or a summed loss with no fit to read B from
            return float("nan")
        gradient = self.unit_gradient * self.curvature_scale() + training_prior * self.theta
        step = self.posterior.solve(gradient)
        distance = float(np.max(np.abs(step) / np.sqrt(self.posterior.variance())))
        tolerance = summary.MODE_TOLERANCE
        if warn and distance > tolerance:
            warnings.warn(
                f"Laplace.fit: the weights are not at the optimum of the training objective "
                f"on these data (x {self.x.shape}, y {self.y.shape}): a Newton step moves "
                f"them by up to {distance:.3g} standard errors, more than {tolerance}. "
                "Estimates, standard errors and intervals describe a point that is not the "
                "fit's optimum. Fit longer (or with a tighter tolerance), and pass fit the "
                "data (and the sample_weight) the model was trained on.",
                UserWarning,
                stacklevel=3,
            )
        return distance

    def prepare(self, x: Any, y: Any, caller: str, sample_weight: Any = None) -> None:
        """The network in float64, the likelihood (with σ²), the data checked."""
        _check_fitted(self.model, caller)
        self.network = network = Network(self.model)
        _check_finite_weights(network, caller)
        likelihood = likelihood_for(self.model.loss, network.output_activation, network.outputs)
        if strips_link(likelihood, network.output_activation):
            network.strip_link()
        self.x = network.inputs(x, caller)
        if not np.all(np.isfinite(self.x)):
            rows = np.flatnonzero(~np.all(np.isfinite(self.x), axis=1))
            raise ValueError(
                f"{caller}: x holds NaN or inf in {rows.size} of its {len(self.x)} rows (the "
                f"first: row {rows[0]}); the likelihood, and every standard error, would be "
                "NaN. Drop or impute those samples."
            )
        y, sample_weight = self._drop_ignored_class(y, sample_weight)
        self.n = len(self.x)
        self.y = likelihood.targets(y, self.n, network.outputs)
        self._take_sample_weights(sample_weight, caller)
        self.blocks = curvatures.subset_blocks(network, self.subset)
        self.indices = curvatures.subset_indices(self.blocks)
        self.theta = network.theta[self.indices]
        self.eta = network.forward(self.x)
        if isinstance(likelihood, Gaussian):
            likelihood = likelihood.with_sigma2(self._sigma2(likelihood))
        self.likelihood: Likelihood = likelihood

    def _drop_ignored_class(self, y: Any, sample_weight: Any) -> tuple[Any, Any]:
        """Leave out the samples whose label is the loss's ``ignore_class``: the loss gave
        them weight 0 and left them out of its mean (they were counted as that class)."""
        ignored = getattr(self.model.loss, "ignore_class", None)
        if ignored is None:
            return y, sample_weight
        labels = np.asarray(raw_data(y))
        if labels.shape[:1] != (len(self.x),):
            return y, sample_weight  # the targets' check names the shapes
        kept = labels.reshape(len(labels), -1)[:, 0] != ignored
        self.x = self.x[kept]
        if sample_weight is not None and np.size(sample_weight) == len(kept):
            sample_weight = np.asarray(raw_data(sample_weight)).reshape(len(kept))[kept]
        return labels[kept], sample_weight

    def _take_sample_weights(self, sample_weight: Any, caller: str) -> None:
        """``sample_weight`` checked, and the samples of weight 0 left out. The training
        objective's size (n for a mean loss, Σ w_i for ``"mean_with_sample_weight"``) is
        kept for the prior an L2 penalty makes."""
        self.objective_samples = self.objective_weight = float(self.n)
        self.sample_weight: np.ndarray | None = None
        if sample_weight is None:
            return
        weights = np.asarray(raw_data(sample_weight), np.float64)
        if weights.shape not in ((self.n,), (self.n, 1)):
            raise ValueError(
                f"{caller}: sample_weight has shape {weights.shape}; expected one weight per "
                f"sample, ({self.n},)"
            )
        weights = weights.reshape(self.n)
        if not np.all(np.isfinite(weights)) or np.any(weights < 0) or not np.any(weights > 0):
            raise ValueError(
                f"{caller}: sample_weight must be finite and ≥ 0, with some > 0; it ranges "
                f"from {np.min(weights):.3g} to {np.max(weights):.3g}"
            )
        self.objective_weight = float(np.sum(weights))
        kept = weights > 0
        self.x, self.y, self.sample_weight = self.x[kept], self.y[kept], weights[kept]
        self.n = int(np.sum(kept))

    def weight_column(self) -> np.ndarray | None:
        """The sample weights as a column (n, 1), or None."""
        return None if self.sample_weight is None else self.sample_weight[:, None]

    def _require_fit(self, what: str) -> None:
        if self.posterior is None:
            raise RuntimeError(f"Laplace.{what}: call fit(x, y) first")

    @property
    def sigma2(self) -> float | None:
        """σ² of a Gaussian likelihood (None for the others)."""
        return self.likelihood.sigma2 if isinstance(self.likelihood, Gaussian) else None

    @property
    def degrees_of_freedom(self) -> float | None:
        """N − p when Wald statistics and intervals follow Student's t (a Gaussian with
        OLS's σ̂² = RSS/(N − p) and no prior), None when they follow the standard normal."""
        if not isinstance(self.likelihood, Gaussian) or np.any(self.prior > 0):
            return None
        if self.sigma_choice(self.likelihood) != "unbiased":
            return None
        return float(self.y.size - self.network.size)

    @property
    def residual_sum_of_squares(self) -> float:
        """Σ_i w_i ‖y_i − η_i‖² (w_i = 1 without sample weights)."""
        squares = (self.y - self.eta) ** 2
        weights = self.weight_column()
        return float(np.sum(squares if weights is None else squares * weights))

    def sigma_choice(self, likelihood: Gaussian) -> Any:
        """How σ² is had: ``"fixed"`` (the loss's), ``"learned"`` (the loss's, fitted with
        the weights: about RSS/N), ``"unbiased"`` (RSS/(N − p)), ``"mle"`` (RSS/N), or a
        number (σ itself)."""
        if self.sigma_arg is not None:
            return self.sigma_arg
        return {"fixed": "fixed", "learned": "learned"}.get(likelihood.sigma_mode, "unbiased")

    def _sigma2(self, likelihood: Gaussian) -> float:
        choice = self.sigma_choice(likelihood)
        if isinstance(choice, int | float):
            return float(choice) ** 2
        if choice in ("fixed", "learned"):
            if likelihood.sigma2 is None:
                raise ValueError("Laplace: sigma='learned' needs a GaussianNLL(sigma='learned')")
            return likelihood.sigma2
        observations = self.y.size
        freedom = observations - self.network.size
        if choice != "mle" and freedom <= 0:
            raise ValueError(
                f"Laplace: σ̂² = RSS/(n·k − p) needs more observations ({observations}) than "
                f"weights ({self.network.size}); pass sigma='mle' or a number"
            )
        rss = self.residual_sum_of_squares
        if rss <= 0:
            raise ValueError(
                f"Laplace: the model fits its {observations} observations exactly (residual "
                "sum of squares 0), so the estimate of σ² is 0 and the Gaussian likelihood "
                "degenerate (infinitely precise weights); pass sigma=<a number> to fix the "
                "noise level"
            )
        return rss / (observations if choice == "mle" else freedom)

    def _compute_curvature(self) -> Any:
        """The curvature at σ² = 1 for a Gaussian (it scales as 1/σ²), as is otherwise."""
        args = (self.network, self._unit_likelihood(), self.blocks, self.x)
        weights = self.sample_weight
        kind = self.curvature_kind
        if kind == "ggn":
            return curvatures.ggn(*args, weights)
        if kind == "diag":
            return curvatures.ggn_diagonal(*args, weights)
        if kind == "kfac":
            return curvatures.kfac(*args, weights)
        return curvatures.exact_hessian(*args, self.y, weights)

    def unit_curvature_eigenvalues(self) -> np.ndarray:
        """The eigenvalues of the curvature at σ² = 1 (computed once: they are O(p³) for a
        dense curvature)."""
        eigenvalues = self._unit_eigenvalues
        if eigenvalues is None:
            eigenvalues = self.posterior.curvature_eigenvalues() / self.curvature_scale()
            self._unit_eigenvalues = eigenvalues
        return eigenvalues

    def _unit_likelihood(self) -> Likelihood:
        """The likelihood with σ² = 1 (Gaussian): its curvature and gradient scale as 1/σ²."""
        likelihood = self.likelihood
        return likelihood.with_sigma2(1.0) if isinstance(likelihood, Gaussian) else likelihood

    def curvature_scale(self) -> float:
        """1/σ² for a Gaussian likelihood (the curvature is stored at σ² = 1), else 1."""
        return 1.0 / self.sigma2 if self.sigma2 is not None else 1.0

    def _prior_from_arguments(self) -> np.ndarray:
        size = len(self.indices)
        given = self.prior_precision_arg
        if given is not None:
            return _prior_vector(given, size, "Laplace")
        return self.prior_from_regularizers()

    def prior_from_regularizers(self) -> np.ndarray:
        """δ_j = 2·l2_j·(n, or B)·(−log p per unit of loss) for each weight's L2 penalty.

        With ``reduction="mean"`` every batch's objective is its mean loss plus the penalty,
        so the fit is the mode for δ = 2·l2·n·c whatever the batches (n counts samples of
        weight 0 too: Σ w_i ℓ_i / n). With ``"mean_with_sample_weight"`` (Σ w_i ℓ_i / Σ w_i)
        it is δ = 2·l2·(Σ w_i)·c. With ``"sum"`` it is its summed loss plus the penalty: an
        epoch of B batches adds the penalty B times to one sum of the losses, so
        δ = 2·l2·B·c, B read from the model's last ``fit``.
        """
        reduction = getattr(self.model.loss, "reduction", "mean")
        sizes = {"mean": self.objective_samples, "mean_with_sample_weight": self.objective_weight}
        if reduction not in (*sizes, "sum"):
            raise ValueError(f"Laplace: the loss's reduction {reduction!r} has no likelihood")
        samples = sizes[reduction] if reduction in sizes else self._batches_per_epoch()
        parts = []
        for name, shape, regularizer in zip(
            self.network.names, self.network.shapes, self.network.regularizers, strict=True
        ):
            l2 = 0.0
            if regularizer is not None:
                if not isinstance(regularizer, L1L2) or regularizer.l1:
                    raise ValueError(
                        f"Laplace: the weight {name} has the regulariser "
                        f"{type(regularizer).__name__}, which is not a Gaussian prior; give "
                        "prior_precision=... instead"
                    )
                l2 = regularizer.l2
            parts.append(np.full(int(np.prod(shape)), 2.0 * l2 * samples * self.likelihood.scale()))
        return np.concatenate(parts)[self.indices]

    def _batches_per_epoch(self) -> int:
        """B, the batches of an epoch of the model's last ``fit`` (its ``history.params``)."""
        steps = getattr(getattr(self.model, "history", None), "params", {}).get("steps")
        if not steps:
            raise ValueError(
                "Laplace: with reduction='sum' the L2 penalty's prior depends on the number "
                "of batches per epoch (the penalty is added to each batch's sum), and this "
                "model has no fit to read it from; give prior_precision=2·l2·B·c yourself"
            )
        return int(steps)

    def shift_invariant_rows(self) -> list[np.ndarray]:
        """For a categorical likelihood (softmax), the rows of the output layer's weights
        along which the likelihood is flat (see ``Network.output_rows``), as positions in θ
        of the whole network; [] for the other likelihoods."""
        if self.likelihood.name != "categorical":
            return []
        return self.network.output_rows()

    def _check_identified(self) -> None:
        """Refuse a softmax output row with no prior on any of its weights: the likelihood
        does not determine the row's common shift, its posterior variance is infinite (the
        diagonal curvature would hide it behind finite numbers)."""
        positions = {int(index): i for i, index in enumerate(self.indices)}
        free = [
            row
            for row in self.shift_invariant_rows()
            if all(int(j) in positions for j in row)
            and not np.any(self.prior[[positions[int(j)] for j in row]] > 0)
        ]
        if free:
            raise SingularPosterior(
                f"Laplace: the softmax output is unchanged when one number is added to every "
                f"class's weight of a row of its Dense layer (an input's, or the bias's), so "
                f"the likelihood leaves {len(free)} directions free: the curvature is "
                f"singular along them and no weight of those rows has a prior precision. "
                "Fix one class as the reference, as statsmodels' MNLogit does (a large "
                "prior_precision on that class's weights), or give a prior: "
                "prior_precision=... or an L2 penalty when fitting."
            )

    def _make_posterior(self) -> None:
        self._check_identified()
        scale = self.curvature_scale()
        name = self.curvature_kind
        if name == "kfac":
            factors = [(a, b * scale) for a, b in self._unit_curvature]
            self.posterior = KroneckerPosterior(factors, self.blocks, self.prior, name)
        elif name == "diag":
            self.posterior = DiagonalPosterior(
                self._unit_curvature * scale, self.prior, name, self.blocks
            )
        else:
            self.posterior = DensePosterior(self._unit_curvature * scale, self.prior, name)

    def set_hyperparameters(self, prior_precision: Any = None, sigma2: float | None = None) -> None:
        """Change δ (a number or one per weight) and, for a Gaussian, σ²; the curvature is
        reused (rescaled by 1/σ²), not recomputed."""
        self._require_fit("set_hyperparameters")
        caller = "Laplace.set_hyperparameters"
        if sigma2 is not None:
            if not isinstance(self.likelihood, Gaussian):
                raise ValueError(f"{caller}: sigma2 applies to a Gaussian likelihood only")
            value = float(sigma2)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{caller}: sigma2 must be finite and > 0, got {sigma2!r}")
            self.likelihood = self.likelihood.with_sigma2(value)
        if prior_precision is not None:
            self.prior = _prior_vector(prior_precision, len(self.indices), caller)
        self._make_posterior()

    # ---- the posterior -------------------------------------------------------------------

    @property
    def names(self) -> list[str]:
        """One name per weight of the subset, e.g. ``layers.0.kernel[1, 0]``."""
        out = []
        for name, shape in zip(self.network.names, self.network.shapes, strict=True):
            out += [f"{name}[{', '.join(map(str, i))}]" for i in np.ndindex(*shape)]
        return [out[i] for i in self.indices]

    @property
    def posterior_precision(self) -> np.ndarray:
        self._require_fit("posterior_precision")
        if self.curvature_kind == "kfac":
            return np.linalg.inv(self.posterior.covariance())
        return (
            np.diag(self.posterior.precision)
            if self.curvature_kind == "diag"
            else (self.posterior.precision)
        )

    @property
    def posterior_covariance(self) -> np.ndarray:
        self._require_fit("posterior_covariance")
        return self.posterior.covariance()

    def sample(self, count: int, seed: int | None = None) -> np.ndarray:
        """``count`` draws of the subset's weights from N(θ*, P⁻¹), as rows (count, p)."""
        self._require_fit("sample")
        deviations = self.posterior.sample(np.random.default_rng(seed), int(count))
        return self.theta + deviations

    def standard_errors(self) -> np.ndarray:
        """√diag(P⁻¹), one per weight of the subset."""
        self._require_fit("standard_errors")
        return np.sqrt(self.posterior.variance())

    def log_likelihood(self) -> float:
        """log p(D | θ*, σ²), every constant included, at the σ² in use (``sigma2``: for an
        estimated σ, RSS/(N − p), the unbiased estimate). ``aic`` and ``bic`` take the
        maximised likelihood instead, σ² = RSS/N, which is statsmodels' ``llf``; so
        ``-2 * log_likelihood() + 2p`` is not ``aic()`` for a Gaussian likelihood with σ
        estimated."""
        self._require_fit("log_likelihood")
        return self.likelihood.log_likelihood(self.y, self.eta, self.weight_column())

    # ---- delegated: prediction, evidence, summary ----------------------------------------

    def predict(self, x: Any, return_std: bool = False, method: str = "glm", **kwargs: Any):
        """E[y | x, D] (and the predictive standard deviation of y): see predictive.py."""
        self._require_fit("predict")
        return predictive.predict(self, x, return_std=return_std, method=method, **kwargs)

    def functional_variance(self, x: Any) -> tuple[np.ndarray, np.ndarray]:
        """η(x; θ*) and the covariance of the linearised η under the posterior, (n, k, k)."""
        self._require_fit("functional_variance")
        return predictive.linearised(self, x)

    def prediction_interval(self, x: Any, level: float = 0.95) -> tuple[np.ndarray, ...]:
        """(lower, upper): noise σ² plus weight uncertainty, for a Gaussian likelihood."""
        self._require_fit("prediction_interval")
        return predictive.prediction_interval(self, x, level)

    def log_marginal_likelihood(
        self, prior_precision: Any = None, sigma2: float | None = None
    ) -> float:
        """The Laplace approximation of log p(D): see evidence.py."""
        self._require_fit("log_marginal_likelihood")
        return evidence.log_marginal_likelihood(self, prior_precision, sigma2)

    def optimize_prior_precision(self, sigma: bool = True, **kwargs: Any) -> float:
        """MacKay's fixed point for δ (and σ² when it is not fixed); sets and returns δ."""
        self._require_fit("optimize_prior_precision")
        return evidence.optimize_prior_precision(self, sigma=sigma, **kwargs)

    def optimize_layer_prior_precisions(self, sigma: bool = True, **kwargs: Any) -> np.ndarray:
        """MacKay's fixed point with one δ per Dense layer; sets them and returns them."""
        self._require_fit("optimize_layer_prior_precisions")
        return evidence.optimize_layer_prior_precisions(self, sigma=sigma, **kwargs)

    def aic(self) -> float:
        self._require_fit("aic")
        return evidence.aic(self)

    def bic(self) -> float:
        self._require_fit("bic")
        return evidence.bic(self)

    def summary(self, level: float = 0.95, print_fn: Any = print) -> summary.Summary:
        """The regression table of the weights; printed, and returned."""
        self._require_fit("summary")
        table = summary.summarize(self, level)
        if print_fn is not None:
            print_fn(str(table))
        return table


def _sigma_argument(sigma: Any) -> float | str | None:
    """``sigma`` as Laplace keeps it: None, one of ``SIGMA_CHOICES``, or σ as a float (a
    NumPy scalar too: it was taken for None, and σ² estimated instead)."""
    if sigma is None:
        return None
    if isinstance(sigma, str):
        if sigma not in SIGMA_CHOICES:
            raise ValueError(f"Laplace: sigma must be a number or one of {SIGMA_CHOICES}")
        return sigma
    array = np.asarray(sigma)
    if array.ndim != 0 or array.dtype.kind not in "iuf":
        raise TypeError(f"Laplace: sigma must be a number or one of {SIGMA_CHOICES}, got {sigma!r}")
    value = float(array)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"Laplace: sigma must be finite and positive, got {sigma}")
    return value


def _prior_vector(given: Any, size: int, caller: str) -> np.ndarray:
    """δ as one value per weight of the subset, from a number or ``size`` values."""
    array = np.asarray(given, np.float64)
    if array.size not in (1, size) or array.ndim > 1:
        raise ValueError(
            f"{caller}: prior_precision must be a number or {size} values (one per weight "
            f"of the subset), got shape {array.shape}"
        )
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValueError(f"{caller}: prior_precision must be finite and ≥ 0, got {given!r}")
    return np.broadcast_to(array.reshape(-1), (size,)).copy()


def _check_finite_weights(network: Network, caller: str) -> None:
    """NaN or inf weights (a diverged fit) would give NaN estimates beside finite
    standard errors (a linear Gaussian model's curvature does not depend on them)."""
    start = 0
    for name, shape in zip(network.names, network.shapes, strict=True):
        size = int(np.prod(shape))
        if not np.all(np.isfinite(network.theta[start : start + size])):
            raise ValueError(
                f"{caller}: the weight {name} {shape} holds NaN or inf (the fit diverged); "
                "refit the model (a smaller learning rate, scaled inputs)"
            )
        start += size


def _check_fitted(model: Any, caller: str) -> None:
    if getattr(model, "loss", None) is None:
        raise ValueError(
            f"{caller}: {getattr(model, 'name', 'the model')} is not compiled; compile it with "
            "its likelihood's loss and fit it first"
        )
    optimizer = getattr(model, "optimizer", None)
    trained = getattr(optimizer, "params", None) or getattr(model, "history", None) is not None
    if not getattr(model, "built", False) or not trained:
        raise ValueError(
            f"{caller}: {model.name} has not been fitted; the approximation is taken around "
            "fitted weights, so call model.fit(x, y) first"
        )

"""The likelihood behind a compiled loss, written in its natural parameter η.

A Laplace approximation needs the negative log-likelihood as a function of the model's
output, its curvature Λ = ∂²(−log p)/∂η² there (the middle of the Gauss–Newton matrix
JᵀΛJ), the predictive mean E[y | η] and the factor that turns the loss the model was
trained on back into −log p (so that an L2 penalty becomes a prior precision).

| loss                                  | likelihood  | η                  | Λ            |
| ------------------------------------- | ----------- | ------------------ | ------------ |
| MeanSquaredError, GaussianNLL(σ)      | N(η, σ²)    | the mean           | I/σ²         |
| BinaryCrossentropy                    | Bernoulli   | the logit          | p(1 − p)     |
| (Sparse)CategoricalCrossentropy       | categorical | the logits         | diag(p) − ppᵀ |
| Poisson (output ``exponential``)      | Poisson     | log rate           | μ            |
| Poisson (any other output)            | Poisson     | the rate μ         | 1/μ (Fisher) |

Losses that are not the negative log of a distribution (Hinge, Huber, MAE as a
Laplace likelihood is not smooth) raise an error.

>>> import numpy as np
>>> from deepgrad import losses
>>> lik = likelihood_for(losses.BinaryCrossentropy(from_logits=True), output_activation=None)
>>> lik.name, lik.curvature(np.zeros((1, 1)))[0].tolist()
('bernoulli', [[0.25]])
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from deepgrad import losses
from deepgrad import numpy as dnp
from deepgrad.activations import exponential, linear, sigmoid, softmax


class Likelihood:
    """One family: ``nll`` (differentiable, summed, with every constant), ``curvature``
    Λ_i per sample (n, k, k), ``gradient`` ∂(−log p_i)/∂η (n, k), and ``mean`` E[y | η].

    ``weights`` (n, 1), when given, are sample weights w_i: −log p = Σ_i w_i (−log p_i),
    and for the Gaussian y_i ~ N(η_i, σ²/w_i) (statsmodels' WLS, and GLM's var_weights)."""

    name = "likelihood"
    link = "identity"
    classification = False

    def __init__(self, loss_scale: float) -> None:
        self._loss_scale = float(loss_scale)

    def scale(self) -> float:
        """−log p of one sample = ``scale()`` × the loss the model was trained on."""
        return self._loss_scale

    def nll(self, y: np.ndarray, eta: Any, weights: np.ndarray | None = None) -> Any:
        raise NotImplementedError

    def log_likelihood(
        self, y: np.ndarray, eta: np.ndarray, weights: np.ndarray | None = None
    ) -> float:
        return -float(np.asarray(self.nll(y, eta, weights)))

    def curvature(self, eta: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def gradient(self, y: np.ndarray, eta: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def mean(self, eta: np.ndarray) -> np.ndarray:
        return eta

    def targets(self, y: Any, n: int, k: int) -> np.ndarray:
        """``y`` as a float64 (n, k) array, or an error naming the shapes."""
        array = np.asarray(y, dtype=np.float64)
        if array.shape == (n,) and k == 1:
            array = array.reshape(n, 1)
        if array.shape != (n, k):
            raise ValueError(
                f"{type(self).__name__}: y has shape {np.shape(y)} but the model gives "
                f"{k} output(s) for {n} samples; expected ({n}, {k})"
                + (f" or ({n},)" if k == 1 else "")
            )
        if not np.all(np.isfinite(array)):
            raise ValueError(
                f"{type(self).__name__}: y holds NaN or inf ({int(np.sum(~np.isfinite(array)))} "
                "values); the likelihood, and every standard error, would be NaN. Drop or "
                "impute those samples."
            )
        return array


class Gaussian(Likelihood):
    """y ~ N(η, σ²) per output: −log p = ½ log(2πσ²) + (y − η)²/(2σ²). ``sigma_mode``:
    "fixed" (GaussianNLL(sigma=number)), "learned" (GaussianNLL's σ) or "estimated"
    (MeanSquaredError: σ² estimated from the residuals)."""

    name = "gaussian"

    def __init__(self, outputs: int, sigma2: float | None, sigma_mode: str, mse: bool) -> None:
        super().__init__(float(outputs))
        self.outputs, self.sigma2, self.sigma_mode, self.mse = outputs, sigma2, sigma_mode, mse

    def with_sigma2(self, sigma2: float) -> Gaussian:
        """The same family with σ² set."""
        return Gaussian(self.outputs, float(sigma2), self.sigma_mode, self.mse)

    def scale(self) -> float:
        # MSE is mean over outputs of (y − η)², so −log p = k/(2σ²) × MSE + const.
        return self.outputs / (2.0 * self._sigma2()) if self.mse else float(self.outputs)

    def _sigma2(self) -> float:
        if self.sigma2 is None:
            raise RuntimeError("Gaussian likelihood: σ² is not set yet (call Laplace.fit)")
        return self.sigma2

    def nll(self, y: np.ndarray, eta: Any, weights: np.ndarray | None = None) -> Any:
        sigma2 = self._sigma2()
        residual = y - eta
        constant = 0.5 * np.size(y) * math.log(2 * math.pi * sigma2)
        if weights is not None:  # the variance of y_i is σ²/w_i
            constant -= 0.5 * np.shape(y)[1] * float(np.sum(np.log(weights)))
        return constant + _weighted_sum(residual * residual, weights) / (2 * sigma2)

    def curvature(self, eta: np.ndarray) -> np.ndarray:
        n, k = eta.shape
        return np.broadcast_to(np.eye(k) / self._sigma2(), (n, k, k))

    def gradient(self, y: np.ndarray, eta: np.ndarray) -> np.ndarray:
        return (eta - y) / self._sigma2()


class Bernoulli(Likelihood):
    """y ∈ {0, 1} per output, p = sigmoid(η): −log p = softplus(η) − yη."""

    name = "bernoulli"
    link = "logit"
    classification = True

    def targets(self, y: Any, n: int, k: int) -> np.ndarray:
        array = super().targets(y, n, k)
        if np.any(array < 0) or np.any(array > 1):
            raise ValueError(
                f"Bernoulli: y must hold labels (or probabilities) in [0, 1]; it ranges from "
                f"{array.min():.3g} to {array.max():.3g}"
            )
        return array

    def nll(self, y: np.ndarray, eta: Any, weights: np.ndarray | None = None) -> Any:
        return _weighted_sum(dnp.logaddexp(0.0, eta) - y * eta, weights)

    def curvature(self, eta: np.ndarray) -> np.ndarray:
        p = _sigmoid(eta)
        return _diagonal(p * (1 - p))

    def gradient(self, y: np.ndarray, eta: np.ndarray) -> np.ndarray:
        return _sigmoid(eta) - y

    def mean(self, eta: np.ndarray) -> np.ndarray:
        return _sigmoid(eta)


class Categorical(Likelihood):
    """One of k classes, p = softmax(η): −log p = logsumexp(η) − η_y. ``sparse``: y holds
    integer labels, else one-hot rows."""

    name = "categorical"
    link = "softmax"
    classification = True

    def __init__(self, loss_scale: float, sparse: bool) -> None:
        super().__init__(loss_scale)
        self.sparse = sparse

    def targets(self, y: Any, n: int, k: int) -> np.ndarray:
        if not self.sparse:
            return _one_hot_rows(super().targets(y, n, k))
        labels = np.asarray(y)
        if labels.shape == (n, 1):
            labels = labels.reshape(n)
        if labels.shape != (n,):
            raise ValueError(
                f"Categorical: y has shape {labels.shape}; expected ({n},) integer labels"
            )
        if np.any(labels != np.round(labels)) or labels.min() < 0 or labels.max() >= k:
            raise ValueError(f"Categorical: labels must be integers in [0, {k})")
        return np.eye(k)[labels.astype(np.int64)]

    def nll(self, y: np.ndarray, eta: Any, weights: np.ndarray | None = None) -> Any:
        per_sample = dnp.logsumexp(eta, axis=-1, keepdims=True) - dnp.sum(
            y * eta, axis=-1, keepdims=True
        )
        return _weighted_sum(per_sample, weights)

    def curvature(self, eta: np.ndarray) -> np.ndarray:
        p = _softmax(eta)
        return _diagonal(p) - p[:, :, None] * p[:, None, :]

    def gradient(self, y: np.ndarray, eta: np.ndarray) -> np.ndarray:
        return _softmax(eta) - y

    def mean(self, eta: np.ndarray) -> np.ndarray:
        return _softmax(eta)


class Poisson(Likelihood):
    """Counts y ~ Poisson(μ): −log p = μ − y log μ + log y!. ``link`` "log" (η = log μ,
    the output layer's ``exponential`` taken off) or "identity" (η = μ > 0)."""

    name = "poisson"

    def __init__(self, loss_scale: float, link: str) -> None:
        super().__init__(loss_scale)
        self.link = link

    def targets(self, y: Any, n: int, k: int) -> np.ndarray:
        array = super().targets(y, n, k)
        if np.any(array < 0) or np.any(array != np.round(array)):
            raise ValueError("Poisson: y must hold counts (non-negative integers)")
        return array

    def nll(self, y: np.ndarray, eta: Any, weights: np.ndarray | None = None) -> Any:
        factorials = np.vectorize(math.lgamma)(y + 1.0)
        log_factorial = float(_weighted_sum(factorials, weights))
        if self.link == "log":
            return _weighted_sum(dnp.exp(eta) - y * eta, weights) + log_factorial
        return _weighted_sum(eta - y * dnp.log(eta), weights) + log_factorial

    def curvature(self, eta: np.ndarray) -> np.ndarray:
        if self.link == "log":
            return _diagonal(np.exp(eta))
        _check_positive_rate(eta)
        return _diagonal(1.0 / eta)

    def gradient(self, y: np.ndarray, eta: np.ndarray) -> np.ndarray:
        if self.link == "log":
            return np.exp(eta) - y
        return 1.0 - y / eta

    def mean(self, eta: np.ndarray) -> np.ndarray:
        return np.exp(eta) if self.link == "log" else eta


def _weighted_sum(values: Any, weights: np.ndarray | None) -> Any:
    """Σ_i w_i Σ_c values_ic (values (n, k), weights (n, 1)), or the plain sum."""
    return dnp.sum(values if weights is None else values * weights)


def _one_hot_rows(array: np.ndarray) -> np.ndarray:
    """Categorical targets: rows of class probabilities (one-hot, or soft), each ≥ 0 and
    summing to 1; −log p = logsumexp(η) − yᵀη holds only then."""
    sums = array.sum(axis=1)
    bad = np.flatnonzero((np.abs(sums - 1) > 1e-6) | np.any(array < 0, axis=1))
    if bad.size:
        raise ValueError(
            f"Categorical: each row of y must be one-hot (or class probabilities ≥ 0 summing "
            f"to 1); {bad.size} rows are not (the first: row {bad[0]}, {array[bad[0]]})"
        )
    return array


def _check_positive_rate(rate: np.ndarray) -> None:
    if np.any(rate <= 0):
        raise ValueError(
            "Poisson likelihood: the model predicts a rate ≤ 0 for some samples; use an "
            "output activation that keeps it positive ('exponential' or 'softplus')"
        )


def _sigmoid(eta: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * eta))


def _softmax(eta: np.ndarray) -> np.ndarray:
    shifted = np.exp(eta - eta.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def _diagonal(values: np.ndarray) -> np.ndarray:
    n, k = values.shape
    out = np.zeros((n, k, k))
    out[:, np.arange(k), np.arange(k)] = values
    return out


# ---- from a compiled loss ---------------------------------------------------------------

LINKS = {"bernoulli": sigmoid, "categorical": softmax, "poisson": exponential}


def likelihood_for(loss: Any, output_activation: Any, outputs: int = 1) -> Likelihood:
    """The likelihood of ``loss`` for a model whose last function is ``output_activation``
    (None or ``linear`` when the output is linear) and which has ``outputs`` columns.

    The output's link function (sigmoid, softmax, exponential) is taken off when the loss
    expects probabilities or rates, so that η is the natural parameter; the caller strips
    that activation from the network (see ``strips_link``)."""
    activation = output_activation or linear
    loss = _loss_of_function(loss)
    if isinstance(loss, losses.MeanSquaredError):
        return Gaussian(outputs, None, "estimated", mse=True)
    if isinstance(loss, losses.GaussianNLL):
        if loss.sigma_mode is None:
            raise ValueError(
                "Laplace: GaussianNLL(sigma=None) predicts σ per sample (heteroscedastic); "
                "use a model with one σ (a number or 'learned')"
            )
        mode = "learned" if loss.sigma_mode == "learned" else "fixed"
        sigma = loss.sigma
        return Gaussian(outputs, None if sigma is None else sigma * sigma, mode, mse=False)
    if isinstance(loss, losses.BinaryCrossentropy | losses.CategoricalCrossentropy):
        _no_smoothing(loss)
        _last_axis(loss)
    if isinstance(loss, losses.BinaryCrossentropy):
        return _link_checked(Bernoulli(float(outputs)), loss.from_logits, activation, loss)
    if isinstance(loss, losses.CategoricalCrossentropy):
        return _link_checked(Categorical(1.0, sparse=False), loss.from_logits, activation, loss)
    if isinstance(loss, losses.SparseCategoricalCrossentropy):
        return _link_checked(Categorical(1.0, sparse=True), loss.from_logits, activation, loss)
    if isinstance(loss, losses.Poisson):
        link = "log" if activation is exponential else "identity"
        return Poisson(float(outputs), link)
    raise ValueError(
        f"Laplace: the loss {type(loss).__name__} is not the negative log-likelihood of a "
        "distribution deepgrad.inference knows; use MeanSquaredError or GaussianNLL "
        "(Gaussian), BinaryCrossentropy (Bernoulli), (Sparse)CategoricalCrossentropy "
        "(categorical) or Poisson"
    )


def _loss_of_function(loss: Any) -> Any:
    """A model compiled with one of deepgrad's loss functions (``dg.losses.poisson``) holds
    it wrapped: its class, with the defaults the function has and the wrapper's reduction."""
    function = getattr(loss, "fn", None)
    pairs = (
        (losses.mean_squared_error, losses.MeanSquaredError),
        (losses.binary_crossentropy, losses.BinaryCrossentropy),
        (losses.categorical_crossentropy, losses.CategoricalCrossentropy),
        (losses.sparse_categorical_crossentropy, losses.SparseCategoricalCrossentropy),
        (losses.poisson, losses.Poisson),
    )
    for known, cls in pairs:
        if function is known:
            return cls(reduction=loss.reduction)
    return loss


def strips_link(likelihood: Likelihood, output_activation: Any) -> bool:
    """Whether the network's last activation is the likelihood's link, evaluated inside
    the likelihood instead (η is then the pre-activation)."""
    if output_activation is None:
        return False
    if likelihood.name == "poisson":
        return likelihood.link == "log"
    link = LINKS.get(likelihood.name)
    return link is not None and output_activation is link


def _link_checked(likelihood: Likelihood, from_logits: bool, activation: Any, loss: Any):
    link = LINKS[likelihood.name]
    if from_logits and activation is not linear:
        raise ValueError(
            f"Laplace: {type(loss).__name__}(from_logits=True) but the model's output "
            f"goes through {getattr(activation, '__name__', activation)}; the logits must be "
            "the output of a linear layer"
        )
    if not from_logits and activation is not link:
        raise ValueError(
            f"Laplace: {type(loss).__name__}(from_logits=False) expects the model to end "
            f"in {link.__name__}, but its last activation is "
            f"{getattr(activation, '__name__', activation)}"
        )
    return likelihood


def _last_axis(loss: Any) -> None:
    """The likelihood is per sample, over the output's last axis (the classes); a loss
    along another axis (``axis=0``: a softmax over the samples) is another model."""
    if getattr(loss, "axis", -1) not in (-1, 1):
        raise ValueError(
            f"Laplace: {type(loss).__name__}(axis={loss.axis}) computes the loss along axis "
            f"{loss.axis}, not along the classes of each sample (the last axis of the "
            "(n, k) output); it is not the likelihood of the labels. Fit with axis=-1"
        )


def _no_smoothing(loss: Any) -> None:
    if getattr(loss, "label_smoothing", 0.0):
        raise ValueError(
            f"Laplace: {type(loss).__name__}(label_smoothing>0) is not a likelihood of the "
            "labels; fit without label smoothing"
        )

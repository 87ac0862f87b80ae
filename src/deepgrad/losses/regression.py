"""Regression losses: squared, absolute, Huber, log-cosh, logarithmic and percentage
errors, the cosine similarity, and the negative log-likelihoods of a Gaussian (``GaussianNLL``)
and of counts (``Poisson``).

>>> import numpy as np
>>> float(MeanSquaredError()(np.array([[1.0], [2.0]]), np.array([[1.5], [2.0]])))
0.125
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from deepgrad import numpy as dnp
from deepgrad.activations import softplus
from deepgrad.backend import get_default_dtype
from deepgrad.losses.base import EPSILON, Loss, ReductionFirstLoss, mean_last, same_rank
from deepgrad.tensor import Tensor, raw_data


class MeanSquaredError(ReductionFirstLoss):
    """mean((y − ŷ)²) over the last axis: the Gaussian NLL with σ fixed, up to constants."""

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y_true, y_pred = same_rank(self, y_true, y_pred)
        return mean_last((y_true - y_pred) ** 2)


class MeanAbsoluteError(ReductionFirstLoss):
    """mean(|y − ŷ|): the NLL of a Laplace distribution, up to constants."""

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y_true, y_pred = same_rank(self, y_true, y_pred)
        return mean_last(dnp.absolute(y_true - y_pred))


class Huber(Loss):
    """½e² for |e| ≤ δ, δ(|e| − ½δ) beyond: squared near 0, absolute in the tails."""

    default_name = "huber_loss"  # Keras'

    def __init__(self, delta: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.delta = float(delta)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y_true, y_pred = same_rank(self, y_true, y_pred)
        error = dnp.absolute(y_true - y_pred)
        quadratic = dnp.minimum(error, self.delta)
        return mean_last(0.5 * quadratic**2 + self.delta * (error - quadratic))

    def get_config(self) -> dict:
        return {**super().get_config(), "delta": self.delta}


class LogCosh(ReductionFirstLoss):
    """mean(log cosh(ŷ − y)), computed as e + softplus(−2e) − log 2 (no overflow)."""

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y_true, y_pred = same_rank(self, y_true, y_pred)
        error = y_pred - y_true
        return mean_last(error + softplus(-2.0 * error) - math.log(2.0))


class GaussianNLL(Loss):
    """−log N(y | f(x), σ²) = ½ log(2πσ²) + (y − f(x))² / (2σ²): the lecture's model
    y = f(x) + ε, ε ~ N(0, σ²).

    ``sigma``: a number (σ fixed), ``"learned"`` (σ is a parameter of the loss, trained
    with the model and read back as ``loss.sigma``), or ``None`` (heteroscedastic: the
    model predicts two columns, the mean and log σ, per sample).

    >>> import numpy as np
    >>> nll = GaussianNLL(sigma=1.0)
    >>> round(float(nll(np.zeros((1, 1)), np.zeros((1, 1)))), 6)  # ½ log 2π
    0.918939
    """

    def __init__(self, sigma: float | str | None = "learned", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(sigma, str) and sigma != "learned":
            raise ValueError(
                f"GaussianNLL: sigma must be a number, 'learned' or None, got {sigma!r}"
            )
        if isinstance(sigma, int | float) and sigma <= 0:
            raise ValueError(f"GaussianNLL: sigma must be positive, got {sigma}")
        self.sigma_mode = sigma
        self.log_sigma = (
            Tensor(np.zeros((), get_default_dtype()), requires_grad=True)
            if sigma == "learned"
            else None
        )

    @property
    def trainable_weights(self) -> list[Tensor]:
        return [] if self.log_sigma is None else [self.log_sigma]

    @property
    def sigma(self) -> float | None:
        """σ̂ when learned, σ when fixed, None when predicted per sample."""
        if self.log_sigma is not None:
            return float(np.exp(raw_data(self.log_sigma)))
        return None if self.sigma_mode is None else float(self.sigma_mode)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        if self.sigma_mode is None:
            if np.shape(raw_data(y_pred))[-1] != 2:
                raise ValueError(
                    "GaussianNLL(sigma=None): y_pred must have 2 columns (mean, log σ), got "
                    f"shape {np.shape(raw_data(y_pred))}"
                )
            mean, log_sigma = y_pred[..., 0:1], y_pred[..., 1:2]
            y_true = dnp.reshape(y_true, np.shape(raw_data(mean)))
        else:
            y_true, y_pred = same_rank(self, y_true, y_pred)
            mean = y_pred
            log_sigma = (
                self.log_sigma
                if self.log_sigma is not None
                else math.log(float(self.sigma_mode))  # a number: "learned" has log_sigma
            )
        z = (y_true - mean) * dnp.exp(-log_sigma)
        return mean_last(0.5 * math.log(2 * math.pi) + log_sigma + 0.5 * z * z)

    def get_config(self) -> dict:
        return {**super().get_config(), "sigma": self.sigma_mode}


class MeanSquaredLogarithmicError(ReductionFirstLoss):
    """mean((log(1 + ŷ) − log(1 + y))²), ŷ and y floored at 1e-7 (Keras').

    >>> round(float(MeanSquaredLogarithmicError()(np.array([[1.0]]), np.array([[3.0]]))), 4)
    0.4805
    """

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y, y_pred = same_rank(self, y_true, y_pred)
        error = dnp.log1p(dnp.maximum(y_pred, EPSILON)) - dnp.log1p(dnp.maximum(y, EPSILON))
        return mean_last(error * error)


class MeanAbsolutePercentageError(ReductionFirstLoss):
    """100 · mean(|y − ŷ| / max(|y|, 1e-7)) (Keras').

    >>> float(MeanAbsolutePercentageError()(np.array([[2.0]]), np.array([[2.5]])))
    25.0
    """

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y, y_pred = same_rank(self, y_true, y_pred)
        return 100.0 * mean_last(dnp.absolute(y - y_pred) / dnp.maximum(dnp.absolute(y), EPSILON))


class CosineSimilarity(Loss):
    """−cos(y, ŷ) along ``axis``, each vector scaled to unit norm (a norm below 1e-6
    counting as 1e-6, Keras' ``l2_normalize``): −1 when they point the same way.

    >>> float(CosineSimilarity()(np.array([[1.0, 0.0]]), np.array([[2.0, 0.0]])))
    -1.0
    """

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y, y_pred = same_rank(self, y_true, y_pred)
        return -dnp.sum(_unit(y, self.axis) * _unit(y_pred, self.axis), axis=self.axis)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}


def _unit(x: Any, axis: int) -> Any:
    return x / dnp.sqrt(dnp.maximum(dnp.sum(x * x, axis=axis, keepdims=True), 1e-12))


class Poisson(ReductionFirstLoss):
    """ŷ − y log ŷ: the Poisson NLL for counts y with rate ŷ, up to log y!."""

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y_true, y_pred = same_rank(self, y_true, y_pred)
        return mean_last(y_pred - y_true * dnp.log(y_pred + EPSILON))

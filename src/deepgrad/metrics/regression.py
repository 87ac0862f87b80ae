"""Regression metrics: squared, absolute and percentage errors, cosine similarity
and the coefficient of determination (``R2Score``)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from deepgrad.metrics.base import Metric, NameFirstMetric, _Counts, _matched


class MeanSquaredError(NameFirstMetric):
    direction = "down"
    default_name = "mean_squared_error"

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        y_true, y_pred = _matched(self, y_true, y_pred)
        return (y_true - y_pred) ** 2


class MeanAbsoluteError(NameFirstMetric):
    direction = "down"
    default_name = "mean_absolute_error"

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        y_true, y_pred = _matched(self, y_true, y_pred)
        return np.abs(y_true - y_pred)


class RootMeanSquaredError(MeanSquaredError):
    default_name = "root_mean_squared_error"

    def result(self) -> float:
        return float(np.sqrt(super().result()))


class MeanAbsolutePercentageError(NameFirstMetric):
    """100 · mean |y − ŷ| / max(|y|, ε), ε = 1e-7 (Keras')."""

    direction = "down"

    default_name = "mean_absolute_percentage_error"

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        y_true, y_pred = _matched(self, y_true, y_pred)
        return 100.0 * np.abs(y_true - y_pred) / np.maximum(np.abs(y_true), 1e-7)


class CosineSimilarity(Metric):
    """The mean over samples of cos(y, ŷ) along ``axis`` (each vector scaled to unit
    norm, a norm below 1e-6 counting as 1e-6: Keras' ``l2_normalize``)."""

    direction = "up"

    default_name = "cosine_similarity"
    config_keys = ("axis",)

    def __init__(self, name: str | None = None, dtype: Any = None, axis: int = -1) -> None:
        self.axis = axis
        super().__init__(name=name, dtype=dtype)

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        y_true, y_pred = _matched(self, y_true, y_pred)

        def unit(a: np.ndarray) -> np.ndarray:
            return a / np.sqrt(np.maximum(np.sum(a * a, axis=self.axis, keepdims=True), 1e-12))

        # one value per vector: a 1-D pair is one vector, as in Keras
        return np.atleast_1d(np.sum(unit(y_true) * unit(y_pred), axis=self.axis))


class R2Score(_Counts):
    """The coefficient of determination 1 − SS_res/SS_tot per output, as Keras 3's
    ``R2Score``: averaged over outputs (``class_aggregation="uniform_average"``), weighted
    by each output's SS_tot (``"variance_weighted_average"``) or one per output (None).
    ``num_regressors=p`` adjusts it, 1 − (1 − R²)(n − 1)/(n − p − 1), with n the number of
    values seen (samples × outputs, Keras' count), left unadjusted with a warning where
    p ≥ n − 1. An output whose target is constant (SS_tot = 0) scores 0 where its
    predictions miss, as in Keras and scikit-learn, rather than −inf.

    >>> m = R2Score(class_aggregation=None)
    >>> m.update_state(np.array([[1.0, 1.0], [2.0, 3.0]]), np.array([[1.0, 2.0], [2.0, 2.0]]))
    >>> m.result()
    array([1., 0.])
    """

    direction = "up"

    default_name = "r2_score"
    config_keys = ("class_aggregation", "num_regressors")

    def __init__(
        self,
        class_aggregation: str | None = "uniform_average",
        num_regressors: int = 0,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        if class_aggregation not in (None, "uniform_average", "variance_weighted_average"):
            raise ValueError(
                "R2Score: class_aggregation must be None, 'uniform_average' or "
                f"'variance_weighted_average', got {class_aggregation!r}"
            )
        if num_regressors < 0:
            raise ValueError(f"R2Score: num_regressors must be >= 0, got {num_regressors}")
        self.class_aggregation, self.num_regressors = class_aggregation, num_regressors
        super().__init__(name=name, dtype=dtype)

    def update_sums(
        self, y_true: np.ndarray, y_pred: np.ndarray, weights: np.ndarray
    ) -> dict[str, Any]:
        values = y_true.size
        y_true, y_pred, weights = (a.reshape(len(a), -1) for a in (y_true, y_pred, weights))
        return {
            "values": float(values),
            "weight": np.sum(weights, axis=0),
            "sum": np.sum(weights * y_true, axis=0),
            "sum_of_squares": np.sum(weights * y_true**2, axis=0),
            "residual": np.sum(weights * (y_true - y_pred) ** 2, axis=0),
        }

    def reset_state(self) -> None:
        # Keras' variables keep their shape through a reset: one NaN per output after it
        sums = getattr(self, "sums", None)
        self._outputs = len(sums["sum"]) if sums else getattr(self, "_outputs", None)
        super().reset_state()

    def result(self) -> Any:
        if not self.sums:  # no data: R² is undefined, NaN (per output after a reset), as Keras
            if self.class_aggregation is None and self._outputs:
                return np.full(self._outputs, np.nan)
            return float("nan")
        sums = self.sums
        with np.errstate(divide="ignore", invalid="ignore"):
            total = sums["sum_of_squares"] - sums["sum"] ** 2 / sums["weight"]
            scores = 1 - sums["residual"] / total
            scores = np.where(np.isinf(scores), 0.0, scores)
            if self.class_aggregation == "uniform_average":
                score = np.mean(scores)
            elif self.class_aggregation == "variance_weighted_average":
                score = np.sum(total * scores) / np.sum(total)
            else:
                score = scores
        score = _adjusted(score, sums["values"], self.num_regressors)
        return float(score) if np.ndim(score) == 0 else score


def _adjusted(score: Any, values: float, regressors: int) -> Any:
    """R² adjusted for ``regressors`` predictors over ``values`` points, as Keras adjusts
    it (unadjusted, with its warning, where there are too few points)."""
    if regressors == 0:
        return score
    if regressors >= values - 1:
        warnings.warn(
            "R2Score: more independent predictors than data points in the adjusted R2 "
            "score (or as many as the points less one); falling back to the standard R2 "
            "score",
            stacklevel=3,
        )
        return score
    return 1 - (1 - score) * (values - 1) / (values - regressors - 1)

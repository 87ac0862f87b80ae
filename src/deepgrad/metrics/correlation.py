"""Correlation of labels and predictions along an axis, averaged over the samples:
``PearsonCorrelation`` and ``ConcordanceCorrelation``, as Keras 3 computes them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from deepgrad.metrics.base import _EPSILON, Mean, MeanMetricWrapper, Metric, _same_rank
from deepgrad.tensor import raw_data


def _pearson_correlation(y_true: np.ndarray, y_pred: np.ndarray, axis: Any) -> np.ndarray:
    """Pearson's r along ``axis``: NaN where either side is constant, as in Keras."""
    with np.errstate(divide="ignore", invalid="ignore"):
        true = y_true - np.mean(y_true, axis=axis, keepdims=True)
        pred = y_pred - np.mean(y_pred, axis=axis, keepdims=True)
        true = true / np.std(true, axis=axis, keepdims=True)
        pred = pred / np.std(pred, axis=axis, keepdims=True)
        return np.mean(true * pred, axis=axis)


def _concordance_correlation(y_true: np.ndarray, y_pred: np.ndarray, axis: Any) -> np.ndarray:
    """Lin's concordance 2·cov/(var_true + var_pred + (mean_true − mean_pred)² + ε) along
    ``axis``, written as Keras writes it (ε = 1e-7 in each term's denominator)."""
    true_mean = np.mean(y_true, axis=axis, keepdims=True)
    pred_mean = np.mean(y_pred, axis=axis, keepdims=True)
    true_var = np.var(y_true - true_mean, axis=axis, keepdims=True)
    pred_var = np.var(y_pred - pred_mean, axis=axis, keepdims=True)
    # Keras centres y_true on the predictions' mean: the same mean over the axis, since
    # the predictions' deviations sum to zero there
    covariance = (y_true - pred_mean) * (y_pred - pred_mean)
    norm = true_var + pred_var + (true_mean - pred_mean) ** 2
    return np.mean(2 * covariance / (norm + _EPSILON), axis=axis)


class _Correlation(MeanMetricWrapper):
    """A correlation per sample (along ``axis``), averaged over the samples of all the
    batches: Keras' correlation metrics are ``MeanMetricWrapper``s, so two batches give
    the mean of their samples' correlations, not the correlation of the data pooled."""

    direction = "up"
    config_keys = ("dtype", "axis")
    default_name: str
    coefficient: Callable[..., np.ndarray]  # the per-sample value, given (y_true, y_pred, axis)

    def __init__(self, name: str | None = None, dtype: Any = None, axis: Any = -1) -> None:
        # a list from a saved config is the tuple of axes it was
        self.axis = tuple(axis) if isinstance(axis, list | tuple) else axis
        super().__init__(type(self).coefficient, name or self.default_name, dtype, axis=self.axis)

    def get_config(self) -> dict:
        """Keras' keys (name, dtype, axis): the function is the class's, not a setting."""
        return Metric.get_config(self)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true = np.asarray(raw_data(y_true), float)
        y_pred = np.asarray(raw_data(y_pred), float)
        y_true, y_pred = _same_rank(y_true, y_pred)
        if y_true.shape != y_pred.shape:
            raise ValueError(
                f"{self.name}: labels of shape {y_true.shape} do not match predictions of "
                f"shape {y_pred.shape}"
            )
        try:
            values = self.fn(y_true, y_pred, axis=self.axis)
        except np.exceptions.AxisError:
            raise ValueError(
                f"{self.name}: axis={self.axis} does not fit labels and predictions of shape "
                f"{y_true.shape}"
            ) from None
        try:
            Mean.update_state(self, values, sample_weight)  # type: ignore[arg-type]
        except ValueError as error:
            raise ValueError(f"{self.name}: {error}") from None


class PearsonCorrelation(_Correlation):
    """Pearson's correlation coefficient of labels and predictions along ``axis``, one
    per sample, averaged (weighted by ``sample_weight``) over the samples of all the
    batches, as Keras 3's ``PearsonCorrelation``: a mean of per-sample values, not the
    correlation of the data pooled. A constant row gives NaN, as in Keras; no data, 0.0.

    >>> m = PearsonCorrelation()
    >>> m.update_state(np.array([[0, 1, 0.5], [1, 1, 0.2]]),
    ...                np.array([[0.1, 0.9, 0.5], [1, 0.9, 0.2]]))
    >>> round(m.result(), 6)  # (1 + 0.993399) / 2
    0.9967
    """

    default_name = "pearson_correlation"
    coefficient = staticmethod(_pearson_correlation)


class ConcordanceCorrelation(_Correlation):
    """Lin's concordance correlation coefficient of labels and predictions along
    ``axis``, one per sample, averaged (weighted by ``sample_weight``) over the samples of
    all the batches, as Keras 3's ``ConcordanceCorrelation``: a mean of per-sample values,
    not the coefficient of the data pooled. A row where both sides are constant gives 0
    (Keras' ε in the denominator); no data, 0.0.

    >>> m = ConcordanceCorrelation()
    >>> m.update_state(np.array([[0, 1, 0.5], [1, 1, 0.2]]),
    ...                np.array([[0.1, 0.9, 0.5], [1, 0.9, 0.2]]))
    >>> round(m.result(), 6)  # (0.97561 + 0.987654) / 2
    0.981632
    """

    default_name = "concordance_correlation"
    coefficient = staticmethod(_concordance_correlation)

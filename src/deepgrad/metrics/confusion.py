"""Counts of the confusion matrix of binary predictions (``TruePositives`` and its
siblings) and the ratios made of them (``Precision``, ``Recall``)."""

from __future__ import annotations

from numbers import Integral
from typing import Any

import numpy as np

from deepgrad.metrics.base import _Counts, _divide_no_nan, _positive_labels


class Precision(_Counts):
    """TP/(TP + FP) of binary predictions above ``thresholds`` (0.5; 0 for logits; a list
    gives one precision per threshold), as Keras 3's ``Precision``: ``top_k`` counts only
    each sample's k highest predictions (as positive whatever their value, unless
    ``thresholds`` is given too), ``class_id`` only one column of (samples, classes)
    predictions. ``threshold`` is deepgrad's older name for one threshold.

    >>> m = Precision(thresholds=[0.3, 0.6])
    >>> m.update_state(np.array([0, 1, 1]), np.array([0.4, 0.5, 0.7])); m.result()
    array([0.66666667, 1.        ])
    """

    direction = "up"

    default_name = "precision"
    config_keys = ("thresholds", "top_k", "class_id")

    def __init__(
        self,
        thresholds: Any = None,
        top_k: int | None = None,
        class_id: int | None = None,
        name: str | None = None,
        dtype: Any = None,
        *,
        threshold: float | None = None,
    ) -> None:
        if threshold is not None and thresholds is not None:
            raise ValueError(
                f"{type(self).__name__}: give thresholds or threshold (its older name), not both"
            )
        self.thresholds = _some_thresholds(self, threshold if thresholds is None else thresholds)
        if top_k is not None and (not isinstance(top_k, Integral) or top_k < 0):
            raise ValueError(
                f"{type(self).__name__}: top_k must be an integer >= 0 (or None), got {top_k!r}"
            )
        self.top_k, self.class_id = top_k, class_id
        super().__init__(name=name, dtype=dtype)

    def update_sums(
        self, y_true: np.ndarray, y_pred: np.ndarray, weights: np.ndarray
    ) -> dict[str, Any]:
        if self.top_k is not None:
            y_pred = _top_k_only(self, y_pred, int(self.top_k))
        y_true, y_pred, weights = _class_column(self, self.class_id, y_true, y_pred, weights)
        # no thresholds with top_k: every top-k prediction is positive, as in Keras
        default = -np.inf if self.top_k is not None else 0.5
        thresholds = np.asarray(default if self.thresholds is None else self.thresholds, float)
        # compared in float32, as Keras' float32 state compares them
        predicted = y_pred.astype(np.float32).ravel()[None] > thresholds.astype(np.float32).reshape(
            -1, 1
        )
        actual, weights = _positive_labels(self, y_true, weights).ravel(), weights.ravel()
        return {
            "true_positives": np.sum(weights * (predicted & actual), axis=1),
            "predicted_positives": np.sum(weights * predicted, axis=1),
            "actual_positives": np.full(len(predicted), np.sum(weights * actual)),
        }

    @property
    def threshold(self) -> Any:
        """deepgrad's older name for ``thresholds``."""
        return self.thresholds

    def result(self) -> Any:
        return self._ratio("predicted_positives")

    def _ratio(self, denominator: str) -> Any:
        """TP over one of the sums (0 where it is 0): a float for one threshold."""
        if not self.sums:
            return _per_threshold(
                np.zeros(1 if self.thresholds is None else np.size(self.thresholds))
            )
        return _per_threshold(_divide_no_nan(self.sums["true_positives"], self.sums[denominator]))

    def get_config(self) -> dict:
        config = super().get_config()
        if isinstance(config["thresholds"], np.ndarray | tuple):
            config["thresholds"] = [float(t) for t in np.ravel(config["thresholds"])]
        return config


class Recall(Precision):
    """TP/(TP + FN) of binary predictions above ``thresholds`` (0.5; 0 for logits), with
    ``Precision``'s ``top_k`` and ``class_id``, as Keras 3's ``Recall``."""

    default_name = "recall"

    def result(self) -> Any:
        return self._ratio("actual_positives")


def _some_thresholds(metric: Any, thresholds: Any) -> Any:
    """``thresholds`` unchanged, unless it is an empty list: one count per threshold of
    none is no metric (Keras fails on it with a ``ZeroDivisionError``)."""
    if thresholds is not None and np.size(thresholds) == 0:
        raise ValueError(
            f"{type(metric).__name__}: thresholds must hold at least one value, got {thresholds!r}"
        )
    return thresholds


def _per_threshold(values: np.ndarray) -> Any:
    """One result per threshold, a float for one (a list of one too, as in Keras).

    >>> _per_threshold(np.array([0.5])), _per_threshold(np.array([0.5, 1.0]))
    (0.5, array([0.5, 1. ]))
    """
    return float(values[0]) if values.size == 1 else values


def _class_column(metric: Any, class_id: int | None, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """The ``class_id`` column of each of (labels, predictions, weights) of shape
    (samples, classes), as Keras' ``class_id``; all of them when ``class_id`` is None."""
    if class_id is None:
        return arrays
    shape = arrays[1].shape
    if len(shape) < 2:
        raise ValueError(
            f"{metric.name}: class_id={class_id} takes predictions of shape "
            f"(samples, classes), got shape {shape}"
        )
    if not -shape[-1] <= class_id < shape[-1]:
        raise ValueError(
            f"{metric.name}: class_id={class_id} is not a column of predictions of shape "
            f"{shape} (Keras wants it in [0, {shape[-1]}))"
        )
    return tuple(array[..., class_id] for array in arrays)


def _top_k_only(metric: Any, y_pred: np.ndarray, k: int) -> np.ndarray:
    """``y_pred`` with all but each row's k highest values (the first on ties, as
    ``top_k``) set to −inf: Keras' ``_filter_top_k``. A k above the row's length is
    refused, as Keras' ``top_k`` refuses it."""
    count = y_pred.shape[-1] if y_pred.ndim else 1
    if k > count:
        raise ValueError(
            f"{metric.name}: top_k={k} is more than the {count} predictions per sample "
            f"(predictions of shape {y_pred.shape})"
        )
    order = np.argsort(-y_pred, axis=-1, kind="stable")[..., :k]
    kept = np.full(y_pred.shape, -np.inf)
    np.put_along_axis(kept, order, np.take_along_axis(y_pred, order, axis=-1), axis=-1)
    return kept


class _ConfusionCount(_Counts):
    """The weighted count of one cell of the confusion matrix of binary predictions above
    each of ``thresholds`` (0.5 by default; a list gives one count per threshold), as
    Keras' ``TruePositives`` and its siblings."""

    config_keys = ("thresholds",)
    cell: tuple[bool, bool] = (True, True)  # (predicted positive, actually positive)

    def __init__(self, thresholds: Any = None, name: str | None = None, dtype: Any = None):
        self.thresholds = _some_thresholds(self, 0.5 if thresholds is None else thresholds)
        super().__init__(name=name, dtype=dtype)

    def update_sums(
        self, y_true: np.ndarray, y_pred: np.ndarray, weights: np.ndarray
    ) -> dict[str, Any]:
        # compared in float32, as Keras' float32 state compares them: a float32 score of
        # 0.3 is not above a threshold of 0.3
        thresholds = np.reshape(np.asarray(self.thresholds, np.float32), (-1, 1))
        predicted = y_pred.astype(np.float32).reshape(1, -1) > thresholds
        actual = _positive_labels(self, y_true, weights).reshape(1, -1)
        hits = (predicted == self.cell[0]) & (actual == self.cell[1])
        return {"count": np.sum(weights.reshape(1, -1) * hits, axis=1)}

    def result(self) -> Any:
        return _per_threshold(self.sums.get("count", np.zeros(np.size(self.thresholds))))


class TruePositives(_ConfusionCount):
    """The weighted number of positives predicted positive (above ``thresholds``)."""

    default_name = "true_positives"
    cell = (True, True)


class FalsePositives(_ConfusionCount):
    """The weighted number of negatives predicted positive (above ``thresholds``)."""

    default_name = "false_positives"
    cell = (True, False)


class TrueNegatives(_ConfusionCount):
    """The weighted number of negatives predicted negative (at or below ``thresholds``)."""

    default_name = "true_negatives"
    cell = (False, False)


class FalseNegatives(_ConfusionCount):
    """The weighted number of positives predicted negative (at or below ``thresholds``)."""

    default_name = "false_negatives"
    cell = (False, True)

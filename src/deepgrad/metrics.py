"""Metrics: running averages over batches, with Keras' API (``update_state``,
``result``, ``reset_state``) and names.

>>> import numpy as np
>>> m = SparseCategoricalAccuracy()
>>> m.update_state(np.array([0, 1]), np.array([[0.9, 0.1], [0.8, 0.2]]))
>>> m.result()
0.5
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad.tensor import raw_data


class Metric:
    """A weighted running mean of per-sample values."""

    def __init__(self, name: str | None = None) -> None:
        self.name = name or self.default_name
        self.reset_state()

    default_name = "metric"

    def reset_state(self) -> None:
        self.total = 0.0
        self.count = 0.0

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        values = np.asarray(
            self.values(np.asarray(raw_data(y_true)), np.asarray(raw_data(y_pred))), float
        )
        weights = (
            np.ones(len(values))
            if sample_weight is None
            else np.asarray(sample_weight, float).reshape(-1)
        )
        self.total += float(np.sum(values.reshape(len(weights), -1).mean(axis=1) * weights))
        self.count += float(np.sum(weights))

    def result(self) -> float:
        return self.total / self.count if self.count else 0.0

    def merge(self, total: float, count: float) -> None:
        """Add another process's or shard's sums (for reducing across processes)."""
        self.total += total
        self.count += count


class Mean(Metric):
    """The mean of the values given (used for the loss)."""

    default_name = "mean"

    def update_state(self, values: Any, sample_weight: Any = None) -> None:  # type: ignore[override]
        values = np.asarray(raw_data(values), float).reshape(-1)
        weights = (
            np.ones(len(values))
            if sample_weight is None
            else np.asarray(sample_weight, float).reshape(-1)
        )
        self.total += float(np.sum(values * weights))
        self.count += float(np.sum(weights))


def _labels(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    return (
        y_true.reshape(y_pred.shape[:-1]) if y_true.size == np.prod(y_pred.shape[:-1]) else y_true
    )


class SparseCategoricalAccuracy(Metric):
    """Share of samples whose integer label is the arg-max of the prediction."""

    default_name = "accuracy"

    def values(self, y_true, y_pred):
        return (np.argmax(y_pred, axis=-1) == _labels(y_true, y_pred)).astype(float)


class CategoricalAccuracy(Metric):
    """Share of samples whose one-hot label's arg-max is the prediction's arg-max."""

    default_name = "accuracy"

    def values(self, y_true, y_pred):
        return (np.argmax(y_pred, axis=-1) == np.argmax(y_true, axis=-1)).astype(float)


class BinaryAccuracy(Metric):
    """Share of predictions on the right side of ``threshold`` (0.5; use 0 for logits)."""

    default_name = "accuracy"

    def __init__(self, name: str | None = None, threshold: float = 0.5) -> None:
        self.threshold = threshold
        super().__init__(name)

    def values(self, y_true, y_pred):
        return ((y_pred > self.threshold) == (y_true.reshape(y_pred.shape) > 0.5)).astype(float)


class MeanSquaredError(Metric):
    default_name = "mse"

    def values(self, y_true, y_pred):
        return (y_true.reshape(y_pred.shape) - y_pred) ** 2


class MeanAbsoluteError(Metric):
    default_name = "mae"

    def values(self, y_true, y_pred):
        return np.abs(y_true.reshape(y_pred.shape) - y_pred)


class RootMeanSquaredError(MeanSquaredError):
    default_name = "rmse"

    def result(self) -> float:
        return float(np.sqrt(super().result()))


METRICS = {
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "binary_accuracy": BinaryAccuracy,
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError,
    "mean_absolute_error": MeanAbsoluteError,
    "rmse": RootMeanSquaredError,
}


def get(identifier: Any, loss: Any = None) -> Metric:
    """A metric from a name or object. ``"accuracy"`` picks the variant that fits the loss,
    as Keras does: sparse for integer labels, binary for one output, categorical otherwise."""
    if isinstance(identifier, Metric):
        return identifier
    if identifier in ("accuracy", "acc"):
        from deepgrad import losses

        if isinstance(loss, losses.BinaryCrossentropy | losses.Hinge):
            threshold = (
                0.0
                if getattr(loss, "from_logits", False) or isinstance(loss, losses.Hinge)
                else 0.5
            )
            return BinaryAccuracy(threshold=threshold)
        if isinstance(loss, losses.CategoricalCrossentropy):
            return CategoricalAccuracy()
        return SparseCategoricalAccuracy()
    try:
        return METRICS[identifier]()
    except (KeyError, TypeError):
        known = ", ".join(["accuracy", *METRICS])
        raise ValueError(f"unknown metric {identifier!r}; known: {known}") from None

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

from deepgrad import losses
from deepgrad.tensor import raw_data


class Metric:
    """A weighted running mean of per-sample values."""

    def __init__(self, name: str | None = None) -> None:
        self.name = name or self.default_name
        self.reset_state()

    default_name = "metric"
    config_keys: tuple[str, ...] = ()  # constructor arguments kept as attributes

    def get_config(self) -> dict:
        return {"name": self.name, **{key: getattr(self, key) for key in self.config_keys}}

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

    def get_state(self) -> Any:
        """The running state, to combine across processes (``merge_states``)."""
        return (self.total, self.count)

    def merge_states(self, states: list) -> None:
        """Become the combination of several processes' ``get_state()`` (own included)."""
        self.total = sum(total for total, _ in states)
        self.count = sum(count for _, count in states)


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

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        return (np.argmax(y_pred, axis=-1) == _labels(y_true, y_pred)).astype(float)


class CategoricalAccuracy(Metric):
    """Share of samples whose one-hot label's arg-max is the prediction's arg-max."""

    default_name = "accuracy"

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        return (np.argmax(y_pred, axis=-1) == np.argmax(y_true, axis=-1)).astype(float)


class BinaryAccuracy(Metric):
    """Share of predictions on the right side of ``threshold`` (0.5; use 0 for logits)."""

    default_name = "accuracy"
    config_keys = ("threshold",)

    def __init__(self, name: str | None = None, threshold: float = 0.5) -> None:
        self.threshold = threshold
        super().__init__(name)

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        return ((y_pred > self.threshold) == (y_true.reshape(y_pred.shape) > 0.5)).astype(float)


class MeanSquaredError(Metric):
    default_name = "mse"

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        return (y_true.reshape(y_pred.shape) - y_pred) ** 2


class MeanAbsoluteError(Metric):
    default_name = "mae"

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        return np.abs(y_true.reshape(y_pred.shape) - y_pred)


class RootMeanSquaredError(MeanSquaredError):
    default_name = "rmse"

    def result(self) -> float:
        return float(np.sqrt(super().result()))


class TopKCategoricalAccuracy(Metric):
    """Share of samples whose label is among the ``k`` highest predictions (one-hot labels,
    or integer labels: ``sparse_top_k_categorical_accuracy``)."""

    default_name = "top_k_categorical_accuracy"
    config_keys = ("k", "sparse")

    def __init__(self, k: int = 5, name: str | None = None, sparse: bool = False) -> None:
        self.k, self.sparse = int(k), sparse
        super().__init__(name)

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        labels = _labels(y_true, y_pred) if self.sparse else np.argmax(y_true, axis=-1)
        label_scores = np.take_along_axis(y_pred, labels[..., None].astype(np.intp), axis=-1)
        # Ranked by how many predictions beat the label's; ties count in the label's favour.
        return (np.sum(y_pred > label_scores, axis=-1) < self.k).astype(float)


def _aligned(metric: Metric, y_true: Any, y_pred: Any, sample_weight: Any) -> tuple:
    """Labels, predictions and per-element weights as float arrays of one shape."""
    y_true = np.asarray(raw_data(y_true), float)
    y_pred = np.asarray(raw_data(y_pred), float)
    if y_true.size != y_pred.size:
        raise ValueError(
            f"{metric.name}: labels of shape {y_true.shape} do not match predictions of "
            f"shape {y_pred.shape}"
        )
    weights = np.ones(len(y_pred)) if sample_weight is None else np.asarray(sample_weight, float)
    weights = weights.reshape(len(y_pred), *[1] * (y_pred.ndim - 1))
    return y_true.reshape(y_pred.shape), y_pred, np.broadcast_to(weights, y_pred.shape)


class _Counts(Metric):
    """Metrics that are not means of per-sample values keep weighted sums instead; the
    subclass says which (``update_sums``) and how they make the result."""

    def reset_state(self) -> None:
        self.sums: dict[str, Any] = {}

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        batch = self.update_sums(*_aligned(self, y_true, y_pred, sample_weight))
        for key, value in batch.items():
            self.sums[key] = self.sums[key] + value if key in self.sums else value

    def update_sums(
        self, y_true: np.ndarray, y_pred: np.ndarray, weights: np.ndarray
    ) -> dict[str, Any]:
        raise NotImplementedError

    def get_state(self) -> Any:
        return dict(self.sums)

    def merge_states(self, states: list) -> None:
        self.sums = {}
        for sums in states:
            for key, value in sums.items():
                self.sums[key] = self.sums[key] + value if key in self.sums else value


class Precision(_Counts):
    """TP/(TP + FP) of binary predictions above ``threshold`` (0.5; 0 for logits)."""

    default_name = "precision"
    config_keys = ("threshold",)

    def __init__(self, threshold: float = 0.5, name: str | None = None) -> None:
        self.threshold = threshold
        super().__init__(name)

    def update_sums(
        self, y_true: np.ndarray, y_pred: np.ndarray, weights: np.ndarray
    ) -> dict[str, Any]:
        predicted, actual = y_pred > self.threshold, y_true > 0.5
        return {
            "true_positives": float(np.sum(weights * (predicted & actual))),
            "predicted_positives": float(np.sum(weights * predicted)),
            "actual_positives": float(np.sum(weights * actual)),
        }

    def result(self) -> float:
        denominator = self.sums.get("predicted_positives", 0.0)
        return self.sums["true_positives"] / denominator if denominator else 0.0


class Recall(Precision):
    """TP/(TP + FN) of binary predictions above ``threshold`` (0.5; 0 for logits)."""

    default_name = "recall"

    def result(self) -> float:
        denominator = self.sums.get("actual_positives", 0.0)
        return self.sums["true_positives"] / denominator if denominator else 0.0


class R2Score(_Counts):
    """The coefficient of determination 1 − SS_res/SS_tot, per output and averaged over
    outputs (Keras' and scikit-learn's ``uniform_average``)."""

    default_name = "r2_score"

    def update_sums(
        self, y_true: np.ndarray, y_pred: np.ndarray, weights: np.ndarray
    ) -> dict[str, Any]:
        y_true, y_pred, weights = (a.reshape(len(a), -1) for a in (y_true, y_pred, weights))
        return {
            "weight": np.sum(weights, axis=0),
            "sum": np.sum(weights * y_true, axis=0),
            "sum_of_squares": np.sum(weights * y_true**2, axis=0),
            "residual": np.sum(weights * (y_true - y_pred) ** 2, axis=0),
        }

    def result(self) -> float:
        if not self.sums:
            return 0.0
        sums = self.sums
        total = sums["sum_of_squares"] - sums["sum"] ** 2 / sums["weight"]
        return float(np.mean(1 - sums["residual"] / total))


class AUC(Metric):
    """The area under the ROC curve of binary scores, exact (the trapezoidal rule over
    every distinct score, as scikit-learn's ``roc_auc_score``) rather than Keras'
    200-threshold approximation, so the scores of an epoch are kept until ``result``.
    Scores may be probabilities or logits: the ROC curve depends only on their order."""

    default_name = "auc"

    def reset_state(self) -> None:
        self.batches: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true, y_pred, weights = _aligned(self, y_true, y_pred, sample_weight)
        self.batches.append((y_true.ravel() > 0.5, y_pred.ravel(), weights.ravel()))

    def result(self) -> float:
        if not self.batches:
            return 0.0
        labels, scores, weights = (
            np.concatenate(parts) for parts in zip(*self.batches, strict=True)
        )
        order = np.argsort(-scores, kind="stable")
        scores, labels, weights = scores[order], labels[order], weights[order]
        true_positives = np.cumsum(weights * labels)
        false_positives = np.cumsum(weights * ~labels)
        # One point of the ROC curve per distinct score, after all its ties.
        last_of_each_score = np.r_[np.flatnonzero(np.diff(scores)), len(scores) - 1]
        tpr = np.r_[0.0, true_positives[last_of_each_score]]
        fpr = np.r_[0.0, false_positives[last_of_each_score]]
        if tpr[-1] == 0 or fpr[-1] == 0:
            return float("nan")  # one class only: the ROC curve is not defined
        tpr, fpr = tpr / tpr[-1], fpr / fpr[-1]
        return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))  # the trapezoidal rule

    def get_state(self) -> Any:
        return list(self.batches)

    def merge_states(self, states: list) -> None:
        self.batches = [batch for batches in states for batch in batches]


METRICS = {
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "binary_accuracy": BinaryAccuracy,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": lambda: TopKCategoricalAccuracy(
        sparse=True, name="sparse_top_k_categorical_accuracy"
    ),
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError,
    "mean_absolute_error": MeanAbsoluteError,
    "rmse": RootMeanSquaredError,
    "root_mean_squared_error": RootMeanSquaredError,
    "r2_score": R2Score,
    "auc": AUC,
    "precision": Precision,
    "recall": Recall,
}


_CLASSES = {
    cls.__name__: cls
    for cls in (
        SparseCategoricalAccuracy,
        CategoricalAccuracy,
        BinaryAccuracy,
        TopKCategoricalAccuracy,
        MeanSquaredError,
        MeanAbsoluteError,
        RootMeanSquaredError,
        R2Score,
        AUC,
        Precision,
        Recall,
    )
}


def serialize(metric: Metric) -> dict:
    """A metric as JSON-ready data: its class and constructor arguments."""
    if type(metric).__name__ not in _CLASSES:
        raise ValueError(f"metric {metric.name!r} is not a built-in metric and cannot be saved")
    return {"class_name": type(metric).__name__, "config": metric.get_config()}


def get(identifier: Any, loss: Any = None) -> Metric:
    """A metric from a name, ``serialize``'s output or an object. ``"accuracy"`` picks the
    variant that fits the loss, as Keras does: sparse for integer labels, binary for one
    output, categorical otherwise."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, dict) and identifier.get("class_name") in _CLASSES:
        return _CLASSES[identifier["class_name"]](**identifier.get("config", {}))
    if identifier in ("accuracy", "acc"):
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
    if isinstance(identifier, str) and identifier in METRICS:
        return METRICS[identifier]()
    known = ", ".join(["accuracy", *METRICS])
    raise ValueError(f"unknown metric {identifier!r}; known: {known}")

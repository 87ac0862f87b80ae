"""The accuracy family: binary, categorical, sparse, exact (``Accuracy``), the
shape-inferred ``"accuracy"``, and top-k."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from deepgrad.metrics.base import Metric, NameFirstMetric, _matched


def _labels(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    return (
        y_true.reshape(y_pred.shape[:-1]) if y_true.size == math.prod(y_pred.shape[:-1]) else y_true
    )


class SparseCategoricalAccuracy(NameFirstMetric):
    """Share of samples whose integer label is the arg-max of the prediction."""

    direction = "up"

    default_name = "sparse_categorical_accuracy"

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        return (np.argmax(y_pred, axis=-1) == _labels(y_true, y_pred)).astype(float)


class CategoricalAccuracy(NameFirstMetric):
    """Share of samples whose one-hot label's arg-max is the prediction's arg-max."""

    direction = "up"

    default_name = "categorical_accuracy"

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        return (np.argmax(y_pred, axis=-1) == np.argmax(y_true, axis=-1)).astype(float)


class BinaryAccuracy(Metric):
    """Share of predictions on the right side of ``threshold`` (0.5; use 0 for logits)."""

    direction = "up"

    default_name = "binary_accuracy"
    config_keys = ("threshold",)

    def __init__(self, name: str | None = None, dtype: Any = None, threshold: float = 0.5) -> None:
        self.threshold = threshold
        super().__init__(name=name, dtype=dtype)

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        y_true, y_pred = _matched(self, y_true, y_pred)
        return ((y_pred > self.threshold) == (y_true > 0.5)).astype(float)


class Accuracy(NameFirstMetric):
    """Share of predictions equal to their labels, as Keras 3's ``Accuracy`` (for
    predictions that are labels already; ``"accuracy"`` in ``compile`` picks binary,
    categorical or sparse accuracy instead).

    >>> m = Accuracy()
    >>> m.update_state(np.array([1, 2, 3, 4]), np.array([0, 2, 3, 4])); m.result()
    0.75
    """

    direction = "up"

    default_name = "accuracy"

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        y_true, y_pred = _matched(self, y_true, y_pred)
        return (y_true == y_pred).astype(float)


class _InferredAccuracy(NameFirstMetric):
    """``"accuracy"`` with a loss that does not say which kind: chosen from the shapes, as
    Keras does: binary (threshold 0.5) when the prediction has one column, sparse when the
    labels have fewer axes (or one column against several), categorical otherwise."""

    direction = "up"

    default_name = "accuracy"

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        if y_pred.shape[-1:] == (1,) or y_pred.ndim == 1:
            return BinaryAccuracy.values(BINARY, y_true, y_pred)
        if y_true.ndim < y_pred.ndim or y_true.shape[-1] == 1:
            return SparseCategoricalAccuracy.values(SPARSE, y_true, y_pred)
        return CategoricalAccuracy.values(CATEGORICAL, y_true, y_pred)


BINARY, SPARSE, CATEGORICAL = BinaryAccuracy(), SparseCategoricalAccuracy(), CategoricalAccuracy()


class TopKCategoricalAccuracy(Metric):
    """Share of samples whose label is among the ``k`` highest predictions (one-hot labels,
    or integer labels: ``sparse_top_k_categorical_accuracy``)."""

    direction = "up"

    default_name = "top_k_categorical_accuracy"
    config_keys = ("k", "sparse")

    def __init__(
        self, k: int = 5, name: str | None = None, dtype: Any = None, *, sparse: bool = False
    ) -> None:
        self.k, self.sparse = int(k), sparse
        super().__init__(name=name, dtype=dtype)

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        labels = _labels(y_true, y_pred) if self.sparse else np.argmax(y_true, axis=-1)
        label_scores = np.take_along_axis(y_pred, labels[..., None].astype(np.intp), axis=-1)
        # Ranked by how many predictions beat the label's; ties count in the label's favour.
        return (np.sum(y_pred > label_scores, axis=-1) < self.k).astype(float)


class SparseTopKCategoricalAccuracy(TopKCategoricalAccuracy):
    """Share of samples whose integer label is among the ``k`` highest predictions, as
    Keras 3's: with ``from_sorted_ids=True`` the predictions are class ids, best first
    (``top_k``'s indices), and a sample is right when its label is among the first k.

    >>> m = SparseTopKCategoricalAccuracy(k=1, from_sorted_ids=True)
    >>> m.update_state(np.array([2, 0]), np.array([[2, 1, 0], [1, 0, 2]])); m.result()
    0.5
    """

    default_name = "sparse_top_k_categorical_accuracy"
    config_keys = ("k", "from_sorted_ids")

    def __init__(
        self,
        k: int = 5,
        name: str | None = None,
        dtype: Any = None,
        from_sorted_ids: bool = False,
    ) -> None:
        self.from_sorted_ids = from_sorted_ids
        super().__init__(k, name, dtype, sparse=True)

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        if not self.from_sorted_ids:
            return super().values(y_true, y_pred)
        labels = _labels(y_true, y_pred)
        return np.any(y_pred[..., : self.k] == labels[..., None], axis=-1).astype(float)

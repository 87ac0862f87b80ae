"""Keras 3's metric functions (``metrics.binary_accuracy(y_true, y_pred)``, ...): one value
per sample (per element for ``binary_accuracy``), no running state, computed by the
metric classes. The loss-named ones (``metrics.huber``, ``metrics.hinge``, ...) are the
loss functions themselves, as in Keras.

>>> import numpy as np
>>> sparse_categorical_accuracy(np.array([1, 0]), np.array([[0.2, 0.8], [0.3, 0.7]]))
array([1., 0.])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad.losses import binary_crossentropy as binary_crossentropy
from deepgrad.losses import binary_focal_crossentropy as binary_focal_crossentropy
from deepgrad.losses import categorical_crossentropy as categorical_crossentropy
from deepgrad.losses import categorical_focal_crossentropy as categorical_focal_crossentropy
from deepgrad.losses import categorical_hinge as categorical_hinge
from deepgrad.losses import hinge as hinge
from deepgrad.losses import huber as huber
from deepgrad.losses import kl_divergence as kl_divergence
from deepgrad.losses import log_cosh as log_cosh
from deepgrad.losses import mean_absolute_error as mean_absolute_error
from deepgrad.losses import mean_absolute_percentage_error as mean_absolute_percentage_error
from deepgrad.losses import mean_squared_error as mean_squared_error
from deepgrad.losses import mean_squared_logarithmic_error as mean_squared_logarithmic_error
from deepgrad.losses import poisson as poisson
from deepgrad.losses import sparse_categorical_crossentropy as sparse_categorical_crossentropy
from deepgrad.losses import squared_hinge as squared_hinge
from deepgrad.metrics.accuracy import (
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
)
from deepgrad.tensor import raw_data


def _array(values: Any) -> np.ndarray:
    return np.asarray(raw_data(values))


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> np.ndarray:
    """1 where ŷ > ``threshold`` agrees with the label (0 or 1), else 0, per element, as
    Keras' ``metrics.binary_accuracy`` (labels and predictions brought to one shape as
    Keras brings them). Other labels are refused: Keras compares them exactly, so a soft
    label (0.8) or a −1 never matches, where ``BinaryAccuracy`` reads a label as y > 0.5.

    >>> binary_accuracy(np.array([[1.0], [0.0]]), np.array([[0.7], [0.6]]))
    array([[1.],
           [0.]])
    """
    labels = _array(y_true)
    if not np.all((labels == 0) | (labels == 1)):
        raise ValueError(
            f"binary_accuracy: labels must be 0 or 1 (y_true of shape {labels.shape} has "
            f"others, e.g. {labels[(labels != 0) & (labels != 1)].flat[0]!r}); Keras counts "
            "any other label as wrong, use BinaryAccuracy to read labels as y > 0.5"
        )
    metric = BinaryAccuracy(name="binary_accuracy", threshold=threshold)
    return metric.values(labels, _array(y_pred))


def categorical_accuracy(y_true: Any, y_pred: Any) -> np.ndarray:
    """1 where the arg-max of the one-hot label is the prediction's, per sample, as Keras'
    ``metrics.categorical_accuracy``.

    >>> categorical_accuracy(np.array([[0, 1], [1, 0]]), np.array([[0.2, 0.8], [0.3, 0.7]]))
    array([1., 0.])
    """
    labels, predictions = _same_shape("categorical_accuracy", y_true, y_pred)
    return CategoricalAccuracy().values(labels, predictions)


def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> np.ndarray:
    """1 where the integer label is the prediction's arg-max, per sample, as Keras'
    ``metrics.sparse_categorical_accuracy`` (labels of shape (n,) or (n, 1): one value per
    sample, shape (n,)).

    >>> sparse_categorical_accuracy(np.array([[1], [1]]), np.array([[0.2, 0.8], [0.3, 0.7]]))
    array([1., 1.])
    """
    labels, predictions = _sparse("sparse_categorical_accuracy", y_true, y_pred)
    return SparseCategoricalAccuracy().values(labels, predictions)


def top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> np.ndarray:
    """1 where the one-hot label's class is among the ``k`` highest predictions (ties in
    its favour), per sample, as Keras' ``metrics.top_k_categorical_accuracy``.

    >>> top_k_categorical_accuracy(np.array([[0, 0, 1]]), np.array([[0.5, 0.3, 0.2]]), k=2)
    array([0.])
    """
    labels, predictions = _same_shape("top_k_categorical_accuracy", y_true, y_pred)
    return TopKCategoricalAccuracy(k=k).values(labels, predictions)


def sparse_top_k_categorical_accuracy(
    y_true: Any, y_pred: Any, k: int = 5, from_sorted_ids: bool = False
) -> np.ndarray:
    """1 where the integer label is among the ``k`` highest predictions, in the labels'
    shape, as Keras' ``metrics.sparse_top_k_categorical_accuracy``; with
    ``from_sorted_ids=True`` the predictions are class ids, best first.

    >>> sparse_top_k_categorical_accuracy(np.array([2]), np.array([[0.5, 0.3, 0.2]]), k=2)
    array([0.])
    """
    labels, predictions = _sparse("sparse_top_k_categorical_accuracy", y_true, y_pred)
    metric = SparseTopKCategoricalAccuracy(k=k, from_sorted_ids=from_sorted_ids)
    return metric.values(labels, predictions).reshape(labels.shape)


def _same_shape(name: str, y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    labels, predictions = _array(y_true), _array(y_pred)
    if labels.shape != predictions.shape:
        raise ValueError(
            f"{name}: one-hot labels of shape {labels.shape} do not match predictions of "
            f"shape {predictions.shape}; give one label column per class (integer labels: "
            f"sparse_{name})"
        )
    return labels, predictions


def _sparse(name: str, y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    labels, predictions = _array(y_true), _array(y_pred)
    samples = predictions.shape[:-1]
    if labels.shape not in (samples, (*samples, 1)):
        raise ValueError(
            f"{name}: integer labels of shape {labels.shape} do not fit predictions of shape "
            f"{predictions.shape}; expected {samples} or {(*samples, 1)}"
        )
    return labels, predictions

"""Metrics that are the mean of a loss over samples (cross-entropies, KL divergence,
Poisson, log cosh, hinges, squared logarithmic error), as Keras' loss-named metrics."""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad import losses
from deepgrad.metrics.base import NameFirstMetric
from deepgrad.tensor import raw_data


class _LossMean(NameFirstMetric):
    """The mean over samples of a loss (``loss_class``, with the metric's settings), as
    Keras' loss-named metrics give it: what the loss would be on the same data, without
    the model's regularisation terms."""

    direction = "down"

    loss_class: type[losses.Loss]

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        settings = {key: getattr(self, key) for key in self.config_keys}
        loss = self.loss_class(reduction="none", **settings)
        return np.asarray(raw_data(loss(y_true, y_pred)))


class BinaryCrossentropy(_LossMean):
    """The mean binary cross-entropy (``losses.BinaryCrossentropy``).

    >>> m = BinaryCrossentropy()
    >>> m.update_state(np.array([1.0, 0.0]), np.array([0.5, 0.5])); round(m.result(), 4)
    0.6931
    """

    default_name = "binary_crossentropy"
    loss_class = losses.BinaryCrossentropy
    config_keys = ("from_logits", "label_smoothing")

    def __init__(
        self,
        name: str | None = None,
        dtype: Any = None,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
    ) -> None:
        self.from_logits, self.label_smoothing = from_logits, label_smoothing
        super().__init__(name=name, dtype=dtype)


class CategoricalCrossentropy(_LossMean):
    """The mean categorical cross-entropy of one-hot labels
    (``losses.CategoricalCrossentropy``), the classes along ``axis``."""

    default_name = "categorical_crossentropy"
    loss_class = losses.CategoricalCrossentropy
    config_keys = ("from_logits", "label_smoothing", "axis")

    def __init__(
        self,
        name: str | None = None,
        dtype: Any = None,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
    ) -> None:
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis
        super().__init__(name=name, dtype=dtype)


class SparseCategoricalCrossentropy(_LossMean):
    """The mean cross-entropy of integer labels (``losses.SparseCategoricalCrossentropy``),
    the classes along ``axis`` of the predictions. A label equal to ``ignore_class``
    counts as 0 in the mean over all labels, and, with ``sample_weight``, weighs 0 in the
    weighted mean of the others, as in Keras 3's metric (the loss averages over the
    other labels in both cases).

    >>> m = SparseCategoricalCrossentropy(ignore_class=1)
    >>> m.update_state(np.array([0, 1]), np.array([[0.5, 0.5], [0.1, 0.9]]))
    >>> round(m.result(), 4)  # (log 2 + 0) / 2
    0.3466
    """

    default_name = "sparse_categorical_crossentropy"
    loss_class = losses.SparseCategoricalCrossentropy
    config_keys = ("from_logits", "ignore_class", "axis")

    def __init__(
        self,
        name: str | None = None,
        dtype: Any = None,
        from_logits: bool = False,
        ignore_class: int | None = None,
        axis: int = -1,
    ) -> None:
        self.from_logits, self.ignore_class, self.axis = from_logits, ignore_class, axis
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        if self.ignore_class is not None and sample_weight is not None:
            # Keras masks the weights of the ignored labels, when weights are given: the
            # weighted mean is then over the other labels only
            valid = np.asarray(raw_data(y_true)) != self.ignore_class
            weights = np.asarray(raw_data(sample_weight), float)
            if valid.size == weights.size:  # labels of shape (n,) or (n, 1)
                valid = valid.reshape(weights.shape)
            sample_weight = weights * valid
        super().update_state(y_true, y_pred, sample_weight)

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        loss = losses.SparseCategoricalCrossentropy(
            from_logits=self.from_logits, ignore_class=self.ignore_class, reduction="none"
        )
        return np.asarray(raw_data(loss(y_true, np.moveaxis(y_pred, self.axis, -1))))


class KLDivergence(_LossMean):
    """The mean Kullback–Leibler divergence (``losses.KLDivergence``)."""

    default_name = "kl_divergence"
    loss_class = losses.KLDivergence


class Poisson(_LossMean):
    """The mean Poisson loss ŷ − y log ŷ (``losses.Poisson``)."""

    default_name = "poisson"
    loss_class = losses.Poisson


class LogCoshError(_LossMean):
    """The mean log cosh of the error (``losses.LogCosh``); logged as ``logcosh``, Keras'
    name."""

    default_name = "logcosh"
    loss_class = losses.LogCosh


class Hinge(_LossMean):
    """The mean hinge loss (``losses.Hinge``; labels in {0, 1} are mapped to {−1, 1})."""

    default_name = "hinge"
    loss_class = losses.Hinge


class SquaredHinge(_LossMean):
    """The mean squared hinge loss (``losses.SquaredHinge``; labels in {0, 1} are mapped
    to {−1, 1})."""

    default_name = "squared_hinge"
    loss_class = losses.SquaredHinge


class CategoricalHinge(_LossMean):
    """The mean categorical hinge loss of one-hot labels (``losses.CategoricalHinge``)."""

    default_name = "categorical_hinge"
    loss_class = losses.CategoricalHinge


class MeanSquaredLogarithmicError(_LossMean):
    """The mean squared logarithmic error (``losses.MeanSquaredLogarithmicError``).

    >>> m = MeanSquaredLogarithmicError()
    >>> m.update_state(np.array([[0.0], [np.e - 1]]), np.array([[0.0], [0.0]]))
    >>> round(m.result(), 6)  # (0² + 1²) / 2
    0.5
    """

    default_name = "mean_squared_logarithmic_error"
    loss_class = losses.MeanSquaredLogarithmicError

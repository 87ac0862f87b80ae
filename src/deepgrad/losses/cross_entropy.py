"""Cross-entropies, the negative log-likelihoods of labels: binary (Bernoulli),
categorical on one-hot or soft labels, sparse on integer labels; the generalized
cross-entropy on integer labels; and the Kullback–Leibler divergence.

>>> import numpy as np
>>> round(float(CategoricalCrossentropy()(np.array([[0.0, 1.0]]), np.array([[0.5, 0.5]]))), 6)
0.693147
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad import numpy as dnp
from deepgrad.activations import softplus
from deepgrad.autodiff.effects import impure
from deepgrad.backend import array_module
from deepgrad.losses.base import (
    EPSILON,
    CastingLoss,
    Loss,
    ReductionFirstLoss,
    label_array,
    mean_along,
    same_rank,
)
from deepgrad.ops.activations_math import log_softmax, sparse_softmax_cross_entropy
from deepgrad.tensor import raw_data


class _SmoothedCrossEntropy(Loss):
    """The settings the binary and categorical cross-entropies share: ``from_logits``,
    ``label_smoothing`` ε (labels moved to y(1 − ε) + ε/K) and the class ``axis``."""

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.from_logits, self.label_smoothing = from_logits, float(label_smoothing)
        self.axis = int(axis)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
            "axis": self.axis,
        }


class BinaryCrossentropy(_SmoothedCrossEntropy):
    """−[y log p + (1 − y) log(1 − p)]: the Bernoulli NLL, averaged along ``axis`` (the
    last by default). On logits z it is computed as softplus(z) − y·z, stable for any z."""

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y, y_pred = same_rank(self, y_true, y_pred)
        if self.label_smoothing:
            y = y * (1.0 - self.label_smoothing) + 0.5 * self.label_smoothing
        if self.from_logits:
            return mean_along(softplus(y_pred) - y * y_pred, self.axis)
        p = dnp.clip(y_pred, EPSILON, 1.0 - EPSILON)
        return mean_along(-(y * dnp.log(p) + (1.0 - y) * dnp.log(1.0 - p)), self.axis)


class CategoricalCrossentropy(_SmoothedCrossEntropy):
    """−Σ_k y_k log p_k over one-hot (or soft) labels along ``axis`` (the last by default):
    the categorical NLL. On logits it uses the fused, stable log-softmax; probabilities are
    renormalised to sum to 1 and clipped to [1e-7, 1 − 1e-7] first, as Keras does."""

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y, y_pred = same_rank(self, y_true, y_pred)
        if self.label_smoothing:
            classes = np.shape(raw_data(y_pred))[self.axis]
            y = y * (1.0 - self.label_smoothing) + self.label_smoothing / classes
        log_p = _log_probabilities(y_pred, self.from_logits, self.axis)
        return -dnp.sum(y * log_p, axis=self.axis)


def _log_probabilities(y_pred: Any, from_logits: bool, axis: int = -1) -> Any:
    if from_logits:
        return log_softmax(y_pred, axis=axis)
    p = y_pred / dnp.sum(y_pred, axis=axis, keepdims=True)
    return dnp.log(dnp.clip(p, EPSILON, 1.0 - EPSILON))


@impure(effect=True)
def _check_sparse_labels(
    labels: Any, classes: int, loss: str = "SparseCategoricalCrossentropy"
) -> None:
    """Raise unless every label is an integer (or an integral float) in [0, classes)."""
    xp = array_module(labels)
    integral = xp.issubdtype(labels.dtype, xp.integer)  # no rounding to check on those
    if labels.size and (
        not (integral or bool(xp.all(labels == xp.round(labels))))
        or bool(labels.min() < 0)
        or bool(labels.max() >= classes)
    ):
        raise ValueError(f"{loss}: labels must be integers in [0, {classes})")


class SparseCategoricalCrossentropy(Loss):
    """−log p_y for integer labels y: the categorical NLL without one-hot encoding.

    ``ignore_class``: samples (or time steps) with this label weigh 0 and leave the mean,
    as Keras' (a padding label, e.g. -1). ``axis``: y_pred's class axis (the last by
    default), as Keras'; the labels have y_pred's shape without it (or with it of length 1).

    >>> import numpy as np
    >>> loss = SparseCategoricalCrossentropy(axis=1, reduction="none")
    >>> loss(np.array([[0, 1]]), np.array([[[0.5, 0.2], [0.5, 0.8]]])).round(4)
    array([[0.6931, 0.2231]])
    """

    integer_labels = True

    def __init__(
        self,
        from_logits: bool = False,
        ignore_class: int | None = None,
        reduction: str | None = "mean",
        axis: int = -1,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(reduction=reduction, name=name, dtype=dtype)
        self.from_logits = from_logits
        self.ignore_class = None if ignore_class is None else int(ignore_class)
        if isinstance(axis, bool) or not isinstance(axis, int | np.integer):
            raise ValueError(
                f"SparseCategoricalCrossentropy: axis must be an integer, got {axis!r}"
            )
        self.axis = int(axis)

    def _classes_last(self, y_true: Any, y_pred: Any) -> tuple[Any, Any]:
        """y_pred with its class axis (``axis``) last, and labels given with that axis of
        length 1 moved alike."""
        pred_shape = tuple(raw_data(y_pred).shape)
        rank = len(pred_shape)
        if not -rank <= self.axis < rank:
            raise ValueError(
                f"SparseCategoricalCrossentropy: axis={self.axis} is out of range for y_pred "
                f"of shape {pred_shape}"
            )
        axis = self.axis % rank
        if axis == rank - 1:
            return y_true, y_pred
        labels = label_array(y_true)
        if labels.ndim == rank and labels.shape[axis] == 1:
            labels = dnp.moveaxis(labels, axis, -1)
        return labels, dnp.moveaxis(y_pred, axis, -1)

    def _sparse_labels(self, y_true: Any, y_pred: Any) -> Any:
        """The labels in y_pred's shape without its class axis (y_pred's classes last)."""
        labels = label_array(y_true)
        pred_shape = tuple(raw_data(y_pred).shape)
        if labels.shape == (*pred_shape[:-1], 1):
            labels = dnp.reshape(labels, pred_shape[:-1])
        if labels.shape != pred_shape[:-1]:
            raise ValueError(
                f"SparseCategoricalCrossentropy: y_true has shape {labels.shape}; for y_pred of "
                f"shape {pred_shape} it must be {pred_shape[:-1]} (one integer label per sample)"
            )
        return labels

    @property
    def per_sample_mean(self) -> bool:
        # ignore_class: a mean over the samples whose label is not ignored
        return self.reduction == "mean" and self.ignore_class is None

    def valid_mask(self, y_true: Any, y_pred: Any) -> Any:
        if self.ignore_class is None:
            return None
        y_true, y_pred = self._classes_last(y_true, y_pred)
        return dnp.not_equal(self._sparse_labels(y_true, y_pred), self.ignore_class)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y_true, y_pred = self._classes_last(y_true, y_pred)
        labels = self._sparse_labels(y_true, y_pred)
        xp = array_module(raw_data(labels))
        valid = self.valid_mask(y_true, y_pred)
        if valid is not None:  # an ignored label stands in as class 0, its loss then zeroed
            labels = dnp.where(valid, labels, dnp.zeros_like(raw_data(labels)))
        pred_shape = tuple(raw_data(y_pred).shape)
        # An effect primitive: a compiled step checks the labels of every batch, not only of
        # the batches it recorded (a label of -1 would take the last class, 1.5 class 1).
        # Integer labels on logits need none: the cross-entropy op checks their range.
        if not (self.from_logits and xp.issubdtype(raw_data(labels).dtype, xp.integer)):
            _check_sparse_labels(raw_data(labels), pred_shape[-1])
        labels = dnp.astype(labels, np.int64)  # deepgrad ops: a compiled step records them
        if self.from_logits:
            losses = sparse_softmax_cross_entropy(y_pred, labels)
        else:
            log_p = _log_probabilities(y_pred, self.from_logits)
            index = (*tuple(xp.indices(raw_data(labels).shape)), labels)
            losses = -log_p[index]
        return losses if valid is None else dnp.where(valid, losses, 0.0)

    def get_config(self) -> dict:
        config = {**super().get_config(), "from_logits": self.from_logits}
        if self.axis != -1:
            config["axis"] = self.axis
        if self.ignore_class is not None:
            config["ignore_class"] = self.ignore_class
        return config


class CategoricalGeneralizedCrossEntropy(CastingLoss):
    """(1 − p_y^q) / q for integer labels y and probabilities p: Keras 3's generalized
    cross-entropy (Zhang & Sabuncu 2018, https://arxiv.org/abs/1805.07836), robust to
    noisy labels. It tends to the cross-entropy −log p_y as q → 0 and to the absolute
    error 1 − p_y at q = 1; q must lie in (0, 1). y_true holds one integer label per
    sample (shape (n,) or (n, 1)), y_pred the probabilities (n, classes), unclipped as in
    Keras.

    >>> import numpy as np
    >>> y_pred = np.array([[0.7, 0.3], [0.2, 0.8], [0.6, 0.4], [0.4, 0.6]])
    >>> loss = CategoricalGeneralizedCrossEntropy()
    >>> round(float(loss(np.array([0, 1, 0, 1]), y_pred)), 6)  # Keras: 0.3598597
    0.35986
    """

    def __init__(
        self,
        q: float = 0.5,
        reduction: str | None = "mean",
        name: str | None = "categorical_generalized_cross_entropy",
        dtype: Any = None,
    ) -> None:
        super().__init__(reduction=reduction, name=name, dtype=dtype)
        self.q = _noise_parameter(q)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        return categorical_generalized_cross_entropy(y_true, y_pred, self.q)

    def get_config(self) -> dict:
        return {**super().get_config(), "q": self.q}


def categorical_generalized_cross_entropy(y_true: Any, y_pred: Any, q: float) -> Any:
    """Per-sample (1 − p_y^q) / q, Keras' ``losses.categorical_generalized_cross_entropy``
    (q has no default, as in Keras).

    >>> import numpy as np
    >>> y_pred = np.array([[0.7, 0.3], [0.2, 0.8]])
    >>> np.round(categorical_generalized_cross_entropy(np.array([0, 1]), y_pred, 0.5), 6)
    array([0.32668 , 0.211146])
    """
    q = _noise_parameter(q)
    pred_shape = tuple(np.shape(raw_data(y_pred)))
    labels = label_array(y_true)
    if len(pred_shape) >= 1 and labels.shape == (*pred_shape[:-1], 1):
        labels = dnp.reshape(labels, pred_shape[:-1])
    if len(pred_shape) < 2 or labels.shape != pred_shape[:-1]:
        raise ValueError(
            f"CategoricalGeneralizedCrossEntropy: y_true has shape {labels.shape} and y_pred "
            f"{pred_shape}; y_pred must be (samples, ..., classes) and y_true one integer "
            "label per sample, of y_pred's shape without its last axis (or with it of length 1)"
        )
    _check_sparse_labels(raw_data(labels), pred_shape[-1], "CategoricalGeneralizedCrossEntropy")
    labels = dnp.astype(labels, np.int64)
    chosen = dnp.equal(dnp.expand_dims(labels, -1), dnp.arange(pred_shape[-1]))
    p = dnp.sum(y_pred * dnp.astype(chosen, raw_data(y_pred).dtype), axis=-1)
    return (1.0 - p**q) / q


def _noise_parameter(q: Any) -> float:
    if isinstance(q, bool) or not isinstance(q, int | float) or not 0 < q < 1:
        raise ValueError(f"CategoricalGeneralizedCrossEntropy: q must be in (0, 1), got {q!r}")
    return float(q)


class KLDivergence(ReductionFirstLoss):
    """Σ y log(y / ŷ): the Kullback–Leibler divergence of ŷ from y."""

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y_true, y_pred = same_rank(self, y_true, y_pred)
        y = dnp.clip(y_true, EPSILON, 1.0)
        return dnp.sum(y * dnp.log(y / dnp.clip(y_pred, EPSILON, 1.0)), axis=-1)

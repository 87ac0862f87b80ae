"""Metric-learning losses, as Keras 3 defines them: ``Circle`` (Sun et al. 2020,
https://arxiv.org/abs/2002.10857) on integer labels and L2-normalised embeddings, which
pulls each embedding towards those of its class and pushes it from the others, weighing
every similarity by how far it is from its optimum.

>>> import numpy as np
>>> embeddings = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [-0.6, 0.8]])
>>> [round(float(v), 4) for v in circle(np.array([0, 0, 1, 1]), embeddings)]
[0.0001, 6.4017, 6.4017, 0.0001]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad import numpy as dnp
from deepgrad.activations import softplus
from deepgrad.autodiff.effects import impure
from deepgrad.backend import array_module
from deepgrad.losses.base import CastingLoss, Loss, _floating, label_array
from deepgrad.tensor import raw_data


class Circle(CastingLoss):
    """Keras 3's Circle loss between integer labels (n,) and L2-normalised embeddings
    (n, d), one value per sample: softplus(log Σ_pos exp(−γ α_p (m − d)) + log Σ_neg
    exp(γ α_n (1 − m − d))) over the cosine distances d = max(1 − e·e', 0) to the other
    samples of its class (positives; itself left out with ``remove_diagonal``) and of the
    other classes (negatives), with the weights α_p = max(m + d, 0), α_n = max(1 + m − d,
    0). A sample with no positive (or none at all) has loss 0 and, as Keras' mask, leaves
    the mean of ``reduction="mean"``.

    >>> import numpy as np
    >>> embeddings = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [-0.6, 0.8]])
    >>> round(float(Circle()(np.array([0, 0, 1, 2]), embeddings)), 4)  # Keras: 3.2008657
    3.2009
    """

    def __init__(
        self,
        gamma: float = 80.0,
        margin: float = 0.4,
        remove_diagonal: bool = True,
        reduction: str | None = "mean",
        name: str | None = "circle",
        dtype: Any = None,
    ) -> None:
        super().__init__(reduction=reduction, name=name, dtype=dtype)
        self.gamma = _number(gamma, "gamma")
        self.margin = _number(margin, "margin")
        self.remove_diagonal = bool(remove_diagonal)

    integer_labels = True

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        # the labels stay integers (as floats, large ones could merge)
        return Loss.__call__(self, y_true, _floating(y_pred, self.dtype), sample_weight)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        return circle(
            y_true,
            y_pred,
            remove_diagonal=self.remove_diagonal,
            gamma=self.gamma,
            margin=self.margin,
        )

    @property
    def per_sample_mean(self) -> bool:
        return False  # each sample's loss compares it with the others of its batch

    def valid_mask(self, y_true: Any, y_pred: Any) -> Any:
        # Keras masks the samples whose loss is 0: the mean is over the others
        return dnp.greater(self.call(y_true, y_pred), 0.0)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "gamma": self.gamma,
            "margin": self.margin,
            "remove_diagonal": self.remove_diagonal,
        }


def circle(
    y_true: Any,
    y_pred: Any,
    ref_labels: Any = None,
    ref_embeddings: Any = None,
    remove_diagonal: bool = True,
    gamma: float = 80,
    margin: float = 0.4,
) -> Any:
    """Per-sample Circle loss, Keras' ``losses.circle``: y_pred's embeddings (n, d) against
    ``ref_embeddings`` (m, d) with ``ref_labels`` (m,) (both default to y_pred and y_true).

    >>> import numpy as np
    >>> embeddings = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> np.round(circle(np.array([0, 1]), embeddings), 4)  # no positive: 0 each
    array([0., 0.])
    """
    gamma, margin = _number(gamma, "gamma"), _number(margin, "margin")
    embeddings = _embeddings(y_pred, "y_pred")
    references = embeddings if ref_embeddings is None else _embeddings(ref_embeddings, "ref")
    labels = _labels(y_true, embeddings, "y_true")
    references_labels = labels if ref_labels is None else _labels(ref_labels, references, "ref")
    if np.shape(raw_data(references))[1] != np.shape(raw_data(embeddings))[1]:
        raise ValueError(
            f"Circle: ref_embeddings have shape {np.shape(raw_data(references))} but y_pred "
            f"{np.shape(raw_data(embeddings))}; they must have the same embedding size"
        )
    if np.shape(raw_data(references_labels))[0] != np.shape(raw_data(references))[0]:
        raise ValueError(
            f"Circle: {np.shape(raw_data(references_labels))[0]} reference labels for "
            f"{np.shape(raw_data(references))[0]} reference embeddings; give ref_labels, "
            "one per reference embedding"
        )
    positive, negative = _masks(labels, references_labels, remove_diagonal)
    distances = dnp.maximum(1.0 - dnp.matmul(embeddings, dnp.transpose(references)), 0.0)
    dtype = raw_data(distances).dtype
    positive_weights = dnp.maximum((margin + distances) * dnp.astype(positive, dtype), 0.0)
    negative_weights = dnp.maximum((1 + margin - distances) * dnp.astype(negative, dtype), 0.0)
    positive_terms = -gamma * positive_weights * (margin - distances)
    negative_terms = gamma * negative_weights * (1 - margin - distances)
    return softplus(
        _masked_logsumexp(positive_terms, positive) + _masked_logsumexp(negative_terms, negative)
    )


def _masked_logsumexp(values: Any, mask: Any) -> Any:
    """log Σ exp(values) over each row's entries in ``mask``; −inf for a row with none,
    which then has no derivative (no log 0 or exp overflow is ever evaluated)."""
    any_entry = dnp.any(mask, axis=1)
    shift = dnp.max(dnp.where(mask, values, -np.inf), axis=1, keepdims=True)
    shift = dnp.where(dnp.expand_dims(any_entry, 1), shift, 0.0)
    shifted = dnp.exp(dnp.where(mask, values - shift, 0.0))
    total = dnp.sum(dnp.where(mask, shifted, 0.0), axis=1)
    total = dnp.log(dnp.where(any_entry, total, 1.0)) + dnp.reshape(shift, (-1,))
    return dnp.where(any_entry, total, -np.inf)


def _masks(labels: Any, references: Any, remove_diagonal: bool) -> tuple[Any, Any]:
    """Which pairs share a class (less each sample with itself) and which do not."""
    same = dnp.equal(dnp.expand_dims(labels, 1), dnp.expand_dims(references, 0))
    negative = dnp.logical_not(same)
    if remove_diagonal:
        rows, columns = np.shape(raw_data(same))
        same = dnp.logical_and(same, dnp.logical_not(dnp.eye(rows, columns, dtype=bool)))
    return same, negative


def _embeddings(values: Any, what: str) -> Any:
    if np.ndim(raw_data(values)) != 2:
        raise ValueError(
            f"Circle: {what} has shape {np.shape(raw_data(values))}; it must be embeddings "
            "of shape (samples, size)"
        )
    return values


def _labels(y_true: Any, embeddings: Any, what: str) -> Any:
    """One integer label per embedding, as a (n,) array of int64."""
    labels = label_array(y_true)
    count = np.shape(raw_data(embeddings))[0]
    if labels.shape not in ((count,), (count, 1)):
        raise ValueError(
            f"Circle: {what} labels have shape {labels.shape} for {count} embeddings; give "
            f"one integer label each, of shape ({count},) or ({count}, 1)"
        )
    _check_integer_labels(raw_data(labels))
    return dnp.astype(dnp.reshape(labels, (count,)), np.int64)


@impure(effect=True)
def _check_integer_labels(labels: Any) -> None:
    """Raise unless every label is an integer (or an integral float): Keras truncates 1.5
    to class 1, which would be a silent wrong answer."""
    xp = array_module(labels)
    if xp.issubdtype(labels.dtype, xp.integer) or not labels.size:
        return
    if not bool(xp.all(labels == xp.round(labels))):
        raise ValueError("Circle: labels must be integers (class ids)")


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"Circle: {what} must be a number, got {value!r}")
    return float(value)

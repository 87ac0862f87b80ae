"""Keras' function forms of the losses: ``losses.huber(y_true, y_pred)`` and its siblings
give one loss per sample (the class with ``reduction="none"``); the focal and overlap losses
have theirs beside their classes.
"""

from __future__ import annotations

from typing import Any

from deepgrad.losses.cross_entropy import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    KLDivergence,
    SparseCategoricalCrossentropy,
)
from deepgrad.losses.margin import CategoricalHinge, Hinge, SquaredHinge
from deepgrad.losses.regression import (
    CosineSimilarity,
    Huber,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
)


def mean_squared_error(y_true: Any, y_pred: Any) -> Any:
    """Per-sample mean((y − ŷ)²) over the last axis, Keras' ``losses.mean_squared_error``.

    >>> import numpy as np
    >>> mean_squared_error(np.zeros((2, 2)), np.ones((2, 2)))
    array([1., 1.])
    """
    return MeanSquaredError(reduction="none")(y_true, y_pred)


def mean_absolute_error(y_true: Any, y_pred: Any) -> Any:
    """Per-sample mean(|y − ŷ|) over the last axis, Keras' ``losses.mean_absolute_error``."""
    return MeanAbsoluteError(reduction="none")(y_true, y_pred)


def binary_crossentropy(
    y_true: Any,
    y_pred: Any,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Any:
    """Per-sample binary cross-entropy, Keras' ``losses.binary_crossentropy``."""
    loss = BinaryCrossentropy(from_logits, label_smoothing, axis, reduction="none")
    return loss(y_true, y_pred)


def categorical_crossentropy(
    y_true: Any,
    y_pred: Any,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Any:
    """Per-sample cross-entropy with one-hot labels, Keras' ``losses.categorical_crossentropy``."""
    loss = CategoricalCrossentropy(from_logits, label_smoothing, axis, reduction="none")
    return loss(y_true, y_pred)


def sparse_categorical_crossentropy(
    y_true: Any,
    y_pred: Any,
    from_logits: bool = False,
    ignore_class: int | None = None,
    axis: int = -1,
) -> Any:
    """Per-sample cross-entropy with integer labels, Keras'
    ``losses.sparse_categorical_crossentropy`` (0 where the label is ``ignore_class``; the
    classes along ``axis`` of y_pred)."""
    loss = SparseCategoricalCrossentropy(from_logits, ignore_class, reduction="none", axis=axis)
    return loss(y_true, y_pred)


def hinge(y_true: Any, y_pred: Any) -> Any:
    """Per-sample mean(max(1 − y·ŷ, 0)), Keras' ``losses.hinge`` (labels in {0, 1} are
    mapped to {−1, 1}).

    >>> import numpy as np
    >>> hinge(np.array([[1.0, 0.0]]), np.array([[0.5, 0.5]]))
    array([1.])
    """
    return Hinge(reduction="none")(y_true, y_pred)


def squared_hinge(y_true: Any, y_pred: Any) -> Any:
    """Per-sample mean(max(1 − y·ŷ, 0)²), Keras' ``losses.squared_hinge``.

    >>> import numpy as np
    >>> squared_hinge(np.array([[1.0, 0.0]]), np.array([[0.5, 0.5]]))
    array([1.25])
    """
    return SquaredHinge(reduction="none")(y_true, y_pred)


def categorical_hinge(y_true: Any, y_pred: Any) -> Any:
    """Per-sample multi-class margin of one-hot labels, Keras' ``losses.categorical_hinge``.

    >>> import numpy as np
    >>> categorical_hinge(np.array([[0.0, 1.0]]), np.array([[0.3, 0.9]])).round(6)
    array([0.4])
    """
    return CategoricalHinge(reduction="none")(y_true, y_pred)


def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> Any:
    """Per-sample Huber loss (½e² for |e| ≤ δ, δ(|e| − ½δ) beyond), Keras' ``losses.huber``.

    >>> import numpy as np
    >>> huber(np.array([[0.0, 0.0]]), np.array([[0.5, 3.0]]))
    array([1.3125])
    """
    return Huber(delta, reduction="none")(y_true, y_pred)


def log_cosh(y_true: Any, y_pred: Any) -> Any:
    """Per-sample mean(log cosh(ŷ − y)), Keras' ``losses.log_cosh``.

    >>> import numpy as np
    >>> log_cosh(np.array([[0.0]]), np.array([[1.0]])).round(6)
    array([0.433781])
    """
    return LogCosh(reduction="none")(y_true, y_pred)


def kl_divergence(y_true: Any, y_pred: Any) -> Any:
    """Per-sample Σ y log(y / ŷ) over the last axis, Keras' ``losses.kl_divergence``.

    >>> import numpy as np
    >>> kl_divergence(np.array([[0.5, 0.5]]), np.array([[0.25, 0.75]])).round(6)
    array([0.143841])
    """
    return KLDivergence(reduction="none")(y_true, y_pred)


def poisson(y_true: Any, y_pred: Any) -> Any:
    """Per-sample mean(ŷ − y log ŷ), Keras' ``losses.poisson``.

    >>> import numpy as np
    >>> poisson(np.array([[2.0]]), np.array([[1.0]])).round(6)
    array([1.])
    """
    return Poisson(reduction="none")(y_true, y_pred)


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> Any:
    """Per-sample −cos(y, ŷ) along ``axis``, Keras' ``losses.cosine_similarity``.

    >>> import numpy as np
    >>> cosine_similarity(np.array([[1.0, 0.0]]), np.array([[2.0, 0.0]]))
    array([-1.])
    """
    return CosineSimilarity(axis, reduction="none")(y_true, y_pred)


def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> Any:
    """Per-sample 100 · mean(|y − ŷ| / max(|y|, 1e-7)), Keras'
    ``losses.mean_absolute_percentage_error``.

    >>> import numpy as np
    >>> mean_absolute_percentage_error(np.array([[2.0]]), np.array([[2.5]]))
    array([25.])
    """
    return MeanAbsolutePercentageError(reduction="none")(y_true, y_pred)


def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> Any:
    """Per-sample mean((log(1 + ŷ) − log(1 + y))²), Keras'
    ``losses.mean_squared_logarithmic_error``.

    >>> import numpy as np
    >>> mean_squared_logarithmic_error(np.array([[1.0]]), np.array([[3.0]])).round(4)
    array([0.4805])
    """
    return MeanSquaredLogarithmicError(reduction="none")(y_true, y_pred)

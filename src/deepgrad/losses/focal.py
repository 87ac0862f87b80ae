"""Focal cross-entropies (Lin et al. 2018, https://arxiv.org/abs/1708.02002), as Keras 3
defines them: the cross-entropy of each class scaled by a focal factor (1 − p_t)^γ that
shrinks the loss of the examples already classified well, so that training spends itself
on the hard ones.

>>> import numpy as np
>>> loss = BinaryFocalCrossentropy(gamma=2.0)
>>> round(float(loss(np.array([[0.0, 1.0]]), np.array([[0.4, 0.4]]))), 6)  # Keras: 0.20579836
0.205798
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from deepgrad import numpy as dnp
from deepgrad.activations import sigmoid, softmax
from deepgrad.losses.base import EPSILON, CastingLoss, same_rank
from deepgrad.tensor import raw_data


class BinaryFocalCrossentropy(CastingLoss):
    """(1 − p_t)^γ · BCE(y, p), averaged along ``axis`` (the last by default), where
    p_t = y·p + (1 − y)(1 − p) is the probability given to the label: Keras'
    ``BinaryFocalCrossentropy``.

    ``apply_class_balancing`` weighs class 1 by ``alpha`` and class 0 by 1 − ``alpha``;
    ``from_logits`` takes y_pred as logits (p = sigmoid(y_pred), clipped to [1e-7, 1 − 1e-7]
    for the logarithms as Keras does); ``label_smoothing`` ε moves the labels to
    y(1 − ε) + ε/2. γ = 0 gives the binary cross-entropy.

    >>> import numpy as np
    >>> y_true = np.array([[0.0, 1.0], [0.0, 0.0]])
    >>> y_pred = np.array([[-18.6, 0.51], [2.94, -12.8]])
    >>> loss = BinaryFocalCrossentropy(gamma=3.0, from_logits=True)
    >>> round(float(loss(y_true, y_pred)), 4)  # Keras: 0.64699477
    0.647
    """

    def __init__(
        self,
        apply_class_balancing: bool = False,
        alpha: float = 0.25,
        gamma: float = 2.0,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "binary_focal_crossentropy",
        dtype: Any = None,
    ) -> None:
        super().__init__(reduction=reduction, name=name, dtype=dtype)
        self.apply_class_balancing = bool(apply_class_balancing)
        self.alpha, self.gamma = float(alpha), float(gamma)
        self.from_logits, self.label_smoothing = bool(from_logits), float(label_smoothing)
        self.axis = _int_axis(self, axis)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y, y_pred = same_rank(self, y_true, y_pred)
        _check_axis(self, self.axis, y_pred)
        if self.label_smoothing:
            y = y * (1.0 - self.label_smoothing) + 0.5 * self.label_smoothing
        p = sigmoid(y_pred) if self.from_logits else y_pred
        clipped = dnp.clip(p, EPSILON, 1.0 - EPSILON)
        cross_entropy = -(y * dnp.log(clipped) + (1.0 - y) * dnp.log(1.0 - clipped))
        p_label = y * p + (1.0 - y) * (1.0 - p)  # unclipped, as Keras'
        focal = dnp.power(1.0 - p_label, self.gamma) * cross_entropy
        if self.apply_class_balancing:
            focal = (y * self.alpha + (1.0 - y) * (1.0 - self.alpha)) * focal
        # 1-D values are one per sample and stay so, as in BinaryCrossentropy
        return dnp.mean(focal, axis=self.axis) if np.ndim(raw_data(focal)) > 1 else focal

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "apply_class_balancing": self.apply_class_balancing,
            "alpha": self.alpha,
            "gamma": self.gamma,
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
            "axis": self.axis,
        }


class CategoricalFocalCrossentropy(CastingLoss):
    """−Σ_k α_k (1 − p_k)^γ y_k log p_k along ``axis`` (the last by default), for one-hot
    (or soft) labels: Keras' ``CategoricalFocalCrossentropy``.

    p is y_pred (``softmax(y_pred)`` with ``from_logits``) renormalised to sum to 1 along
    ``axis`` and clipped to [1e-7, 1 − 1e-7]; ``alpha`` is one weight for every class or a
    list of one per class (along the last axis, as Keras broadcasts it);
    ``label_smoothing`` ε moves the labels to y(1 − ε) + ε/K, K the classes along ``axis``.

    >>> import numpy as np
    >>> y_true = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    >>> y_pred = np.array([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])
    >>> round(float(CategoricalFocalCrossentropy()(y_true, y_pred)), 6)
    0.233153
    """

    def __init__(
        self,
        alpha: float | Sequence[float] = 0.25,
        gamma: float = 2.0,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "categorical_focal_crossentropy",
        dtype: Any = None,
    ) -> None:
        super().__init__(reduction=reduction, name=name, dtype=dtype)
        self.alpha = _alpha(self, alpha)
        self.gamma = float(gamma)
        self.from_logits, self.label_smoothing = bool(from_logits), float(label_smoothing)
        self.axis = _int_axis(self, axis)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y, y_pred = same_rank(self, y_true, y_pred)
        _check_axis(self, self.axis, y_pred)
        shape = np.shape(raw_data(y_pred))
        if shape[-1] == 1:
            warnings.warn(
                f"{type(self).__name__}: y_pred has shape {shape}, one class; expected "
                "(batch_size, num_classes) with num_classes > 1 (binary_crossentropy "
                "suits 2 classes)",
                SyntaxWarning,  # Keras' category for this warning
                stacklevel=3,
            )
        if self.label_smoothing:
            y = y * (1.0 - self.label_smoothing) + self.label_smoothing / shape[self.axis]
        p = softmax(y_pred, axis=self.axis) if self.from_logits else y_pred
        p = dnp.clip(p / dnp.sum(p, axis=self.axis, keepdims=True), EPSILON, 1.0 - EPSILON)
        alpha = self._alpha_for(shape, raw_data(p).dtype)
        focal = alpha * dnp.power(1.0 - p, self.gamma) * (-y * dnp.log(p))
        return dnp.sum(focal, axis=self.axis)

    def _alpha_for(self, shape: tuple, dtype: Any) -> Any:
        """alpha as an array that broadcasts against the last axis, as Keras multiplies it."""
        if not isinstance(self.alpha, tuple):
            return self.alpha
        if len(self.alpha) not in (1, shape[-1]):
            raise ValueError(
                f"{type(self).__name__}: alpha has {len(self.alpha)} entries but y_pred has "
                f"shape {shape}; give one per class along the last axis ({shape[-1]}) or one "
                "number"
            )
        return np.asarray(self.alpha, dtype)

    def get_config(self) -> dict:
        alpha = list(self.alpha) if isinstance(self.alpha, tuple) else self.alpha
        return {
            **super().get_config(),
            "alpha": alpha,
            "gamma": self.gamma,
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
            "axis": self.axis,
        }


def _int_axis(loss: CastingLoss, axis: Any) -> int:
    """The class axis: an integer (Keras refuses a bool, which Python counts as one)."""
    if isinstance(axis, bool) or not isinstance(axis, int | np.integer):
        raise ValueError(f"{type(loss).__name__}: axis must be an integer, got {axis!r}")
    return int(axis)


def _check_axis(loss: CastingLoss, axis: int, values: Any) -> None:
    shape = np.shape(raw_data(values))
    if len(shape) > 1 and not -len(shape) <= axis < len(shape):
        raise ValueError(
            f"{type(loss).__name__}: axis={axis} is out of range for y_pred of shape {shape}"
        )


def _alpha(loss: CastingLoss, alpha: Any) -> float | tuple[float, ...]:
    """One number, or a tuple of one weight per class (a tuple: settings are reassigned,
    not changed in place)."""
    if isinstance(alpha, int | float | np.integer | np.floating):
        return float(alpha)
    values = np.asarray(alpha, np.float64)
    if values.ndim != 1:
        raise ValueError(
            f"{type(loss).__name__}: alpha must be a number or a list of one weight per "
            f"class, got shape {values.shape}"
        )
    return tuple(float(v) for v in values)


def binary_focal_crossentropy(
    y_true: Any,
    y_pred: Any,
    apply_class_balancing: bool = False,
    alpha: float = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Any:
    """Per-sample binary focal cross-entropy, Keras' ``losses.binary_focal_crossentropy``.

    >>> import numpy as np
    >>> binary_focal_crossentropy(np.array([[0.0, 1.0]]), np.array([[0.6, 0.4]]), gamma=2.0)
    array([0.32986...])
    """
    loss = BinaryFocalCrossentropy(
        apply_class_balancing, alpha, gamma, from_logits, label_smoothing, axis, reduction="none"
    )
    return loss(y_true, y_pred)


def categorical_focal_crossentropy(
    y_true: Any,
    y_pred: Any,
    alpha: float | Sequence[float] = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Any:
    """Per-sample categorical focal cross-entropy, Keras'
    ``losses.categorical_focal_crossentropy``.

    >>> import numpy as np
    >>> categorical_focal_crossentropy(np.array([[0.0, 1.0, 0.0]]), np.array([[0.05, 0.9, 0.05]]))
    array([0.00026...])
    """
    loss = CategoricalFocalCrossentropy(
        alpha, gamma, from_logits, label_smoothing, axis, reduction="none"
    )
    return loss(y_true, y_pred)

"""Overlap losses for segmentation, as Keras 3 defines them: Dice, 1 − 2|Y ∩ P| / (|Y| + |P|),
and Tversky (Salehi et al. 2017, https://arxiv.org/abs/1706.05721), which weighs the two
kinds of error apart. The sums run over ``axis``: every axis by default (one loss for the
whole batch, as in Keras), or e.g. ``axis=(1, 2, 3)`` for one loss per image.

>>> import numpy as np
>>> y_true = np.array([[1.0, 1.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0]])
>>> y_pred = np.array([[0.0, 1.0, 0.0, 1.0], [0.4, 0.0, 0.0, 0.9]])
>>> np.round(Dice(axis=1, reduction=None)(y_true, y_pred), 6)  # Keras: [0.5, 0.75757575]
array([0.5     , 0.757576])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from deepgrad import numpy as dnp
from deepgrad.losses.base import EPSILON, CastingLoss, same_rank
from deepgrad.tensor import raw_data

Axis = int | Sequence[int] | None


class _OverlapLoss(CastingLoss):
    """What Dice and Tversky share: ``axis`` and the weights of a loss that may be one
    number for the whole batch."""

    def __init__(self, reduction: str | None, name: str | None, axis: Axis, dtype: Any) -> None:
        super().__init__(reduction=reduction, name=name, dtype=dtype)
        self.axis = _axes(self, axis)

    def _matched(self, y_true: Any, y_pred: Any) -> tuple[Any, Any]:
        """y_true and y_pred in one shape, ``axis`` checked against it."""
        y, p = same_rank(self, y_true, y_pred)
        rank = np.ndim(raw_data(p))
        for axis in self.axis or ():
            if not -rank <= axis < rank:
                raise ValueError(
                    f"{type(self).__name__}: axis={self.axis} is out of range for y_pred of "
                    f"shape {np.shape(raw_data(p))}"
                )
        return y, p

    @property
    def per_sample_mean(self) -> bool:
        # axis=None (or 0): the sums run over the batch, one loss for the whole of it
        batch_axis = self.axis is None or 0 in self.axis
        return super().per_sample_mean and not batch_axis

    def _sum(self, values: Any) -> Any:
        return dnp.sum(values, axis=self.axis)

    def _weights_like(self, sample_weight: Any, per_sample: Any) -> Any:
        # A loss of the whole batch (axis=None) is multiplied by the weights as they are,
        # then reduced over them, as Keras does: "sum" gives loss · Σw, the mean loss · Σw/n.
        if np.ndim(raw_data(per_sample)) == 0:
            return dnp.astype(raw_data(sample_weight), raw_data(per_sample).dtype)
        return super()._weights_like(sample_weight, per_sample)

    def get_config(self) -> dict:
        axis = None if self.axis is None else list(self.axis)
        return {**super().get_config(), "axis": axis}


class Dice(_OverlapLoss):
    """1 − 2 Σ y·p / (Σ y + Σ p + 1e-7), the sums over ``axis`` (all axes by default):
    Keras' ``Dice``.

    >>> import numpy as np
    >>> y_true = np.array([[1.0, 1.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0]])
    >>> y_pred = np.array([[0.0, 1.0, 0.0, 1.0], [0.4, 0.0, 0.0, 0.9]])
    >>> round(float(Dice()(y_true, y_pred)), 6)
    0.616438
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "dice",
        axis: Axis = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(reduction, name, axis, dtype)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y, p = self._matched(y_true, y_pred)
        intersection = self._sum(y * p)
        return 1.0 - 2.0 * intersection / (self._sum(y) + self._sum(p) + EPSILON)


class Tversky(_OverlapLoss):
    """1 − T / (T + α·Σ y(1 − p) + β·Σ p(1 − y) + 1e-7), T = Σ y·p, the sums over ``axis``
    (all axes by default): Keras' ``Tversky`` (α = β = ½ is the Dice loss).

    Keras names the term α weighs "false positives", though Σ y(1 − p) counts the labels
    missed; α and β are applied as Keras applies them.

    >>> import numpy as np
    >>> y_true = np.array([[1.0, 1.0, 0.0, 0.0]])
    >>> y_pred = np.array([[0.0, 1.0, 0.0, 1.0]])
    >>> round(float(Tversky(alpha=0.7, beta=0.3)(y_true, y_pred)), 6)
    0.5
    """

    def __init__(
        self,
        alpha: float = 0.5,
        beta: float = 0.5,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "tversky",
        axis: Axis = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(reduction, name, axis, dtype)
        self.alpha, self.beta = float(alpha), float(beta)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y, p = self._matched(y_true, y_pred)
        intersection = self._sum(y * p)
        missed, extra = self._sum(y * (1.0 - p)), self._sum(p * (1.0 - y))
        return 1.0 - intersection / (
            intersection + self.alpha * missed + self.beta * extra + EPSILON
        )

    def get_config(self) -> dict:
        return {**super().get_config(), "alpha": self.alpha, "beta": self.beta}


def _axes(loss: CastingLoss, axis: Axis) -> tuple[int, ...] | None:
    """``axis`` as a tuple of integers (a tuple: settings are reassigned, not changed)."""
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
    if any(isinstance(a, bool) or not isinstance(a, int | np.integer) for a in axes):
        raise ValueError(
            f"{type(loss).__name__}: axis must be None, an integer or a tuple of integers, "
            f"got {axis!r}"
        )
    return tuple(int(a) for a in axes)


def dice(y_true: Any, y_pred: Any, axis: Axis = None) -> Any:
    """The Dice loss over ``axis`` (all axes by default: one number), Keras' ``losses.dice``.

    >>> import numpy as np
    >>> bool(dice(np.array([[1.0, 0.0]]), np.array([[1.0, 0.0]])) < 1e-6)
    True
    """
    return Dice(reduction="none", axis=axis)(y_true, y_pred)


def tversky(
    y_true: Any, y_pred: Any, alpha: float = 0.5, beta: float = 0.5, axis: Axis = None
) -> Any:
    """The Tversky loss over ``axis`` (all axes by default: one number), Keras'
    ``losses.tversky``.

    >>> import numpy as np
    >>> round(float(tversky(np.array([[1.0, 1.0]]), np.array([[1.0, 0.0]]), 0.7, 0.3)), 6)
    0.411765
    """
    return Tversky(alpha, beta, reduction="none", axis=axis)(y_true, y_pred)

"""Margin losses for classification: the hinge and the squared hinge on labels in {−1, 1}
(or {0, 1}), and the multi-class hinge of Crammer and Singer on one-hot labels.

>>> import numpy as np
>>> float(Hinge()(np.array([[1.0], [0.0]]), np.array([[0.5], [0.5]])))
1.0
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad import numpy as dnp
from deepgrad.losses.base import Loss, ReductionFirstLoss, mean_last, same_rank
from deepgrad.tensor import raw_data


class Hinge(ReductionFirstLoss):
    """mean(max(1 − y·ŷ, 0)) for labels in {−1, 1} (labels in {0, 1} are mapped there)."""

    def call(self, y_true: Any, y_pred: Any) -> Any:
        return mean_last(_hinge(self, y_true, y_pred))


class SquaredHinge(ReductionFirstLoss):
    """mean(max(1 − y·ŷ, 0)²) for labels in {−1, 1} (labels in {0, 1} are mapped there).

    >>> float(SquaredHinge()(np.array([[1.0], [0.0]]), np.array([[0.5], [0.5]])))
    1.25
    """

    def call(self, y_true: Any, y_pred: Any) -> Any:
        return mean_last(_hinge(self, y_true, y_pred) ** 2)


def _hinge(loss: Loss, y_true: Any, y_pred: Any) -> Any:
    """max(1 − y·ŷ, 0), elementwise, labels in {0, 1} mapped to {−1, 1} (as Keras does)."""
    y_true, y_pred = same_rank(loss, y_true, y_pred)
    y = raw_data(y_true)
    if np.all((y == 0) | (y == 1)):
        y = dnp.subtract(dnp.multiply(2.0, y), 1.0)
    margin = 1.0 - y * y_pred
    return dnp.where(dnp.greater(margin, 0), margin, 0.0)


class CategoricalHinge(ReductionFirstLoss):
    """max(max over wrong classes of ŷ − ŷ of the right class + 1, 0), for one-hot labels
    (Keras' ``CategoricalHinge``: the multi-class margin of Crammer and Singer).

    >>> round(float(CategoricalHinge()(np.array([[0.0, 1.0]]), np.array([[0.3, 0.9]]))), 6)
    0.4
    """

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y, y_pred = same_rank(self, y_true, y_pred)
        right = dnp.sum(y * y_pred, axis=-1)
        wrong = dnp.max((1.0 - y) * y_pred, axis=-1)
        return dnp.maximum(wrong - right + 1.0, 0.0)

"""One ratio of the confusion matrix at the best threshold that keeps another ratio at a
target: ``PrecisionAtRecall``, ``RecallAtPrecision``, ``SensitivityAtSpecificity`` and
``SpecificityAtSensitivity``, as Keras 3 searches them over ``num_thresholds``
thresholds evenly spaced in [0, 1]."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

import numpy as np

from deepgrad.metrics.auc import _confusion_sums, _weighted_finite
from deepgrad.metrics.base import _Counts, _divide_no_nan, _positive_labels
from deepgrad.metrics.confusion import _class_column


def _search_thresholds(metric: str, num_thresholds: Any) -> tuple[np.ndarray, bool]:
    """Keras' thresholds: 0.5 alone for one, else ``num_thresholds`` evenly spaced from 0
    to 1 (no ε outside, unlike ``AUC``'s: a score of 0 is above none); and whether they
    are evenly spaced.

    >>> _search_thresholds("m", 3)
    (array([0. , 0.5, 1. ]), True)
    """
    if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, Integral):
        raise TypeError(f"{metric}: num_thresholds must be an integer > 0, got {num_thresholds!r}")
    if num_thresholds <= 0:
        raise ValueError(f"{metric}: num_thresholds must be an integer > 0, got {num_thresholds}")
    count = int(num_thresholds)
    if count == 1:
        return np.array([0.5]), False
    inner = [(i + 1) / (count - 1) for i in range(count - 2)]
    return np.array([0.0, *inner, 1.0]), True


def _ratios(sums: dict[str, np.ndarray], count: int) -> dict[str, np.ndarray]:
    """Recall (also named sensitivity), precision and specificity at each threshold, in
    float32 as Keras' float32 state computes and compares them (0 where a denominator is
    0)."""
    tp, fp, fn, tn = (
        sums.get(key, np.zeros(count)).astype(np.float32)
        for key in ("true_positives", "false_positives", "false_negatives", "true_negatives")
    )
    recall = _divide_no_nan(tp, tp + fn).astype(np.float32)
    return {
        "recall": recall,
        "sensitivity": recall,
        "precision": _divide_no_nan(tp, tp + fp).astype(np.float32),
        "specificity": _divide_no_nan(tn, tn + fp).astype(np.float32),
    }


class _AtThreshold(_Counts):
    """The largest ``found`` ratio over the thresholds where the ``kept`` ratio is at
    least the target (0.0 where none is), as Keras' ``SensitivitySpecificityBase``."""

    direction = "up"
    config_keys = ("target", "num_thresholds", "class_id")  # target under ``kept``'s name

    kept = "recall"  # the constrained ratio, named as the constructor's argument
    found = "precision"  # the ratio maximised

    def __init__(
        self,
        target: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        metric = type(self).__name__
        if isinstance(target, bool) or not isinstance(target, Real):
            raise TypeError(f"{metric}: {self.kept} must be a number in [0, 1], got {target!r}")
        if not 0 <= target <= 1:  # NaN too, which Keras lets through to a result of 0
            raise ValueError(f"{metric}: {self.kept} must be in [0, 1], got {target}")
        self._thresholds, self._even = _search_thresholds(metric, num_thresholds)
        self.target, self.num_thresholds, self.class_id = target, num_thresholds, class_id
        super().__init__(name=name, dtype=dtype)

    def update_sums(
        self, y_true: np.ndarray, y_pred: np.ndarray, weights: np.ndarray
    ) -> dict[str, Any]:
        y_true, y_pred, weights = _class_column(self, self.class_id, y_true, y_pred, weights)
        labels = _positive_labels(self, y_true, weights).astype(float)
        scores = _weighted_finite(self, y_pred, weights)
        return _confusion_sums(
            labels.ravel(), scores.ravel(), weights.ravel(), self._thresholds, self._even
        )

    def result(self) -> float:
        ratios = _ratios(self.sums, len(self._thresholds))
        feasible = ratios[self.kept] >= np.float32(self.target)
        return float(np.max(np.where(feasible, ratios[self.found], 0.0), initial=0.0))

    def get_config(self) -> dict:
        config = super().get_config()
        config[self.kept] = config.pop("target")
        return config


class PrecisionAtRecall(_AtThreshold):
    """The best precision, TP/(TP + FP), at a threshold where the recall is at least
    ``recall``: Keras 3's ``PrecisionAtRecall``, searching ``num_thresholds`` thresholds
    evenly spaced in [0, 1] (a score counts as positive above one); 0.0 where no threshold
    reaches ``recall``. ``class_id`` takes one column of (samples, classes) predictions;
    otherwise every value is one binary prediction.

    >>> m = PrecisionAtRecall(recall=0.5)
    >>> m.update_state(np.array([0, 0, 0, 1, 1]), np.array([0, 0.3, 0.8, 0.3, 0.8]))
    >>> m.result()  # Keras 3's value too
    0.5
    """

    kept, found = "recall", "precision"

    def __init__(
        self,
        recall: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(recall, num_thresholds, class_id, name, dtype)

    @property
    def recall(self) -> float:
        return self.target


class RecallAtPrecision(_AtThreshold):
    """The best recall, TP/(TP + FN), at a threshold where the precision is at least
    ``precision``: Keras 3's ``RecallAtPrecision`` (thresholds and ``class_id`` as in
    ``PrecisionAtRecall``); 0.0 where no threshold reaches ``precision``.

    >>> m = RecallAtPrecision(precision=0.8)
    >>> m.update_state(np.array([0, 0, 1, 1]), np.array([0, 0.5, 0.3, 0.9]))
    >>> m.result()  # Keras 3's value too
    0.5
    """

    kept, found = "precision", "recall"

    def __init__(
        self,
        precision: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(precision, num_thresholds, class_id, name, dtype)

    @property
    def precision(self) -> float:
        return self.target


class SensitivityAtSpecificity(_AtThreshold):
    """The best sensitivity (recall), TP/(TP + FN), at a threshold where the specificity,
    TN/(TN + FP), is at least ``specificity``: Keras 3's ``SensitivityAtSpecificity``
    (thresholds and ``class_id`` as in ``PrecisionAtRecall``); 0.0 where none reaches it.

    >>> m = SensitivityAtSpecificity(specificity=0.5)
    >>> m.update_state(np.array([0, 0, 0, 1, 1]), np.array([0, 0.3, 0.8, 0.3, 0.8]))
    >>> m.result()  # Keras 3's value too
    0.5
    """

    kept, found = "specificity", "sensitivity"

    def __init__(
        self,
        specificity: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(specificity, num_thresholds, class_id, name, dtype)

    @property
    def specificity(self) -> float:
        return self.target


class SpecificityAtSensitivity(_AtThreshold):
    """The best specificity, TN/(TN + FP), at a threshold where the sensitivity (recall),
    TP/(TP + FN), is at least ``sensitivity``: Keras 3's ``SpecificityAtSensitivity``
    (thresholds and ``class_id`` as in ``PrecisionAtRecall``); 0.0 where none reaches it.

    >>> m = SpecificityAtSensitivity(sensitivity=0.5)
    >>> m.update_state(np.array([0, 0, 0, 1, 1]), np.array([0, 0.3, 0.8, 0.3, 0.8]))
    >>> m.result()  # Keras 3's value too
    0.6666666865348816
    """

    kept, found = "sensitivity", "specificity"

    def __init__(
        self,
        sensitivity: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)

    @property
    def sensitivity(self) -> float:
        return self.target

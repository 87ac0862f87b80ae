"""The F-scores of multi-label predictions: ``FBetaScore`` and ``F1Score``."""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad.metrics.base import _EPSILON, _Counts


class FBetaScore(_Counts):
    """The F-beta score (1 + β²)·P·R/(β²·P + R) of multi-label predictions (samples,
    classes), as Keras 3's ``FBetaScore``: a prediction is positive above ``threshold``,
    or, with None, where it is its row's largest (and not 0). ``average`` None gives one
    score per class, "micro" one from the counts of all classes, "macro" the mean of the
    classes' scores, "weighted" their mean weighted by each class's positive labels.
    P, R and the score each take Keras' ε = 1e-7 in their denominators.

    >>> m = FBetaScore(average="macro", beta=2.0, threshold=0.5)
    >>> m.update_state(np.array([[1, 0], [1, 1]]), np.array([[0.9, 0.2], [0.3, 0.8]]))
    >>> round(m.result(), 4)
    0.7778
    """

    direction = "up"

    default_name = "fbeta_score"
    config_keys = ("average", "beta", "threshold")

    def __init__(
        self,
        average: str | None = None,
        beta: float = 1.0,
        threshold: float | None = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        kind = type(self).__name__
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(
                f"{kind}: average must be None, 'micro', 'macro' or 'weighted', got {average!r}"
            )
        if beta <= 0:
            raise ValueError(f"{kind}: beta must be > 0, got {beta}")
        if threshold is not None and not 0 < threshold <= 1:
            raise ValueError(f"{kind}: threshold must verify 0 < threshold <= 1, got {threshold}")
        self.average, self.beta, self.threshold = average, float(beta), threshold
        super().__init__(name=name, dtype=dtype)

    def update_sums(
        self, y_true: np.ndarray, y_pred: np.ndarray, weights: np.ndarray
    ) -> dict[str, Any]:
        if y_pred.ndim != 2:
            raise ValueError(
                f"{self.name}: takes labels and predictions of shape (samples, classes), "
                f"got predictions of shape {y_pred.shape}"
            )
        if self.threshold is None:
            top = np.max(y_pred, axis=-1, keepdims=True)
            predicted = ((y_pred >= top) & (np.abs(y_pred) > 1e-9)).astype(float)
        else:
            # in float32, as Keras compares its float32 predictions
            predicted = (y_pred.astype(np.float32) > np.float32(self.threshold)).astype(float)
        axis = None if self.average == "micro" else 0
        return {
            "true_positives": np.sum(weights * predicted * y_true, axis=axis),
            "false_positives": np.sum(weights * predicted * (1 - y_true), axis=axis),
            "false_negatives": np.sum(weights * (1 - predicted) * y_true, axis=axis),
            "positives": np.sum(weights * y_true, axis=axis),
        }

    def result(self) -> Any:
        if not self.sums:
            return 0.0
        tp, fp, fn = (
            self.sums[key] for key in ("true_positives", "false_positives", "false_negatives")
        )
        precision, recall = tp / (tp + fp + _EPSILON), tp / (tp + fn + _EPSILON)
        beta2 = self.beta**2
        score = (1 + beta2) * precision * recall / (beta2 * precision + recall + _EPSILON)
        if self.average == "weighted":
            positives = self.sums["positives"]
            return float(np.sum(score * positives / (np.sum(positives) + _EPSILON)))
        if self.average is not None:
            return float(np.mean(score))
        return score


class F1Score(FBetaScore):
    """The F1 score, ``FBetaScore`` with β = 1, as Keras 3's ``F1Score``.

    >>> m = F1Score(threshold=0.5)
    >>> m.update_state(np.array([[1, 0], [1, 1]]), np.array([[0.9, 0.2], [0.3, 0.8]]))
    >>> np.round(m.result(), 4)
    array([0.6667, 1.    ])
    """

    default_name = "f1_score"
    config_keys = ("average", "threshold")

    def __init__(
        self,
        average: str | None = None,
        threshold: float | None = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(average, 1.0, threshold, name, dtype)

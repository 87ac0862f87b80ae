"""The area under the ROC or precision-recall curve (``AUC``), as Keras 3
approximates it from confusion counts at thresholds."""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad.metrics.base import _EPSILON, _Counts, _divide_no_nan, _positive_labels


def _keras_thresholds(num_thresholds: int, thresholds: Any) -> tuple[np.ndarray, bool]:
    """Keras' AUC thresholds: ``thresholds`` (sorted) or ``num_thresholds`` evenly spaced
    in [0, 1], the ends moved ε outside so that scores of 0 and 1 fall inside; and whether
    they are evenly spaced (scores are then counted by bucket, as Keras counts them)."""
    if thresholds is not None:
        inner = sorted(float(t) for t in np.ravel(thresholds))
        ends = np.array([0.0, *inner, 1.0])
        grid = np.arange(len(ends), dtype=np.float32) / (len(ends) - 1)
        even = len(ends) >= 3 and bool(np.allclose(ends, grid, atol=_EPSILON))
    else:
        if int(num_thresholds) <= 1:
            raise ValueError(f"AUC: num_thresholds must be an integer > 1, got {num_thresholds!r}")
        inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        even = True
    return np.array([-_EPSILON, *inner, 1.0 + _EPSILON]), even


def _positives_above(
    labels: np.ndarray,
    scores: np.ndarray,
    weights: np.ndarray,
    thresholds: np.ndarray,
    even: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """The weighted counts of positive and of negative labels whose score is above each
    threshold: arrays of shape (thresholds, *labels' trailing axes). Evenly spaced
    thresholds count by bucket (``ceil(score · (T − 1)) − 1``), as Keras' fast path does,
    so a score on a threshold lands where Keras puts it: with ends ε outside [0, 1] a
    score of 0 is above the first; with ends 0 and 1 it is above none (bucket −1)."""
    positive, negative = weights * labels, weights * (1.0 - labels)
    if not even:  # compared in float32, as Keras' float32 state compares them
        thresholds = thresholds.astype(np.float32).reshape(-1, *[1] * scores.ndim)
        is_above = scores.astype(np.float32)[None] > thresholds
        return np.sum(is_above * positive, axis=1), np.sum(is_above * negative, axis=1)
    count = len(thresholds)
    clipped = np.clip(scores, 0.0, 1.0).astype(np.float32)
    buckets = np.ceil(clipped * np.float32(count - 1)) - 1
    if thresholds[0] < 0.0 or thresholds[-1] > 1.0:  # Keras' test for ends ε outside
        buckets = np.maximum(buckets, 0)
    # shifted by one so that bucket −1 (above no threshold) is counted, then dropped
    columns = (buckets + 1).astype(np.intp).reshape(len(buckets), -1).T  # a curve per column

    def count_above(part: np.ndarray) -> np.ndarray:
        parts = part.reshape(len(part), -1).T
        counts = [
            np.bincount(bucket, weights=weight, minlength=count + 1)[1:]
            for bucket, weight in zip(columns, parts, strict=True)
        ]
        per_bucket = np.stack(counts, -1).reshape(count, *scores.shape[1:])
        # a score in bucket b is above thresholds 0..b: a reversed cumulative sum
        return np.flip(np.cumsum(np.flip(per_bucket, 0), axis=0), 0)

    return count_above(positive), count_above(negative)


def _weighted_finite(metric: Any, scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``scores`` with a NaN that weighs nothing set to 0 (it counts nowhere); a NaN that
    weighs something is refused, naming ``metric``: Keras counts it above the lowest
    threshold on JAX (its bucket index is cast from NaN to 0) and above none when the
    thresholds are not evenly spaced, no count one means.

    >>> _weighted_finite(AUC(), np.array([0.5, np.nan]), np.array([1.0, 0.0]))
    array([0.5, 0. ])
    """
    missing = np.isnan(scores)
    if not np.any(missing):
        return scores
    weighed = missing & (weights != 0)
    if np.any(weighed):
        raise ValueError(
            f"{metric.name}: predictions must not be NaN, got {int(np.sum(weighed))} NaN "
            f"among predictions of shape {scores.shape}; give finite scores (a "
            "sample_weight of 0 masks a prediction)"
        )
    return np.where(missing, 0.0, scores)


def _confusion_sums(
    labels: np.ndarray,
    scores: np.ndarray,
    weights: np.ndarray,
    thresholds: np.ndarray,
    even: bool,
) -> dict[str, np.ndarray]:
    """The four weighted cells of the confusion matrix at each threshold (0/1 labels; one
    curve per column of 2-D ones), as Keras' ``update_confusion_matrix_variables``."""
    tp, fp = _positives_above(labels, scores, weights, thresholds, even)
    # totals less the counts above, floored at 0: summed in another order they can round
    # to −4e-16 where the count is 0, a negative specificity that fails a target of 0
    return {
        "true_positives": tp,
        "false_positives": fp,
        "false_negatives": np.maximum(np.sum(weights * labels, axis=0) - tp, 0.0),
        "true_negatives": np.maximum(np.sum(weights * (1.0 - labels), axis=0) - fp, 0.0),
    }


class AUC(_Counts):
    """The area under the ROC (or precision-recall) curve, as Keras 3 approximates it:
    the confusion counts at ``num_thresholds`` thresholds evenly spaced in [0, 1] (or at
    ``thresholds``), summed by ``summation_method`` ("interpolation": the trapezoidal rule,
    and Davis & Goadrich's interpolation for "PR"; "minoring"; "majoring"). Scores are
    probabilities, or logits with ``from_logits=True`` (a sigmoid first).
    ``multi_label=True`` takes each column of (samples, labels) predictions as its own
    curve and averages the areas (weighted by ``label_weights``); otherwise every value
    counts as one binary prediction, weighted by its column's ``label_weights``.

    >>> m = AUC(num_thresholds=3)  # thresholds -ε, 0.5, 1 + ε
    >>> m.update_state(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    >>> m.result()  # Keras 3's value too (the exact area is 0.75 as well)
    0.75
    """

    direction = "up"

    default_name = "auc"
    config_keys = (
        "num_thresholds",
        "curve",
        "summation_method",
        "thresholds",
        "multi_label",
        "num_labels",
        "label_weights",
        "from_logits",
    )

    def __init__(
        self,
        num_thresholds: int = 200,
        curve: str = "ROC",
        summation_method: str = "interpolation",
        name: str | None = None,
        dtype: Any = None,
        thresholds: Any = None,
        multi_label: bool = False,
        num_labels: int | None = None,
        label_weights: Any = None,
        from_logits: bool = False,
    ) -> None:
        curve, summation_method = str(curve).upper(), str(summation_method).lower()
        if curve not in ("ROC", "PR", "PRGAIN"):
            raise ValueError(f"AUC: curve must be 'ROC', 'PR' or 'PRGAIN', got {curve!r}")
        if summation_method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(
                "AUC: summation_method must be 'interpolation', 'minoring' or 'majoring', "
                f"got {summation_method!r}"
            )
        if num_labels and not multi_label:
            raise ValueError("AUC: num_labels is needed only when multi_label=True")
        self._thresholds, self._even = _keras_thresholds(num_thresholds, thresholds)
        self.num_thresholds = len(self._thresholds)
        self.thresholds = None if thresholds is None else [float(t) for t in thresholds]
        self.curve, self.summation_method = curve, summation_method
        self.multi_label, self.num_labels, self.from_logits = multi_label, num_labels, from_logits
        self.label_weights = (
            None if label_weights is None else [float(w) for w in np.ravel(label_weights)]
        )
        super().__init__(name=name, dtype=dtype)

    def update_sums(
        self, y_true: np.ndarray, y_pred: np.ndarray, weights: np.ndarray
    ) -> dict[str, Any]:
        if self.multi_label and y_pred.ndim != 2:
            raise ValueError(
                f"{self.name}: multi_label=True takes predictions of shape (samples, "
                f"labels), got shape {y_pred.shape}"
            )
        self._check_labels(y_pred.shape)
        if self.from_logits:
            with np.errstate(over="ignore"):  # a logit below −709: exp is inf, the score 0
                y_pred = 1.0 / (1.0 + np.exp(-y_pred))
        if self.label_weights is not None and not self.multi_label:
            weights = weights * np.asarray(self.label_weights, float)
        labels = _positive_labels(self, y_true, weights).astype(float)
        y_pred = _weighted_finite(self, y_pred, np.broadcast_to(weights, y_pred.shape))
        if not self.multi_label:
            labels, y_pred, weights = labels.ravel(), y_pred.ravel(), weights.ravel()
        return _confusion_sums(labels, y_pred, weights, self._thresholds, self._even)

    def _check_labels(self, shape: tuple) -> None:
        """Refuse predictions whose labels (last axis) are not ``num_labels`` (or, with
        multi_label=True, the first batch's), or that ``label_weights`` does not fit."""
        expected = self.num_labels
        if self.multi_label and "true_positives" in self.sums:
            expected = self.sums["true_positives"].shape[-1]
        if self.multi_label and expected is not None and shape[-1] != expected:
            raise ValueError(
                f"{self.name}: multi_label=True counts {expected} labels (num_labels or "
                f"the first batch's columns), got predictions of shape {shape}"
            )
        labels = shape[-1] if len(shape) >= 2 else 1  # 1-D predictions: one label
        if self.label_weights is not None and len(self.label_weights) not in (1, labels):
            raise ValueError(
                f"{self.name}: label_weights has {len(self.label_weights)} values, one per "
                f"label is expected: predictions of shape {shape} have {labels}"
            )

    def result(self) -> float:
        if not self.sums:
            return 0.0
        tp, fp = self.sums["true_positives"], self.sums["false_positives"]
        fn, tn = self.sums["false_negatives"], self.sums["true_negatives"]
        if self.curve == "PR" and self.summation_method == "interpolation":
            areas = _interpolated_pr_areas(tp, fp, fn)
        else:
            x, y = _curve(self.curve, tp, fp, fn, tn)
            if self.summation_method == "interpolation":
                heights = (y[:-1] + y[1:]) / 2
            elif self.summation_method == "minoring":
                heights = np.minimum(y[:-1], y[1:])
            else:
                heights = np.maximum(y[:-1], y[1:])
            areas = (x[:-1] - x[1:]) * heights
        by_label = np.sum(areas, axis=0)
        if not self.multi_label:
            return float(by_label)
        if self.label_weights is None:
            return float(np.mean(by_label))
        label_weights = np.asarray(self.label_weights, float)
        return float(_divide_no_nan(np.sum(by_label * label_weights), np.sum(label_weights)))


def _curve(curve: str, tp: Any, fp: Any, fn: Any, tn: Any) -> tuple[Any, Any]:
    """The (x, y) points of Keras' ROC, PR or PR-gain curve, one per threshold."""
    recall = _divide_no_nan(tp, tp + fn)
    if curve == "ROC":
        return _divide_no_nan(fp, fp + tn), recall
    if curve == "PR":
        return recall, _divide_no_nan(tp, tp + fp)
    scale = _divide_no_nan(tp + fn, tn + fp)
    recall_gain = np.where(tp == 0, 0.0, 1.0 - scale * _divide_no_nan(fn, tp))
    precision_gain = np.where(tp == 0, 1.0, 1.0 - scale * _divide_no_nan(fp, tp))
    return np.maximum(recall_gain, 0.0), precision_gain


def _interpolated_pr_areas(tp: Any, fp: Any, fn: Any) -> Any:
    """The area of each step of the PR curve by Davis & Goadrich's interpolation, in
    Keras' closed form: precision varies as TP/P with TP and P linear in each step."""
    predicted = tp + fp
    dtp, dp = tp[:-1] - tp[1:], predicted[:-1] - predicted[1:]
    slope = _divide_no_nan(dtp, np.maximum(dp, 0))
    intercept = tp[1:] - slope * predicted[1:]
    both = (predicted[:-1] > 0) & (predicted[1:] > 0)
    ratio = np.where(both, _divide_no_nan(predicted[:-1], np.maximum(predicted[1:], 0)), 1.0)
    return _divide_no_nan(slope * (dtp + intercept * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0))

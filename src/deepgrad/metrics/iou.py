"""Intersection-over-union of class predictions, from a confusion matrix summed over the
batches: ``IoU``, ``BinaryIoU``, ``MeanIoU``, ``OneHotIoU`` and ``OneHotMeanIoU``, as
Keras 3 computes them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from deepgrad.metrics.base import _EPSILON, Metric
from deepgrad.tensor import raw_data


class IoU(Metric):
    """TP/(TP + FP + FN) of each class in ``target_class_ids``, averaged over those of
    them seen (in the labels or the predictions), as Keras 3's ``IoU``.

    The labels and predictions are class ids (``sparse_y_true``, ``sparse_y_pred``), or
    scores along ``axis`` whose argmax is the class. Their pairs are summed, weighted by
    ``sample_weight``, into a (num_classes, num_classes) confusion matrix over all the
    batches; a class absent from both counts in no mean (no data gives 0.0). Each IoU is
    TP/(TP + FP + FN + ε) and the mean divides by the classes seen + ε (ε = 1e-7), in
    float32, as in Keras. Labels equal to ``ignore_class`` are left out.

    ``dtype`` is the confusion matrix's, Keras' integer one by default: a weight that is
    not a whole number is refused then (Keras truncates it, 0.3 counting as 0); pass
    ``dtype="float32"`` for fractional weights. A class id outside [0, num_classes), or
    one that is not a whole number, is refused too (Keras drops the first and truncates
    the second without a word).

    >>> m = IoU(num_classes=2, target_class_ids=[0])
    >>> m.update_state(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]))
    >>> round(m.result(), 6)  # class 0: 1 / (2 + 2 - 1)
    0.333333
    """

    direction = "up"
    default_name = "io_u"
    config_keys: tuple[str, ...] = (
        "dtype",
        "num_classes",
        "target_class_ids",
        "ignore_class",
        "sparse_y_true",
        "sparse_y_pred",
        "axis",
    )

    def __init__(
        self,
        num_classes: int,
        target_class_ids: Iterable[int],
        name: str | None = None,
        dtype: Any = None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ) -> None:
        kind = type(self).__name__
        self.num_classes = _checked_num_classes(kind, num_classes)
        self.target_class_ids = _checked_targets(kind, target_class_ids, self.num_classes)
        self.ignore_class, self.axis = ignore_class, axis
        self.sparse_y_true, self.sparse_y_pred = sparse_y_true, sparse_y_pred
        super().__init__(name=name, dtype="int32" if dtype is None else dtype)
        self._whole_weights = _is_integer(kind, self.dtype)
        self.total_cm = self.add_variable(
            (self.num_classes, self.num_classes), name="total_confusion_matrix"
        )

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        labels = self._class_ids(y_true, self.sparse_y_true, "labels", "sparse_y_true")
        predictions = self._class_ids(y_pred, self.sparse_y_pred, "predictions", "sparse_y_pred")
        self._accumulate(labels, predictions, sample_weight)

    def result(self) -> float:
        matrix = self.total_cm.value.astype(np.float32)
        true_positives = np.diag(matrix)
        # row sum + column sum = 2 TP + FP + FN
        union = np.sum(matrix, axis=0) + np.sum(matrix, axis=1) - true_positives
        true_positives, union = true_positives[self.target_class_ids], union[self.target_class_ids]
        seen = union > 1e-9
        epsilon = np.float32(_EPSILON)
        iou = np.where(seen, true_positives / (union + epsilon), np.float32(0.0))
        return float(np.sum(iou) / (np.sum(seen, dtype=np.float32) + epsilon))

    def _class_ids(self, values: Any, sparse: bool, what: str, flag: str) -> np.ndarray:
        """Flat class ids: the values themselves (whole numbers), or their argmax along
        ``axis``."""
        array = np.asarray(raw_data(values))
        if not sparse:
            if array.ndim == 0 or not -array.ndim <= self.axis < array.ndim:
                raise ValueError(
                    f"{self.name}: {flag}=False takes {what} of scores along axis "
                    f"{self.axis}, got {what} of shape {array.shape}"
                )
            return np.argmax(array, axis=self.axis).reshape(-1)
        array = array.astype(float).reshape(-1)
        fractional = array[array != np.round(array)]
        if fractional.size:
            raise ValueError(
                f"{self.name}: {what} must be class ids (whole numbers) with {flag}=True, got "
                f"{fractional[0]:g}; give {flag}=False for scores along axis {self.axis}"
            )
        return array

    def _accumulate(self, labels: np.ndarray, predictions: np.ndarray, sample_weight: Any) -> None:
        """Add the batch's weighted (label, prediction) pairs to the confusion matrix."""
        if labels.size != predictions.size:
            raise ValueError(
                f"{self.name}: {labels.size} labels but {predictions.size} predictions; "
                "give one prediction per label"
            )
        weights = self._weights(sample_weight, labels.size)
        kept = np.ones(labels.size, bool)
        if self.ignore_class is not None:
            kept = labels != self.ignore_class
        labels, predictions, weights = labels[kept], predictions[kept], weights[kept]
        if self._whole_weights and np.any(weights != np.round(weights)):
            raise ValueError(
                f"{self.name}: sample_weight {weights[weights != np.round(weights)][0]:g} is "
                f"not a whole number but the confusion matrix's dtype is {self.dtype} (Keras "
                "would truncate it); pass dtype='float32' for fractional weights"
            )
        for what, ids in (("label", labels), ("prediction", predictions)):
            outside = ids[(ids < 0) | (ids >= self.num_classes)]
            if outside.size:
                raise ValueError(
                    f"{self.name}: {what} {outside[0]:g} is not a class id in "
                    f"[0, {self.num_classes}) (num_classes={self.num_classes}); pass "
                    "ignore_class for a label to leave out"
                )
        cells = labels.astype(np.int64) * self.num_classes + predictions.astype(np.int64)
        counts = np.bincount(cells, weights=weights, minlength=self.num_classes**2)
        self.total_cm.assign_add(counts.reshape(self.num_classes, self.num_classes))

    def _weights(self, sample_weight: Any, count: int) -> np.ndarray:
        """One weight per label, as Keras broadcasts ``sample_weight`` (one number, or one
        per label in any shape)."""
        if sample_weight is None:
            return np.ones(count)
        weights = np.asarray(raw_data(sample_weight), float).reshape(-1)
        if weights.size not in (1, count):
            raise ValueError(
                f"{self.name}: sample_weight of shape {np.shape(raw_data(sample_weight))} for "
                f"{count} labels; give one weight, or one per label"
            )
        return np.broadcast_to(weights, (count,))


class BinaryIoU(IoU):
    """``IoU`` of binary labels (0 or 1) and scores, a score at or above ``threshold``
    (compared in float32) being class 1, as Keras 3's ``BinaryIoU``: ``target_class_ids``
    (0, 1) gives the mean of both classes' IoU.

    >>> m = BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
    >>> m.update_state(np.array([0, 1, 0, 1]), np.array([0.1, 0.2, 0.4, 0.7]))
    >>> round(m.result(), 6)  # (1/3 + 1/3) / 2
    0.333333
    """

    default_name = "binary_io_u"
    config_keys = ("target_class_ids", "threshold", "dtype")

    def __init__(
        self,
        target_class_ids: Iterable[int] = (0, 1),
        threshold: float = 0.5,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        self.threshold = threshold
        super().__init__(2, target_class_ids, name, dtype)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        labels = self._class_ids(y_true, True, "labels", "sparse_y_true")
        scores = np.asarray(raw_data(y_pred), np.float32).reshape(-1)
        predictions = (scores >= np.float32(self.threshold)).astype(float)
        self._accumulate(labels, predictions, sample_weight)


class MeanIoU(IoU):
    """The mean of the IoU of every class seen, as Keras 3's ``MeanIoU``: ``IoU`` with
    ``target_class_ids`` all the classes.

    >>> m = MeanIoU(num_classes=3)
    >>> m.update_state(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]))
    >>> round(m.result(), 6)  # class 2 never seen: (1/3 + 1/3) / 2
    0.333333
    """

    default_name = "mean_io_u"
    config_keys = ("dtype", "num_classes", "ignore_class", "sparse_y_true", "sparse_y_pred", "axis")

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype: Any = None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ) -> None:
        classes = _checked_num_classes(type(self).__name__, num_classes)
        super().__init__(
            classes, range(classes), name, dtype, ignore_class, sparse_y_true, sparse_y_pred, axis
        )


class OneHotIoU(IoU):
    """``IoU`` of one-hot labels (their argmax along ``axis`` is the class), as Keras 3's
    ``OneHotIoU``; the predictions are scores too unless ``sparse_y_pred``.

    >>> m = OneHotIoU(num_classes=3, target_class_ids=[0, 2])
    >>> m.update_state(np.eye(3)[[2, 0, 1, 0]], np.array([[0.2, 0.3, 0.5], [0.1, 0.2, 0.7],
    ...                                                    [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]]))
    >>> round(m.result(), 6)  # class 0: 0 / 3, class 2: 1 / 3
    0.166667
    """

    default_name = "one_hot_io_u"
    config_keys = (
        "dtype",
        "num_classes",
        "target_class_ids",
        "ignore_class",
        "sparse_y_pred",
        "axis",
    )

    def __init__(
        self,
        num_classes: int,
        target_class_ids: Iterable[int],
        name: str | None = None,
        dtype: Any = None,
        ignore_class: int | None = None,
        sparse_y_pred: bool = False,
        axis: int = -1,
    ) -> None:
        super().__init__(
            num_classes, target_class_ids, name, dtype, ignore_class, False, sparse_y_pred, axis
        )


class OneHotMeanIoU(MeanIoU):
    """``MeanIoU`` of one-hot labels (their argmax along ``axis`` is the class), as Keras
    3's ``OneHotMeanIoU``; the predictions are scores too unless ``sparse_y_pred``.

    >>> m = OneHotMeanIoU(num_classes=3)
    >>> m.update_state(np.eye(3)[[2, 0, 1, 0]], np.array([[0.2, 0.3, 0.5], [0.1, 0.2, 0.7],
    ...                                                    [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]]))
    >>> round(m.result(), 6)  # classes 0 and 1: 0, class 2: 1 / 3
    0.111111
    """

    default_name = "one_hot_mean_io_u"
    config_keys = ("dtype", "num_classes", "ignore_class", "sparse_y_pred", "axis")

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype: Any = None,
        ignore_class: int | None = None,
        sparse_y_pred: bool = False,
        axis: int = -1,
    ) -> None:
        super().__init__(num_classes, name, dtype, ignore_class, False, sparse_y_pred, axis)


def _checked_num_classes(kind: str, num_classes: Any) -> int:
    """``num_classes`` as a positive int (Keras fails on 0 and below, one class works)."""
    if isinstance(num_classes, bool) or not isinstance(num_classes, int | np.integer):
        raise TypeError(f"{kind}: num_classes must be an int, got {num_classes!r}")
    if num_classes < 1:
        raise ValueError(f"{kind}: num_classes must be at least 1, got {num_classes}")
    return int(num_classes)


def _checked_targets(kind: str, target_class_ids: Any, num_classes: int) -> list[int]:
    """``target_class_ids`` as a non-empty list of class ids in [0, num_classes)."""
    if isinstance(target_class_ids, int | np.integer | str):
        raise TypeError(
            f"{kind}: target_class_ids must be a list or tuple of class ids, got "
            f"{target_class_ids!r}; give [{target_class_ids!r}] for one class"
        )
    ids = list(target_class_ids)
    if not ids:
        raise ValueError(f"{kind}: target_class_ids is empty; give at least one class id")
    for class_id in ids:
        if isinstance(class_id, bool) or not isinstance(class_id, int | np.integer):
            raise TypeError(f"{kind}: target class id {class_id!r} is not an int")
        if not 0 <= class_id < num_classes:
            raise ValueError(
                f"{kind}: target class id {class_id} is out of range, which is [0, {num_classes})"
            )
    return [int(class_id) for class_id in ids]


def _is_integer(kind: str, dtype: Any) -> bool:
    """Whether the confusion matrix's ``dtype`` is an integer one (whole weights only)."""
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        raise ValueError(f"{kind}: dtype {dtype!r} is not a NumPy dtype") from None
    if resolved.kind not in "iuf":
        raise ValueError(f"{kind}: dtype must be an integer or float dtype, got {dtype!r}")
    return resolved.kind in "iu"

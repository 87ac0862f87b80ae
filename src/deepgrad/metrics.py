"""Metrics: running averages over batches, with Keras' API (``update_state``,
``result``, ``reset_state``) and names: an instance logs under Keras' default name
(``SparseCategoricalAccuracy()`` as ``sparse_categorical_accuracy``), a string under
itself (``"accuracy"``, ``"mse"``). A custom metric subclasses ``Metric`` and creates its
state with ``add_variable`` (or ``add_weight``) after ``super().__init__()``, as in Keras.

>>> import numpy as np
>>> m = SparseCategoricalAccuracy()
>>> m.update_state(np.array([0, 1]), np.array([[0.9, 0.1], [0.8, 0.2]]))
>>> m.result()
0.5
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from deepgrad import losses
from deepgrad.initializers import get as get_initializer
from deepgrad.tensor import raw_data


class MetricVariable:
    """A metric's state: a NumPy array with Keras' ``assign``, ``assign_add``,
    ``assign_sub`` and ``value``; reset to its initial value by ``reset_state``.

    >>> v = MetricVariable("count", np.zeros(()), "sum")
    >>> v.assign_add(2.0); v.assign_add(np.array(3.0)); float(v)
    5.0
    """

    def __init__(self, name: str, initial: np.ndarray, aggregation: str) -> None:
        if aggregation not in ("sum", "mean", "only_first_replica", "none"):
            raise ValueError(
                f"add_variable {name!r}: aggregation must be 'sum', 'mean', "
                f"'only_first_replica' or 'none', got {aggregation!r}"
            )
        self.name, self.aggregation = name, aggregation
        self.initial = np.array(initial, dtype=float)
        self.value = self.initial.copy()

    @property
    def shape(self) -> tuple:
        return self.value.shape

    def _checked(self, value: Any, how: str) -> np.ndarray:
        array = np.asarray(raw_data(value), dtype=float)
        try:
            fits = np.broadcast_shapes(array.shape, self.value.shape) == self.value.shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(
                f"metric variable {self.name!r}.{how}: a value of shape {array.shape} does not "
                f"fit the variable's shape {self.value.shape}"
            )
        return array

    def assign(self, value: Any) -> None:
        self.value = np.broadcast_to(self._checked(value, "assign"), self.value.shape).copy()

    def assign_add(self, value: Any) -> None:
        self.value = np.asarray(self.value + self._checked(value, "assign_add"))

    def assign_sub(self, value: Any) -> None:
        self.value = np.asarray(self.value - self._checked(value, "assign_sub"))

    def numpy(self) -> np.ndarray:
        return self.value

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.value if dtype is None else self.value.astype(dtype)

    def __float__(self) -> float:
        return float(self.value)

    def __repr__(self) -> str:
        return f"<MetricVariable {self.name} shape={self.value.shape} value={self.value}>"


class Metric:
    """A weighted running mean of per-sample values (``values``), or, for a custom metric,
    whatever state its ``add_variable`` calls create.

    >>> class Total(Metric):
    ...     def __init__(self, name="total", **kwargs):
    ...         super().__init__(name=name, **kwargs)
    ...         self.sum = self.add_variable(shape=(), initializer="zeros", name="sum")
    ...     def update_state(self, y_true, y_pred, sample_weight=None):
    ...         self.sum.assign_add(np.sum(y_pred))
    ...     def result(self):
    ...         return self.sum.value
    >>> metric = Total()
    >>> metric.update_state(None, np.ones(3)); float(metric.result())
    3.0
    >>> metric.reset_state(); float(metric.result())
    0.0
    """

    def __init__(self, name: str | None = None, dtype: Any = None) -> None:
        self.name = name or getattr(self, "default_name", None) or _snake_case(type(self).__name__)
        self.dtype = dtype
        self.variables: list[MetricVariable] = []
        Metric.reset_state(self)  # the base state only: a subclass's comes after this

    config_keys: tuple[str, ...] = ()  # constructor arguments kept as attributes
    # Which way is better, for the callbacks' mode="auto" (Keras' ``_direction``): "up",
    # "down", or None where neither is (a count): mode="auto" then asks for a mode.
    direction: str | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A subclass's ``result`` returns a snapshot: a float for one number, a copy for
        an array. Keras' guide returns the state variable itself, which the logs (and
        ``History``) would otherwise hold by reference and see change."""
        super().__init_subclass__(**kwargs)
        if "result" in cls.__dict__:
            result = cls.__dict__["result"]

            def snapshot(self: Metric) -> Any:
                return _snapshot(result(self))

            snapshot.__doc__ = result.__doc__
            cls.result = snapshot  # type: ignore[method-assign]

    def get_config(self) -> dict:
        return {"name": self.name, **{key: getattr(self, key) for key in self.config_keys}}

    def add_variable(
        self,
        shape: Any = (),
        initializer: Any = "zeros",
        dtype: Any = None,
        aggregation: str = "sum",
        name: str | None = None,
    ) -> MetricVariable:
        """A state variable (Keras' ``Metric.add_variable``), reset by ``reset_state``."""
        shape = (int(shape),) if isinstance(shape, int | np.integer) else tuple(shape)
        initial = np.asarray(raw_data(get_initializer(initializer)(shape)), dtype=float)
        variable = MetricVariable(name or f"variable_{len(self.variables)}", initial, aggregation)
        self.variables.append(variable)
        return variable

    def add_weight(
        self,
        name: str | None = None,
        shape: Any = (),
        initializer: Any = "zeros",
        dtype: Any = None,
        aggregation: str = "sum",
    ) -> MetricVariable:
        """Keras' older name for ``add_variable`` (``name`` first)."""
        return self.add_variable(shape, initializer, dtype, aggregation, name)

    def reset_state(self) -> None:
        self._total = 0.0
        self._count = 0.0
        for variable in getattr(self, "variables", ()):
            variable.assign(variable.initial)

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        """Update with one batch and return the result, as Keras' ``metric(y, p)``."""
        self.update_state(y_true, y_pred, sample_weight)
        return self.result()

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        values = np.asarray(
            self.values(np.asarray(raw_data(y_true)), np.asarray(raw_data(y_pred))), float
        )
        if sample_weight is None and values.ndim == 1:
            # fit's every batch: a weight of one and a mean over one value change no bit,
            # so the same sums without the ones, the product and the per-sample mean
            self._total += float(np.sum(values))
            self._count += float(len(values))
            return
        weights = np.ones(len(values)) if sample_weight is None else _weights(sample_weight)
        if weights.ndim == 0:
            # Keras reduces the values to the weight's rank: one number weighs the batch's
            # mean, counted once
            self._total += float(np.mean(values) * weights)
            self._count += float(weights)
            return
        if weights.size == 1:  # an array of one: that weight for every sample
            weights = np.full(len(values), weights[0])
        # a weight per sample (averaging the sample's values) or per value, nothing else
        if values.size != weights.size and values.shape[:1] != weights.shape:
            raise ValueError(
                f"{self.name}: sample_weight has {weights.size} entries but the batch gives "
                f"values of shape {values.shape}; give one weight per sample (or per value)"
            )
        self._total += float(np.sum(values.reshape(len(weights), -1).mean(axis=1) * weights))
        self._count += float(np.sum(weights))

    def result(self) -> Any:
        return self._total / self._count if self._count else 0.0

    def get_state(self) -> Any:
        """The running state, to combine across processes (``merge_states``)."""
        return (self._total, self._count, [variable.value for variable in self.variables])

    def merge_states(self, states: list) -> None:
        """Become the combination of several processes' ``get_state()`` (own included);
        variables combine by their ``aggregation``."""
        self._total = sum(state[0] for state in states)
        self._count = sum(state[1] for state in states)
        for i, variable in enumerate(self.variables):
            values = [state[2][i] for state in states]
            if variable.aggregation == "sum":
                variable.assign(np.sum(values, axis=0))
            elif variable.aggregation == "mean":
                variable.assign(np.mean(values, axis=0))
            else:
                variable.assign(values[0])


def _weights(sample_weight: Any) -> np.ndarray:
    """``sample_weight`` as floats: 0-d for one number (Keras weighs the batch's mean with
    it), else flat.

    >>> _weights(2).shape, _weights([[1.0], [2.0]]).shape
    ((), (2,))
    """
    weights = np.asarray(raw_data(sample_weight), float)
    return weights if weights.ndim == 0 else weights.reshape(-1)


def _snapshot(value: Any) -> Any:
    """A result detached from the metric's state: a float for one number, else a copy.

    >>> _snapshot(np.array(2.0)), _snapshot(MetricVariable("v", np.zeros(2), "sum"))
    (2.0, array([0., 0.]))
    """
    if isinstance(value, MetricVariable):
        value = value.value
    array = np.asarray(raw_data(value))
    if array.ndim == 0:
        return float(array) if array.dtype.kind in "fiub" else value
    return array.copy()


def _snake_case(name: str) -> str:
    """Keras' default metric name from a class name.

    >>> _snake_case("CategoricalTruePositives")
    'categorical_true_positives'
    """
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


class Mean(Metric):
    """The weighted mean of the values given (used for the loss), as Keras 3's ``Mean``:
    a value of several axes is first reduced to one per sample (or to the weight's
    rank: one weight per sample, per value, or one number for the batch).

    >>> m = Mean()
    >>> m.update_state(np.array([[1.0, 3.0], [5.0, 7.0]]), sample_weight=[1.0, 3.0])
    >>> m.result()  # (2 · 1 + 6 · 3) / 4
    5.0
    """

    default_name = "mean"

    def update_state(self, values: Any, sample_weight: Any = None) -> None:  # type: ignore[override]
        values = np.asarray(raw_data(values), float)
        if sample_weight is None and values.ndim <= 1:
            # a weight of one changes no bit: the same sums, fewer passes
            self._total += float(np.sum(values))
            self._count += float(values.size)
            return
        values, weights = _samplewise(values, sample_weight, np.mean)
        self._total += float(np.sum(values))
        self._count += float(len(values) if weights is None else np.sum(weights))

    def update_with(self, value: float, weight: float) -> None:
        """Add one value with a weight: the batch's mean loss weighted by its size, as
        Keras' loss tracker adds it (``update_state(loss, sample_weight=batch_size)``),
        without building an array.

        >>> mean = Mean()
        >>> mean.update_with(1.0, 3); mean.update_with(3.0, 1)
        >>> mean.result()
        1.5
        """
        self._total += value * weight
        self._count += weight


class Sum(Metric):
    """The weighted sum of the values given, as Keras 3's ``Sum``.

    >>> m = Sum()
    >>> m.update_state(np.array([1.0, 2.0]), sample_weight=[1.0, 3.0]); m.result()
    7.0
    """

    default_name = "sum"

    def update_state(self, values: Any, sample_weight: Any = None) -> None:  # type: ignore[override]
        values, _ = _samplewise(np.asarray(raw_data(values), float), sample_weight, np.sum)
        self._total += float(np.sum(values))

    def result(self) -> float:
        return float(self._total)


class MeanMetricWrapper(Metric):
    """The weighted mean of ``fn(y_true, y_pred, **kwargs)``, as Keras 3's
    ``MeanMetricWrapper``: ``fn`` gives a value per sample (or per value, reduced per
    sample), such as a loss function with ``reduction="none"``.

    >>> m = MeanMetricWrapper(lambda y, p: np.abs(y - p), name="abs")
    >>> m.update_state(np.array([1.0, 2.0]), np.array([0.0, 0.0]), [3.0, 1.0]); m.result()
    1.25
    """

    def __init__(
        self, fn: Callable[..., Any], name: str | None = None, dtype: Any = None, **kwargs: Any
    ) -> None:
        self.fn, self.fn_kwargs = fn, kwargs
        super().__init__(name or getattr(fn, "__name__", None), dtype)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        values = np.asarray(raw_data(self.fn(y_true, y_pred, **self.fn_kwargs)), float)
        Mean.update_state(self, values, sample_weight)  # type: ignore[arg-type]


def _same_rank(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keras' ``squeeze_or_expand_to_same_rank``: a trailing axis of one is dropped (or
    one added to a 1-D partner) where the ranks differ by one."""
    if a.ndim == b.ndim + 1 and a.shape[-1] == 1:
        return (a, b[..., None]) if b.ndim == 1 else (a[..., 0], b)
    if b.ndim == a.ndim + 1 and b.shape[-1] == 1:
        return (a[..., None], b) if a.ndim == 1 else (a, b[..., 0])
    return a, b


def _samplewise(
    values: np.ndarray, sample_weight: Any, reduce: Callable[..., Any]
) -> tuple[np.ndarray, np.ndarray | None]:
    """Values reduced to the weight's rank and weighted, then to one per sample, with
    the weights reduced alike: Keras' ``reduce_to_samplewise_values``."""
    weights = None
    if sample_weight is not None:
        values, weights = _same_rank(values, np.asarray(raw_data(sample_weight), float))
        if values.ndim > weights.ndim:
            values = reduce(values, axis=tuple(range(weights.ndim, values.ndim)))
        try:
            weights = np.broadcast_to(weights, values.shape)
        except ValueError:
            raise ValueError(
                f"sample_weight of shape {weights.shape} does not fit values of shape "
                f"{values.shape}: give one weight per sample (or per value)"
            ) from None
        values = values * weights
        if weights.ndim > 1:
            weights = reduce(weights, axis=tuple(range(1, weights.ndim)))
    if values.ndim > 1:
        values = reduce(values, axis=tuple(range(1, values.ndim)))
    return values, weights


def _labels(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    return (
        y_true.reshape(y_pred.shape[:-1]) if y_true.size == math.prod(y_pred.shape[:-1]) else y_true
    )


class SparseCategoricalAccuracy(Metric):
    """Share of samples whose integer label is the arg-max of the prediction."""

    direction = "up"

    default_name = "sparse_categorical_accuracy"

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        return (np.argmax(y_pred, axis=-1) == _labels(y_true, y_pred)).astype(float)


class CategoricalAccuracy(Metric):
    """Share of samples whose one-hot label's arg-max is the prediction's arg-max."""

    direction = "up"

    default_name = "categorical_accuracy"

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        return (np.argmax(y_pred, axis=-1) == np.argmax(y_true, axis=-1)).astype(float)


class BinaryAccuracy(Metric):
    """Share of predictions on the right side of ``threshold`` (0.5; use 0 for logits)."""

    direction = "up"

    default_name = "binary_accuracy"
    config_keys = ("threshold",)

    def __init__(self, name: str | None = None, dtype: Any = None, threshold: float = 0.5) -> None:
        self.threshold = threshold
        super().__init__(name, dtype)

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        return ((y_pred > self.threshold) == (y_true.reshape(y_pred.shape) > 0.5)).astype(float)


class Accuracy(Metric):
    """Share of predictions equal to their labels, as Keras 3's ``Accuracy`` (for
    predictions that are labels already; ``"accuracy"`` in ``compile`` picks binary,
    categorical or sparse accuracy instead).

    >>> m = Accuracy()
    >>> m.update_state(np.array([1, 2, 3, 4]), np.array([0, 2, 3, 4])); m.result()
    0.75
    """

    direction = "up"

    default_name = "accuracy"

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        if y_true.size != y_pred.size:
            raise ValueError(
                f"{self.name}: labels of shape {y_true.shape} do not match predictions of "
                f"shape {y_pred.shape}"
            )
        return (y_true.reshape(y_pred.shape) == y_pred).astype(float)


class _InferredAccuracy(Metric):
    """``"accuracy"`` with a loss that does not say which kind: chosen from the shapes, as
    Keras does: binary (threshold 0.5) when the prediction has one column, sparse when the
    labels have fewer axes (or one column against several), categorical otherwise."""

    direction = "up"

    default_name = "accuracy"

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        if y_pred.shape[-1:] == (1,) or y_pred.ndim == 1:
            return BinaryAccuracy.values(BINARY, y_true, y_pred)
        if y_true.ndim < y_pred.ndim or y_true.shape[-1] == 1:
            return SparseCategoricalAccuracy.values(SPARSE, y_true, y_pred)
        return CategoricalAccuracy.values(CATEGORICAL, y_true, y_pred)


BINARY, SPARSE, CATEGORICAL = BinaryAccuracy(), SparseCategoricalAccuracy(), CategoricalAccuracy()


class MeanSquaredError(Metric):
    direction = "down"
    default_name = "mean_squared_error"

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        return (y_true.reshape(y_pred.shape) - y_pred) ** 2


class MeanAbsoluteError(Metric):
    direction = "down"
    default_name = "mean_absolute_error"

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        return np.abs(y_true.reshape(y_pred.shape) - y_pred)


class RootMeanSquaredError(MeanSquaredError):
    default_name = "root_mean_squared_error"

    def result(self) -> float:
        return float(np.sqrt(super().result()))


class TopKCategoricalAccuracy(Metric):
    """Share of samples whose label is among the ``k`` highest predictions (one-hot labels,
    or integer labels: ``sparse_top_k_categorical_accuracy``)."""

    direction = "up"

    default_name = "top_k_categorical_accuracy"
    config_keys = ("k", "sparse")

    def __init__(
        self, k: int = 5, name: str | None = None, dtype: Any = None, *, sparse: bool = False
    ) -> None:
        self.k, self.sparse = int(k), sparse
        super().__init__(name, dtype)

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        labels = _labels(y_true, y_pred) if self.sparse else np.argmax(y_true, axis=-1)
        label_scores = np.take_along_axis(y_pred, labels[..., None].astype(np.intp), axis=-1)
        # Ranked by how many predictions beat the label's; ties count in the label's favour.
        return (np.sum(y_pred > label_scores, axis=-1) < self.k).astype(float)


class SparseTopKCategoricalAccuracy(TopKCategoricalAccuracy):
    """Share of samples whose integer label is among the ``k`` highest predictions, as
    Keras 3's: with ``from_sorted_ids=True`` the predictions are class ids, best first
    (``top_k``'s indices), and a sample is right when its label is among the first k.

    >>> m = SparseTopKCategoricalAccuracy(k=1, from_sorted_ids=True)
    >>> m.update_state(np.array([2, 0]), np.array([[2, 1, 0], [1, 0, 2]])); m.result()
    0.5
    """

    default_name = "sparse_top_k_categorical_accuracy"
    config_keys = ("k", "from_sorted_ids")

    def __init__(
        self,
        k: int = 5,
        name: str | None = None,
        dtype: Any = None,
        from_sorted_ids: bool = False,
    ) -> None:
        self.from_sorted_ids = from_sorted_ids
        super().__init__(k, name, dtype, sparse=True)

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        if not self.from_sorted_ids:
            return super().values(y_true, y_pred)
        labels = _labels(y_true, y_pred)
        return np.any(y_pred[..., : self.k] == labels[..., None], axis=-1).astype(float)


def _aligned(metric: Metric, y_true: Any, y_pred: Any, sample_weight: Any) -> tuple:
    """Labels, predictions and per-element weights as float arrays of one shape."""
    y_true = np.asarray(raw_data(y_true), float)
    y_pred = np.asarray(raw_data(y_pred), float)
    if y_true.size != y_pred.size:
        raise ValueError(
            f"{metric.name}: labels of shape {y_true.shape} do not match predictions of "
            f"shape {y_pred.shape}"
        )
    weights = np.ones(len(y_pred)) if sample_weight is None else np.asarray(sample_weight, float)
    if weights.size == 1:  # one weight for every sample (a number, or an array of one)
        weights = np.full(len(y_pred), weights.item())
    weights = weights.reshape(len(y_pred), *[1] * (y_pred.ndim - 1))
    return y_true.reshape(y_pred.shape), y_pred, np.broadcast_to(weights, y_pred.shape)


class _Counts(Metric):
    """Metrics that are not means of per-sample values keep weighted sums instead; the
    subclass says which (``update_sums``) and how they make the result."""

    def __init__(self, name: str | None = None, dtype: Any = None) -> None:
        super().__init__(name, dtype)
        self.reset_state()

    def reset_state(self) -> None:
        self.sums: dict[str, Any] = {}

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        batch = self.update_sums(*_aligned(self, y_true, y_pred, sample_weight))
        for key, value in batch.items():
            self.sums[key] = self.sums[key] + value if key in self.sums else value

    def update_sums(
        self, y_true: np.ndarray, y_pred: np.ndarray, weights: np.ndarray
    ) -> dict[str, Any]:
        raise NotImplementedError

    def get_state(self) -> Any:
        return dict(self.sums)

    def merge_states(self, states: list) -> None:
        self.sums = {}
        for sums in states:
            for key, value in sums.items():
                self.sums[key] = self.sums[key] + value if key in self.sums else value


class Precision(_Counts):
    """TP/(TP + FP) of binary predictions above ``thresholds`` (0.5; 0 for logits; a list
    gives one precision per threshold), as Keras 3's ``Precision``: ``top_k`` counts only
    each sample's k highest predictions (as positive whatever their value, unless
    ``thresholds`` is given too), ``class_id`` only one column of (samples, classes)
    predictions. ``threshold`` is deepgrad's older name for one threshold.

    >>> m = Precision(thresholds=[0.3, 0.6])
    >>> m.update_state(np.array([0, 1, 1]), np.array([0.4, 0.5, 0.7])); m.result()
    array([0.66666667, 1.        ])
    """

    direction = "up"

    default_name = "precision"
    config_keys = ("thresholds", "top_k", "class_id")

    def __init__(
        self,
        thresholds: Any = None,
        top_k: int | None = None,
        class_id: int | None = None,
        name: str | None = None,
        dtype: Any = None,
        *,
        threshold: float | None = None,
    ) -> None:
        if threshold is not None and thresholds is not None:
            raise ValueError(
                f"{type(self).__name__}: give thresholds or threshold (its older name), not both"
            )
        self.thresholds = threshold if thresholds is None else thresholds
        self.top_k, self.class_id = top_k, class_id
        super().__init__(name, dtype)

    def update_sums(
        self, y_true: np.ndarray, y_pred: np.ndarray, weights: np.ndarray
    ) -> dict[str, Any]:
        if self.top_k is not None:
            y_pred = _top_k_only(y_pred, int(self.top_k))
        if self.class_id is not None:
            if y_pred.ndim < 2:
                raise ValueError(
                    f"{self.name}: class_id={self.class_id} takes predictions of shape "
                    f"(samples, classes), got shape {y_pred.shape}"
                )
            y_true, y_pred, weights = (a[..., self.class_id] for a in (y_true, y_pred, weights))
        # no thresholds with top_k: every top-k prediction is positive, as in Keras
        default = -np.inf if self.top_k is not None else 0.5
        thresholds = np.asarray(default if self.thresholds is None else self.thresholds, float)
        # compared in float32, as Keras' float32 state compares them
        predicted = y_pred.astype(np.float32).ravel()[None] > thresholds.astype(np.float32).reshape(
            -1, 1
        )
        actual, weights = y_true.ravel() > 0.5, weights.ravel()
        return {
            "true_positives": np.sum(weights * (predicted & actual), axis=1),
            "predicted_positives": np.sum(weights * predicted, axis=1),
            "actual_positives": np.full(len(predicted), np.sum(weights * actual)),
        }

    @property
    def threshold(self) -> Any:
        """deepgrad's older name for ``thresholds``."""
        return self.thresholds

    def result(self) -> Any:
        return self._ratio("predicted_positives")

    def _ratio(self, denominator: str) -> Any:
        """TP over one of the sums (0 where it is 0): a float for one threshold."""
        if not self.sums:
            return _per_threshold(
                np.zeros(1 if self.thresholds is None else np.size(self.thresholds))
            )
        return _per_threshold(_divide_no_nan(self.sums["true_positives"], self.sums[denominator]))

    def get_config(self) -> dict:
        config = super().get_config()
        if isinstance(config["thresholds"], np.ndarray | tuple):
            config["thresholds"] = [float(t) for t in np.ravel(config["thresholds"])]
        return config


class Recall(Precision):
    """TP/(TP + FN) of binary predictions above ``thresholds`` (0.5; 0 for logits), with
    ``Precision``'s ``top_k`` and ``class_id``, as Keras 3's ``Recall``."""

    default_name = "recall"

    def result(self) -> Any:
        return self._ratio("actual_positives")


def _per_threshold(values: np.ndarray) -> Any:
    """One result per threshold, a float for one (a list of one too, as in Keras).

    >>> _per_threshold(np.array([0.5])), _per_threshold(np.array([0.5, 1.0]))
    (0.5, array([0.5, 1. ]))
    """
    return float(values[0]) if values.size == 1 else values


def _top_k_only(y_pred: np.ndarray, k: int) -> np.ndarray:
    """``y_pred`` with all but each row's k highest values (the first on ties, as
    ``top_k``) set to −inf: Keras' ``_filter_top_k``."""
    order = np.argsort(-y_pred, axis=-1, kind="stable")[..., :k]
    kept = np.full(y_pred.shape, -np.inf)
    np.put_along_axis(kept, order, np.take_along_axis(y_pred, order, axis=-1), axis=-1)
    return kept


class _ConfusionCount(_Counts):
    """The weighted count of one cell of the confusion matrix of binary predictions above
    each of ``thresholds`` (0.5 by default; a list gives one count per threshold), as
    Keras' ``TruePositives`` and its siblings."""

    config_keys = ("thresholds",)
    cell: tuple[bool, bool] = (True, True)  # (predicted positive, actually positive)

    def __init__(self, thresholds: Any = None, name: str | None = None, dtype: Any = None):
        self.thresholds = 0.5 if thresholds is None else thresholds
        super().__init__(name, dtype)

    def update_sums(
        self, y_true: np.ndarray, y_pred: np.ndarray, weights: np.ndarray
    ) -> dict[str, Any]:
        thresholds = np.reshape(np.asarray(self.thresholds, float), (-1, 1))
        predicted = y_pred.reshape(1, -1) > thresholds
        actual = y_true.reshape(1, -1) > 0.5
        hits = (predicted == self.cell[0]) & (actual == self.cell[1])
        return {"count": np.sum(weights.reshape(1, -1) * hits, axis=1)}

    def result(self) -> Any:
        return _per_threshold(self.sums.get("count", np.zeros(np.size(self.thresholds))))


class TruePositives(_ConfusionCount):
    """The weighted number of positives predicted positive (above ``thresholds``)."""

    default_name = "true_positives"
    cell = (True, True)


class FalsePositives(_ConfusionCount):
    """The weighted number of negatives predicted positive (above ``thresholds``)."""

    default_name = "false_positives"
    cell = (True, False)


class TrueNegatives(_ConfusionCount):
    """The weighted number of negatives predicted negative (at or below ``thresholds``)."""

    default_name = "true_negatives"
    cell = (False, False)


class FalseNegatives(_ConfusionCount):
    """The weighted number of positives predicted negative (at or below ``thresholds``)."""

    default_name = "false_negatives"
    cell = (False, True)


class MeanAbsolutePercentageError(Metric):
    """100 · mean |y − ŷ| / max(|y|, ε), ε = 1e-7 (Keras')."""

    direction = "down"

    default_name = "mean_absolute_percentage_error"

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        y_true = y_true.reshape(y_pred.shape)
        return 100.0 * np.abs(y_true - y_pred) / np.maximum(np.abs(y_true), 1e-7)


class CosineSimilarity(Metric):
    """The mean over samples of cos(y, ŷ) along ``axis`` (each vector scaled to unit
    norm, a norm below 1e-6 counting as 1e-6: Keras' ``l2_normalize``)."""

    direction = "up"

    default_name = "cosine_similarity"
    config_keys = ("axis",)

    def __init__(self, name: str | None = None, dtype: Any = None, axis: int = -1) -> None:
        self.axis = axis
        super().__init__(name, dtype)

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        y_true = y_true.reshape(y_pred.shape)

        def unit(a: np.ndarray) -> np.ndarray:
            return a / np.sqrt(np.maximum(np.sum(a * a, axis=self.axis, keepdims=True), 1e-12))

        # one value per vector: a 1-D pair is one vector, as in Keras
        return np.atleast_1d(np.sum(unit(y_true) * unit(y_pred), axis=self.axis))


class R2Score(_Counts):
    """The coefficient of determination 1 − SS_res/SS_tot per output, as Keras 3's
    ``R2Score``: averaged over outputs (``class_aggregation="uniform_average"``), weighted
    by each output's SS_tot (``"variance_weighted_average"``) or one per output (None).
    ``num_regressors=p`` adjusts it, 1 − (1 − R²)(n − 1)/(n − p − 1), with n the number of
    values seen (samples × outputs, Keras' count), left unadjusted with a warning where
    p ≥ n − 1. An output whose target is constant (SS_tot = 0) scores 0 where its
    predictions miss, as in Keras and scikit-learn, rather than −inf.

    >>> m = R2Score(class_aggregation=None)
    >>> m.update_state(np.array([[1.0, 1.0], [2.0, 3.0]]), np.array([[1.0, 2.0], [2.0, 2.0]]))
    >>> m.result()
    array([1., 0.])
    """

    direction = "up"

    default_name = "r2_score"
    config_keys = ("class_aggregation", "num_regressors")

    def __init__(
        self,
        class_aggregation: str | None = "uniform_average",
        num_regressors: int = 0,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        if class_aggregation not in (None, "uniform_average", "variance_weighted_average"):
            raise ValueError(
                "R2Score: class_aggregation must be None, 'uniform_average' or "
                f"'variance_weighted_average', got {class_aggregation!r}"
            )
        if num_regressors < 0:
            raise ValueError(f"R2Score: num_regressors must be >= 0, got {num_regressors}")
        self.class_aggregation, self.num_regressors = class_aggregation, num_regressors
        super().__init__(name, dtype)

    def update_sums(
        self, y_true: np.ndarray, y_pred: np.ndarray, weights: np.ndarray
    ) -> dict[str, Any]:
        values = y_true.size
        y_true, y_pred, weights = (a.reshape(len(a), -1) for a in (y_true, y_pred, weights))
        return {
            "values": float(values),
            "weight": np.sum(weights, axis=0),
            "sum": np.sum(weights * y_true, axis=0),
            "sum_of_squares": np.sum(weights * y_true**2, axis=0),
            "residual": np.sum(weights * (y_true - y_pred) ** 2, axis=0),
        }

    def result(self) -> Any:
        if not self.sums:
            return 0.0
        sums = self.sums
        with np.errstate(divide="ignore", invalid="ignore"):
            total = sums["sum_of_squares"] - sums["sum"] ** 2 / sums["weight"]
            scores = 1 - sums["residual"] / total
            scores = np.where(np.isinf(scores), 0.0, scores)
            if self.class_aggregation == "uniform_average":
                score = np.mean(scores)
            elif self.class_aggregation == "variance_weighted_average":
                score = np.sum(total * scores) / np.sum(total)
            else:
                score = scores
        score = _adjusted(score, sums["values"], self.num_regressors)
        return float(score) if np.ndim(score) == 0 else score


def _adjusted(score: Any, values: float, regressors: int) -> Any:
    """R² adjusted for ``regressors`` predictors over ``values`` points, as Keras adjusts
    it (unadjusted, with its warning, where there are too few points)."""
    if regressors == 0:
        return score
    if regressors >= values - 1:
        warnings.warn(
            "R2Score: more independent predictors than data points in the adjusted R2 "
            "score (or as many as the points less one); falling back to the standard R2 "
            "score",
            stacklevel=3,
        )
        return score
    return 1 - (1 - score) * (values - 1) / (values - regressors - 1)


_EPSILON = 1e-7  # Keras' backend.epsilon(): the end thresholds sit this far outside [0, 1]


def _divide_no_nan(a: Any, b: Any) -> Any:
    """a / b, 0 where b is 0 (Keras' ``ops.divide_no_nan``)."""
    b = np.asarray(b, float)
    return np.where(b == 0, 0.0, np.asarray(a, float) / np.where(b == 0, 1.0, b))


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
    so a score on a threshold lands where Keras puts it."""
    positive, negative = weights * labels, weights * (1.0 - labels)
    if not even:  # compared in float32, as Keras' float32 state compares them
        thresholds = thresholds.astype(np.float32).reshape(-1, *[1] * scores.ndim)
        is_above = scores.astype(np.float32)[None] > thresholds
        return np.sum(is_above * positive, axis=1), np.sum(is_above * negative, axis=1)
    count = len(thresholds)
    clipped = np.clip(scores, 0.0, 1.0).astype(np.float32)
    buckets = np.maximum(np.ceil(clipped * np.float32(count - 1)) - 1, 0).astype(np.intp)
    columns = buckets.reshape(len(buckets), -1).T  # one curve per column (multi-label)

    def count_above(part: np.ndarray) -> np.ndarray:
        parts = part.reshape(len(part), -1).T
        counts = [
            np.bincount(bucket, weights=weight, minlength=count)
            for bucket, weight in zip(columns, parts, strict=True)
        ]
        per_bucket = np.stack(counts, -1).reshape(count, *scores.shape[1:])
        # a score in bucket b is above thresholds 0..b: a reversed cumulative sum
        return np.flip(np.cumsum(np.flip(per_bucket, 0), axis=0), 0)

    return count_above(positive), count_above(negative)


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
        super().__init__(name, dtype)

    def update_sums(
        self, y_true: np.ndarray, y_pred: np.ndarray, weights: np.ndarray
    ) -> dict[str, Any]:
        if self.multi_label and y_pred.ndim != 2:
            raise ValueError(
                f"{self.name}: multi_label=True takes predictions of shape (samples, "
                f"labels), got shape {y_pred.shape}"
            )
        if self.from_logits:
            y_pred = 1.0 / (1.0 + np.exp(-y_pred))
        if self.label_weights is not None and not self.multi_label:
            weights = weights * np.asarray(self.label_weights, float)
        labels = (y_true > 0.5).astype(float)
        if not self.multi_label:
            labels, y_pred, weights = labels.ravel(), y_pred.ravel(), weights.ravel()
        tp, fp = _positives_above(labels, y_pred, weights, self._thresholds, self._even)
        return {
            "true_positives": tp,
            "false_positives": fp,
            "false_negatives": np.sum(weights * labels, axis=0) - tp,
            "true_negatives": np.sum(weights * (1.0 - labels), axis=0) - fp,
        }

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
        super().__init__(name, dtype)

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
            predicted = (y_pred > self.threshold).astype(float)
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


class _LossMean(Metric):
    """The mean over samples of a loss (``loss_class``, with the metric's settings), as
    Keras' loss-named metrics give it: what the loss would be on the same data, without
    the model's regularisation terms."""

    direction = "down"

    loss_class: type[losses.Loss]

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        settings = {key: getattr(self, key) for key in self.config_keys}
        loss = self.loss_class(reduction="none", **settings)
        return np.asarray(raw_data(loss(y_true, y_pred)))


class BinaryCrossentropy(_LossMean):
    """The mean binary cross-entropy (``losses.BinaryCrossentropy``).

    >>> m = BinaryCrossentropy()
    >>> m.update_state(np.array([1.0, 0.0]), np.array([0.5, 0.5])); round(m.result(), 4)
    0.6931
    """

    default_name = "binary_crossentropy"
    loss_class = losses.BinaryCrossentropy
    config_keys = ("from_logits", "label_smoothing")

    def __init__(
        self,
        name: str | None = None,
        dtype: Any = None,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
    ) -> None:
        self.from_logits, self.label_smoothing = from_logits, label_smoothing
        super().__init__(name, dtype)


class CategoricalCrossentropy(BinaryCrossentropy):
    """The mean categorical cross-entropy of one-hot labels
    (``losses.CategoricalCrossentropy``)."""

    default_name = "categorical_crossentropy"
    loss_class = losses.CategoricalCrossentropy


class SparseCategoricalCrossentropy(_LossMean):
    """The mean cross-entropy of integer labels (``losses.SparseCategoricalCrossentropy``)."""

    default_name = "sparse_categorical_crossentropy"
    loss_class = losses.SparseCategoricalCrossentropy
    config_keys = ("from_logits",)

    def __init__(self, name: str | None = None, dtype: Any = None, from_logits: bool = False):
        self.from_logits = from_logits
        super().__init__(name, dtype)


class KLDivergence(_LossMean):
    """The mean Kullback–Leibler divergence (``losses.KLDivergence``)."""

    default_name = "kl_divergence"
    loss_class = losses.KLDivergence


class Poisson(_LossMean):
    """The mean Poisson loss ŷ − y log ŷ (``losses.Poisson``)."""

    default_name = "poisson"
    loss_class = losses.Poisson


class LogCoshError(_LossMean):
    """The mean log cosh of the error (``losses.LogCosh``); logged as ``logcosh``, Keras'
    name."""

    default_name = "logcosh"
    loss_class = losses.LogCosh


class Hinge(_LossMean):
    """The mean hinge loss (``losses.Hinge``; labels in {0, 1} are mapped to {−1, 1})."""

    default_name = "hinge"
    loss_class = losses.Hinge


class SquaredHinge(_LossMean):
    """The mean squared hinge loss (``losses.SquaredHinge``; labels in {0, 1} are mapped
    to {−1, 1})."""

    default_name = "squared_hinge"
    loss_class = losses.SquaredHinge


class CategoricalHinge(_LossMean):
    """The mean categorical hinge loss of one-hot labels (``losses.CategoricalHinge``)."""

    default_name = "categorical_hinge"
    loss_class = losses.CategoricalHinge


class MeanSquaredLogarithmicError(_LossMean):
    """The mean squared logarithmic error (``losses.MeanSquaredLogarithmicError``).

    >>> m = MeanSquaredLogarithmicError()
    >>> m.update_state(np.array([[0.0], [np.e - 1]]), np.array([[0.0], [0.0]]))
    >>> round(m.result(), 6)  # (0² + 1²) / 2
    0.5
    """

    default_name = "mean_squared_logarithmic_error"
    loss_class = losses.MeanSquaredLogarithmicError


METRICS = {
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "binary_accuracy": BinaryAccuracy,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "mape": MeanAbsolutePercentageError,
    "mean_absolute_percentage_error": MeanAbsolutePercentageError,
    "cosine_similarity": CosineSimilarity,
    "true_positives": TruePositives,
    "false_positives": FalsePositives,
    "true_negatives": TrueNegatives,
    "false_negatives": FalseNegatives,
    "mae": MeanAbsoluteError,
    "mean_absolute_error": MeanAbsoluteError,
    "rmse": RootMeanSquaredError,
    "root_mean_squared_error": RootMeanSquaredError,
    "r2_score": R2Score,
    "auc": AUC,
    "precision": Precision,
    "recall": Recall,
    "binary_crossentropy": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "kl_divergence": KLDivergence,
    "poisson": Poisson,
    "hinge": Hinge,
    "f1_score": F1Score,
    "fbeta_score": FBetaScore,
    "squared_hinge": SquaredHinge,
    "categorical_hinge": CategoricalHinge,
    "msle": MeanSquaredLogarithmicError,
    "mean_squared_logarithmic_error": MeanSquaredLogarithmicError,
}


_CLASSES = {
    cls.__name__: cls
    for cls in (
        Accuracy,
        SparseCategoricalAccuracy,
        CategoricalAccuracy,
        BinaryAccuracy,
        TopKCategoricalAccuracy,
        SparseTopKCategoricalAccuracy,
        MeanSquaredError,
        MeanAbsoluteError,
        RootMeanSquaredError,
        R2Score,
        AUC,
        Precision,
        Recall,
        TruePositives,
        FalsePositives,
        TrueNegatives,
        FalseNegatives,
        MeanAbsolutePercentageError,
        CosineSimilarity,
        BinaryCrossentropy,
        CategoricalCrossentropy,
        SparseCategoricalCrossentropy,
        KLDivergence,
        Poisson,
        LogCoshError,
        Hinge,
        FBetaScore,
        F1Score,
        SquaredHinge,
        CategoricalHinge,
        MeanSquaredLogarithmicError,
    )
}


def serialize(metric: Metric) -> dict:
    """A metric as JSON-ready data: its class and constructor arguments."""
    if type(metric).__name__ not in _CLASSES:
        raise ValueError(f"metric {metric.name!r} is not a built-in metric and cannot be saved")
    return {"class_name": type(metric).__name__, "config": metric.get_config()}


def get(identifier: Any, loss: Any = None) -> Metric:
    """A metric from a name, ``serialize``'s output or an object. ``"accuracy"`` picks the
    variant that fits the loss, as Keras does: sparse for integer labels, binary for one
    output, categorical otherwise."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, dict) and identifier.get("class_name") in _CLASSES:
        return _CLASSES[identifier["class_name"]](**identifier.get("config", {}))
    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
        # any case, as Keras' compile takes it: "Accuracy" is "accuracy", not the class
        if isinstance(loss, losses.BinaryCrossentropy | losses.Hinge):
            threshold = (
                0.0
                if getattr(loss, "from_logits", False) or isinstance(loss, losses.Hinge)
                else 0.5
            )
            return BinaryAccuracy(name=identifier, threshold=threshold)
        if isinstance(loss, losses.CategoricalCrossentropy):
            return CategoricalAccuracy(name=identifier)
        if isinstance(loss, losses.SparseCategoricalCrossentropy):
            return SparseCategoricalAccuracy(name=identifier)
        return _InferredAccuracy(name=identifier)
    if isinstance(identifier, str) and identifier in _BY_CLASS_NAME:  # "MeanSquaredError"
        metric = _BY_CLASS_NAME[identifier]()
        metric.name = identifier  # logged under the string given, as Keras does
        return metric
    if isinstance(identifier, str) and identifier in METRICS:
        metric = METRICS[identifier]()
        metric.name = identifier
        return metric
    known = ", ".join(["accuracy", *METRICS])
    raise ValueError(
        f"unknown metric {identifier!r}; known: {known}, or a class name such as "
        "'MeanSquaredError' or 'AUC'"
    )


# The class names Keras 3 takes as strings too (``metrics=["AUC"]``); its upper-case
# ``MSE``/``MAE`` are the short names.
_BY_CLASS_NAME: dict[str, Callable[[], Metric]] = {
    **_CLASSES,
    "MSE": MeanSquaredError,
    "MAE": MeanAbsoluteError,
    "MAPE": MeanAbsolutePercentageError,
    "MSLE": MeanSquaredLogarithmicError,
}

"""The base of every metric: ``Metric`` and its state (``MetricVariable``), the
running means and sums (``Mean``, ``Sum``, ``MeanMetricWrapper``), ``_Counts`` for
metrics kept as weighted sums, and the helpers they share."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

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

    def __init__(self, dtype: Any = None, name: str | None = None) -> None:
        # Keras' order (dtype first): Metric("float64") is a dtype, not a name
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

    @classmethod
    def from_config(cls, config: dict) -> Metric:
        """The metric ``get_config()`` describes, as Keras' ``Metric.from_config``.

        >>> Mean.from_config(Mean(name="loss").get_config()).name
        'loss'
        """
        return cls(**config)

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
        values, weights = _samplewise(values, sample_weight, np.mean, self.name)
        self._total += float(np.sum(values))
        self._count += float(len(values) if weights is None else np.sum(weights))

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


class NameFirstMetric(Metric):
    """A built-in metric with no arguments of its own. Keras' built-in metrics take
    ``name`` first (``Mean("loss")``), its base class ``Metric`` ``dtype`` first
    (``Metric("float64")``)."""

    def __init__(self, name: str | None = None, dtype: Any = None) -> None:
        super().__init__(dtype=dtype, name=name)


class Mean(NameFirstMetric):
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
        values, weights = _samplewise(values, sample_weight, np.mean, self.name)
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


class Sum(NameFirstMetric):
    """The weighted sum of the values given, as Keras 3's ``Sum``.

    >>> m = Sum()
    >>> m.update_state(np.array([1.0, 2.0]), sample_weight=[1.0, 3.0]); m.result()
    7.0
    """

    default_name = "sum"

    def update_state(self, values: Any, sample_weight: Any = None) -> None:  # type: ignore[override]
        values, _ = _samplewise(
            np.asarray(raw_data(values), float), sample_weight, np.sum, self.name
        )
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
        super().__init__(name=name or getattr(fn, "__name__", None), dtype=dtype)

    def get_config(self) -> dict:
        """Keras' layout: name, dtype, ``fn`` and its keyword arguments (``serialize``
        writes a built-in ``fn`` by name and refuses any other; ``metrics.deserialize``
        reads it back)."""
        return {"name": self.name, "dtype": self.dtype, "fn": self.fn, **self.fn_kwargs}

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
    values: np.ndarray, sample_weight: Any, reduce: Callable[..., Any], name: str
) -> tuple[np.ndarray, np.ndarray | None]:
    """Values reduced to the weight's rank and weighted, then to one per sample, with
    the weights reduced alike: Keras' ``reduce_to_samplewise_values``. A weight per
    sample, per time step (``(n, t)`` against values ``(n, t, k)``) or per value fits;
    anything that does not broadcast to the reduced values is refused, naming metric
    ``name``."""
    weights = None
    if sample_weight is not None:
        values, weights = _same_rank(values, np.asarray(raw_data(sample_weight), float))
        if values.ndim > weights.ndim:
            values = reduce(values, axis=tuple(range(weights.ndim, values.ndim)))
        try:
            weights = np.broadcast_to(weights, values.shape)
        except ValueError:
            raise ValueError(
                f"{name}: sample_weight of shape {weights.shape} does not fit values of "
                f"shape {values.shape}: give one weight per sample (or per value)"
            ) from None
        values = values * weights
        if weights.ndim > 1:
            weights = reduce(weights, axis=tuple(range(1, weights.ndim)))
    if values.ndim > 1:
        values = reduce(values, axis=tuple(range(1, values.ndim)))
    return values, weights


def _aligned(metric: Metric, y_true: Any, y_pred: Any, sample_weight: Any) -> tuple:
    """Labels, predictions and per-element weights as float arrays of one shape."""
    y_true, y_pred = _matched(
        metric, np.asarray(raw_data(y_true), float), np.asarray(raw_data(y_pred), float)
    )
    return y_true, y_pred, _element_weights(metric, sample_weight, y_pred.shape)


def _matched(metric: Metric, y_true: np.ndarray, y_pred: np.ndarray) -> tuple:
    """Labels and predictions in one shape, brought together as Keras does
    (``_same_rank``: (n,) against (n, 1), (n, k) against (n, k, 1)); any other difference
    is refused, naming the metric: a reshape would pair labels with the wrong predictions.

    >>> _matched(Metric(name="m"), np.zeros(2), np.zeros((2, 1)))[0].shape
    (2, 1)
    >>> _matched(Metric(name="m"), np.zeros((2, 3)), np.zeros((3, 2)))
    Traceback (most recent call last):
    ...
    ValueError: m: labels of shape (2, 3) do not match predictions of shape (3, 2)
    """
    matched_true, matched_pred = _same_rank(y_true, y_pred)
    if matched_true.shape != matched_pred.shape:
        raise ValueError(
            f"{metric.name}: labels of shape {y_true.shape} do not match predictions of "
            f"shape {y_pred.shape}"
        )
    return matched_true, matched_pred


def _element_weights(metric: Metric, sample_weight: Any, shape: tuple) -> np.ndarray:
    """One weight per prediction, from Keras' forms of ``sample_weight``: one number for
    all, one per sample (``(samples,)`` or ``(samples, 1)``), one per time step (the
    predictions' leading axes: ``(n, t)`` against ``(n, t, k)``), or one per prediction
    (an array that broadcasts to the predictions' shape, as Keras broadcasts it).

    >>> m = Metric(name="m")
    >>> _element_weights(m, [1.0, 2.0], (2, 3))[:, 0], _element_weights(m, 3, (2,)).tolist()
    (array([1., 2.]), [3.0, 3.0])
    >>> _element_weights(m, [1.0, 2.0, 3.0], (2, 3))
    Traceback (most recent call last):
    ...
    ValueError: m: sample_weight of shape (3,) does not fit predictions of shape (2, 3); ...
    """
    if sample_weight is None:  # (read-only views, as every form below: nothing is copied)
        return np.broadcast_to(1.0, shape)
    weights = np.asarray(raw_data(sample_weight), float)
    if weights.size == 1:  # one weight for every sample (a number, or an array of one)
        return np.broadcast_to(weights.item(), shape)
    if 0 < weights.ndim < len(shape) and weights.shape == shape[: weights.ndim]:
        # per sample, or per time step ((n, t) against (n, t, k)): the same for the rest
        weights = weights.reshape(*weights.shape, *[1] * (len(shape) - weights.ndim))
    elif weights.ndim == len(shape) + 1 and weights.shape[-1] == 1:
        weights = weights[..., 0]
    if weights.ndim == len(shape):
        try:
            return np.broadcast_to(weights, shape)
        except ValueError:
            pass
    raise ValueError(
        f"{metric.name}: sample_weight of shape {np.shape(sample_weight)} does not fit "
        f"predictions of shape {shape}; give one weight per sample, {shape[:1]}, or one "
        f"per prediction, {shape}"
    )


class _Counts(Metric):
    """Metrics that are not means of per-sample values keep weighted sums instead; the
    subclass says which (``update_sums``) and how they make the result."""

    def __init__(self, name: str | None = None, dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
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


_EPSILON = 1e-7  # Keras' backend.epsilon(): the end thresholds sit this far outside [0, 1]


def _divide_no_nan(a: Any, b: Any) -> Any:
    """a / b, 0 where b is 0 (Keras' ``ops.divide_no_nan``)."""
    b = np.asarray(b, float)
    return np.where(b == 0, 0.0, np.asarray(a, float) / np.where(b == 0, 1.0, b))


def _positive_labels(metric: Metric, y_true: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Which binary labels count as positive in the confusion counts: every nonzero one,
    as Keras casts labels to bool (a soft label of 0.3 is a positive). A label outside
    [0, 1] that weighs anything is refused: Keras would count a -1 of ±1 labels, or a
    class id above 1, as a positive, a number no one means.

    >>> _positive_labels(Metric(name="m"), np.array([0.0, 0.3, 1.0]), np.ones(3))
    array([False,  True,  True])
    """
    outside = ~((y_true >= 0) & (y_true <= 1)) & (weights != 0)  # NaN is outside too
    if np.any(outside):
        first = float(y_true[outside].ravel()[0])
        raise ValueError(
            f"{metric.name}: binary labels must be in [0, 1] (any nonzero label counts as "
            f"positive, as in Keras), got {first} among labels of shape {y_true.shape}; "
            "give 0/1 labels (a sample_weight of 0 masks a label)"
        )
    return y_true != 0

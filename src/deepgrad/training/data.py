"""Batching: arrays (or lists) split into shuffled minibatches, or a user's batch iterator.

``batch_size=None`` (or ``"full"``) is full-batch gradient descent, ``batch_size=1`` is
one-example SGD and anything in between is minibatch SGD: the three forms of the lecture.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Iterator, Sized
from typing import Any

import numpy as np

from deepgrad import random
from deepgrad.layers import structure
from deepgrad.tensor import Tensor, raw_data
from deepgrad.training.checks import check_finite, check_numbers


def as_array(data: Any, what: str) -> np.ndarray:
    """A NumPy array from an array, list or Tensor, with a clear error otherwise."""
    if isinstance(data, Tensor):
        return raw_data(data)
    data = from_torch(data)
    try:
        return np.asarray(data)
    except (ValueError, TypeError) as error:
        raise TypeError(
            f"{what}: expected an array or list, got {type(data).__name__}: {error}"
        ) from None


def from_torch(value: Any) -> Any:
    """A PyTorch tensor as a NumPy array (converted at the boundary: detached, on the CPU),
    also inside a dict, list or tuple (several inputs); anything else unchanged. PyTorch is
    never imported here."""
    if type(value).__module__.startswith("torch") and hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    if isinstance(value, dict):
        return {key: from_torch(item) for key, item in value.items()}
    if isinstance(value, list | tuple) and any(
        type(item).__module__.startswith("torch") for item in value
    ):
        return type(value)(from_torch(item) for item in value)
    return value


def as_batch(item: Any) -> tuple:
    """One of the user's batches as (x, y, sample_weight): ``x``, ``(x,)``, ``(x, y)`` or
    ``(x, y, sample_weight)``, as Keras accepts; PyTorch tensors become NumPy arrays, and
    a list or dict of arrays (several inputs or outputs) one record array, as ``fit``
    packs such arrays (``layers/structure.py``).

    >>> [None if part is None else part.shape for part in as_batch((np.zeros((2, 3)), np.ones(2)))]
    [(2, 3), (2,), None]
    """
    if isinstance(item, tuple | list):
        if not 1 <= len(item) <= 3:
            raise ValueError(
                f"a batch must be x, (x,), (x, y) or (x, y, sample_weight); got a "
                f"{type(item).__name__} of {len(item)} items"
            )
        parts = [_packed(from_torch(part)) for part in item] + [None] * (3 - len(item))
        return tuple(parts)
    return _packed(from_torch(item)), None, None


def _packed(part: Any) -> Any:
    """A flat list or dict of arrays as one record array (``structure.pack``); anything
    else (one array, a nested structure) as it is."""
    if not isinstance(part, dict | list | tuple) or not part:
        return part
    values = part.values() if isinstance(part, dict) else part
    if all(isinstance(v, np.ndarray | Tensor) or structure.is_pandas(v) for v in values):
        return structure.pack(part)
    return part


def resolve_batch_size(batch_size: Any, n: int) -> int:
    """``batch_size`` checked; None or "full" is all ``n`` samples (full-batch descent)."""
    if batch_size is None or batch_size == "full":
        return max(n, 1)
    if not isinstance(batch_size, int | np.integer) or batch_size < 1:
        raise ValueError(
            f"batch_size must be a positive integer, None or 'full', got {batch_size!r}"
        )
    return int(batch_size)


class ArrayData:
    """Samples held in arrays: x, y (optional) and per-sample weights (optional)."""

    def __init__(self, x: Any, y: Any = None, sample_weight: Any = None, what: str = "fit") -> None:
        self.x = as_array(x, f"{what}: x")
        self.y = None if y is None else as_array(y, f"{what}: y")
        check_numbers(self.x, "x", what)
        check_numbers(self.y, "y", what)
        self.sample_weight = (
            None if sample_weight is None else as_array(sample_weight, f"{what}: sample_weight")
        )
        if self.x.ndim == 0 or len(self.x) == 0:
            raise ValueError(
                f"{what}: x has no samples (shape {self.x.shape}); expected an array with the "
                "samples along the first axis"
            )
        n = len(self.x)
        for name, array in (("y", self.y), ("sample_weight", self.sample_weight)):
            if array is not None and array.ndim == 0:  # Keras refuses one number too
                raise ValueError(
                    f"{what}: {name} is one number, {array.item()!r}; give one per sample "
                    f"(an array of {n}: np.full({n}, {array.item()!r}))"
                )
            if array is not None and len(array) != n:
                raise ValueError(f"{what}: x has {n} samples but {name} has {len(array)}")
        self.size = n

    def split(self, fraction: float) -> tuple[ArrayData, ArrayData]:
        """The first (1 − fraction) for training, the last ``fraction`` for validation
        (before any shuffling, as Keras does)."""
        if not 0 < fraction < 1:
            raise ValueError(f"validation_split must be in (0, 1), got {fraction}")
        cut = int(self.size * (1 - fraction))
        if cut == 0 or cut == self.size:
            raise ValueError(
                f"validation_split={fraction} leaves no samples on one side ({self.size} samples)"
            )
        head, tail = (slice(0, cut), slice(cut, None))
        return (self._take(head), self._take(tail))

    def _take(self, index: Any) -> ArrayData:
        def pick(a):
            return None if a is None else a[index]

        return ArrayData(self.x[index], pick(self.y), pick(self.sample_weight))

    def steps(self, batch_size: int | None) -> int:
        """The number of batches of ``batch_size`` (None: one batch of every sample)."""
        return math.ceil(self.size / (batch_size or max(self.size, 1)))

    def batches(self, batch_size: int | None, shuffle: bool | str = False) -> Iterator[tuple]:
        """(x, y, sample_weight) batches, in a new random order when ``shuffle``; with
        ``shuffle="batch"`` each batch holds the samples it holds unshuffled, in a new
        order, as Keras 3 shuffles "in batch-sized chunks"."""
        batch_size = batch_size or max(self.size, 1)
        order = self._order(batch_size, shuffle)
        for start in range(0, self.size, batch_size):
            index = (
                slice(start, start + batch_size)
                if order is None
                else order[start : start + batch_size]
            )
            yield (
                _rows(self.x, index),
                None if self.y is None else _rows(self.y, index),
                None if self.sample_weight is None else _rows(self.sample_weight, index),
            )

    def _order(self, batch_size: int, shuffle: bool | str) -> np.ndarray | None:
        """The samples' order for one pass: None (as they are) without ``shuffle``."""
        if not shuffle:
            return None
        if shuffle == "batch":
            starts = range(0, self.size, batch_size)
            return np.concatenate(
                [start + random.permutation(min(batch_size, self.size - start)) for start in starts]
            )
        return random.permutation(self.size)


def _rows(array: Any, index: Any) -> Any:
    """``array[index]`` for a slice or an array of row numbers; ``take`` for the latter on
    a NumPy array, which gathers the same rows in half the time (3 against 6 µs a batch
    of 200 rows of 50 float32 features, in a shuffled epoch)."""
    if type(index) is np.ndarray and type(array) is np.ndarray:
        return array.take(index, axis=0)
    return array[index]


class IteratorData:
    """Batches from the user: a list of (x, y) tuples or an iterable yielding x, (x, y) or
    (x, y, sample_weight).

    A re-iterable (a list, or an object with ``__iter__`` returning a fresh iterator) is
    read again each epoch.
    """

    def __init__(self, source: Iterable) -> None:
        self.source = source
        self.size: int | None = None  # unknown until read

    def steps(self, batch_size: int | None) -> int | None:
        """The number of batches, when the source knows it (``batch_size`` is the user's)."""
        return len(self.source) if isinstance(self.source, Sized) else None

    def batches(self, batch_size: int | None, shuffle: bool | str = False) -> Iterator[tuple]:
        """The user's batches as (x, y, sample_weight), in their order."""
        for item in self.source:
            yield as_batch(item)


class SequenceData:
    """Batches from a Keras ``PyDataset``-like object: ``len(source)`` batches,
    ``source[i]`` the i-th as x, (x, y) or (x, y, sample_weight). With ``shuffle`` the
    batches come in a new random order each epoch (as Keras does). As Keras 3 does,
    ``source.on_epoch_begin()`` is called before each pass and ``source.on_epoch_end()``
    after it (also after a pass that ``steps`` cut short), when they exist."""

    def __init__(self, source: Any) -> None:
        self.source = source
        self.size: int | None = None  # samples per batch are the source's business

    def steps(self, batch_size: int | None) -> int:
        return len(self.source)

    def batches(self, batch_size: int | None, shuffle: bool | str = False) -> Iterator[tuple]:
        self._hook("on_epoch_begin")  # before len(): the hook may change the batches
        count = len(self.source)
        order = random.permutation(count) if shuffle else range(count)
        try:
            for index in order:
                yield as_batch(self.source[int(index)])
        except GeneratorExit:  # the reader stopped early (steps): the pass ends here
            self._hook("on_epoch_end")
            raise
        self._hook("on_epoch_end")

    def _hook(self, name: str) -> None:
        hook = getattr(self.source, name, None)
        if callable(hook):
            hook()


class LimitedSteps:
    """``steps`` batches per pass of another data source.

    Training (``steps_per_epoch``) reads one stream that continues from pass to pass, as in
    Keras 3: a generator is read on where the last epoch stopped; a source that can be read
    again (arrays, a list, a ``PyDataset``) starts over, reshuffled, when it is used up, so
    every epoch has ``steps`` batches. Evaluation (``validation_steps``, and ``steps`` of
    ``evaluate`` and ``predict``; ``evaluation=True``) reads the first ``steps`` batches
    of the data at every pass and stops, with a warning, where the data ends, as Keras 3
    does: a sample is never evaluated twice, nor predicted twice in one result."""

    def __init__(self, data: Any, steps: int, what: str, evaluation: bool = False) -> None:
        if not isinstance(steps, int | np.integer) or isinstance(steps, bool) or steps < 1:
            raise ValueError(f"{what} must be a positive integer, got {steps!r}")
        self.data, self.count, self.what = data, int(steps), what
        self.evaluation = evaluation
        self.size = data.size
        self.stream: Iterator[tuple] | None = None

    def steps(self, batch_size: int | None) -> int:
        known = self.data.steps(batch_size) if self.evaluation else None
        return self.count if known is None else min(self.count, known)

    def batches(self, batch_size: int | None, shuffle: bool | str = False) -> Iterator[tuple]:
        rereads = self.evaluation and not _reads_once(self.data)
        if rereads:
            self.stream = None  # every pass from the start (a generator reads on)
        for _ in range(self.count):
            batch = self._next(batch_size, shuffle)
            if batch is None:
                return
            yield batch
        close = getattr(self.stream, "close", None)
        if rereads and close is not None:
            close()  # the pass ends here (a PyDataset's on_epoch_end)
            self.stream = None

    def _next(self, batch_size: int | None, shuffle: bool | str) -> tuple | None:
        for attempt in range(2):
            stream = self.stream
            if stream is None:
                stream = self.stream = iter(self.data.batches(batch_size, shuffle))
            try:
                return next(stream)
            except StopIteration:
                self.stream = None
                if attempt == 0 and not _reads_once(self.data) and not self.evaluation:
                    continue  # start over (training on a source that can be read again)
                break
        warnings.warn(
            f"the data ran out after fewer batches than {self.what}={self.count} asks for; "
            "this pass stops early",
            stacklevel=4,
        )
        return None


class ClassWeighted:
    """Another data source whose sample weights are multiplied by ``class_weight[label]``:
    the label is y itself, its arg-max for one-hot rows, or y rounded for one column (as
    Keras does); a class missing from ``class_weight`` weighs 1, as in Keras."""

    def __init__(self, data: Any, class_weight: dict) -> None:
        self.data, self.class_weight = data, self.checked(class_weight)
        self.size = data.size

    @staticmethod
    def checked(class_weight: Any) -> dict:
        """``class_weight`` as {int class: float weight}, or a TypeError."""
        if not isinstance(class_weight, dict):
            raise TypeError(
                f"fit: class_weight must be a dict from class index to weight, got "
                f"{type(class_weight).__name__}"
            )
        return {int(k): float(v) for k, v in class_weight.items()}

    def steps(self, batch_size: int | None) -> int | None:
        return self.data.steps(batch_size)

    def batches(self, batch_size: int | None, shuffle: bool | str = False) -> Iterator[tuple]:
        for x, y, sample_weight in self.data.batches(batch_size, shuffle):
            if y is None:
                raise ValueError("fit: class_weight needs labels y")
            weights = class_weights_of(np.asarray(y), self.class_weight)
            if sample_weight is not None:
                weights = weights * np.asarray(sample_weight, float).reshape(-1)
            yield x, y, weights


def class_weights_of(y: np.ndarray, class_weight: dict) -> np.ndarray:
    """Per-sample weights ``class_weight[label]`` (1 for classes not listed).

    >>> class_weights_of(np.array([0, 1, 1, 2]), {1: 5.0})
    array([1., 5., 5., 1.])
    """
    if y.dtype.kind in "USO":
        raise ValueError("fit: class_weight needs integer labels, got strings")
    if y.ndim > 1:
        y = np.argmax(y, axis=-1) if y.shape[-1] != 1 else y[..., 0]
    labels = np.round(y.reshape(len(y), -1)[:, 0]).astype(np.int64)
    return np.array([class_weight.get(int(label), 1.0) for label in labels])


def make_data(x: Any, y: Any, sample_weight: Any, what: str) -> Any:
    """Arrays (``ArrayData``); a ``PyDataset``-like object (``SequenceData``); or the
    user's batches (``IteratorData``) when ``x`` is an iterable of them and ``y`` is not
    given (a generator, a list of (x, y) tuples, a PyTorch ``DataLoader``)."""
    if x is None:
        raise ValueError(f"{what}: no data (x is None)")
    if _is_torch_dataset(x):
        raise TypeError(
            f"{what}: got a PyTorch {type(x).__name__}, whose items are single samples; "
            "wrap it in a torch.utils.data.DataLoader(dataset, batch_size=32), which "
            "yields batches, or pass the arrays"
        )
    if y is None and _is_sequence_of_batches(x):
        return SequenceData(x)
    if y is None and _is_batch_iterable(x):
        return IteratorData(x)
    for name, given in (("y", y), ("sample_weight", sample_weight)):
        if (
            given is not None
            and not isinstance(x, np.ndarray | list | Tensor)
            and (_is_sequence_of_batches(x) or _is_batch_iterable(x))
        ):
            raise ValueError(
                f"{what}: x is a source of batches ({type(x).__name__}), so {name} must "
                "come in its batches, not as a separate argument"
            )
    return ArrayData(x, y, sample_weight, what)


def feed(
    data: Any, steps: int | None, class_weight: dict | None, what: str, evaluation: bool = False
) -> Any:
    """``data`` read ``steps`` batches at a time (``steps_per_epoch``; with ``evaluation``,
    the first ``steps`` of each pass), weighted by class (``class_weight``); unchanged when
    both are None."""
    if class_weight is not None and isinstance(data, ArrayData) and data.y is not None:
        weights = class_weights_of(data.y, ClassWeighted(data, class_weight).class_weight)
        if data.sample_weight is not None:
            weights = weights * np.asarray(data.sample_weight, float).reshape(-1)
        data = ArrayData(data.x, data.y, weights)  # arrays: the weights computed once
    elif class_weight is not None:
        data = ClassWeighted(data, class_weight)
    if steps is not None:
        data = LimitedSteps(data, steps, what, evaluation)
    return data


def underlying(data: Any) -> Any:
    """The data a ``LimitedSteps`` reads from (the whole training set, for σ̂²)."""
    return data.data if isinstance(data, LimitedSteps) else data


def fit_data(
    x: Any, y: Any, sample_weight: Any, validation_split: float, validation_data: Any
) -> tuple[Any, Any]:
    """The training data and the validation data of ``fit``: ``validation_data``, or the
    last ``validation_split`` of the arrays (taken before any shuffling, as Keras does).

    >>> train, validation = fit_data(np.zeros((10, 2)), np.zeros(10), None, 0.2, None)
    >>> train.size, validation.size
    (8, 2)
    """
    data = make_data(x, y, sample_weight, "fit")
    if isinstance(data, ArrayData):  # once, before any work: NaN in, NaN weights out
        check_finite(data.x, "x", "fit")
        check_finite(data.y, "y", "fit")
    if validation_data is not None:
        return data, validation_source(validation_data)
    if not validation_split:
        return data, None
    if not isinstance(data, ArrayData):
        raise ValueError("fit: validation_split needs array inputs; pass validation_data")
    return data.split(validation_split)


def validation_source(validation_data: Any) -> Any:
    """``validation_data``: a tuple (or list) ``(x, y)`` or ``(x, y, sample_weight)`` of
    arrays, or a source of batches (a list of batches, a generator, a ``PyDataset``, a
    ``DataLoader``).

    >>> validation_source((np.zeros((4, 2)), np.zeros(4))).size
    4
    """
    what = "fit: validation_data"
    if isinstance(validation_data, list) and not _is_batch_iterable(validation_data):
        validation_data = tuple(validation_data)  # [x, y] is (x, y), as Keras unpacks it
    if isinstance(validation_data, tuple) and 2 <= len(validation_data) <= 3:
        first = validation_data[0]
        if not (_is_sequence_of_batches(first) or _is_batch_iterable(first)) or isinstance(
            first, list
        ):
            return ArrayData(*validation_data, what=what)
    return make_data(validation_data, None, None, what)


def batch_size_for(data: Any, batch_size: Any) -> int | None:
    """The number of samples per batch (None: the user's batches, as they come).

    >>> batch_size_for(ArrayData(np.zeros((10, 2))), None)
    10
    """
    if data.size is None:
        return None
    return resolve_batch_size(batch_size, data.size)


def _reads_once(data: Any) -> bool:
    """A source that a second pass would find empty (a generator or an iterator)."""
    source = getattr(data, "source", None)
    if source is None:
        inner = getattr(data, "data", None)
        return inner is not None and _reads_once(inner)
    return iter(source) is source if hasattr(source, "__iter__") else False


def _is_torch_dataset(x: Any) -> bool:
    """A PyTorch map-style or iterable ``Dataset`` (whose items are samples, not batches)."""
    return any(
        cls.__module__.startswith("torch.utils.data") and cls.__name__.endswith("Dataset")
        for cls in type(x).__mro__
    )


def _is_sequence_of_batches(x: Any) -> bool:
    """A Keras ``PyDataset``-like object: ``__len__`` and ``__getitem__`` returning batches,
    and not itself an array (no ``__array__``), a list, a tuple or a dict."""
    if isinstance(x, list | tuple | dict | str | bytes | np.ndarray | Tensor):
        return False
    return hasattr(x, "__len__") and hasattr(x, "__getitem__") and not hasattr(x, "__array__")


def _is_batch_iterable(x: Any) -> bool:
    """A list of (x, y) tuples, or any non-array iterable, is a source of batches."""
    if isinstance(x, list):
        return bool(x) and all(isinstance(item, tuple) for item in x)
    if isinstance(x, np.ndarray | Tensor) or hasattr(x, "__array__"):
        return False
    return hasattr(x, "__iter__") or hasattr(x, "__next__")

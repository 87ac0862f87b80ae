"""Keras' ``keras.utils`` names a Keras user reaches for: ``to_categorical``, ``PyDataset``
(``fit``, ``evaluate`` and ``predict`` accept any object with ``__len__`` and
``__getitem__`` returning batches; this base class is for code written against Keras'),
its alias ``Sequence``, ``one_hot`` (Keras' ``keras.ops.one_hot``; deepgrad has no public
``ops`` namespace), ``set_random_seed``, ``normalize``, ``split_dataset``,
``pack_x_y_sample_weight`` / ``unpack_x_y_sample_weight``, ``pad_sequences``,
``timeseries_dataset_from_array``, ``Progbar``, and Keras' custom-object and serialization helpers
(``deepgrad.serialization``).
"""

from __future__ import annotations

import random as python_random
from typing import Any

import numpy as np

from deepgrad import random
from deepgrad.dataset_utils import (
    one_hot,
    pack_x_y_sample_weight,
    pad_sequences,
    split_dataset,
    to_categorical,
    unpack_x_y_sample_weight,
)
from deepgrad.serialization import (
    CustomObjectScope,
    custom_object_scope,
    deserialize_keras_object,
    get_custom_objects,
    get_registered_object,
    register_keras_serializable,
    serialize_keras_object,
)
from deepgrad.tensor import raw_data, read_value
from deepgrad.training.progbar import Progbar

__all__ = [
    "CustomObjectScope",
    "Progbar",
    "PyDataset",
    "Sequence",
    "custom_object_scope",
    "deserialize_keras_object",
    "get_custom_objects",
    "get_registered_object",
    "normalize",
    "one_hot",
    "pack_x_y_sample_weight",
    "pad_sequences",
    "register_keras_serializable",
    "serialize_keras_object",
    "set_random_seed",
    "split_dataset",
    "timeseries_dataset_from_array",
    "to_categorical",
    "unpack_x_y_sample_weight",
]


def set_random_seed(seed: int) -> None:
    """Seed every generator a deepgrad program draws from, as Keras'
    ``utils.set_random_seed``: deepgrad's own (``deepgrad.random.seed``: initial weights,
    dropout, shuffling in ``fit``, on every device), Python's ``random`` and NumPy's global
    one (``np.random.seed``).

    >>> set_random_seed(1); a = random.normal(size=2), python_random.random()
    >>> set_random_seed(1); b = random.normal(size=2), python_random.random()
    >>> bool((a[0] == b[0]).all()) and a[1] == b[1]
    True
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise ValueError(
            f"set_random_seed: expected an integer seed, got {seed!r} (of type {type(seed)})"
        )
    random.seed(int(seed))
    python_random.seed(int(seed))
    np.random.seed(int(seed))


def normalize(x: Any, axis: int = -1, order: Any = 2) -> np.ndarray:
    """``x`` divided by its ``order``-norm along ``axis`` (Keras' ``utils.normalize``, for
    NumPy arrays): a slice whose norm is 0 is left as it is. ``order`` is
    ``np.linalg.norm``'s ``ord`` for vectors (``1``, ``2``, ``np.inf``, ...).

    Unlike Keras 3.15, a 1-D array keeps its shape (Keras returns it as one row) and
    ``axis=0`` divides by the norms along axis 0 (Keras divides by them along the last
    axis: wrong numbers on a square array, an error otherwise).

    >>> normalize(np.array([[3.0, 4.0], [0.0, 0.0]]))
    array([[0.6, 0.8],
           [0. , 0. ]])
    """
    array = np.asarray(read_value(x, "normalize's input"))
    if array.dtype.kind not in "iubf":
        raise TypeError(f"normalize: expected a numeric array, got dtype {array.dtype}")
    if isinstance(axis, bool) or not isinstance(axis, int | np.integer):
        raise TypeError(f"normalize: axis must be one integer, got {axis!r}")
    if not -array.ndim <= axis < array.ndim:
        raise ValueError(f"normalize: axis {axis} is out of range for shape {array.shape}")
    norm = np.linalg.norm(array, ord=order, axis=int(axis), keepdims=True)
    norm[norm == 0] = 1
    return array / norm


class PyDataset:
    """A base class for a source of batches, as Keras' ``PyDataset``: write ``__len__``
    (the number of batches) and ``__getitem__(index)`` (one batch: ``x``, ``(x, y)`` or
    ``(x, y, sample_weight)``), optionally ``on_epoch_begin`` and ``on_epoch_end``,
    called before and after each pass (of ``fit``, ``evaluate``, ``predict`` and each
    validation), as Keras 3 calls them. ``fit`` reads the batches in
    a new order each epoch when ``shuffle=True`` (as Keras does). ``workers`` and
    ``use_multiprocessing`` are accepted for Keras code; batches are read in this process.

    >>> class Halves(PyDataset):
    ...     def __len__(self):
    ...         return 2
    ...     def __getitem__(self, index):
    ...         x = np.full((3, 1), float(index), np.float32)
    ...         return x, 2 * x
    >>> import deepgrad as dg
    >>> model = dg.Sequential([dg.layers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> len(model.fit(Halves(), epochs=2, verbose=0).history["loss"])
    2
    """

    def __init__(
        self, workers: int = 1, use_multiprocessing: bool = False, max_queue_size: int = 10
    ) -> None:
        self.workers, self.use_multiprocessing = workers, use_multiprocessing
        self.max_queue_size = max_queue_size

    @property
    def num_batches(self) -> int:
        return len(self)

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__}: write __len__ (the number of batches)")

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__}: write __getitem__ (one batch)")

    def on_epoch_begin(self) -> None:
        """Called before each pass over the batches; does nothing unless overridden."""

    def on_epoch_end(self) -> None:
        """Called after each pass over the batches; does nothing unless overridden."""


Sequence = PyDataset  # Keras 3's name for the same class, kept from Keras 2


def timeseries_dataset_from_array(
    data: Any,
    targets: Any,
    sequence_length: int,
    sequence_stride: int = 1,
    sampling_rate: int = 1,
    batch_size: int | None = 128,
    shuffle: bool = False,
    seed: int | None = None,
    start_index: int | None = None,
    end_index: int | None = None,
) -> PyDataset:
    """Batches of sliding windows over a timeseries, as Keras'
    ``utils.timeseries_dataset_from_array``, as a ``PyDataset`` that ``fit``, ``evaluate``
    and ``predict`` take (Keras gives a ``tf.data.Dataset``).

    Window ``k`` starts at ``p = k * sequence_stride`` (counted from ``start_index``) and
    holds ``data[start_index + p + j * sampling_rate]`` for ``j`` in
    ``0..sequence_length-1``; its target is ``targets[start_index + p]``. Windows go up to
    ``end_index`` (exclusive; by default the end of ``data``), and there are at most
    ``len(targets)`` of them. A batch is ``(x, y)`` NumPy arrays (``x`` alone when
    ``targets`` is None); the last one holds what is left. ``shuffle=True`` orders the
    windows by Keras' ``np.random.RandomState(seed)`` permutation (``seed=None`` draws
    one from NumPy's global generator, as Keras does); Keras then shuffles again within a
    buffer of ``8 * batch_size`` windows with TensorFlow's generator, which deepgrad does
    not reproduce: the same windows and targets, in another order.

    >>> batches = timeseries_dataset_from_array(
    ...     np.arange(10), np.arange(10) * 10, sequence_length=3, sequence_stride=2,
    ...     batch_size=2)
    >>> len(batches)
    2
    >>> batches[0]
    (array([[0, 1, 2],
           [2, 3, 4]]), array([ 0, 20]))
    >>> batches[1]
    (array([[4, 5, 6],
           [6, 7, 8]]), array([40, 60]))
    """
    series = np.asarray(raw_data(data))
    labels = None if targets is None else np.asarray(raw_data(targets))
    start, end = _timeseries_bounds(len(series), start_index, end_index)
    _check_timeseries_arguments(len(series), sequence_length, sequence_stride, sampling_rate)
    batch = _checked_batch_size(batch_size)
    num_windows = end - start - (sequence_length - 1) * sampling_rate
    if labels is not None:
        num_windows = min(num_windows, len(labels))
    positions = np.arange(0, max(num_windows, 0), sequence_stride)
    if not len(positions):
        raise ValueError(
            f"timeseries_dataset_from_array: no window of sequence_length={sequence_length} "
            f"and sampling_rate={sampling_rate} fits in data[{start}:{end}]"
            + ("" if labels is None else f" with {len(labels)} targets")
        )
    if labels is not None and start + positions.max() >= len(labels):
        raise ValueError(
            f"timeseries_dataset_from_array: the window starting at {start + positions.max()} "
            f"has no target: targets has length {len(labels)} (start_index={start})"
        )
    if shuffle:
        if seed is None:
            seed = int(np.random.randint(1_000_000))
        np.random.RandomState(seed).shuffle(positions)
    steps = np.arange(sequence_length) * sampling_rate
    return _TimeseriesBatches(series, labels, start + positions, steps, batch)


class _TimeseriesBatches(PyDataset):
    """Batches of windows ``series[first + steps]`` for each window's first index, with
    ``labels[first]`` when there are labels."""

    def __init__(
        self,
        series: np.ndarray,
        labels: np.ndarray | None,
        firsts: np.ndarray,
        steps: np.ndarray,
        batch_size: int,
    ) -> None:
        super().__init__()
        self.series, self.labels, self.firsts = series, labels, firsts
        self.steps, self.batch_size = steps, batch_size

    def __len__(self) -> int:
        return -(-len(self.firsts) // self.batch_size)

    def __getitem__(self, index: int) -> Any:
        if not 0 <= index < len(self):
            raise IndexError(
                f"timeseries_dataset_from_array: batch {index} out of range ({len(self)} batches)"
            )
        firsts = self.firsts[index * self.batch_size : (index + 1) * self.batch_size]
        windows = self.series[firsts[:, None] + self.steps]
        return windows if self.labels is None else (windows, self.labels[firsts])


def _check_timeseries_arguments(length: int, sequence_length: Any, stride: Any, rate: Any) -> None:
    """Keras' checks of the window arguments, and deepgrad's of their types."""
    for name, number in (
        ("sequence_length", sequence_length),
        ("sampling_rate", rate),
        ("sequence_stride", stride),
    ):
        if isinstance(number, bool) or not isinstance(number, int | np.integer):
            raise TypeError(
                f"timeseries_dataset_from_array: `{name}` must be an integer, got {number!r}"
            )
        if number <= 0:
            raise ValueError(
                f"timeseries_dataset_from_array: `{name}` must be higher than 0. "
                f"Received: {name}={number}"
            )
        if name != "sequence_length" and number >= length:
            raise ValueError(
                f"timeseries_dataset_from_array: `{name}` must be lower than the length of "
                f"the data. Received: {name}={number}, for data of length {length}"
            )


def _checked_batch_size(batch_size: Any) -> int:
    """``batch_size`` as a positive integer; None (Keras' unbatched samples) is refused."""
    if batch_size is None:
        raise ValueError(
            "timeseries_dataset_from_array: batch_size=None (single windows, not batches) is "
            "not supported: fit takes batches; pass an integer batch_size"
        )
    if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer):
        raise TypeError(
            f"timeseries_dataset_from_array: `batch_size` must be an integer, got {batch_size!r}"
        )
    if batch_size <= 0:
        raise ValueError(
            f"timeseries_dataset_from_array: `batch_size` must be higher than 0, got {batch_size}"
        )
    return int(batch_size)


def _timeseries_bounds(length: int, start_index: Any, end_index: Any) -> tuple[int, int]:
    """``start_index`` and ``end_index`` checked as Keras checks them (``end_index`` must
    be lower than the length of the data), with their defaults."""
    for name, index in (("start_index", start_index), ("end_index", end_index)):
        if index is not None and (
            isinstance(index, bool) or not isinstance(index, int | np.integer)
        ):
            raise TypeError(
                f"timeseries_dataset_from_array: `{name}` must be an integer or None, got {index!r}"
            )
    start = 0 if start_index is None else int(start_index)
    if start < 0:
        raise ValueError(
            "timeseries_dataset_from_array: `start_index` must be 0 or greater. "
            f"Received: start_index={start}"
        )
    if start >= length:
        raise ValueError(
            "timeseries_dataset_from_array: `start_index` must be lower than the length of "
            f"the data. Received: start_index={start}, for data of length {length}"
        )
    if end_index is None:
        return start, length
    end = int(end_index)
    if end <= 0:
        raise ValueError(
            f"timeseries_dataset_from_array: `end_index` must be higher than 0. "
            f"Received: end_index={end}"
        )
    if start and end <= start:
        raise ValueError(
            "timeseries_dataset_from_array: `end_index` must be higher than `start_index`. "
            f"Received: start_index={start}, and end_index={end}"
        )
    if end >= length:
        raise ValueError(
            "timeseries_dataset_from_array: `end_index` must be lower than the length of the "
            f"data. Received: end_index={end}, for data of length {length}"
        )
    return start, end

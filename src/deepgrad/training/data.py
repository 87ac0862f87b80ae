"""Batching: arrays (or lists) split into shuffled minibatches, or a user's batch iterator.

``batch_size=None`` (or ``"full"``) is full-batch gradient descent, ``batch_size=1`` is
one-example SGD and anything in between is minibatch SGD: the three forms of the lecture.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sized
from typing import Any

import numpy as np

from deepgrad import random
from deepgrad.tensor import Tensor, raw_data


def as_array(data: Any, what: str) -> np.ndarray:
    """A NumPy array from an array, list or Tensor, with a clear error otherwise."""
    if isinstance(data, Tensor):
        return raw_data(data)
    try:
        return np.asarray(data)
    except (ValueError, TypeError) as error:
        raise TypeError(
            f"{what}: expected an array or list, got {type(data).__name__}: {error}"
        ) from None


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
        self.sample_weight = (
            None if sample_weight is None else as_array(sample_weight, f"{what}: sample_weight")
        )
        n = len(self.x)
        for name, array in (("y", self.y), ("sample_weight", self.sample_weight)):
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

    def batches(self, batch_size: int | None, shuffle: bool = False) -> Iterator[tuple]:
        """(x, y, sample_weight) batches, in a new random order when ``shuffle``."""
        batch_size = batch_size or max(self.size, 1)
        order = random.permutation(self.size) if shuffle else None
        for start in range(0, self.size, batch_size):
            index = (
                slice(start, start + batch_size)
                if order is None
                else order[start : start + batch_size]
            )
            yield (
                self.x[index],
                None if self.y is None else self.y[index],
                None if self.sample_weight is None else self.sample_weight[index],
            )


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

    def batches(self, batch_size: int | None, shuffle: bool = False) -> Iterator[tuple]:
        """The user's batches as (x, y, sample_weight), in their order."""
        for item in self.source:
            if isinstance(item, tuple | list):
                parts = list(item) + [None] * (3 - len(item))
                yield tuple(parts[:3])
            else:
                yield item, None, None


def make_data(x: Any, y: Any, sample_weight: Any, what: str) -> ArrayData | IteratorData:
    """Arrays (``ArrayData``), or the user's batches (``IteratorData``) when ``x`` is an
    iterable of them and ``y`` is not given."""
    if x is None:
        raise ValueError(f"{what}: no data (x is None)")
    if y is None and _is_batch_iterable(x):
        return IteratorData(x)
    return ArrayData(x, y, sample_weight, what)


def fit_data(
    x: Any, y: Any, sample_weight: Any, validation_split: float, validation_data: Any
) -> tuple[ArrayData | IteratorData, ArrayData | None]:
    """The training data and the validation data of ``fit``: ``validation_data``, or the
    last ``validation_split`` of the arrays (taken before any shuffling, as Keras does).

    >>> train, validation = fit_data(np.zeros((10, 2)), np.zeros(10), None, 0.2, None)
    >>> train.size, validation.size
    (8, 2)
    """
    data = make_data(x, y, sample_weight, "fit")
    if validation_data is not None:
        return data, ArrayData(*validation_data, what="fit: validation_data")
    if not validation_split:
        return data, None
    if not isinstance(data, ArrayData):
        raise ValueError("fit: validation_split needs array inputs; pass validation_data")
    return data.split(validation_split)


def batch_size_for(data: ArrayData | IteratorData, batch_size: Any) -> int | None:
    """The number of samples per batch (None: the user's batches, as they come).

    >>> batch_size_for(ArrayData(np.zeros((10, 2))), None)
    10
    """
    if data.size is None:
        return None
    return resolve_batch_size(batch_size, data.size)


def _is_batch_iterable(x: Any) -> bool:
    """A list of (x, y) tuples, or any non-array iterable, is a source of batches."""
    if isinstance(x, list):
        return bool(x) and all(isinstance(item, tuple) for item in x)
    if isinstance(x, np.ndarray | Tensor):
        return False
    return hasattr(x, "__iter__") or hasattr(x, "__next__")

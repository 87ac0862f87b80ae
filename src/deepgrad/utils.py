"""Keras' ``keras.utils`` names a Keras user reaches for: ``to_categorical``, ``PyDataset``
(``fit``, ``evaluate`` and ``predict`` accept any object with ``__len__`` and
``__getitem__`` returning batches; this base class is for code written against Keras'),
and ``one_hot`` (Keras' ``keras.ops.one_hot``; deepgrad has no public ``ops`` namespace).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad.tensor import raw_data


def one_hot(x: Any, num_classes: int, axis: int = -1, dtype: Any = "float32") -> np.ndarray:
    """Integer labels as one-hot rows along a new ``axis`` (Keras' ``ops.one_hot``): a
    label outside 0..num_classes-1 gives a row of zeros, as in Keras.

    >>> one_hot([0, 2], 3)
    array([[1., 0., 0.],
           [0., 0., 1.]], dtype=float32)
    """
    labels = np.asarray(raw_data(x))
    if labels.dtype.kind not in "iub":
        if labels.dtype.kind == "f" and np.all(labels == np.round(labels)):
            labels = labels.astype(np.int64)
        else:
            raise TypeError(
                f"one_hot: expected integer labels, got dtype {labels.dtype} (shape {labels.shape})"
            )
    if int(num_classes) < 1:
        raise ValueError(f"one_hot: num_classes must be positive, got {num_classes}")
    encoded = (labels[..., None] == np.arange(int(num_classes))).astype(dtype)
    return np.moveaxis(encoded, -1, axis) if axis != -1 else encoded


def to_categorical(x: Any, num_classes: int | None = None) -> np.ndarray:
    """Integer class labels as a one-hot float matrix (Keras' ``utils.to_categorical``):
    ``num_classes`` defaults to the largest label + 1; a trailing axis of size 1 is
    dropped first.

    >>> to_categorical([0, 2, 1])
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]])
    """
    labels = np.asarray(raw_data(x))
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if labels.dtype.kind not in "iu":
        if labels.dtype.kind == "f" and np.all(labels == np.round(labels)):
            labels = labels.astype(np.int64)
        else:
            raise TypeError(
                f"to_categorical: expected integer class labels, got dtype {labels.dtype} "
                "(map string labels to integers first: np.unique(y, return_inverse=True))"
            )
    if labels.size and labels.min() < 0:
        raise ValueError(f"to_categorical: labels must be non-negative, got {labels.min()}")
    count = int(labels.max()) + 1 if num_classes is None else int(num_classes)
    if labels.size and labels.max() >= count:
        raise ValueError(f"to_categorical: label {labels.max()} does not fit num_classes={count}")
    return one_hot(labels, count, dtype="float64")


class PyDataset:
    """A base class for a source of batches, as Keras' ``PyDataset``: write ``__len__``
    (the number of batches) and ``__getitem__(index)`` (one batch: ``x``, ``(x, y)`` or
    ``(x, y, sample_weight)``), optionally ``on_epoch_end``. ``fit`` reads the batches in
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
        """Called before each epoch (Keras' hook); does nothing unless overridden."""

    def on_epoch_end(self) -> None:
        """Called after each pass over the batches; does nothing unless overridden."""

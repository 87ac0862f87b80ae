"""Keras' ``keras.utils`` names a Keras user reaches for: ``to_categorical``, ``PyDataset``
(``fit``, ``evaluate`` and ``predict`` accept any object with ``__len__`` and
``__getitem__`` returning batches; this base class is for code written against Keras'),
its alias ``Sequence``, ``one_hot`` (Keras' ``keras.ops.one_hot``; deepgrad has no public
``ops`` namespace), ``set_random_seed``, ``normalize``, ``split_dataset``,
``pack_x_y_sample_weight`` / ``unpack_x_y_sample_weight``, ``pad_sequences``,
``Progbar``, and Keras' custom-object and serialization helpers
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
from deepgrad.tensor import raw_data
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
    array = np.asarray(raw_data(x))
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


Sequence = PyDataset  # Keras 3's name for the same class, kept from Keras 2

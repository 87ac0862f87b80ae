"""Reshaping layers from Keras 3 beyond Flatten and Reshape: RepeatVector and Permute."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from deepgrad import numpy as dnp
from deepgrad.layers.base import Layer, register_serializable
from deepgrad.tensor import raw_data


@register_serializable
class RepeatVector(Layer):
    """(batch, features) → (batch, n, features): each sample repeated ``n`` times, as
    Keras 3's ``RepeatVector`` (e.g. to feed one encoding to every step of a decoder).

    >>> import numpy as np
    >>> RepeatVector(3)(np.array([[1.0, 2.0]], np.float32)).numpy().tolist()
    [[[1.0, 2.0], [1.0, 2.0], [1.0, 2.0]]]
    """

    def __init__(self, n: int, **kwargs: Any) -> None:
        if not isinstance(n, int | np.integer) or isinstance(n, bool):
            raise TypeError(f"RepeatVector: n must be an integer, got {n!r} ({type(n).__name__})")
        if n <= 0:
            raise ValueError(f"RepeatVector: n must be a positive integer, got n={n}")
        self.n = int(n)
        super().__init__(**kwargs)

    def build(self, input_shape: tuple) -> None:
        self._check_rank(input_shape)

    def _check_rank(self, shape: tuple) -> None:
        if len(shape) != 2:
            raise ValueError(
                f"RepeatVector {self.name!r}: expected inputs of shape (batch, features), "
                f"got shape {tuple(shape)} ({len(shape)} dimensions; Keras' input spec is ndim=2)"
            )

    def call(self, inputs: Any) -> Any:
        shape = np.shape(raw_data(inputs))
        self._check_rank(shape)
        return dnp.repeat(dnp.reshape(inputs, (shape[0], 1, shape[1])), self.n, axis=1)

    def get_config(self) -> dict:
        return {**super().get_config(), "n": self.n}


@register_serializable
class Permute(Layer):
    """Reorders the axes after the batch axis, as Keras 3's ``Permute``: ``dims`` is a
    permutation of 1, ..., rank − 1 (``Permute((2, 1))`` swaps the two axes of
    (batch, steps, features)).

    >>> import numpy as np
    >>> Permute((2, 1))(np.zeros((4, 3, 5), np.float32)).shape
    (4, 5, 3)
    """

    def __init__(self, dims: Sequence[int], **kwargs: Any) -> None:
        if not isinstance(dims, list | tuple) or sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(
                "Permute: dims must be a permutation of the axes after the batch axis, "
                f"1 to len(dims) (the batch axis 0 stays first), got dims={dims!r}"
            )
        self.dims = tuple(int(d) for d in dims)
        super().__init__(**kwargs)

    def build(self, input_shape: tuple) -> None:
        self._check_rank(input_shape)

    def _check_rank(self, shape: tuple) -> None:
        if len(shape) != len(self.dims) + 1:
            raise ValueError(
                f"Permute {self.name!r}: dims={self.dims} permutes inputs of "
                f"{len(self.dims) + 1} dimensions (batch axis included), got shape "
                f"{tuple(shape)}"
            )

    def call(self, inputs: Any) -> Any:
        self._check_rank(np.shape(raw_data(inputs)))
        return dnp.transpose(inputs, (0, *self.dims))

    def get_config(self) -> dict:
        return {**super().get_config(), "dims": list(self.dims)}

"""Normalization: Keras 3's preprocessing layer that standardizes inputs with a mean and a
variance computed by ``adapt`` or given."""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad import numpy as dnp
from deepgrad.device import device_of, to_device
from deepgrad.layers.base import Layer, register_serializable
from deepgrad.tensor import raw_data


@register_serializable
class Normalization(Layer):
    """(x − mean) / max(√variance, 1e-7), one mean and variance per position of the kept
    ``axis`` (an int, a tuple of ints, or None for one mean and variance over everything),
    as Keras 3's ``Normalization``. ``adapt(data)`` computes them from ``data`` (an array, or
    an iterable of batches) and keeps them as non-trainable weights, so a saved model
    standardizes its own inputs; or give ``mean`` and ``variance`` (numbers or arrays laid
    on the kept axes from the last), which the layer keeps as constants (no weights).
    ``invert=True`` maps back: mean + x · max(√variance, 1e-7).

    >>> import numpy as np
    >>> norm = Normalization()
    >>> norm.adapt(np.array([[1.0], [3.0]], np.float32))
    >>> norm(np.array([[3.0]], np.float32))
    Tensor([[1.]], dtype=float32)
    >>> Normalization(mean=2.0, variance=1.0, invert=True)(np.array([[1.0]], np.float32))
    Tensor([[3.]], dtype=float32)
    """

    def __init__(
        self,
        axis: int | tuple[int, ...] | list[int] | None = -1,
        mean: Any = None,
        variance: Any = None,
        invert: bool = False,
        **kwargs: Any,
    ) -> None:
        self.axis = _normalization_axes(axis)
        self.input_mean, self.input_variance = _given_statistics(mean, variance, self.axis)
        self.invert = bool(invert)
        super().__init__(**kwargs)

    def build(self, input_shape: tuple) -> None:
        ndim = len(input_shape)
        if any(not -ndim <= axis < ndim for axis in self.axis):
            raise ValueError(
                f"Normalization {self.name!r}: axis={self.axis} names an axis that inputs of "
                f"shape {tuple(input_shape)} lack (expected -{ndim} to {ndim - 1})"
            )
        self._kept = tuple(sorted({axis % ndim for axis in self.axis}))
        if any(input_shape[axis] is None for axis in self._kept):
            raise ValueError(
                f"Normalization {self.name!r}: axis={self.axis} keeps an axis of unknown size "
                f"in the input shape {tuple(input_shape)}; the mean and variance need its size"
            )
        self._broadcast_shape = tuple(
            int(input_shape[axis]) if axis in self._kept else 1 for axis in range(ndim)
        )
        if self.input_mean is None:
            shape = tuple(int(input_shape[axis]) for axis in self._kept)
            self.mean = self.add_weight("mean", shape, "zeros", trainable=False)
            self.variance = self.add_weight("variance", shape, "ones", trainable=False)
        else:
            self.mean = self._laid_on_kept_axes(self.input_mean)
            self.variance = self._laid_on_kept_axes(self.input_variance)

    def _laid_on_kept_axes(self, value: Any) -> np.ndarray:
        """A given mean or variance broadcast to the kept axes, its axes matched to them
        from the last, as Keras lays them."""
        array = np.asarray(value, dtype=self.dtype)
        expanded = [1] * len(self._broadcast_shape)
        for i in range(1, array.ndim + 1):
            expanded[self._kept[-i]] = array.shape[-i]
        try:
            return np.broadcast_to(array.reshape(expanded), self._broadcast_shape).copy()
        except ValueError:
            raise ValueError(
                f"Normalization {self.name!r}: mean and variance of shape {array.shape} do "
                f"not fit the kept axes {self._kept} of sizes "
                f"{tuple(self._broadcast_shape[a] for a in self._kept)}"
            ) from None

    def adapt(self, data: Any) -> None:
        """Set mean and variance from ``data``: an array (samples along the first axis), or
        an iterable of such batches (a batch may be an ``(x, y)`` tuple: x is used). Data
        with no values to average (no samples) is refused, where Keras keeps a NaN mean."""
        if self.input_mean is not None:
            raise ValueError(
                f"Normalization {self.name!r}: adapt() on a layer given mean and variance; "
                "make it without them to adapt it"
            )
        data = _adapt_data(data)
        if not self.built:
            self.build_for(data.shape)
        self._check_kept_sizes(data.shape, "adapt() data")
        reduced = tuple(axis for axis in range(data.ndim) if axis not in self._kept)
        if any(data.shape[axis] == 0 for axis in reduced):
            raise ValueError(
                f"Normalization {self.name!r}: adapt() data of shape {data.shape} has no "
                f"values to average over its axes {reduced} (the mean and variance would "
                "be NaN)"
            )
        raw_data(self.mean)[...] = data.mean(axis=reduced)
        raw_data(self.variance)[...] = data.var(axis=reduced)

    def _check_kept_sizes(self, shape: tuple, what: str) -> None:
        """The rank and the size of each kept axis are those the layer was built for (a size
        of 1 would otherwise broadcast against every mean)."""
        built = self._broadcast_shape
        if len(shape) != len(built) or any(shape[a] != built[a] for a in self._kept):
            expected = tuple(built[a] if a in self._kept else "any" for a in range(len(built)))
            raise ValueError(
                f"Normalization {self.name!r}: {what} of shape {tuple(shape)}, but the layer "
                f"was built for shape {expected} (axis={self.axis})"
            )

    def call(self, inputs: Any) -> Any:
        self._check_kept_sizes(np.shape(raw_data(inputs)), "inputs")
        if raw_data(inputs).dtype != self.dtype:  # integer data too, as Keras casts it
            inputs = dnp.astype(inputs, self.dtype)
        # deepgrad ops on the weights, so that a compiled step reads them at every replay
        # (an adapt() after the first steps is seen) rather than freezing their square root
        mean, variance = self.mean, self.variance
        where = device_of(raw_data(inputs))
        if self.input_mean is not None and where.kind != "cpu":  # given: host constants
            mean, variance = to_device(mean, where), to_device(variance, where)
        mean = dnp.reshape(mean, self._broadcast_shape)
        variance = dnp.reshape(variance, self._broadcast_shape)
        # a constant feature's deviation floored at 1e-7, Keras' backend.epsilon()
        deviation = dnp.astype(dnp.maximum(dnp.sqrt(variance), 1e-7), self.dtype)
        mean = dnp.astype(mean, self.dtype)
        if self.invert:
            return mean + inputs * deviation
        return (inputs - mean) / deviation

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "axis": list(self.axis),
            "mean": _as_list(self.input_mean),
            "variance": _as_list(self.input_variance),
            "invert": self.invert,
        }


def _normalization_axes(axis: Any) -> tuple[int, ...]:
    """Keras' ``axis``: None (nothing kept), an int, or a list/tuple of ints, as a tuple."""
    if axis is None:
        return ()
    if isinstance(axis, int | np.integer) and not isinstance(axis, bool):
        return (int(axis),)
    if isinstance(axis, list | tuple) and all(
        isinstance(a, int | np.integer) and not isinstance(a, bool) for a in axis
    ):
        return tuple(int(a) for a in axis)
    raise TypeError(f"Normalization: axis must be None, an int or a tuple of ints, got {axis!r}")


def _given_statistics(mean: Any, variance: Any, axis: tuple[int, ...]) -> tuple[Any, Any]:
    """``mean`` and ``variance``, both or neither, of one shape of rank ≤ the kept axes."""
    if (mean is None) != (variance is None):
        raise ValueError(
            "Normalization: give both mean and variance, or neither (to adapt the layer), "
            f"got mean={mean!r} and variance={variance!r}"
        )
    if mean is None:
        return None, None
    mean, variance = np.asarray(raw_data(mean)), np.asarray(raw_data(variance))
    if mean.shape != variance.shape or mean.ndim > len(axis):
        raise ValueError(
            f"Normalization: mean and variance must have one shape, of at most {len(axis)} "
            f"axes (one per kept axis, axis={axis}), got shapes {mean.shape} and {variance.shape}"
        )
    return mean, variance


def _adapt_data(data: Any) -> np.ndarray:
    """``adapt``'s data as one array: an array as it is, an iterable of batches joined."""
    if isinstance(data, np.ndarray) or hasattr(data, "__array__") or not hasattr(data, "__iter__"):
        return np.asarray(raw_data(data), dtype=np.float64)
    batches = [batch[0] if isinstance(batch, tuple) else batch for batch in data]
    if not batches:
        raise ValueError("Normalization.adapt: got an empty iterable of batches")
    if not all(hasattr(raw_data(batch), "shape") for batch in batches):
        return np.asarray(batches, dtype=np.float64)  # nested lists of numbers: one array
    return np.concatenate([np.asarray(raw_data(b), dtype=np.float64) for b in batches])


def _as_list(value: np.ndarray | None) -> Any:
    return None if value is None else value.tolist()

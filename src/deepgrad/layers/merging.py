"""Merge layers: one output from a list of inputs (Keras' ``Concatenate``, ``Add``,
``Subtract``, ``Multiply``, ``Average``, ``Maximum``, ``Minimum``, ``Dot``), and their
functional forms (``concatenate([a, b])`` is ``Concatenate()([a, b])``).

>>> import numpy as np
>>> a, b = np.ones((2, 3), np.float32), np.full((2, 3), 3.0, np.float32)
>>> Average()([a, b])[0].numpy(), Concatenate()([a, b]).shape
(array([2., 2., 2.], dtype=float32), (2, 6))
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from deepgrad import numpy as dnp
from deepgrad.layers.base import Layer, register_serializable
from deepgrad.layers.normalization import l2_normalize
from deepgrad.tensor import raw_data


class Merge(Layer):
    """Base class: checks that it gets a list of inputs with compatible shapes and one
    batch size. The elementwise merges give an input of lower rank new axes after its
    batch axis, as Keras 3 does: (batch, 5) with (batch, 3, 5) adds x[:, None] to the
    other (NumPy's broadcasting would add x[None], mixing up samples). Integer and
    boolean inputs merged with floating ones take the floating inputs' dtype, as Keras
    promotes them (int32 with float32 gives float32, where NumPy would give float64)."""

    min_inputs = 1
    elementwise = True  # inputs of different ranks are aligned after their batch axis

    def build(self, input_shape: Any) -> None:
        if not isinstance(input_shape, list) or len(input_shape) < self.min_inputs:
            raise ValueError(
                f"{type(self).__name__} {self.name!r}: expected a list of at least "
                f"{self.min_inputs} inputs, got inputs of shape {input_shape}"
            )
        self.check_shapes([tuple(s) for s in input_shape])

    def check_shapes(self, shapes: list[tuple]) -> None:
        """Elementwise merges: sample shapes equal, or broadcastable (1 against n)."""
        try:
            np.broadcast_shapes(*(tuple(1 if n is None else n for n in s[1:]) for s in shapes))
        except ValueError:
            raise ValueError(
                f"{type(self).__name__} {self.name!r}: inputs of shapes {shapes} cannot be "
                "combined elementwise; their shapes must match (or be 1 where they differ)"
            ) from None

    def call(self, inputs: Any) -> Any:
        inputs = list(inputs)
        shapes = [tuple(np.shape(raw_data(x))) for x in inputs]
        if len({shape[:1] for shape in shapes}) > 1:
            raise ValueError(
                f"{type(self).__name__} {self.name!r}: cannot merge inputs with different "
                f"batch sizes, got inputs of shapes {shapes}"
            )
        if self.elementwise:
            rank = max(len(shape) for shape in shapes)
            inputs = [
                _with_axes_after_batch(x, rank - len(shape))
                for x, shape in zip(inputs, shapes, strict=True)
            ]
        return self.merge(_integers_as_floats(inputs))

    def merge(self, inputs: list) -> Any:
        raise NotImplementedError


@register_serializable
class Add(Merge):
    """The elementwise sum of its inputs."""

    def merge(self, inputs: list) -> Any:
        return functools.reduce(dnp.add, inputs)


@register_serializable
class Subtract(Merge):
    """The difference of exactly two inputs: ``inputs[0] - inputs[1]``."""

    min_inputs = 2

    def check_shapes(self, shapes: list[tuple]) -> None:
        if len(shapes) != 2:
            raise ValueError(
                f"Subtract {self.name!r}: expected exactly 2 inputs, got {len(shapes)}"
            )
        super().check_shapes(shapes)

    def merge(self, inputs: list) -> Any:
        return inputs[0] - inputs[1]


@register_serializable
class Multiply(Merge):
    """The elementwise product of its inputs."""

    def merge(self, inputs: list) -> Any:
        return functools.reduce(dnp.multiply, inputs)


@register_serializable
class Average(Merge):
    """The elementwise mean of its inputs."""

    casts_integer_inputs = True  # as Keras' layer casts them

    def merge(self, inputs: list) -> Any:
        return functools.reduce(dnp.add, inputs) / len(inputs)


@register_serializable
class Maximum(Merge):
    """The elementwise maximum of its inputs."""

    def merge(self, inputs: list) -> Any:
        return functools.reduce(dnp.maximum, inputs)


@register_serializable
class Minimum(Merge):
    """The elementwise minimum of its inputs."""

    def merge(self, inputs: list) -> Any:
        return functools.reduce(dnp.minimum, inputs)


@register_serializable
class Concatenate(Merge):
    """Joins its inputs along ``axis`` (the last by default); other axes must match."""

    elementwise = False

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        if not isinstance(axis, int | np.integer) or isinstance(axis, bool):
            raise TypeError(
                f"Concatenate: axis must be an integer, got axis={axis!r} "
                f"({type(axis).__name__}); Keras refuses it too"
            )
        self.axis = int(axis)
        super().__init__(**kwargs)

    def check_shapes(self, shapes: list[tuple]) -> None:
        ranks = {len(s) for s in shapes}
        axis = self.axis % max(ranks) if len(ranks) == 1 else None
        if (
            axis == 0
            or axis is None
            or any(
                len({s[i] for s in shapes if s[i] is not None}) > 1
                for i in range(1, len(shapes[0]))
                if i != axis
            )
        ):
            raise ValueError(
                f"Concatenate {self.name!r}: inputs of shapes {shapes} cannot be joined along "
                f"axis {self.axis}: every other axis (and the rank) must match, and the batch "
                "axis cannot be joined"
            )

    def merge(self, inputs: list) -> Any:
        return dnp.concatenate(inputs, axis=self.axis)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}


@register_serializable
class Dot(Merge):
    """The dot product of two inputs along ``axes`` (one axis for both, or one for each),
    sample by sample, as Keras 3's ``Dot`` (its ``batch_dot``): the output's axes are the
    first input's other axes, then the second's (batch axis left out); (batch, 1) when
    none are left. ``normalize=True`` L2-normalizes both along their axes first, which
    makes the output the cosine similarity.

    >>> import numpy as np
    >>> x, y = np.ones((4, 5, 2), np.float32), np.ones((4, 2, 3), np.float32)
    >>> Dot(axes=(2, 1))([x, y]).shape, Dot(axes=1)([x[:, 0], y[:, :, 0]]).shape
    ((4, 5, 3), (4, 1))
    """

    min_inputs = 2
    elementwise = False

    def __init__(
        self, axes: int | tuple[int, int] | list[int], normalize: bool = False, **kwargs: Any
    ) -> None:
        self.axes = _dot_axes_argument(axes)
        self.normalize = bool(normalize)
        super().__init__(**kwargs)

    def _axes_for(self, shapes: list[tuple]) -> tuple[int, int]:
        """The two axes as non-negative numbers, checked against the inputs' shapes."""
        if len(shapes) != 2:
            raise ValueError(f"Dot {self.name!r}: expected exactly 2 inputs, got {len(shapes)}")
        axes = [self.axes, self.axes] if isinstance(self.axes, int) else list(self.axes)
        for i, (axis, shape) in enumerate(zip(axes, shapes, strict=True)):
            if len(shape) < 2 or not -len(shape) < axis < len(shape) or axis % len(shape) == 0:
                raise ValueError(
                    f"Dot {self.name!r}: axes={self.axes} names axis {axis} of input {i} of "
                    f"shape {shape}; each input needs a batch axis and another, and the axis "
                    "must be one of the others (the batch axis 0 cannot be summed over)"
                )
        first, second = (axis % len(shape) for axis, shape in zip(axes, shapes, strict=True))
        if shapes[0][first] != shapes[1][second]:
            raise ValueError(
                f"Dot {self.name!r}: axis {first} of the first input (size {shapes[0][first]}) "
                f"and axis {second} of the second (size {shapes[1][second]}) must have the "
                f"same size, got inputs of shapes {shapes[0]} and {shapes[1]}"
            )
        return first, second

    def check_shapes(self, shapes: list[tuple]) -> None:
        self._axes_for(shapes)

    def merge(self, inputs: list) -> Any:
        shapes = [tuple(np.shape(raw_data(x))) for x in inputs]
        first, second = self._axes_for(shapes)
        if shapes[0][0] != shapes[1][0]:
            raise ValueError(
                f"Dot {self.name!r}: inputs of shapes {shapes[0]} and {shapes[1]} have "
                "different batch sizes"
            )
        x, y = inputs
        if self.normalize:  # Keras' ops.normalize, with its epsilon 1e-7
            x, y = l2_normalize(x, first, 1e-7), l2_normalize(y, second, 1e-7)
        x = dnp.moveaxis(x, first, -1)  # (batch, *rest of x, n)
        y = dnp.moveaxis(y, second, 1)  # (batch, n, *rest of y)
        batch, x_rest, y_rest = shapes[0][0], x.shape[1:-1], y.shape[2:]
        product = dnp.matmul(
            dnp.reshape(x, (batch, -1, x.shape[-1])), dnp.reshape(y, (batch, y.shape[1], -1))
        )
        return dnp.reshape(product, (batch, *x_rest, *y_rest) if x_rest or y_rest else (batch, 1))

    def get_config(self) -> dict:
        axes = self.axes if isinstance(self.axes, int) else list(self.axes)
        return {**super().get_config(), "axes": axes, "normalize": self.normalize}


def _with_axes_after_batch(inputs: Any, count: int) -> Any:
    """``inputs`` with ``count`` axes of size 1 inserted after the batch axis."""
    if count == 0:
        return inputs
    shape = np.shape(raw_data(inputs))
    return dnp.reshape(inputs, (shape[0], *(1,) * count, *shape[1:]))


def _integers_as_floats(inputs: list) -> list:
    """Integer and boolean inputs cast to the floating inputs' dtype when there are any:
    Keras' type promotion, under which an integer never widens a float."""
    dtypes = [np.dtype(raw_data(x).dtype) for x in inputs]
    floats = [dtype for dtype in dtypes if dtype.kind in "fc"]
    if not floats or len(floats) == len(dtypes):
        return inputs
    result = np.result_type(*floats)
    return [
        x if dtype.kind in "fc" else dnp.astype(x, result)
        for x, dtype in zip(inputs, dtypes, strict=True)
    ]


def _dot_axes_argument(axes: Any) -> int | tuple[int, int]:
    """An int, or two ints (a list, as a saved config holds it, becomes a tuple)."""
    if isinstance(axes, int | np.integer) and not isinstance(axes, bool):
        return int(axes)
    if not isinstance(axes, list | tuple):
        raise TypeError(f"Dot: axes must be an int or a list/tuple of two ints, got {axes!r}")
    if len(axes) != 2 or not all(
        isinstance(a, int | np.integer) and not isinstance(a, bool) for a in axes
    ):
        raise ValueError(f"Dot: axes must be an int or a list/tuple of two ints, got {axes!r}")
    return int(axes[0]), int(axes[1])


def add(inputs: list, **kwargs: Any) -> Any:
    """``Add(**kwargs)(inputs)``."""
    return Add(**kwargs)(inputs)


def subtract(inputs: list, **kwargs: Any) -> Any:
    """``Subtract(**kwargs)(inputs)``."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs: list, **kwargs: Any) -> Any:
    """``Multiply(**kwargs)(inputs)``."""
    return Multiply(**kwargs)(inputs)


def average(inputs: list, **kwargs: Any) -> Any:
    """``Average(**kwargs)(inputs)``."""
    return Average(**kwargs)(inputs)


def maximum(inputs: list, **kwargs: Any) -> Any:
    """``Maximum(**kwargs)(inputs)``."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs: list, **kwargs: Any) -> Any:
    """``Minimum(**kwargs)(inputs)``."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs: list, axis: int = -1, **kwargs: Any) -> Any:
    """``Concatenate(axis, **kwargs)(inputs)``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs: list, axes: int | tuple[int, int] | list[int] = -1, **kwargs: Any) -> Any:
    """``Dot(axes, **kwargs)(inputs)`` (``normalize`` goes in ``kwargs``)."""
    return Dot(axes=axes, **kwargs)(inputs)

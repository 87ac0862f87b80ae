"""Merge layers: one output from a list of inputs (Keras' ``Concatenate``, ``Add``,
``Subtract``, ``Multiply``, ``Average``, ``Maximum``, ``Minimum``), and their functional
forms (``concatenate([a, b])`` is ``Concatenate()([a, b])``).

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


class Merge(Layer):
    """Base class: checks that it gets a list of inputs with compatible shapes."""

    min_inputs = 1

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
        return self.merge(list(inputs))

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

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
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

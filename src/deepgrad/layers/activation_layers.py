"""Activation layers: ReLU, LeakyReLU, PReLU (learned slope), ELU, Softmax."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from deepgrad import activations, constraints, initializers, regularizers
from deepgrad import numpy as dnp
from deepgrad.layers.base import Layer, register_serializable
from deepgrad.tensor import raw_data


@register_serializable
class ReLU(Layer):
    """max(x, 0); with Keras' arguments, min(x, ``max_value``) above ``threshold`` and
    ``negative_slope``·(x − ``threshold``) below it (``activations.relu`` with them). NaN
    stays NaN, as in Keras 3, except with a ``threshold`` > 0 and no ``negative_slope``
    (then x > threshold is false, and the output 0).

    >>> import numpy as np
    >>> ReLU(max_value=6.0)(np.array([-1.0, 3.0, 9.0, np.nan], np.float32))
    Tensor([ 0.,  3.,  6., nan], dtype=float32)
    """

    def __init__(
        self,
        max_value: float | None = None,
        negative_slope: float = 0.0,
        threshold: float = 0.0,
        **kwargs: Any,
    ) -> None:
        for argument, value in (
            ("max_value", max_value),
            ("negative_slope", negative_slope),
            ("threshold", threshold),
        ):
            if value is not None and not float(value) >= 0:
                raise ValueError(f"ReLU: {argument} must be a number >= 0, got {value}")
        self.max_value = None if max_value is None else float(max_value)
        self.negative_slope, self.threshold = float(negative_slope), float(threshold)
        super().__init__(**kwargs)

    def call(self, inputs: Any) -> Any:
        return activations.relu(inputs, self.negative_slope, self.max_value, self.threshold)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "max_value": self.max_value,
            "negative_slope": self.negative_slope,
            "threshold": self.threshold,
        }


@register_serializable
class LeakyReLU(Layer):
    """x for x > 0, ``negative_slope``·x otherwise (Keras' layer default 0.3)."""

    casts_integer_inputs = True  # as Keras' layer casts them

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any) -> None:
        if "alpha" in kwargs:  # Keras' deprecated name, with its warning
            negative_slope = kwargs.pop("alpha")
            warnings.warn(
                "Argument `alpha` is deprecated. Use `negative_slope` instead.", stacklevel=2
            )
        if negative_slope is None or not float(negative_slope) >= 0:
            raise ValueError(
                "LeakyReLU: negative_slope must be a number >= 0 (as Keras requires), got "
                f"negative_slope={negative_slope!r}"
            )
        self.negative_slope = float(negative_slope)
        super().__init__(**kwargs)

    def call(self, inputs: Any) -> Any:
        return activations.leaky_relu(inputs, self.negative_slope)

    def get_config(self) -> dict:
        return {**super().get_config(), "negative_slope": self.negative_slope}


@register_serializable
class PReLU(Layer):
    """Leaky ReLU whose negative slope α is learned (He et al., 2015): x for x > 0, α·x
    otherwise, with one α per input element, or one shared along ``shared_axes`` (axes
    counted from the batch axis 0, as in Keras: ``shared_axes=[1, 2]`` on (batch, height,
    width, channels) learns one α per channel, and the shared axes may change size).

    >>> import numpy as np
    >>> prelu = PReLU(alpha_initializer="ones", shared_axes=[1, 2])
    >>> prelu(np.ones((2, 4, 4, 3), np.float32)).shape, prelu.alpha.shape
    ((2, 4, 4, 3), (1, 1, 3))
    """

    casts_integer_inputs = True  # as Keras' layer casts them

    def __init__(
        self,
        alpha_initializer: Any = "zeros",
        alpha_regularizer: Any = None,
        alpha_constraint: Any = None,
        shared_axes: int | Sequence[int] | None = None,
        **kwargs: Any,
    ) -> None:
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        self.shared_axes = _checked_shared_axes(shared_axes)
        super().__init__(**kwargs)

    def build(self, input_shape: tuple) -> None:
        rank, shared = len(input_shape), self.shared_axes or []
        if any(axis >= rank for axis in shared):
            raise ValueError(
                f"{self.name} (PReLU): shared_axes={shared} names an axis the input of shape "
                f"{tuple(input_shape)} lacks (its axes after the batch axis are 1 to {rank - 1})"
            )
        shape = tuple(1 if axis in shared else input_shape[axis] for axis in range(1, rank))
        if None in shape:
            raise ValueError(
                f"{self.name} (PReLU): the input's shape {tuple(input_shape)} has an unknown "
                "size on an axis that is not shared: α needs its size (or share that axis "
                "with shared_axes)"
            )
        self.alpha = self.add_weight(
            "alpha",
            shape,
            self.alpha_initializer,
            regularizer=self.alpha_regularizer,
            constraint=self.alpha_constraint,
        )

    def call(self, inputs: Any) -> Any:
        self._check_input_shape(raw_data(inputs).shape)
        return dnp.where(dnp.greater(inputs, 0), inputs, self.alpha * inputs)

    def _check_input_shape(self, shape: tuple) -> None:
        """As Keras' input spec: the rank, and the size of each axis that is not shared,
        are those α was built for (broadcasting would otherwise widen the output)."""
        alpha_shape = tuple(self.alpha.shape)
        shared = self.shared_axes or []
        expected = [size for axis, size in enumerate(alpha_shape, 1) if axis not in shared]
        given = [size for axis, size in enumerate(shape[1:], 1) if axis not in shared]
        if len(shape) != len(alpha_shape) + 1 or given != expected:
            built_for = tuple(
                "any" if axis in shared else size for axis, size in enumerate(alpha_shape, 1)
            )
            raise ValueError(
                f"{self.name} (PReLU): input of shape {tuple(shape)}, but α was built for "
                f"inputs of shape (batch, {', '.join(map(str, built_for))})"
            )

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
            "alpha_constraint": constraints.serialize(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        }


def _checked_shared_axes(shared_axes: int | Sequence[int] | None) -> list[int] | None:
    """A list of axes ≥ 1, as Keras keeps it. Keras would take a negative axis or the
    batch axis and set the wrong axis of α to 1 (``param_shape[axis - 1]``): refused."""
    if shared_axes is None:
        return None
    axes: list[Any] = list(shared_axes) if isinstance(shared_axes, list | tuple) else [shared_axes]
    for axis in axes:
        if isinstance(axis, bool) or not isinstance(axis, int | np.integer) or axis < 1:
            raise ValueError(
                f"PReLU: shared_axes must be axes counted from the batch axis 0, each an "
                f"integer >= 1 (negative axes are not supported), got shared_axes={shared_axes!r}"
            )
    return [int(axis) for axis in axes]


@register_serializable
class ELU(Layer):
    """x for x > 0, α(eˣ − 1) otherwise."""

    casts_integer_inputs = True  # as Keras' layer casts them

    def __init__(self, alpha: float = 1.0, **kwargs: Any) -> None:
        self.alpha = float(alpha)
        super().__init__(**kwargs)

    def call(self, inputs: Any) -> Any:
        return activations.elu(inputs, self.alpha)

    def get_config(self) -> dict:
        return {**super().get_config(), "alpha": self.alpha}


@register_serializable
class Softmax(Layer):
    """Softmax along ``axis``: an int, or a tuple of ints for one softmax over several axes
    (as Keras 3's ``Softmax(axis=(1, 2))``). With ``mask`` (booleans, or numbers kept where
    > 0.5, broadcast against the inputs), as Keras 3: the masked entries' logits become
    −1e9 (−3e4 in float16) and their outputs 0, so a fully masked row is all zeros.

    >>> import numpy as np
    >>> out = Softmax(axis=(1, 2))(np.zeros((1, 2, 3), np.float32))
    >>> float(out.sum()), round(float(out[0, 0, 0]), 4)
    (1.0, 0.1667)
    >>> Softmax()(np.zeros((1, 4), np.float32), mask=np.array([[1, 1, 0, 1]]))
    Tensor([[0.33333334, 0.33333334, 0.        , 0.33333334]], dtype=float32)
    """

    casts_integer_inputs = True  # as Keras' layer casts them

    def __init__(self, axis: int | tuple[int, ...] = -1, **kwargs: Any) -> None:
        self.axis = _axis_argument(axis)
        super().__init__(**kwargs)

    def call(self, inputs: Any, mask: Any = None) -> Any:
        if mask is None:
            return activations.softmax(inputs, self.axis)
        keep = self._kept(raw_data(inputs), raw_data(mask))
        large_negative = -3e4 if raw_data(inputs).dtype == np.float16 else -1e9
        masked = dnp.where(keep, inputs, large_negative)  # Python numbers: the inputs' dtype
        return dnp.where(keep, activations.softmax(masked, self.axis), 0.0)

    def _kept(self, data: Any, mask: Any) -> Any:
        """The mask as booleans (a number is kept where > 0.5), checked to broadcast."""
        shape, mask_shape = np.shape(data), np.shape(mask)
        if len(mask_shape) > len(shape) or any(
            m not in (1, n) for m, n in zip(mask_shape[::-1], shape[::-1], strict=False)
        ):
            raise ValueError(
                f"Softmax {self.name!r}: a mask of shape {mask_shape} does not broadcast to "
                f"the inputs' shape {shape}; each of its sizes must be 1 or the inputs'"
            )
        return mask if mask.dtype == bool else np.greater(mask, 0.5)

    def get_config(self) -> dict:
        axis = list(self.axis) if isinstance(self.axis, tuple) else self.axis
        return {**super().get_config(), "axis": axis}


def _axis_argument(axis: Any) -> int | tuple[int, ...]:
    """An int, or a tuple of ints (a list, as a saved config holds it, becomes one)."""
    if isinstance(axis, list | tuple):
        if axis and all(isinstance(a, int | np.integer) for a in axis):
            return tuple(int(a) for a in axis)
    elif isinstance(axis, int | np.integer) and not isinstance(axis, bool):
        return int(axis)
    raise TypeError(f"Softmax: axis must be an int or a tuple of ints, got {axis!r}")

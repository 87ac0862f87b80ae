"""Layers that keep their input's shape: Identity, Rescaling and ActivityRegularization,
as Keras 3 has them."""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad import numpy as dnp
from deepgrad import regularizers
from deepgrad.layers.base import Layer, register_serializable
from deepgrad.tensor import raw_data


@register_serializable
class Identity(Layer):
    """Returns its input unchanged (a placeholder, as Keras 3's ``Identity``).

    >>> import numpy as np
    >>> Identity()(np.array([[1.0, 2.0]], np.float32))
    Tensor([[1., 2.]], dtype=float32)
    """

    def call(self, inputs: Any) -> Any:
        return inputs


@register_serializable
class Rescaling(Layer):
    """inputs · ``scale`` + ``offset``, computed in the layer's dtype (integer pixels
    become float32), as Keras 3's ``Rescaling``: ``Rescaling(1 / 255)`` maps [0, 255] to
    [0, 1], ``Rescaling(1 / 127.5, offset=-1)`` to [−1, 1]. ``scale`` and ``offset`` may be
    numbers or arrays that broadcast against the inputs (one per channel, channels last).

    >>> import numpy as np
    >>> Rescaling(1 / 127.5, offset=-1.0)(np.array([[0, 255]], np.uint8))
    Tensor([[-1.,  1.]], dtype=float32)
    """

    def __init__(self, scale: Any, offset: Any = 0.0, **kwargs: Any) -> None:
        self.scale = _number_or_list(scale, "scale")
        self.offset = _number_or_list(offset, "offset")
        super().__init__(**kwargs)

    def call(self, inputs: Any) -> Any:
        if raw_data(inputs).dtype != self.dtype:
            inputs = dnp.astype(inputs, self.dtype)
        scale = np.asarray(self.scale, self.dtype)
        offset = np.asarray(self.offset, self.dtype)
        try:
            np.broadcast_shapes(np.shape(raw_data(inputs)), scale.shape, offset.shape)
        except ValueError:
            raise ValueError(
                f"Rescaling {self.name!r}: scale of shape {scale.shape} and offset of shape "
                f"{offset.shape} do not broadcast against inputs of shape "
                f"{np.shape(raw_data(inputs))}"
            ) from None
        return inputs * scale + offset

    def get_config(self) -> dict:
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}


def _number_or_list(value: Any, argument: str) -> float | list:
    """A float, or an array's nested list (so the config stays JSON); not a number: refused."""
    array = np.asarray(raw_data(value))
    if array.dtype.kind not in "iuf":  # bool, str, object: not a number
        raise TypeError(
            f"Rescaling: {argument} must be a number or an array of numbers, got {value!r}"
        )
    return float(array) if array.ndim == 0 else array.astype(float).tolist()


@register_serializable
class ActivityRegularization(Layer):
    """Returns its input unchanged and adds l1·Σ|x| + l2·Σx² of it to the model's losses
    (divided by the batch size, as Keras 3's ``ActivityRegularization`` does, through the
    same ``activity_regularizer`` path every layer has).

    >>> import numpy as np
    >>> layer = ActivityRegularization(l1=0.1)
    >>> _ = layer(np.array([[1.0, -2.0], [3.0, 0.0]], np.float32))
    >>> round(float(layer.losses[0]), 6)  # 0.1 · 6 / 2 samples
    0.3
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs: Any) -> None:
        if "activity_regularizer" in kwargs:
            raise TypeError(
                "ActivityRegularization: takes l1 and l2, not activity_regularizer (it sets "
                f"its own), got activity_regularizer={kwargs['activity_regularizer']!r}"
            )
        self.l1, self.l2 = float(l1), float(l2)
        super().__init__(activity_regularizer=regularizers.L1L2(l1=self.l1, l2=self.l2), **kwargs)

    def call(self, inputs: Any) -> Any:
        return inputs

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("activity_regularizer", None)
        return {**config, "l1": self.l1, "l2": self.l2}

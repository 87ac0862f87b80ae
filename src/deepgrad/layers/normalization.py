"""BatchNormalization (Ioffe & Szegedy, 2015) and LayerNormalization (Ba et al., 2016)."""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad import constraints
from deepgrad import numpy as dnp
from deepgrad.autodiff.effects import Impure
from deepgrad.layers.base import Layer, register_serializable
from deepgrad.tensor import raw_data


def _normalize(inputs, mean, variance, epsilon, gamma, beta):
    outputs = (inputs - mean) / dnp.sqrt(variance + epsilon)
    if gamma is not None:
        outputs = outputs * gamma
    if beta is not None:
        outputs = outputs + beta
    return outputs


def _gamma_and_beta(layer: Any, features: tuple[int]) -> tuple[Any, Any]:
    """The scale γ (ones) and the shift β (zeros) of a normalization layer, each None
    where the layer has none, each with its constraint (``gamma_constraint``, ...)."""
    gamma = beta = None
    if layer.scale:
        gamma = layer.add_weight("gamma", features, "ones", constraint=layer.gamma_constraint)
    if layer.center:
        beta = layer.add_weight("beta", features, "zeros", constraint=layer.beta_constraint)
    return gamma, beta


def _constraints_config(layer: Any) -> dict:
    return {
        "beta_constraint": constraints.serialize(layer.beta_constraint),
        "gamma_constraint": constraints.serialize(layer.gamma_constraint),
    }


@register_serializable
class BatchNormalization(Layer):
    """Normalize each feature by its batch mean and (biased) variance in training, and by
    running averages at inference: moving = momentum·moving + (1 − momentum)·batch.

    Keras' defaults (momentum 0.99, epsilon 1e-3). PyTorch's ``momentum=0.1`` is
    deepgrad's 0.9, and PyTorch keeps the *unbiased* batch variance in its running average.
    A frozen layer (``trainable=False``, or inside a frozen model) normalizes with its
    moving averages and leaves them alone even in training, as in Keras 3: fine-tuning
    on top of a frozen base keeps the base's statistics.
    """

    def __init__(
        self,
        axis: int = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        *,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        self.axis, self.momentum, self.epsilon = int(axis), float(momentum), float(epsilon)
        self.center, self.scale = center, scale
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        super().__init__(**kwargs)

    def build(self, input_shape: tuple) -> None:
        ndim = len(input_shape)
        self._feature_axis = self.axis % ndim
        shape = [1] * ndim
        shape[self._feature_axis] = int(input_shape[self._feature_axis])
        self._param_shape = tuple(shape[1:])  # broadcast against (batch, ...)
        features = (int(input_shape[self._feature_axis]),)
        self.gamma, self.beta = _gamma_and_beta(self, features)
        self.moving_mean = self.add_weight("moving_mean", features, "zeros", trainable=False)
        self.moving_variance = self.add_weight("moving_variance", features, "ones", trainable=False)

    def _shaped(self, value: Any) -> Any:
        return None if value is None else dnp.reshape(value, self._param_shape)

    def call(self, inputs: Any, training: bool = False) -> Any:
        ndim = np.ndim(raw_data(inputs))
        axes = tuple(i for i in range(ndim) if i != self._feature_axis)
        if training and self.trainable:  # a frozen layer runs in inference mode (Keras')
            mean = dnp.mean(inputs, axis=axes, keepdims=True)
            variance = dnp.mean((inputs - mean) ** 2, axis=axes, keepdims=True)
            # an effect primitive: a compiled training step updates them on every replay
            Impure(self._update_moving, "_update_moving", effect=True)(
                raw_data(mean), raw_data(variance)
            )
        else:
            mean, variance = self._shaped(self.moving_mean), self._shaped(self.moving_variance)
        return _normalize(
            inputs, mean, variance, self.epsilon, self._shaped(self.gamma), self._shaped(self.beta)
        )

    def _update_moving(self, batch_mean: np.ndarray, batch_variance: np.ndarray) -> None:
        for moving, batch in (
            (self.moving_mean, batch_mean),
            (self.moving_variance, batch_variance),
        ):
            data = raw_data(moving)
            data *= self.momentum
            data += (1.0 - self.momentum) * batch.reshape(-1).astype(data.dtype)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            **_constraints_config(self),
        }


@register_serializable
class LayerNormalization(Layer):
    """Normalize each sample over its last axis (or ``axis``), then scale and shift."""

    def __init__(
        self,
        axis: int = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        *,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        self.axis, self.epsilon, self.center, self.scale = int(axis), float(epsilon), center, scale
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        super().__init__(**kwargs)

    def build(self, input_shape: tuple) -> None:
        self.gamma, self.beta = _gamma_and_beta(self, (int(input_shape[self.axis]),))

    def call(self, inputs: Any) -> Any:
        ndim = np.ndim(raw_data(inputs))
        axis = self.axis % ndim
        mean = dnp.mean(inputs, axis=axis, keepdims=True)
        variance = dnp.mean((inputs - mean) ** 2, axis=axis, keepdims=True)
        shape = [1] * ndim
        shape[axis] = -1
        gamma = None if self.gamma is None else dnp.reshape(self.gamma, shape)
        beta = None if self.beta is None else dnp.reshape(self.beta, shape)
        return _normalize(inputs, mean, variance, self.epsilon, gamma, beta)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            **_constraints_config(self),
        }


@register_serializable
class Normalization(Layer):
    """(x − mean) / √variance per feature, with the statistics stored as (non-trainable)
    weights, so a saved model standardizes its own inputs. ``adapt(data)`` computes them.

    >>> import numpy as np
    >>> norm = Normalization()
    >>> norm.adapt(np.array([[1.0], [3.0]], np.float32))
    >>> norm(np.array([[3.0]], np.float32))
    Tensor([[1.]], dtype=float32)
    """

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        self.axis = int(axis)
        super().__init__(**kwargs)

    def build(self, input_shape: tuple) -> None:
        features = (int(input_shape[self.axis]),)
        self.mean = self.add_weight("mean", features, "zeros", trainable=False)
        self.variance = self.add_weight("variance", features, "ones", trainable=False)

    def adapt(self, data: Any) -> None:
        """Set mean and variance from ``data`` (samples along the first axis)."""
        data = np.asarray(raw_data(data), dtype=np.float64)
        self.build_for((None, *data.shape[1:]))
        axes = tuple(i for i in range(data.ndim) if i != self.axis % data.ndim)
        raw_data(self.mean)[...] = data.mean(axis=axes)
        raw_data(self.variance)[...] = data.var(axis=axes)

    def call(self, inputs: Any) -> Any:
        # deepgrad ops on the weights, so that a compiled step reads them at every replay
        # (an adapt() after the first steps is seen) rather than freezing their square root
        # a constant feature's deviation floored at 1e-7, Keras' backend.epsilon()
        deviation = dnp.maximum(dnp.sqrt(self.variance), 1e-7)
        return (inputs - self.mean) / dnp.astype(deviation, self.dtype)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}

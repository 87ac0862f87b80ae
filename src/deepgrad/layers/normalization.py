"""BatchNormalization (Ioffe & Szegedy, 2015), LayerNormalization (Ba et al., 2016),
RMSNormalization (Zhang & Sennrich, 2019) and UnitNormalization (Normalization, which
standardizes inputs with fixed statistics, is in ``standardization.py``)."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from deepgrad import constraints, initializers, regularizers
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


def _float16_in_float32(call: Callable) -> Callable:
    """A normalization's ``call`` that computes float16 inputs in float32 and casts its
    output back, as Keras 3 does: in float16 the sum of a few hundred inputs near 1000
    overflows (NaN), and a batch variance keeps about three digits."""

    @functools.wraps(call)
    def call_in_float32(self: Any, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        if raw_data(inputs).dtype != np.float16:
            return call(self, inputs, *args, **kwargs)
        outputs = call(self, dnp.astype(inputs, np.float32), *args, **kwargs)
        return dnp.astype(outputs, np.float16)

    return call_in_float32


def _scale_and_shift_settings(
    layer: Any,
    beta_initializer: Any,
    gamma_initializer: Any,
    beta_regularizer: Any,
    gamma_regularizer: Any,
    beta_constraint: Any,
    gamma_constraint: Any,
) -> None:
    """Keras' six settings of the shift β and the scale γ, looked up by name or config."""
    layer.beta_initializer = initializers.get(beta_initializer)
    layer.gamma_initializer = initializers.get(gamma_initializer)
    layer.beta_regularizer = regularizers.get(beta_regularizer)
    layer.gamma_regularizer = regularizers.get(gamma_regularizer)
    layer.beta_constraint = constraints.get(beta_constraint)
    layer.gamma_constraint = constraints.get(gamma_constraint)


def _gamma_and_beta(
    layer: Any, features: tuple[int, ...], scale: bool, center: bool
) -> tuple[Any, Any]:
    """The scale γ and the shift β of a normalization layer, each None where the layer has
    none, each with its initializer, regularizer and constraint (``gamma_initializer``, ...)."""
    gamma = beta = None
    if scale:
        gamma = layer.add_weight(
            "gamma",
            features,
            layer.gamma_initializer,
            layer.gamma_regularizer,
            constraint=layer.gamma_constraint,
        )
    if center:
        beta = layer.add_weight(
            "beta",
            features,
            layer.beta_initializer,
            layer.beta_regularizer,
            constraint=layer.beta_constraint,
        )
    return gamma, beta


def _scale_and_shift_config(layer: Any) -> dict:
    return {
        "beta_initializer": initializers.serialize(layer.beta_initializer),
        "gamma_initializer": initializers.serialize(layer.gamma_initializer),
        "beta_regularizer": regularizers.serialize(layer.beta_regularizer),
        "gamma_regularizer": regularizers.serialize(layer.gamma_regularizer),
        "beta_constraint": constraints.serialize(layer.beta_constraint),
        "gamma_constraint": constraints.serialize(layer.gamma_constraint),
    }


def _refuse_renorm_and_synchronized(
    renorm: bool, renorm_clipping: Any, renorm_momentum: float, synchronized: bool
) -> None:
    """Batch renormalization is not implemented, and deepgrad's data-parallel training
    (``fit(distributed=True)``) does not share batch statistics between processes."""
    if renorm or renorm_clipping is not None or float(renorm_momentum) != 0.99:
        raise ValueError(
            "BatchNormalization: batch renormalization (renorm=True, renorm_clipping, "
            f"renorm_momentum) is not supported; got renorm={renorm!r}, "
            f"renorm_clipping={renorm_clipping!r}, renorm_momentum={renorm_momentum!r}. "
            "Expected renorm=False, renorm_clipping=None, renorm_momentum=0.99"
        )
    if synchronized:
        raise ValueError(
            "BatchNormalization: synchronized=True (batch statistics shared between the "
            "processes of data-parallel training) is not supported: each process "
            "normalizes with its own batch, as with synchronized=False (Keras 3 supports "
            "it on TensorFlow only)"
        )


@register_serializable
class BatchNormalization(Layer):
    """Normalize each feature by its batch mean and (biased) variance in training, and by
    running averages at inference: moving = momentum·moving + (1 − momentum)·batch.

    Keras' arguments and defaults (momentum 0.99, epsilon 1e-3; the initializers,
    regularizers and constraints of γ and β, the initializers of the moving averages).
    PyTorch's ``momentum=0.1`` is deepgrad's 0.9, and PyTorch keeps the *unbiased* batch
    variance in its running average. A frozen layer (``trainable=False``, or inside a
    frozen model) normalizes with its moving averages and leaves them alone even in
    training, as in Keras 3: fine-tuning on top of a frozen base keeps the base's
    statistics. Batch renormalization (``renorm=True``) and ``synchronized=True`` are
    refused, as are an ``axis`` out of range (not taken modulo the rank) and inputs of
    another rank or feature count than the layer was built for (Keras' input spec).

    >>> import numpy as np
    >>> bn = BatchNormalization(beta_initializer="ones", beta_regularizer="l2")
    >>> bn(np.zeros((2, 3), np.float32)).numpy()
    array([[1., 1., 1.],
           [1., 1., 1.]], dtype=float32)
    >>> round(float(bn.losses[0]), 6)  # 0.01 · Σβ²
    0.03
    """

    casts_integer_inputs = True  # as Keras' layer casts them

    def __init__(
        self,
        axis: int = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        moving_mean_initializer: Any = "zeros",
        moving_variance_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        renorm: bool = False,
        renorm_clipping: dict | None = None,
        renorm_momentum: float = 0.99,
        synchronized: bool = False,
        **kwargs: Any,
    ) -> None:
        _refuse_renorm_and_synchronized(renorm, renorm_clipping, renorm_momentum, synchronized)
        self.axis, self.momentum, self.epsilon = int(axis), float(momentum), float(epsilon)
        self.center, self.scale = center, scale
        _scale_and_shift_settings(
            self,
            beta_initializer,
            gamma_initializer,
            beta_regularizer,
            gamma_regularizer,
            beta_constraint,
            gamma_constraint,
        )
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        super().__init__(**kwargs)

    def build(self, input_shape: tuple) -> None:
        ndim = len(input_shape)
        if not -ndim <= self.axis < ndim:  # a modulo would pick another axis
            raise ValueError(
                f"BatchNormalization {self.name!r}: axis={self.axis} names an axis that inputs "
                f"of shape {tuple(input_shape)} lack (expected -{ndim} to {ndim - 1})"
            )
        self._feature_axis = self.axis % ndim
        if self._feature_axis == 0 or input_shape[self._feature_axis] is None:
            raise ValueError(
                f"BatchNormalization {self.name!r}: axis={self.axis} names the batch axis or "
                f"an axis of unknown size in the input shape {tuple(input_shape)}; γ, β and "
                "the moving averages need one size per feature (give the features' axis)"
            )
        self._built_shape = (None, *input_shape[1:])
        shape = [1] * ndim
        shape[self._feature_axis] = int(input_shape[self._feature_axis])
        self._param_shape = tuple(shape[1:])  # broadcast against (batch, ...)
        features = (int(input_shape[self._feature_axis]),)
        self.gamma, self.beta = _gamma_and_beta(self, features, self.scale, self.center)
        self.moving_mean = self.add_weight(
            "moving_mean", features, self.moving_mean_initializer, trainable=False
        )
        self.moving_variance = self.add_weight(
            "moving_variance", features, self.moving_variance_initializer, trainable=False
        )

    def _shaped(self, value: Any) -> Any:
        return None if value is None else dnp.reshape(value, self._param_shape)

    def _check_input_shape(self, shape: tuple) -> None:
        """As Keras' input spec: the rank and the number of features the layer was built
        for (else its averages would broadcast against another axis, or fail in NumPy)."""
        built = self._built_shape
        axis = self._feature_axis
        if len(shape) != len(built) or shape[axis] != built[axis]:
            raise ValueError(
                f"BatchNormalization {self.name!r}: inputs of shape {tuple(shape)}, but the "
                f"layer was built for inputs of {len(built)} dimensions with "
                f"{built[axis]} features on axis {self.axis} (input shape {built})"
            )

    @_float16_in_float32
    def call(self, inputs: Any, training: bool = False) -> Any:
        self._check_input_shape(np.shape(raw_data(inputs)))
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
            data = raw_data(moving)  # float16 averages updated in float32, as Keras'
            wide = data.astype(np.promote_types(data.dtype, np.float32), copy=False)
            data[...] = wide * self.momentum + (1.0 - self.momentum) * batch.reshape(-1)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            **_scale_and_shift_config(self),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "renorm": False,
            "renorm_clipping": None,
            "renorm_momentum": 0.99,
            "synchronized": False,
        }


def _axes_of(axis: Any, layer: str = "LayerNormalization") -> int | list[int]:
    if isinstance(axis, list | tuple) and all(isinstance(a, int | np.integer) for a in axis):
        return [int(a) for a in axis]
    if isinstance(axis, int | np.integer) and not isinstance(axis, bool):
        return int(axis)
    raise TypeError(f"{layer}: axis must be an int or a list/tuple of ints, got {axis!r}")


def _checked_axes(layer: Any, ndim: int) -> list[int]:
    """``layer.axis`` (an int or a list) as sorted non-negative axes of an input of ``ndim``
    dimensions; an axis out of bounds raises naming the layer."""
    axes = layer.axis if isinstance(layer.axis, list) else [layer.axis]
    for axis in axes:
        if not -ndim <= axis < ndim:
            raise ValueError(
                f"{type(layer).__name__} {layer.name!r}: axis={layer.axis} names axis {axis}, "
                f"which inputs of {ndim} dimensions lack (expected -{ndim} to {ndim - 1})"
            )
    return sorted({axis % ndim for axis in axes})


def l2_normalize(inputs: Any, axis: Any, epsilon: float) -> Any:
    """x / max(‖x‖₂, epsilon) along ``axis``, as Keras' ``ops.normalize`` (which writes it
    x · min(1/√Σx², 1/epsilon)). The floor is taken under the square root, so the gradient
    at x = 0 is 0, not 0 · ∞."""
    square_sum = dnp.sum(dnp.square(inputs), axis=axis, keepdims=True)
    return inputs / dnp.sqrt(dnp.maximum(square_sum, epsilon * epsilon))


@register_serializable
class LayerNormalization(Layer):
    """Normalize each sample over its last axis (or the axes ``axis``), then scale by γ
    and shift by β: (x − mean) / √(variance + epsilon) · γ + β.

    Keras' arguments and defaults, with the initializers, regularizers and constraints of
    γ and β; γ and β have the shape of the normalized axes. Keras' deprecated
    ``rms_scaling=True`` computes x / √(variance + epsilon) · γ (x not centred, no β), as
    Keras does, with its warning.

    >>> import numpy as np
    >>> norm = LayerNormalization(axis=[1, 2], gamma_regularizer="l2")
    >>> norm(np.arange(4, dtype=np.float32).reshape(1, 2, 2)).shape
    (1, 2, 2)
    >>> norm.gamma.shape
    (2, 2)
    """

    casts_integer_inputs = True  # as Keras' layer casts them

    def __init__(
        self,
        axis: int | list[int] = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        *,
        rms_scaling: bool = False,
        **kwargs: Any,
    ) -> None:
        if rms_scaling:  # Keras' warning, word for word
            warnings.warn(
                "You passed `rms_scaling=True`, which is deprecated. This argument "
                "incorrectly scales the input by the variance, not the root mean square. "
                "To correctly use RMS Normalization, please use "
                "`keras.layers.RMSNormalization` instead.",
                stacklevel=2,
            )
        self.axis = _axes_of(axis)
        self.epsilon, self.center, self.scale = float(epsilon), center, scale
        self.rms_scaling = bool(rms_scaling)
        _scale_and_shift_settings(
            self,
            beta_initializer,
            gamma_initializer,
            beta_regularizer,
            gamma_regularizer,
            beta_constraint,
            gamma_constraint,
        )
        super().__init__(**kwargs)

    def _normalized_axes(self, ndim: int) -> list[int]:
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        for axis in axes:
            if not -ndim <= axis < ndim:
                raise ValueError(
                    f"LayerNormalization {self.name!r}: axis {axis} is out of bounds for "
                    f"inputs of {ndim} dimensions (axis={self.axis})"
                )
        return sorted({axis % ndim for axis in axes})

    def build(self, input_shape: tuple) -> None:
        axes = self._normalized_axes(len(input_shape))
        if any(input_shape[a] is None for a in axes):
            raise ValueError(
                f"LayerNormalization {self.name!r}: axis={self.axis} includes an axis of "
                f"unknown size in the input shape {input_shape}; γ and β need its size"
            )
        features = tuple(int(input_shape[a]) for a in axes)
        # as Keras: rms_scaling always scales and never shifts
        self.gamma, self.beta = _gamma_and_beta(
            self, features, self.scale or self.rms_scaling, self.center and not self.rms_scaling
        )

    @_float16_in_float32
    def call(self, inputs: Any) -> Any:
        shape = np.shape(raw_data(inputs))
        axes = self._normalized_axes(len(shape))
        built = self.gamma if self.gamma is not None else self.beta
        if built is not None and tuple(shape[a] for a in axes) != tuple(built.shape):
            raise ValueError(
                f"LayerNormalization {self.name!r}: inputs of shape {shape} have sizes "
                f"{tuple(shape[a] for a in axes)} on axis={self.axis}, but γ and β were built "
                f"for {tuple(built.shape)}"
            )
        mean = dnp.mean(inputs, axis=tuple(axes), keepdims=True)
        variance = dnp.mean((inputs - mean) ** 2, axis=tuple(axes), keepdims=True)
        param_shape = [n if i in axes else 1 for i, n in enumerate(shape)]
        gamma = None if self.gamma is None else dnp.reshape(self.gamma, param_shape)
        beta = None if self.beta is None else dnp.reshape(self.beta, param_shape)
        if self.rms_scaling:
            outputs = inputs / dnp.sqrt(variance + self.epsilon)
            return outputs if gamma is None else outputs * gamma
        return _normalize(inputs, mean, variance, self.epsilon, gamma, beta)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "rms_scaling": self.rms_scaling,
            **_scale_and_shift_config(self),
        }


@register_serializable
class UnitNormalization(Layer):
    """Scale each sample to unit L2 norm along ``axis`` (an int or a list of ints, the
    last by default): x / max(‖x‖₂, 1e-12), as Keras 3's ``UnitNormalization``.

    >>> import numpy as np
    >>> UnitNormalization()(np.array([[3.0, 4.0]], np.float32))
    Tensor([[0.6, 0.8]], dtype=float32)
    """

    casts_integer_inputs = True  # as Keras' layer casts them

    def __init__(self, axis: int | list[int] = -1, **kwargs: Any) -> None:
        self.axis = _axes_of(axis, "UnitNormalization")
        super().__init__(**kwargs)

    def build(self, input_shape: tuple) -> None:
        _checked_axes(self, len(input_shape))

    def call(self, inputs: Any) -> Any:
        axes = tuple(_checked_axes(self, np.ndim(raw_data(inputs))))
        return l2_normalize(inputs, axes, 1e-12)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}


@register_serializable
class RMSNormalization(Layer):
    """Root-mean-square normalization (Zhang & Sennrich, 2019), as Keras 3's:
    x / √(mean(x²) + epsilon) · scale, the mean over ``axis`` (the last by default, or a
    list of axes), with a learned ``scale`` (ones at first) of the shape of those axes.

    >>> import numpy as np
    >>> norm = RMSNormalization()
    >>> norm(np.array([[3.0, 4.0]], np.float32)).numpy().round(4), norm.scale.shape
    (array([[0.8485, 1.1314]], dtype=float32), (2,))
    """

    casts_integer_inputs = True  # as Keras' layer casts them

    def __init__(self, axis: int | list[int] = -1, epsilon: float = 1e-6, **kwargs: Any) -> None:
        self.axis = _axes_of(axis, "RMSNormalization")
        self.epsilon = float(epsilon)
        super().__init__(**kwargs)

    def build(self, input_shape: tuple) -> None:
        axes = _checked_axes(self, len(input_shape))
        if any(input_shape[a] is None for a in axes):
            raise ValueError(
                f"RMSNormalization {self.name!r}: axis={self.axis} includes an axis of unknown "
                f"size in the input shape {input_shape}; scale needs its size"
            )
        self.scale = self.add_weight("scale", tuple(int(input_shape[a]) for a in axes), "ones")

    @_float16_in_float32
    def call(self, inputs: Any) -> Any:
        shape = np.shape(raw_data(inputs))
        axes = _checked_axes(self, len(shape))
        expected = tuple(self.scale.shape)
        if tuple(shape[a] for a in axes) != expected:
            raise ValueError(
                f"RMSNormalization {self.name!r}: inputs of shape {shape} have sizes "
                f"{tuple(shape[a] for a in axes)} on axis={self.axis}, but scale was built "
                f"for {expected}"
            )
        mean_square = dnp.mean(dnp.square(inputs), axis=tuple(axes), keepdims=True)
        # scale laid on the normalized axes (a bare (n,) would broadcast on the last axis)
        scale = dnp.reshape(self.scale, [n if i in axes else 1 for i, n in enumerate(shape)])
        return inputs / dnp.sqrt(mean_square + self.epsilon) * scale

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}

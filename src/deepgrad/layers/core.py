"""Core layers: Dense, Activation, Flatten, Reshape, Embedding."""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad import activations, constraints, initializers, regularizers
from deepgrad import numpy as dnp
from deepgrad.autodiff.effects import impure
from deepgrad.layers.base import Layer, register_serializable
from deepgrad.tensor import raw_data


def _one_input_expected(layer: Any, given: Any) -> ValueError:
    """The error for a structure of inputs (or of their shapes) given to a layer that
    takes one array."""
    parts = list(given.values()) if isinstance(given, dict) else list(given)
    shapes = [part if isinstance(part, tuple) else np.shape(raw_data(part)) for part in parts]
    return ValueError(
        f"Dense {layer.name!r}: expected one input array, got a {type(given).__name__} of "
        f"{len(given)} (shapes {shapes}); merge them first (Concatenate), or build a "
        "functional model with one Input per array"
    )


@register_serializable
class Dense(Layer):
    """z = f(x W + b): the layer of a fully connected net.

    With ``activation`` ψ, ``Dense(m, "sigmoid")`` followed by ``Dense(1)`` is the shallow
    net y = Σ_j β_j ψ(x'γ_j).

    >>> import numpy as np
    >>> Dense(4, activation="relu")(np.ones((2, 3), np.float32)).shape
    (2, 4)
    """

    def __init__(
        self,
        units: int,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        *,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        if isinstance(units, bool) or not isinstance(units, int | np.integer) or units <= 0:
            raise ValueError(f"Dense: units must be a positive integer, got {units!r}")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        super().__init__(**kwargs)

    def build(self, input_shape: tuple) -> None:
        if not isinstance(input_shape, tuple) or not isinstance(
            input_shape[-1], int | np.integer | None
        ):  # the shapes of a list or dict of inputs
            raise _one_input_expected(self, input_shape)
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError(
                f"Dense {self.name!r}: expected inputs of shape (batch, features), "
                f"got {input_shape}"
            )
        features = int(input_shape[-1])
        self.kernel = self.add_weight(
            "kernel",
            (features, self.units),
            self.kernel_initializer,
            self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                "bias",
                (self.units,),
                self.bias_initializer,
                self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def call(self, inputs: Any) -> Any:
        data = raw_data(inputs)
        try:
            kind = data.dtype.kind
        except AttributeError:  # a list of arrays (two inputs to a one-input model)
            raise _one_input_expected(self, inputs) from None
        if kind in "iub":  # integer data (uint8 pixels): the layer's dtype, as Keras;
            inputs = dnp.astype(inputs, self.kernel.dtype)  # NumPy would make float64
        features = np.shape(data)[-1]
        if features != self.kernel.shape[0]:
            raise ValueError(
                f"Dense {self.name!r}: inputs have {features} features but the layer was "
                f"built for {self.kernel.shape[0]} (input shape {np.shape(raw_data(inputs))})"
            )
        outputs = dnp.matmul(inputs, self.kernel)
        if self.bias is not None:
            outputs = outputs + self.bias
        return self.activation(outputs)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.name_of(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }


@register_serializable
class Activation(Layer):
    """Applies an activation function: ``Activation("tanh")``."""

    def __init__(self, activation: Any, **kwargs: Any) -> None:
        self.activation = activations.get(activation)
        super().__init__(**kwargs)

    def call(self, inputs: Any) -> Any:
        return self.activation(inputs)

    def get_config(self) -> dict:
        return {**super().get_config(), "activation": activations.name_of(self.activation)}


@register_serializable
class Flatten(Layer):
    """(batch, d1, d2, ...) → (batch, d1·d2·...). With Keras 3's
    ``data_format="channels_first"``, (batch, channels, d1, ...) is first moved to
    (batch, d1, ..., channels), so the features come in the order a channels-last
    input of the same data would give them.

    >>> import numpy as np
    >>> x = np.arange(4, dtype=np.float32).reshape(1, 2, 2)
    >>> Flatten(data_format="channels_first")(x).numpy().tolist()
    [[0.0, 2.0, 1.0, 3.0]]
    """

    def __init__(self, data_format: str | None = None, **kwargs: Any) -> None:
        if data_format not in (None, "channels_last", "channels_first"):
            raise ValueError(
                "Flatten: data_format must be 'channels_last', 'channels_first' or None "
                f"(channels_last), got data_format={data_format!r}"
            )
        self.data_format = data_format or "channels_last"
        super().__init__(**kwargs)

    def call(self, inputs: Any) -> Any:
        rank = np.ndim(raw_data(inputs))
        if self.data_format == "channels_first" and rank > 2:
            inputs = dnp.transpose(inputs, (0, *range(2, rank), 1))
        return dnp.reshape(inputs, (np.shape(raw_data(inputs))[0], -1))

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format}


@register_serializable
class Reshape(Layer):
    """(batch, ...) → (batch, *target_shape); one entry may be -1 or None (the size that
    keeps the number of entries, as in Keras 3).

    >>> import numpy as np
    >>> Reshape((None, 2))(np.zeros((4, 6), np.float32)).shape
    (4, 3, 2)
    """

    def __init__(self, target_shape: tuple, **kwargs: Any) -> None:
        self.target_shape = tuple(None if n is None else int(n) for n in target_shape)
        if sum(n is None or n == -1 for n in self.target_shape) > 1:
            raise ValueError(
                "Reshape: at most one entry of target_shape may be unknown (-1 or None), "
                f"got target_shape={tuple(target_shape)}"
            )
        super().__init__(**kwargs)

    def call(self, inputs: Any) -> Any:
        batch = np.shape(raw_data(inputs))[0]
        target = tuple(-1 if n is None else n for n in self.target_shape)
        try:
            return dnp.reshape(inputs, (batch, *target))
        except ValueError:
            raise ValueError(
                f"Reshape {self.name!r}: cannot reshape inputs of shape "
                f"{np.shape(raw_data(inputs))} to (batch, *{self.target_shape})"
            ) from None

    def get_config(self) -> dict:
        return {**super().get_config(), "target_shape": list(self.target_shape)}


@impure(effect=True)
def _check_indices(indices: Any, name: str, input_dim: int) -> None:
    """Raise unless every index is an integer (or an integral float) in [0, input_dim)."""
    indices = np.asarray(indices)
    if not np.issubdtype(indices.dtype, np.integer) and not np.all(indices == np.round(indices)):
        raise TypeError(f"Embedding {name!r}: expected integer indices, got {indices.dtype}")
    if indices.size and (indices.min() < 0 or indices.max() >= input_dim):
        raise IndexError(
            f"Embedding {name!r}: indices must lie in [0, {input_dim}), got "
            f"[{indices.min()}, {indices.max()}]"
        )


@register_serializable
class Embedding(Layer):
    """Integer indices → rows of a learned (input_dim, output_dim) table."""

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        embeddings_initializer: Any = "random_uniform",
        embeddings_regularizer: Any = None,
        embeddings_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        for name, size in (("input_dim", input_dim), ("output_dim", output_dim)):
            if isinstance(size, bool) or not isinstance(size, int | np.integer) or size <= 0:
                raise ValueError(f"Embedding: {name} must be a positive integer, got {size!r}")
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        super().__init__(**kwargs)

    def build(self, input_shape: tuple) -> None:
        self.embeddings = self.add_weight(
            "embeddings",
            (self.input_dim, self.output_dim),
            self.embeddings_initializer,
            self.embeddings_regularizer,
            constraint=self.embeddings_constraint,
        )

    def _cast(self, inputs: Any) -> Any:
        """Indices are not cast to the layer's float dtype (that would round large ones):
        a list becomes an array, the rest is checked in ``call``."""
        return np.asarray(inputs) if isinstance(inputs, list | tuple) else inputs

    def call(self, inputs: Any) -> Any:
        # An effect primitive: a compiled step checks the indices of every batch, not only
        # of the batches it recorded (NumPy would take a negative index from the end).
        _check_indices(raw_data(inputs), self.name, self.input_dim)
        if not np.issubdtype(raw_data(inputs).dtype, np.integer):
            inputs = dnp.astype(inputs, np.int64)  # integral floats (checked above)
        return self.embeddings[inputs]

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
        }

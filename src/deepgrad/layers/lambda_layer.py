"""``Lambda``: a Python function of deepgrad Tensors, used as a layer (Keras 3's).

A model holding a Lambda cannot be saved whole: its function is code, and a deepgrad
model file holds no code, so that loading one never runs any. Its weights can be saved
(``save_weights``); rebuild the model in code, or write the computation as a layer class
decorated with ``register_serializable``, which a file names rather than contains.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from deepgrad.layers import structure
from deepgrad.layers.base import Layer
from deepgrad.tensor import raw_data


class Lambda(Layer):
    """Wraps ``function(inputs, **arguments)`` as a layer, as Keras 3's ``Lambda``; the
    function uses deepgrad ops (``deepgrad.numpy``), so gradients flow through it and a
    compiled step (``jit=True``) records it. A function that takes ``training`` gets the
    call's training flag, one that takes ``mask`` gets None (deepgrad has no masking).

    ``output_shape`` (without the batch axis, or a function of the input shape that
    returns one with it, as in Keras) is what ``compute_output_shape`` returns; each
    call checks that the function's output has that shape. deepgrad finds the shape of
    a symbolic call by running the function on zero batches of 1 and 2 samples, so it is
    optional: an axis that follows the batch is the batch axis, as in Keras (a sum over
    the batch axis of (batch, 3, 4) has shape (3, 4)).

    >>> import numpy as np
    >>> from deepgrad import numpy as dnp
    >>> scale = Lambda(lambda x, factor: dnp.square(x) * factor, arguments={"factor": 2.0})
    >>> scale(np.array([[1.0, 3.0]], np.float32))
    Tensor([[ 2., 18.]], dtype=float32)
    """

    def __init__(
        self,
        function: Callable[..., Any],
        output_shape: Any = None,
        mask: Any = None,
        arguments: dict | None = None,
        **kwargs: Any,
    ) -> None:
        if not callable(function):
            raise TypeError(f"Lambda: function must be callable, got {function!r}")
        if mask is not None:
            raise ValueError(
                f"Lambda: mask={mask!r} is not supported: deepgrad has no masking (Keras "
                "passes the mask on to later layers); leave mask=None"
            )
        if arguments is not None and not isinstance(arguments, dict):
            raise TypeError(
                f"Lambda: arguments must be a dict of keyword arguments, got {arguments!r}"
            )
        self.function = function
        self.arguments = dict(arguments or {})
        self._declared_shape = output_shape
        parameters = _parameter_names(function)
        self._passes_training = "training" in parameters
        self._passes_mask = "mask" in parameters
        super().__init__(**kwargs)

    def call(self, inputs: Any, training: bool = False) -> Any:
        keywords = dict(self.arguments)
        if self._passes_training:
            keywords["training"] = training
        if self._passes_mask:
            keywords["mask"] = None
        outputs = self.function(inputs, **keywords)
        if self._declared_shape is not None:
            self._check_output_shape(inputs, outputs)
        return outputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        """``output_shape`` when given (batch axis added, or the function's answer), else
        the shape of the function's output on a zero sample."""
        if self._declared_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._declared_shape):
            return self._declared_shape(input_shape)
        return _with_batch(self._declared_shape, _shape_leaves(input_shape)[0][0])

    def _check_output_shape(self, inputs: Any, outputs: Any) -> None:
        given = structure.map_structure(lambda x: (None, *np.shape(raw_data(x))[1:]), inputs)
        expected = self.compute_output_shape(given)
        actual = structure.shape_of(outputs)
        if not _shapes_agree(expected, actual):
            raise ValueError(
                f"Lambda {self.name!r}: output_shape={self._declared_shape!r} says the output "
                f"has shape {expected}, but the function returned shape {actual}"
            )

    def get_config(self) -> dict:
        raise ValueError(
            f"Lambda {self.name!r}: a model holding a Lambda layer cannot be saved whole: its "
            "function is Python code, and a deepgrad model file holds no code, so that "
            "loading a file never runs any (Keras too refuses to load a lambda unless "
            "safe_mode=False). Save the weights with save_weights() and rebuild the model "
            "in code, or write the computation as a Layer subclass decorated with "
            "deepgrad.layers.register_serializable"
        )


def _parameter_names(function: Callable[..., Any]) -> set[str]:
    try:
        return set(inspect.signature(function).parameters)
    except (TypeError, ValueError):  # a builtin without a signature: pass nothing extra
        return set()


def _with_batch(shape: Any, batch: Any) -> Any:
    """(batch, *shape), or a list/dict of them (Keras' ``output_shape`` has no batch axis)."""
    if isinstance(shape, dict):
        return {key: _with_batch(item, batch) for key, item in shape.items()}
    if isinstance(shape, list | tuple) and shape and isinstance(shape[0], list | tuple):
        return [_with_batch(item, batch) for item in shape]
    return (batch, *shape)


def _shapes_agree(expected: Any, actual: Any) -> bool:
    """Equal shapes, None in ``expected`` matching any size."""
    expected_leaves = _shape_leaves(expected)
    actual_leaves = _shape_leaves(actual)
    return len(expected_leaves) == len(actual_leaves) and all(
        _shape_agrees(e, a) for e, a in zip(expected_leaves, actual_leaves, strict=True)
    )


def _shape_agrees(expected: tuple, actual: tuple) -> bool:
    return len(expected) == len(actual) and all(
        e is None or a is None or e == a for e, a in zip(expected, actual, strict=True)
    )


def _shape_leaves(shape: Any) -> list[tuple]:
    if isinstance(shape, dict):
        return [leaf for item in shape.values() for leaf in _shape_leaves(item)]
    if isinstance(shape, list | tuple) and shape and isinstance(shape[0], list | tuple):
        return [leaf for item in shape for leaf in _shape_leaves(item)]
    return [tuple(shape)]

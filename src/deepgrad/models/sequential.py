"""``Sequential``: a stack of layers, each feeding the next: z_{l+1} = f_l(z_l, γ_l)."""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad.autodiff.modes import no_grad
from deepgrad.layers import structure
from deepgrad.layers.base import Layer, register_serializable
from deepgrad.layers.input import Input, cast_to_input_dtype
from deepgrad.layers.symbolic import SymbolicTensor
from deepgrad.models.model import Model
from deepgrad.serialization import layer_class


@register_serializable
class Sequential(Model):
    """A linear stack of layers.

    >>> import numpy as np
    >>> from deepgrad import layers
    >>> model = Sequential([layers.Dense(16, activation="relu"), layers.Dense(3)])
    >>> model(np.ones((2, 4), np.float32)).shape
    (2, 3)
    >>> model.count_params()
    131
    >>> model.add(layers.Softmax())
    >>> len(model), type(model.pop()).__name__
    (3, 'Softmax')
    """

    def __init__(self, layers: list[Layer] | None = None, **kwargs: Any) -> None:
        self.layers: list[Layer] = []
        input_shape = kwargs.pop("input_shape", None)
        input_dtype = kwargs.pop("input_dtype", None)
        super().__init__(**kwargs)
        self._input_shape_arg = None if input_shape is None else tuple(input_shape)
        # An Input's dtype (Keras casts the data to it); None: the model's dtype
        self._input_dtype = None if input_dtype is None else np.dtype(input_dtype)
        for layer in layers or []:
            self.add(layer)

    def add(self, layer: Layer | SymbolicTensor) -> None:
        """Append a layer. An ``Input(shape)`` first gives the input shape, as in Keras."""
        if isinstance(layer, SymbolicTensor):
            if self.layers:
                raise ValueError(
                    f"Sequential.add: an Input can only come first; {self.name} has "
                    f"{len(self.layers)} layers already"
                )
            self._input_shape_arg = tuple(layer.shape[1:])
            self._input_dtype = layer.dtype
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add: expected a Layer, got {type(layer).__name__}")
        if any(existing.name == layer.name for existing in self.layers):
            raise ValueError(
                f"Sequential.add: all layers added to a Sequential model must have unique "
                f"names; {layer.name!r} is already in {self.name}"
            )
        self.layers.append(layer)
        self._forget_graph()
        first = self.layers[0]
        if self._input_shape_arg is not None:
            self.built = False
            self.build_for((None, *self._input_shape_arg))
        elif first.built and first.input_shape is not None:
            self.built = False  # build again: layers already built keep their weights
            self.build_for(first.input_shape)

    # ---- the stack as a graph (Keras' Sequential is a functional model underneath) ------

    @property
    def inputs(self) -> list[SymbolicTensor]:
        """A symbolic input, for building a functional model on this stack (feature
        extraction: ``Model(model.inputs, [layer.output for layer in model.layers])``)."""
        return [self._graph()[0]]

    @property
    def outputs(self) -> list[SymbolicTensor]:
        return [self._graph()[1]]

    @property
    def input(self) -> SymbolicTensor:
        return self._graph()[0]

    @property
    def output(self) -> SymbolicTensor:
        return self._graph()[1]

    def _graph(self) -> tuple[SymbolicTensor, SymbolicTensor]:
        """The stack called once on a symbolic Input (made on first use, once)."""
        graph = vars(self).get("_symbolic_graph")
        if graph is None:
            if self.input_shape is None or not self.built:
                raise ValueError(
                    f"{self.name}: the model has no defined input yet; give it one with "
                    "Input(shape) as the first layer, input_shape=, or build((None, ...))"
                )
            inputs = Input(tuple(self.input_shape[1:]), dtype=self._input_dtype or self.dtype)
            outputs = inputs
            for layer in self.layers:
                outputs = layer(outputs)
            graph = self._symbolic_graph = (inputs, outputs)
        return graph

    def _forget_graph(self) -> None:
        """Drop the symbolic graph made on the stack as it was: ``inputs``, ``outputs`` and a
        functional model built on them see the stack with a layer added or removed."""
        if "_symbolic_graph" in vars(self):
            del self._symbolic_graph

    def pop(self) -> Layer:
        """Remove the last layer and return it; the model's output is the new last layer's."""
        layer = self.layers.pop()
        self._forget_graph()
        self.output_shape = self.layers[-1].output_shape if self.built and self.layers else None
        if not self.layers:
            self.built = False  # nothing left to be built, as Keras 3 has it
        return layer

    def __getitem__(self, index: int) -> Layer:
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __call__(self, inputs: Any, training: bool | None = None) -> Any:
        # A list or tuple of one array is that array, as Keras 3 unpacks it (``predict([x])``,
        # a dataset's ``(x,)``); a longer one goes to the first layer, as in Keras.
        if type(inputs) in (list, tuple) and len(inputs) == 1:
            inputs = inputs[0]
        return super().__call__(inputs, training)

    def build(self, input_shape: tuple) -> None:
        """Build every layer by passing one zero sample through the stack."""
        self._require_layers()
        if not isinstance(input_shape, tuple):  # a list or dict of inputs' shapes: the
            sample = structure.zeros_for(input_shape, self._input_dtype or self.dtype)
            self._build_on(sample)  # first layer says whether it takes them (a merge does)
            return
        if any(size is None for size in input_shape[1:]):
            raise ValueError(
                f"Sequential model {self.name!r}: cannot be built for the input shape "
                f"{tuple(input_shape)}: every axis but the batch's needs a size in deepgrad "
                "(Keras allows unknown sizes, e.g. for sequences of any length); give Input "
                "the sizes"
            )
        self._build_on(np.zeros((1, *input_shape[1:]), dtype=self._input_dtype or self.dtype))

    def _build_on(self, sample: Any) -> None:
        with no_grad():
            for layer in self.layers:
                sample = layer(sample)
        self.output_shape = self.layers[-1].output_shape  # known once built, as in Keras

    def _require_layers(self) -> None:
        if not self.layers:
            raise ValueError(
                f"Sequential model {self.name!r} cannot be built or called because it has no "
                "layers; add them with model.add(layer)"
            )

    def call(self, inputs: Any, training: bool = False) -> Any:
        self._require_layers()
        if self._input_dtype is not None and not isinstance(inputs, SymbolicTensor):
            inputs = cast_to_input_dtype(inputs, self._input_dtype)
        for layer in self.layers:
            inputs = layer(inputs, training=training)
        return inputs

    def get_config(self) -> dict:
        config = super().get_config()
        if self._input_dtype is not None:
            config["input_dtype"] = self._input_dtype.name
        config["layers"] = [
            {"class_name": type(layer).__name__, "config": layer.get_config()}
            for layer in self.layers
        ]
        return config

    @classmethod
    def from_config(cls, config: dict) -> Sequential:
        config = dict(config)
        layers = [_layer_from_config(item) for item in config.pop("layers", [])]
        return cls(layers, **config)


def _layer_from_config(item: dict) -> Layer:
    name = item.get("class_name")
    cls = layer_class(name)
    if cls is None:
        raise ValueError(
            f"unknown layer class {name!r}: only registered classes can be loaded "
            "(decorate custom layers with deepgrad.layers.register_serializable)"
        )
    return cls.from_config(item.get("config", {}))

"""``clone_model``: the same architecture with new layers and so new weights (Keras'
``keras.models.clone_model``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from deepgrad.layers import structure
from deepgrad.layers.base import Layer
from deepgrad.layers.input import Input, InputLayer
from deepgrad.layers.symbolic import SymbolicTensor
from deepgrad.models.functional import Functional
from deepgrad.models.model import Model
from deepgrad.models.sequential import Sequential
from deepgrad.saving import model_file


def clone_model(
    model: Any,
    input_tensors: Any = None,
    clone_function: Callable[[Layer], Layer] | None = None,
    call_function: Callable | None = None,
    recursive: bool = False,
) -> Any:
    """A new model of the same architecture as ``model``, with freshly initialised
    weights, as Keras' ``models.clone_model``.

    Each layer is rebuilt by ``clone_function(layer)`` (default:
    ``type(layer).from_config(layer.get_config())``, a new layer of the same config and
    name); a layer used twice is cloned once. ``input_tensors`` (symbolic tensors from
    ``deepgrad.Input``, in the structure of ``model.input``) puts the clone on new inputs.
    ``recursive=True`` clones the layers of nested Sequential and functional models with
    ``clone_function`` too (else the nested model goes to ``clone_function`` whole). A
    compiled ``model`` gives a clone compiled with the same settings and a new optimizer.
    A model of a class of your own is rebuilt from its config, without these options.
    ``call_function`` (Keras' hook to change how each layer is called) is not supported.

    >>> import numpy as np, deepgrad as dg
    >>> model = dg.Sequential([dg.Input((3,)), dg.layers.Dense(2, name="out")])
    >>> clone = clone_model(model)
    >>> [layer.name for layer in clone.layers], clone.input_shape
    (['out'], (None, 3))
    >>> bool(np.array_equal(clone.get_weights()[0], model.get_weights()[0]))
    False
    """
    if call_function is not None:
        raise ValueError(
            "clone_model: call_function is not supported in deepgrad (a clone's layers are "
            "called as the original's were); use clone_function to change the layers"
        )
    clone_layer = _cloner(clone_function, recursive)
    if isinstance(model, Sequential):
        clone = _clone_sequential(model, clone_layer, input_tensors)
    elif isinstance(model, Functional):
        clone = _clone_functional(model, clone_layer, input_tensors)
    else:
        clone = _clone_subclassed(model, clone_function, input_tensors)
    _compile_like(clone, model)
    return clone


def _cloner(clone_function: Callable | None, recursive: bool) -> Callable[[Layer], Layer]:
    """``clone_function`` that clones each layer once (a shared layer stays shared) and,
    with ``recursive``, clones nested models layer by layer."""
    if clone_function is not None and not callable(clone_function):
        raise TypeError(f"clone_model: clone_function must be callable, got {clone_function!r}")
    clone_function = clone_function or _fresh_layer
    cache: dict[int, Layer] = {}

    def clone_layer(layer: Layer) -> Layer:
        if id(layer) not in cache:
            if recursive and isinstance(layer, Sequential):
                cache[id(layer)] = _clone_sequential(layer, clone_layer, None)
            elif recursive and isinstance(layer, Functional):
                cache[id(layer)] = _clone_functional(layer, clone_layer, None)
            else:
                cache[id(layer)] = clone_function(layer)
        return cache[id(layer)]

    return clone_layer


def _fresh_layer(layer: Layer) -> Layer:
    return type(layer).from_config(layer.get_config())


def _clone_sequential(model: Sequential, clone_layer: Callable, input_tensors: Any) -> Sequential:
    layers = [clone_layer(layer) for layer in model.layers]
    if input_tensors is not None:
        if isinstance(input_tensors, list | tuple):
            if len(input_tensors) != 1:
                raise ValueError(
                    f"clone_model: a Sequential model takes one input tensor, got "
                    f"{len(input_tensors)}"
                )
            input_tensors = input_tensors[0]
        if not isinstance(input_tensors, SymbolicTensor):
            raise TypeError(
                "clone_model: input_tensors must be a symbolic tensor from deepgrad.Input, got "
                f"{type(input_tensors).__name__}"
            )
        return Sequential([input_tensors, *layers], name=model.name, trainable=model.trainable)
    input_shape = model.input_shape[1:] if model.built and model.input_shape else None
    return Sequential(
        layers,
        name=model.name,
        trainable=model.trainable,
        input_shape=input_shape,
        input_dtype=model._input_dtype,
    )


def _clone_functional(model: Functional, clone_layer: Callable, input_tensors: Any) -> Functional:
    if input_tensors is None:
        input_tensors = structure.map_structure(
            lambda t: Input(t.shape[1:], batch_size=t.shape[0], dtype=t.dtype, name=t.name),
            model.input,
        )
    new_inputs = structure.flatten(input_tensors)
    if not all(isinstance(t, SymbolicTensor) for t in new_inputs):
        raise TypeError(
            "clone_model: input_tensors must be symbolic tensors from deepgrad.Input, got "
            f"{sorted({type(t).__name__ for t in new_inputs})}"
        )
    if len(new_inputs) != len(model.inputs) or type(input_tensors) is not type(model.input):
        raise ValueError(
            f"clone_model: input_tensors must have the structure of model.input "
            f"({_describe(model.input)}), got {_describe(input_tensors)}"
        )
    values = dict(zip(map(id, model.inputs), new_inputs, strict=True))
    for node in model._nodes:
        if isinstance(node.layer, InputLayer):
            continue
        arguments = structure.map_structure(lambda t: values[id(t)], node.inputs)
        results = clone_layer(node.layer)(arguments)
        for tensor, value in zip(node.output_tensors, structure.flatten(results), strict=True):
            values[id(tensor)] = value
    outputs = structure.map_structure(lambda t: values[id(t)], model.output)
    return Functional(input_tensors, outputs, name=model.name, trainable=model.trainable)


def _clone_subclassed(model: Any, clone_function: Any, input_tensors: Any) -> Any:
    """A model of a class of your own, from its config (Keras: serialize, deserialize)."""
    if not isinstance(model, Model):
        raise TypeError(f"clone_model: expected a Model, got {type(model).__name__}")
    if clone_function is not None or input_tensors is not None:
        raise ValueError(
            "clone_model: clone_function and input_tensors are only supported for Sequential "
            f"and functional models, not {type(model).__name__}"
        )
    clone = type(model).from_config(model.get_config())
    if model.built and model.input_shape is not None:
        clone.build_for(model.input_shape)
    return clone


def _describe(value: Any) -> str:
    leaves = structure.flatten(value)
    return f"a {type(value).__name__} of {len(leaves)} tensor(s)"


def _compile_like(clone: Any, model: Any) -> None:
    """Compile ``clone`` as ``model`` was compiled (a new optimizer of the same config,
    new metrics), as Keras' clone_model does."""
    try:
        settings = model_file.compile_config_of(model)
    except ValueError as error:
        raise ValueError(
            f"clone_model: {model.name} is compiled with settings that cannot be copied "
            f"({error}); clone it before compiling, then compile the clone"
        ) from error
    if settings is None:
        return
    clone.compile(
        optimizer=settings["optimizer"],
        loss=settings["loss"],
        metrics=settings["metrics"],
        loss_weights=settings["loss_weights"],
        weighted_metrics=settings["weighted_metrics"],
        jit=model.jit,
    )

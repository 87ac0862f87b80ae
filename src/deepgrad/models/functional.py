"""The functional API: ``Model(inputs, outputs)`` over the graph of layer calls that led
from ``Input``s to the outputs.

The graph is read once, at construction, walking the symbolic tensors' records back from
the outputs. Calling the model replays the layer calls in that order on real values; a
layer called twice (a shared layer) is one layer with one set of weights, called twice.
Saved, the graph is JSON: each layer's config, and each call as (layer name, the calls
whose outputs it took), so loading rebuilds it without running code from the file.

>>> import numpy as np, deepgrad as dg
>>> from deepgrad import layers
>>> a, b = dg.Input((3,), name="a"), dg.Input((2,), name="b")
>>> hidden = layers.Dense(4, activation="relu")(layers.concatenate([a, b], name="ab"))
>>> model = dg.Model([a, b], [layers.Dense(1, name="y1")(hidden), layers.Dense(2)(hidden)])
>>> [out.shape for out in model([np.ones((5, 3)), np.ones((5, 2))])]
[(5, 1), (5, 2)]
>>> [layer.name for layer in model.layers][:3], model.output_names[0]
(['a', 'b', 'ab'], 'y1')
"""

from __future__ import annotations

from typing import Any

from deepgrad.layers import structure
from deepgrad.layers.base import Layer, register_serializable, unique_name
from deepgrad.layers.input import InputLayer, cast_to_input_dtype
from deepgrad.layers.symbolic import Node, SymbolicTensor
from deepgrad.models.model import Model
from deepgrad.serialization import layer_class


@register_serializable
class Functional(Model):
    """A model defined by the graph from its inputs (``Input``) to its outputs."""

    def __init__(self, inputs: Any, outputs: Any, name: str | None = None, **kwargs: Any):
        for what, value in (("inputs", inputs), ("outputs", outputs)):
            leaves = structure.flatten(value)
            if not leaves or not all(isinstance(t, SymbolicTensor) for t in leaves):
                kinds = sorted({type(t).__name__ for t in leaves})
                raise TypeError(
                    f"Model: {what} must be symbolic tensors (from deepgrad.Input and layer "
                    f"calls on it), or a list or dict of them; got {kinds}"
                )
        super().__init__(name=name or unique_name("functional"), **kwargs)
        self._inputs, self._outputs = inputs, outputs
        self._nodes = _nodes_between(flatten_as_keras(inputs), flatten_as_keras(outputs))
        self.layers: list[Layer] = _layers_in_keras_order(
            flatten_as_keras(inputs), flatten_as_keras(outputs)
        )
        names = [layer.name for layer in self.layers]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(
                f"Model {self.name!r}: all layer names must be unique; {duplicates} is used "
                "by more than one layer"
            )
        self.built = True
        self.input_shape = structure.map_structure(lambda t: t.shape, inputs)
        self.output_shape = structure.map_structure(lambda t: t.shape, outputs)

    # ---- the graph ----------------------------------------------------------------------

    @property
    def input(self) -> Any:
        """The model's symbolic inputs, as given (a tensor, list or dict)."""
        return self._inputs

    @property
    def output(self) -> Any:
        """The model's symbolic outputs, as given (a tensor, list or dict)."""
        return self._outputs

    @property
    def inputs(self) -> list[SymbolicTensor]:
        """The model's symbolic inputs (a list, as in Keras: a dict's in sorted key order)."""
        return flatten_as_keras(self._inputs)

    @property
    def outputs(self) -> list[SymbolicTensor]:
        """The model's symbolic outputs (a list, as in Keras: a dict's in sorted key
        order, the order of ``output_names``, of a list of losses, of ``evaluate``'s list
        and of the weights)."""
        return flatten_as_keras(self._outputs)

    @property
    def input_names(self) -> list[str]:
        if isinstance(self._inputs, dict):
            return sorted(self._inputs)
        return [t._keras_history[0].name for t in self.inputs]

    @property
    def output_names(self) -> list[str]:
        """The keys of a dict of outputs (sorted, as Keras flattens a dict), else the names
        of the layers that make them."""
        if isinstance(self._outputs, dict):
            return sorted(self._outputs)
        return [t._keras_history[0].name for t in self.outputs]

    def _summary_layers(self) -> list[Layer]:
        return self.layers

    def connections(self, layer: Layer) -> list[str]:
        """``name[node][output]`` for each input of each call of ``layer`` in this model."""
        local = self._local_indices()
        return [
            f"{t._keras_history[0].name}[{local[id(_producer(t))]}][{t._keras_history[2]}]"
            for node in self._nodes
            if node.layer is layer
            for t in node.input_tensors
        ]

    def _local_indices(self) -> dict[int, int]:
        """Each node's index among its layer's calls in this model."""
        counts: dict[int, int] = {}
        index = {}
        for node in self._nodes:
            index[id(node)] = counts.get(id(node.layer), 0)
            counts[id(node.layer)] = index[id(node)] + 1
        return index

    # ---- calling ------------------------------------------------------------------------

    def call(self, inputs: Any, training: bool = False) -> Any:
        values = dict(zip(map(id, self.inputs), self._match_inputs(inputs), strict=True))
        for node in self._nodes:
            if isinstance(node.layer, InputLayer):
                continue
            arguments = structure.map_structure(lambda t: values[id(t)], node.inputs)
            results = node.layer(arguments, training=training)
            for tensor, value in zip(node.output_tensors, structure.flatten(results), strict=True):
                values[id(tensor)] = value
        outputs = structure.map_structure(lambda t: values[id(t)], self._outputs)
        return _unpack_singleton(outputs)

    def _match_inputs(self, inputs: Any) -> list:
        """The given inputs in the order of ``self.inputs``: a dict by name (the keys of a
        dict of inputs, else the Input names), a list by position."""
        expected = self.inputs
        if isinstance(inputs, dict):
            names = self.input_names
            missing = [n for n in names if n not in inputs]
            if missing:
                raise ValueError(
                    f"{self.name}: inputs {missing} are missing; the model takes {names}, "
                    f"got {sorted(inputs)}"
                )
            given = [inputs[n] for n in names]
        else:
            given = structure.flatten(inputs)
            self._check_list_order(given)
        if len(given) != len(expected):
            raise ValueError(
                f"{self.name}: expected {len(expected)} inputs ({self.input_names}), got "
                f"{len(given)}"
            )
        for tensor, value in zip(expected, given, strict=True):
            shape = getattr(value, "shape", None)
            if shape is not None and len(shape) != len(tensor.shape):
                raise ValueError(
                    f"{self.name}: input {tensor.name!r} expects shape {tensor.shape}, got an "
                    f"array of shape {tuple(shape)}"
                )
        return [
            value if isinstance(value, SymbolicTensor) else cast_to_input_dtype(value, t.dtype)
            for t, value in zip(expected, given, strict=True)
        ]

    def _check_list_order(self, given: list) -> None:
        """A list (not a dict) for a dict of inputs is taken in sorted key order, as Keras
        takes it; where that is not the order the dict was written in, which one is meant
        is unclear (Keras refuses it too)."""
        if not isinstance(self._inputs, dict) or len(given) < 2:
            return
        if list(self._inputs) != sorted(self._inputs):
            raise ValueError(
                f"{self.name}: the model's inputs are a dict {list(self._inputs)} and were "
                f"given as a list of {len(given)}; a list would be read in sorted key order "
                f"{sorted(self._inputs)} (as Keras flattens a dict), not in the dict's order: "
                "pass a dict keyed by input name"
            )

    def weights_listed_otherwise_before(self) -> bool:
        """Whether ``trainable_weights`` were in another order when ``layers`` followed the
        call order (model files of format "1", whose optimizer state follows that order)."""

        def weights(layers: list[Layer]) -> list[int]:
            return [id(w) for layer in layers for w in layer.trainable_weights]

        return weights(_layers_in_call_order(self._nodes)) != weights(self.layers)

    def weights_listed_otherwise_in_format_2(self) -> bool:
        """Whether ``trainable_weights`` were in another order when a dict of outputs was
        walked in the dict's order rather than in sorted key order (model files of format
        "2", whose optimizer state follows that order)."""
        if not isinstance(self._outputs, dict) or list(self._outputs) == sorted(self._outputs):
            return False
        inputs, outputs = flatten_as_keras(self._inputs), structure.flatten(self._outputs)

        def weights(layers: list[Layer]) -> list[int]:
            return [id(w) for layer in layers for w in layer.trainable_weights]

        return weights(_layers_in_keras_order(inputs, outputs)) != weights(self.layers)

    # ---- configuration ------------------------------------------------------------------

    def get_config(self) -> dict:
        """Each layer's config, each call (layer name and the outputs it took) in order,
        and which call outputs are the model's inputs and outputs."""
        local = self._local_indices()

        def ref(tensor: SymbolicTensor) -> list:
            layer, _, index = tensor._keras_history
            return [layer.name, local[id(_producer(tensor))], index]

        return {
            "name": self.name,
            "trainable": self.trainable,
            "layers": [
                {"class_name": type(layer).__name__, "config": layer.get_config()}
                for layer in self.layers
            ],
            "calls": [
                [node.layer.name, _encode(node.inputs, ref)]
                for node in self._nodes
                if not isinstance(node.layer, InputLayer)
            ],
            "inputs": _encode(self._inputs, ref),
            "outputs": _encode(self._outputs, ref),
        }

    @classmethod
    def from_config(cls, config: dict) -> Functional:
        layers = {}
        for item in config["layers"]:
            name = item.get("class_name")
            found = layer_class(name)
            if found is None:
                raise ValueError(
                    f"unknown layer class {name!r}: only registered classes can be loaded "
                    "(decorate custom layers with deepgrad.layers.register_serializable)"
                )
            layer = found.from_config(item.get("config", {}))
            layers[item["config"]["name"]] = layer
        outputs: dict[tuple[str, int], Any] = {
            (name, 0): layer.output
            for name, layer in layers.items()
            if isinstance(layer, InputLayer)
        }
        calls: dict[str, int] = {}

        def lookup(reference: list) -> SymbolicTensor:
            layer_name, node, index = reference
            return structure.flatten(outputs[(layer_name, node)])[index]

        for layer_name, arguments in config["calls"]:
            result = layers[layer_name](_decode(arguments, lookup))
            node = calls.get(layer_name, 0)
            calls[layer_name] = node + 1
            outputs[(layer_name, node)] = result
        return cls(
            _decode(config["inputs"], lookup),
            _decode(config["outputs"], lookup),
            name=config.get("name"),
            trainable=config.get("trainable", True),
        )


Model.functional_class = Functional


def _layers_in_call_order(nodes: list[Node]) -> list[Layer]:
    """The order ``layers`` had before it followed Keras (model files of format "1")."""
    seen: dict[int, Layer] = {}
    for node in nodes:
        seen.setdefault(id(node.layer), node.layer)
    return list(seen.values())


def _unpack_singleton(value: Any) -> Any:
    """A list or tuple of one output is that output: ``Model(x, [y])`` returns an array,
    as Keras 3's ``unpack_singleton`` makes it (``model.output`` stays the list)."""
    if isinstance(value, list | tuple) and len(value) == 1:
        return value[0]
    return value


def flatten_as_keras(value: Any) -> list:
    """The leaves of a structure as Keras 3 flattens it: a dict's in sorted key order.

    >>> flatten_as_keras({"b": 1, "a": [2, 3]})
    [2, 3, 1]
    """
    if isinstance(value, dict):
        return [leaf for key in sorted(value) for leaf in flatten_as_keras(value[key])]
    if isinstance(value, list | tuple):
        return [leaf for item in value for leaf in flatten_as_keras(item)]
    return [value]


def _producer(tensor: SymbolicTensor) -> Node:
    layer, node, _ = tensor._keras_history
    return layer._inbound_nodes[node]


def _nodes_between(inputs: list[SymbolicTensor], outputs: list[SymbolicTensor]) -> list[Node]:
    """The calls that lead from ``inputs`` to ``outputs``, each after the calls it needs
    (a depth-first walk back from the outputs, without recursion)."""
    input_ids = {id(t) for t in inputs}
    ordered: list[Node] = []
    done: set[int] = set()
    for tensor in inputs:
        node = _producer(tensor)
        if not isinstance(node.layer, InputLayer):
            raise ValueError(
                f"Model: input {tensor.name!r} is not made by deepgrad.Input (it comes from "
                f"layer {node.layer.name!r}); pass the Input tensors themselves"
            )
    stack: list[tuple[Node, bool]] = [(_producer(t), False) for t in reversed(outputs)]
    while stack:
        node, expanded = stack.pop()
        if id(node) in done:
            continue
        if expanded:
            done.add(id(node))
            ordered.append(node)
            continue
        stack.append((node, True))
        for tensor in reversed(node.input_tensors):
            if id(tensor) in input_ids:
                producer = _producer(tensor)
                if id(producer) not in done:
                    done.add(id(producer))
                    ordered.append(producer)
                continue
            producer = _producer(tensor)
            if isinstance(producer.layer, InputLayer):
                raise ValueError(
                    f"Model: output depends on input {tensor.name!r}, which is not among the "
                    "model's inputs; add it to inputs"
                )
            stack.append((producer, False))
    inputs_first = [_producer(t) for t in inputs]
    return inputs_first + [n for n in ordered if not isinstance(n.layer, InputLayer)]


def _layers_in_keras_order(
    inputs: list[SymbolicTensor], outputs: list[SymbolicTensor]
) -> list[Layer]:
    """The layers in Keras 3's order (``map_graph``), which ``layers``, ``summary`` and the
    weights follow: by depth, the number of calls between a layer and the outputs (a
    shared layer at its greatest), deepest first; at one depth, in the order a
    depth-first walk back from the outputs first meets them. An input the outputs do not
    use has depth 0 and comes first among the layers there."""
    walked, first_met = _walk_back(outputs)
    node_depth: dict[int, int] = {}
    layer_depth: dict[int, int] = {}
    layers: dict[int, Layer] = {}
    for node in reversed(walked):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = node_depth[id(node)] = depth
        layers[id(node.layer)] = node.layer
        for tensor in node.input_tensors:
            parent = id(_producer(tensor))
            node_depth[parent] = max(depth + 1, node_depth.get(parent, 0))
    for tensor in inputs:
        layer = tensor._keras_history[0]
        if id(layer) not in layer_depth:
            layer_depth[id(layer)], first_met[id(layer)], layers[id(layer)] = 0, -1, layer
    order = sorted(layers, key=lambda key: (-layer_depth[key], first_met[key]))
    return [layers[key] for key in order]


def _walk_back(outputs: list[SymbolicTensor]) -> tuple[list[Node], dict[int, int]]:
    """Keras' ``_build_map`` without recursion: the calls in the order a depth-first walk
    back from each output finishes them, and the step at which it first met each layer."""
    finished: list[Node] = []
    done: set[int] = set()
    first_met: dict[int, int] = {}
    for tensor in outputs:
        stack: list[tuple[Node, Any]] = []
        start = _producer(tensor)
        if id(start) not in done:
            first_met.setdefault(id(start.layer), len(first_met))
            stack.append((start, iter(_node_parents(start))))
        while stack:
            node, parents = stack[-1]
            parent = next(parents, None)
            if parent is None:
                stack.pop()
                done.add(id(node))
                finished.append(node)
            elif id(parent) not in done:
                first_met.setdefault(id(parent.layer), len(first_met))
                stack.append((parent, iter(_node_parents(parent))))
    return finished, first_met


def _node_parents(node: Node) -> list[Node]:
    """The calls that made a call's inputs, in the order of its inputs."""
    return [_producer(t) for t in node.input_tensors]


def _encode(value: Any, ref: Any) -> Any:
    """A structure of symbolic tensors as JSON: {"tensor": ref}, {"list": [...]},
    {"dict": {...}}, unambiguous whatever the keys."""
    if isinstance(value, SymbolicTensor):
        return {"tensor": ref(value)}
    if isinstance(value, dict):
        return {"dict": {key: _encode(item, ref) for key, item in value.items()}}
    return {"list": [_encode(item, ref) for item in value]}


def _decode(value: dict, lookup: Any) -> Any:
    if "tensor" in value:
        return lookup(value["tensor"])
    if "dict" in value:
        return {key: _decode(item, lookup) for key, item in value["dict"].items()}
    return [_decode(item, lookup) for item in value["list"]]

"""``Layer``: a differentiable function of its input and its parameters, z = f(x, γ).

A layer creates its weights lazily in ``build(input_shape)`` on its first call (so
``Dense(64)`` need not be told its input size), then computes ``call(inputs, training)``.
Weights are Tensors with ``requires_grad``; sublayers held as attributes (or in lists)
are found automatically, in the order they were assigned.
"""

from __future__ import annotations

import inspect
import re
from collections import defaultdict, deque
from collections.abc import Iterator
from typing import Any

import numpy as np

from deepgrad import initializers, regularizers
from deepgrad.autodiff.primitive import STATE
from deepgrad.backend import array_module, get_default_dtype, to_numpy
from deepgrad.compiler import settings
from deepgrad.device import Device, device_of, get_device, to_device, using_device
from deepgrad.device import device as parse_device
from deepgrad.layers import structure, symbolic
from deepgrad.layers.torch_vocabulary import TorchVocabulary
from deepgrad.layers.variable import Variable
from deepgrad.layers.weight_lists import WeightList, structure_changed
from deepgrad.tensor import Tensor, mark_written, raw_data

_name_counts: defaultdict[str, int] = defaultdict(int)
LAYER_CLASSES: dict[str, type] = {}


def register_serializable(cls: type) -> type:
    """Register a layer or model class so that ``load_model`` may rebuild it.

    Loading a file only ever instantiates registered classes: it executes no code from
    the file. Built-in layers are registered; decorate your own with this.
    """
    LAYER_CLASSES[cls.__name__] = cls
    return cls


def unique_name(base: str) -> str:
    """ "dense", then "dense_1", "dense_2", ... (as Keras names layers)."""
    count = _name_counts[base]
    _name_counts[base] += 1
    return base if count == 0 else f"{base}_{count}"


def _refuse_arguments(layer: Any, unknown: dict[str, Any]) -> None:
    """Raise a TypeError naming the layer, the argument it does not take and those it takes."""
    accepted = _init_parameters(type(layer))
    argument = next(iter(unknown))
    hint = ""
    if argument.endswith("constraint"):
        hint = (
            f" ({type(layer).__name__} takes no weight constraint in deepgrad; Dense, "
            "Embedding, BatchNormalization, LayerNormalization and PReLU do, and so does "
            "add_weight(constraint=...) in a layer of your own)"
        )
    raise TypeError(
        f"{type(layer).__name__}: unexpected argument {argument}={unknown[argument]!r}{hint}; "
        f"it takes {', '.join(sorted(accepted))}"
    )


def _initial_value(layer_name: str, initializer: Any, shape: tuple, dtype: Any) -> Any:
    """A new weight's value: ``initializer(shape, dtype)``. A function of your own may
    return any array: as Keras makes the variable, it is cast to the weight's dtype, and
    one of another shape is refused."""
    initialize = initializers.get(initializer or "glorot_uniform")
    value = initialize(shape, dtype)
    if isinstance(initialize, initializers.Initializer):
        return value
    value = np.asarray(to_numpy(raw_data(value)), dtype=dtype)
    if value.shape != shape:
        raise ValueError(
            f"{layer_name}.add_weight: the initializer {initialize!r} returned shape "
            f"{value.shape} for a weight of shape {shape}"
        )
    return value


def _snake(name: str) -> str:
    """BatchNormalization → batch_normalization, PReLU → p_re_lu (as Keras names them)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


class Layer(TorchVocabulary):
    """Base class of every layer and model.

    Subclasses write ``build(input_shape)`` (creating weights with ``add_weight``) and
    ``call(inputs, training=False)``. ``name``, ``trainable``, ``dtype`` and
    ``input_shape`` are keyword-only, as in Keras: ``Flatten(0, 1)`` is a ``TypeError``,
    not a layer named 0.

    >>> import numpy as np
    >>> class Scale(Layer):
    ...     def build(self, input_shape):
    ...         self.factor = self.add_weight("factor", (input_shape[-1],), "ones")
    ...     def call(self, inputs, training=False):
    ...         return inputs * self.factor
    >>> Scale()(np.ones((2, 3), np.float32)).shape
    (2, 3)
    """

    activity_regularizer: Any = None  # a penalty on the outputs (a class default: no lookup)
    # Integer and boolean NumPy inputs take the layer's dtype too, where Keras' layer casts
    # them (normalizations, softmax, the parametric activations, Average): NumPy would
    # compute a float32 layer's answer in float64
    casts_integer_inputs = False
    _device: Any = None  # set by to(); a class default, so reading it costs no exception
    _weight_list: WeightList | None = None  # the last walk of named_weights (weight_lists.py)
    # Lists a layer keeps for itself, which never hold a sublayer: its own weights (changed
    # by add_weight and using_weights, which mark the structure changed), its calls on
    # symbolic inputs and the losses it added. The weight list does not compare them.
    _holds_no_sublayers: frozenset[str] = frozenset(
        {"_own_weights", "_inbound_nodes", "_added_losses"}
    )

    def __setattr__(self, name: str, value: Any) -> None:
        """Set an attribute; one that may hold a weight or a sublayer, or held one, marks
        the cached weight lists stale, and one of a built layer's configuration (a
        Dropout's rate, an activation) makes compiled steps record again."""
        if not (_holds_nothing(value) and _holds_nothing(self.__dict__.get(name))):
            structure_changed()
        if self.__dict__.get("built") and name in _configuration_names(self):
            settings.changed()
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        structure_changed()
        object.__delattr__(self, name)

    def __init__(
        self,
        *,
        name: str | None = None,
        trainable: bool = True,
        dtype: Any = None,
        input_shape: tuple | None = None,
        activity_regularizer: Any = None,
        **unknown: Any,
    ) -> None:
        if unknown:  # a Keras argument deepgrad lacks: refuse it by name, never ignore it
            _refuse_arguments(self, unknown)
        if not isinstance(trainable, bool):  # Keras refuses it too: "False" would be true
            raise ValueError(
                f"{type(self).__name__}: trainable must be True or False, got "
                f"trainable={trainable!r} (of type {type(trainable).__name__})"
            )
        self.name = name or unique_name(_snake(type(self).__name__))
        if activity_regularizer is not None:
            self.activity_regularizer = regularizers.get(activity_regularizer)
        self.dtype = _layer_dtype(self.name, dtype)
        self.built = False
        self.training = False  # the mode of a call without training= (train() / eval())
        self._inbound_nodes: list = []  # the calls on symbolic inputs (functional API)
        self._trainable = trainable
        self._own_weights: list[tuple[str, Tensor, bool, Any]] = []
        self._input_shape_arg = tuple(input_shape) if input_shape is not None else None
        self.input_shape: tuple | None = None
        self.output_shape: tuple | None = None
        if input_shape is not None:
            self.build_for((None, *input_shape))

    # ---- weights --------------------------------------------------------------------------

    def add_weight(
        self,
        name: Any = None,
        shape: Any = None,
        initializer: Any = None,
        regularizer: Any = None,
        trainable: bool = True,
        dtype: Any = None,
        constraint: Any = None,
    ) -> Variable:
        """Create a weight, remember it, and return it (a Tensor).

        Keras' keywords work (``add_weight(shape=(3, 4), initializer="random_normal")``);
        ``name`` is optional ("variable", "variable_1", ... by default), and a shape passed
        first is taken as the shape. The initializer defaults to Glorot uniform, as in Keras.
        ``constraint`` (``deepgrad.constraints``) is applied by the optimizer after each
        update, as Keras does.
        """
        if shape is None and isinstance(name, tuple | list | int):
            name, shape = None, name
        if shape is None:
            raise TypeError(f"{self.name}.add_weight: give the weight's shape, e.g. shape=(3, 4)")
        shape = (int(shape),) if isinstance(shape, int) else tuple(int(n) for n in shape)
        taken = {own[0] for own in self._own_weights}
        if name is None:
            name = next(
                n
                for n in ("variable", *(f"variable_{i}" for i in range(1, len(taken) + 2)))
                if n not in taken
            )
        elif name in taken:
            raise ValueError(f"{self.name}.add_weight: a weight named {name!r} exists already")
        value = _initial_value(self.name, initializer, shape, dtype or self.dtype)
        value = to_device(value, getattr(self, "_device", None))  # the layer's, or current
        weight = Variable(value, requires_grad=trainable and self._trainable)
        weight.constraint = constraint
        self._own_weights.append((name, weight, trainable, regularizers.get(regularizer)))
        structure_changed()
        return weight

    def _sublayers(self) -> list[tuple[str, Layer]]:
        return self._children()[1]

    def _children(self) -> tuple[list[tuple[str, Tensor]], list[tuple[str, Layer]]]:
        """One pass over the attributes: the trainable leaf Tensors assigned to them
        (``self.w = dg.tensor(..., requires_grad=True)``, tracked as Keras tracks a
        Variable assigned to a layer; ``add_weight``'s Variables are in ``_own_weights``)
        and the sublayers, alone or in lists, tuples and dicts, in assignment order."""
        tensors: list[tuple[str, Tensor]] = []
        layers: list[tuple[str, Layer]] = []
        for attribute, value in vars(self).items():
            kind = type(value)
            if kind in _LEAF_TYPES:  # most attributes: checked once, cheaply
                continue
            if kind is Tensor:
                if value.requires_grad and value.is_leaf:
                    tensors.append((attribute, value))
            elif isinstance(value, Layer):
                layers.append((attribute, value))
            elif kind is list or kind is tuple or kind is dict:
                items = value.items() if kind is dict else enumerate(value)
                for key, item in items:
                    if isinstance(item, Layer):
                        layers.append((f"{attribute}.{key}", item))
        if tensors:  # inside using_weights, own weights are plain Tensors for a while
            own = {id(w) for _, w, _, _ in self._own_weights}
            tensors = [(name, t) for name, t in tensors if id(t) not in own]
        return tensors, layers

    def named_weights(self, prefix: str = "") -> Iterator[tuple[str, Tensor, bool, Any]]:
        """(path, tensor, trainable, regularizer) for every weight, sublayers included.

        Paths are structural (``layers.0.kernel``), so they do not depend on layer names.
        As in Keras 3, a frozen layer has no trainable weights, and within a trainable one a
        weight is trainable when it was made so and the layer that owns it is trainable:
        freezing a layer freezes everything in it, and a sublayer unfrozen afterwards
        trains, as Keras 3's does, though a layer around it is frozen.
        """
        trainable_here = self.trainable
        for path, weight, trainable, regularizer in self._weight_entries(prefix):
            yield path, weight, trainable and trainable_here, regularizer

    def _weight_entries(self, prefix: str) -> Iterator[tuple[str, Tensor, bool, Any]]:
        """``named_weights`` with each weight's own flag (Keras' ``Variable.trainable``, which
        the ``trainable`` setter of its layer, or of a layer around it, sets)."""
        trainable_here = self.trainable
        for name, weight, trainable, regularizer in self._own_weights:
            yield prefix + name, weight, trainable and trainable_here, regularizer
        tensors, layers = self._children()
        for name, weight in tensors:
            yield prefix + name, weight, trainable_here, None
        for path, layer in layers:
            yield from layer._weight_entries(f"{prefix}{path}.")

    def _weights_now(self) -> WeightList:
        """``named_weights()`` walked once and kept while the structure is unchanged."""
        cached = self._weight_list
        if cached is None or not cached.current():
            cached = WeightList(self)
            self.__dict__["_weight_list"] = cached  # not through __setattr__: no change
        return cached

    @property
    def weights(self) -> list[Tensor]:
        """All weights in Keras' order, which freezing does not change: layer by layer, each
        layer's own trainable weights (as created) before its non-trainable ones, then its
        sublayers'. ``get_weights`` and ``set_weights`` follow it, so a list of arrays
        taken from the same net in Keras lands where it belongs.

        >>> import deepgrad as dg
        >>> net = dg.Sequential([dg.layers.Dense(2), dg.layers.BatchNormalization()])
        >>> net.build((None, 3))
        >>> [tuple(w.shape) for w in net.weights]  # kernel, bias, γ, β, moving mean, variance
        [(3, 2), (2,), (2,), (2,), (2,), (2,)]
        """
        return list(self._weights_in_keras_order())

    def _weights_in_keras_order(self) -> Iterator[Tensor]:
        own = self._own_weights
        yield from (weight for _, weight, trainable, _ in own if trainable)
        tensors, layers = self._children()
        yield from (weight for _, weight in tensors)
        yield from (weight for _, weight, trainable, _ in own if not trainable)
        for _, layer in layers:
            yield from layer._weights_in_keras_order()

    @property
    def trainable_weights(self) -> list[Tensor]:
        return list(self._weights_now().trainable)

    @property
    def non_trainable_weights(self) -> list[Tensor]:
        return [w for _, w, trainable, _ in self._weights_now().entries if not trainable]

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, flag: bool) -> None:
        """Freeze (False) or unfreeze a layer and everything in it."""
        structure_changed()
        flag = bool(flag)  # as Keras' setter: 0 and 1 are read as False and True
        self._trainable = flag
        for _, weight, trainable, _ in self._own_weights:
            weight.requires_grad = trainable and flag
        for _, layer in self._sublayers():
            layer.trainable = flag

    @property
    def losses(self) -> list[Any]:
        """The regularization penalties of this layer's trainable weights and the losses
        added with ``add_loss`` during the last call, sublayers' included (scalar Tensors).

        As in Keras 3, a frozen weight's regularizer adds nothing: its penalty would be a
        constant in the objective (it gets no gradient), and Keras leaves it out of
        ``losses``, ``evaluate`` and the loss ``fit`` logs. Keras' order too: the added
        losses (activity penalties among them) first, then the weights' penalties."""
        entries = self._weights_now().entries
        penalties = [reg(w) for _, w, trainable, reg in entries if reg is not None and trainable]
        if not _LOSS_ADDERS:  # no layer anywhere has added a loss
            return penalties
        return [loss for layer in self._layers_within() for loss in layer._added] + penalties

    def add_loss(self, loss: Any) -> None:
        """Add a scalar to the objective, from ``call`` (an activity penalty, a KL term):
        ``compute_loss`` and ``fit`` add it to the loss. Each call of the outermost layer
        starts over, as in Keras."""
        if np.size(raw_data(loss)) != 1:
            raise ValueError(
                f"{self.name}.add_loss: expected a scalar, got shape {np.shape(raw_data(loss))}"
            )
        self._added.append(loss)
        _LOSS_ADDERS[id(self)] = self

    def _clear_added_losses(self) -> None:
        """Forget what this layer and its sublayers added in their last call."""
        within = {id(layer) for layer in self._layers_within()}
        for key in [key for key in _LOSS_ADDERS if key in within]:
            _LOSS_ADDERS.pop(key)._added.clear()

    @property
    def _added(self) -> list:
        if "_added_losses" not in vars(self):
            self._added_losses: list = []
        return self._added_losses

    def _layers_within(self) -> list[Layer]:
        """This layer and every sublayer, each once (a shared layer too), in the order of
        Keras' ``_flatten_layers`` (so that ``losses`` lists the added losses as Keras
        does): a layer before its sublayers, which come last first (its ``extendleft``)."""
        found: dict[int, Layer] = {id(self): self}
        queue = deque(sublayer for _, sublayer in self._sublayers())
        while queue:
            layer = queue.popleft()
            if id(layer) not in found:
                found[id(layer)] = layer
                queue.extendleft(sublayer for _, sublayer in layer._sublayers())
        return list(found.values())

    def count_params(self) -> int:
        """The number of weights' entries. A layer not built yet (and holding no weights)
        raises, as in Keras 3: its count is not known, and 0 would be a wrong answer."""
        weights = self.weights
        if not self.built and not weights:
            raise ValueError(
                f"{type(self).__name__} {self.name!r}: count_params needs the layer built; "
                "call it on a batch, or build it with layer.build((None, n_features))"
            )
        return int(sum(raw_data(w).size for w in weights))

    def get_weights(self) -> list[np.ndarray]:
        """Copies of the weights as NumPy arrays, in ``weights`` order."""
        return [np.array(to_numpy(raw_data(w))) for w in self.weights]

    def set_weights(self, values: list) -> None:
        """Set the weights from arrays in ``weights`` order, checking every shape first."""
        weights = self.weights
        if len(values) != len(weights):
            raise ValueError(
                f"{self.name}.set_weights: expected {len(weights)} arrays, got {len(values)}"
            )
        arrays = [np.asarray(v) for v in values]
        for w, v in zip(weights, arrays, strict=True):
            if w.shape != v.shape:
                raise ValueError(
                    f"{self.name}.set_weights: shape {v.shape} given for a weight of "
                    f"shape {w.shape}"
                )
        for w, v in zip(weights, arrays, strict=True):
            raw_data(w)[...] = to_device(v, device_of(raw_data(w)))
        mark_written(*weights)

    # ---- devices --------------------------------------------------------------------------

    @property
    def device(self) -> Device:
        """Where the weights live: the device of the first weight; for a layer with none
        yet, the device given to ``to``, else the current device (where they will go)."""
        entries = self._weights_now().entries
        if entries:
            return device_of(raw_data(entries[0][1]))
        return getattr(self, "_device", None) or get_device()

    def to(self, device: Any) -> Any:
        """Move every weight (and gradient) to ``device`` ("cpu", "gpu", "cuda:1") in place,
        and create weights there when the layer is built later; returns the layer, as
        PyTorch's ``Module.to``. Before training: an optimizer already bound to the weights
        keeps its buffers where they were, so moving then is an error (compile again).

        >>> import deepgrad as dg
        >>> dg.layers.Dense(2, input_shape=(3,)).to("cpu").device
        device('cpu')
        """
        where = parse_device(device)
        optimizer = getattr(self, "optimizer", None)
        if optimizer is not None and optimizer.params and self.device != where:
            raise RuntimeError(
                f"{self.name}.to({str(device)!r}): its optimizer was built with the weights on "
                f"{self.device}; move the model before training, then compile() again with a "
                "new optimizer"
            )
        self._device = where
        for _, layer in self._sublayers():
            layer.to(where)
        for _, weight, _, _ in self._own_weights:
            weight._value = to_device(weight._value, where)
            if weight.grad is not None:
                weight.grad = Tensor._make(to_device(raw_data(weight.grad), where), -1)
        return self

    # ---- calling --------------------------------------------------------------------------

    def build(self, input_shape: Any) -> None:
        """Create the weights for inputs of ``input_shape`` (batch axis included, as None).

        Calling ``build`` directly sets ``built``, as in Keras."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "build" in cls.__dict__:  # a direct call of build() marks the layer built
            cls.build = _marks_built(cls.__dict__["build"])

    @property
    def output(self) -> Any:
        """The symbolic output of this layer's call on symbolic inputs (Keras'
        ``layer.output``, for reusing a graph's inner tensors)."""
        return self._only_node("output").outputs

    @property
    def input(self) -> Any:
        """The symbolic input of this layer's call on symbolic inputs."""
        return self._only_node("input").inputs

    def _only_node(self, what: str) -> Any:
        if len(self._inbound_nodes) != 1:
            raise ValueError(
                f"{self.name}.{what}: the layer was called {len(self._inbound_nodes)} times on "
                "symbolic inputs; .input and .output need exactly one call (keep the tensors "
                "each call returns instead)"
            )
        return self._inbound_nodes[0]

    def build_for(self, input_shape: Any) -> None:
        if not self.built:
            self.build(_as_shape(input_shape))
            self.built = True
            self.input_shape = _as_shape(input_shape)

    def call(self, inputs: Any, training: bool = False) -> Any:
        """The computation: write it in a subclass. A subclass that writes PyTorch's
        ``forward(inputs)`` instead gets it called here."""
        forward = getattr(self, "forward", None)
        if callable(forward):
            return forward(inputs)
        raise NotImplementedError(f"{type(self).__name__} must implement call(inputs, training)")

    def __call__(self, inputs: Any, training: bool | None = None, mask: Any = None) -> Any:
        """Build on the first call, then ``call``. ``training=None`` takes the value of the
        call this one runs inside (as Keras propagates it: a sublayer called without
        ``training`` inside ``fit`` trains), or, for the outermost call, the layer's mode
        (``train()``/``eval()``; inference by default). Symbolic inputs (``Input``) give
        symbolic outputs: the functional API. ``mask`` goes to a ``call`` that takes one
        (``Softmax``'s); another layer refuses it."""
        if mask is not None:
            _check_mask_taken(self, inputs)
        kind = type(inputs)  # the common case: one array or Tensor, no structure to read
        single = kind is Tensor or (kind is np.ndarray and inputs.dtype.names is None)
        if not single and symbolic.is_symbolic(inputs):
            return symbolic.call_symbolically(self, inputs)
        where = getattr(self, "_device", None)  # set by to(): its device is current inside,
        if where is not None and where.kind != "cpu" and where != get_device():  # so draws
            with using_device(where):  # (Dropout's masks) are made there
                if mask is None:  # a model's __call__ takes no mask
                    return self(inputs, training)
                return self(inputs, training, mask)
        inputs = self._cast(inputs) if single else self._cast_inputs(inputs)
        if training is None:
            training = _TRAINING_OF_CALLS[-1] if _TRAINING_OF_CALLS else self.training
        if not self.built:
            observer, STATE.observer = STATE.observer, None
            try:  # a compile's recording must not see the weights being created
                self.build_for(structure.shape_of(inputs))
            finally:
                STATE.observer = observer
        if _LOSS_ADDERS and not _TRAINING_OF_CALLS:  # the outermost call: losses go that
            self._clear_added_losses()  # the last call added (only models with add_loss pay)
        _TRAINING_OF_CALLS.append(bool(training))
        try:
            if mask is not None:
                outputs = self._call_with_mask(inputs, training, mask)
            elif _takes_training(type(self)):
                outputs = self.call(inputs, training=training)
            else:
                outputs = self.call(inputs)
        finally:
            _TRAINING_OF_CALLS.pop()
        if self.activity_regularizer is not None:
            self._add_activity_penalty(outputs)
        if isinstance(outputs, Tensor):
            self.output_shape = (None, *outputs.shape[1:])
            return outputs
        outputs = structure.map_structure(_as_tensor, outputs)
        self.output_shape = structure.shape_of(outputs)
        return outputs

    def _call_with_mask(self, inputs: Any, training: bool, mask: Any) -> Any:
        if _takes_training(type(self)):
            return self.call(inputs, training=training, mask=mask)  # type: ignore[call-arg]
        return self.call(inputs, mask=mask)  # type: ignore[call-arg]

    def _add_activity_penalty(self, outputs: Any) -> None:
        """``activity_regularizer`` of each output, divided by the batch size as Keras 3
        divides it (so the penalty's strength does not depend on the batch size)."""
        for output in structure.flatten(outputs):
            if isinstance(output, Tensor | np.ndarray):
                penalty = self.activity_regularizer(output)
                if output.ndim > 0 and output.shape[0] > 0:
                    penalty = penalty / output.shape[0]
                self.add_loss(penalty)

    def _cast_inputs(self, inputs: Any) -> Any:
        """Record arrays (several inputs packed for ``fit``) back to their list or dict;
        each input cast by ``_cast``."""
        inputs = structure.unpack(inputs)
        if structure.is_structure(inputs):
            return structure.map_structure(self._cast, inputs)
        return self._cast(inputs)

    def _cast(self, inputs: Any) -> Any:
        """Floating NumPy inputs take the layer's dtype, as Keras autocasts (integers too
        where the layer ``casts_integer_inputs``)."""
        if isinstance(inputs, np.ndarray | list | float):
            array = np.asarray(inputs)
            kinds = "fiub" if self.casts_integer_inputs else "f"  # "f": a real float dtype
            if array.dtype.kind in kinds and array.dtype != self.dtype:
                array = array.astype(self.dtype)
            where = getattr(self, "_device", None) or get_device()
            return array if where.kind == "cpu" else to_device(array, where)  # host data move
        if not isinstance(inputs, Tensor) and structure.is_pandas(inputs):
            return self._cast(inputs.to_numpy())  # a DataFrame or Series, as Keras takes it
        if not isinstance(inputs, Tensor) and device_of(inputs).kind != "cpu":
            if inputs.dtype.kind == "f" and inputs.dtype != self.dtype:
                return inputs.astype(self.dtype)  # a device's floating data, autocast too
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The output shape for ``input_shape``, found by running the layer on zero batches
        of 1 and 2 samples (without a gradient, in inference mode), so every axis but the
        batch's needs a size; an output axis that follows the batch is the batch axis, of
        the inputs' batch size (None unless given), as in Keras."""
        shape = _as_shape(input_shape)
        if any(None in leaf[1:] for leaf in _shape_leaves(shape)):
            raise ValueError(
                f"{type(self).__name__} {self.name!r}: compute_output_shape({input_shape}) "
                "needs a size on every axis but the batch's in deepgrad (Keras allows unknown "
                "sizes, e.g. for sequences of any length)"
            )
        batch = structure.common_batch_size(_shape_leaves(shape))
        _, shapes = symbolic.run_on_zero_batches(
            self, lambda rows: structure.zeros_for(shape, self.dtype, rows), batch
        )
        return shapes

    # ---- configuration ------------------------------------------------------------------

    def get_config(self) -> dict:
        """The constructor arguments that rebuild this layer (JSON-friendly)."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype.name}
        if self._input_shape_arg is not None:
            config["input_shape"] = list(self._input_shape_arg)
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config: dict) -> Layer:
        return cls(**config)


_TAKES_TRAINING: dict[type, bool] = {}


# Attribute types that never hold a weight or a sublayer (skipped at once by _children).
def _layer_dtype(name: str, dtype: Any) -> np.dtype:
    """The layer's dtype: NumPy's reading of ``dtype``, or the default (float32). Keras'
    mixed-precision policies (``"mixed_float16"``, a ``DTypePolicy``) are refused by name:
    deepgrad computes and keeps its weights in one dtype.

    >>> _layer_dtype("dense", "mixed_float16")
    Traceback (most recent call last):
    ...
    ValueError: dense: dtype 'mixed_float16' is not a dtype deepgrad knows; ...
    """
    if dtype is None:
        return get_default_dtype()
    try:
        result = np.dtype(dtype)
    except (TypeError, ValueError):  # NumPy reads a dict (a Keras policy's config) as fields
        raise ValueError(
            f"{name}: dtype {dtype!r} is not a dtype deepgrad knows; give one such as "
            "'float32', 'float64' or 'float16' (Keras' mixed-precision policies, "
            "'mixed_float16' or 'mixed_bfloat16', compute in one dtype and keep the "
            "weights in another, which deepgrad does not do)"
        ) from None
    if result.kind not in "biufc":
        # bfloat16 and float8 are NumPy dtypes once ml_dtypes is imported (JAX imports it),
        # but NumPy promotes them to float32/float64 in arithmetic, so outputs would silently
        # leave the layer's dtype
        raise ValueError(
            f"{name}: dtype {result.name!r} is not supported: deepgrad computes in NumPy's own "
            "dtypes (float16, float32, float64, integers, bool), and NumPy has no "
            f"{result.name} arithmetic"
        )
    return result


_LEAF_TYPES = frozenset({bool, int, float, str, type(None), np.dtype, type(np.dtype("float32"))})


_CONFIGURATION_NAMES: dict[type, frozenset[str]] = {}


def _configuration_names(layer: Layer) -> frozenset[str]:
    """A layer class's settings: the parameters of its ``__init__`` and its bases' (a
    Dropout's rate, a Dense's activation), which Keras-style layers keep under the same
    names. Found once per class, from the class alone (its ``get_config`` may refuse,
    e.g. for an activation that has no registered name)."""
    names = _CONFIGURATION_NAMES.get(type(layer))
    if names is None:
        # input_shape and output_shape are state the layer records when it is built and
        # called, not settings (Lambda's output_shape argument is kept under another name)
        found = _init_parameters(type(layer)) - {"input_shape", "output_shape"}
        names = _CONFIGURATION_NAMES[type(layer)] = frozenset(found)
    return names


def _init_parameters(layer_class: type) -> set[str]:
    """The named parameters of a layer class's ``__init__`` and its bases' (``self``
    left out)."""
    found: set[str] = set()
    for cls in layer_class.__mro__:
        init = cls.__dict__.get("__init__")
        if init is None or cls is object:
            continue
        for parameter in inspect.signature(init).parameters.values():
            if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY):
                found.add(parameter.name)
    return found - {"self"}


def _holds_nothing(value: Any) -> bool:
    """Whether an attribute's value can hold no weight and no sublayer: a number, a string,
    a dtype, None, or a tuple of those (a shape)."""
    kind = type(value)
    return kind in _LEAF_TYPES or (kind is tuple and all(type(v) in _LEAF_TYPES for v in value))


# The training flag of each layer call running now, outermost first (empty: none runs).
_TRAINING_OF_CALLS: list[bool] = []
# The layers holding losses from add_loss, by id: an outermost call clears those within it.
_LOSS_ADDERS: dict[int, Layer] = {}


def _as_tensor(outputs: Any) -> Any:
    """Layers always return Tensors, as in Keras."""
    if isinstance(outputs, Tensor):
        return outputs
    return Tensor._make(array_module(outputs).asarray(outputs), -1)


def _as_shape(shape: Any) -> Any:
    """A shape as a tuple, or a list/dict of them (several inputs)."""
    if isinstance(shape, dict):
        return {key: _as_shape(item) for key, item in shape.items()}
    if isinstance(shape, list | tuple) and shape and isinstance(shape[0], list | tuple):
        return [_as_shape(item) for item in shape]
    return tuple(shape)


def _shape_leaves(shape: Any) -> list[tuple]:
    """The shapes in a shape, a list of shapes or a dict of them."""
    if isinstance(shape, dict):
        return [leaf for item in shape.values() for leaf in _shape_leaves(item)]
    if isinstance(shape, list):
        return [leaf for item in shape for leaf in _shape_leaves(item)]
    return [tuple(shape)]


def _marks_built(build: Any) -> Any:
    def build_and_mark(self: Layer, input_shape: Any) -> None:
        build(self, input_shape)
        self.built = True
        if self.input_shape is None:
            self.input_shape = _as_shape(input_shape)

    build_and_mark.__doc__, build_and_mark.__wrapped__ = build.__doc__, build  # type: ignore[attr-defined]
    return build_and_mark


def _check_mask_taken(layer: Layer, inputs: Any) -> None:
    """A mask is passed to a ``call`` that takes one, on concrete inputs; never dropped."""
    if "mask" not in inspect.signature(type(layer).call).parameters:
        raise TypeError(
            f"{type(layer).__name__} {layer.name!r}: got a mask, but its call takes none "
            "(deepgrad passes a mask only to layers whose call takes one, e.g. Softmax)"
        )
    if symbolic.is_symbolic(inputs):
        raise TypeError(
            f"{type(layer).__name__} {layer.name!r}: a mask with symbolic inputs (Input) is "
            "not supported; call the layer with a mask on arrays, e.g. inside a layer's call"
        )


def _takes_training(cls: type) -> bool:
    if cls not in _TAKES_TRAINING:
        _TAKES_TRAINING[cls] = "training" in inspect.signature(cls.call).parameters
    return _TAKES_TRAINING[cls]

"""``Model``: a layer that can be compiled, trained, evaluated, saved and summarised.

``Model(inputs, outputs)`` with symbolic tensors from ``Input`` makes a functional model
(``functional.py``); subclass ``Model`` and write ``call`` for anything else.
"""

from __future__ import annotations

import html
import inspect
import json
import os
from collections.abc import Callable
from typing import Any, ClassVar

from deepgrad.autodiff.modes import no_grad
from deepgrad.backend import to_numpy
from deepgrad.layers import structure
from deepgrad.layers.base import Layer
from deepgrad.losses.outputs import per_output_sample_weight
from deepgrad.models import stateless, summary
from deepgrad.saving import model_file, model_json
from deepgrad.tensor import raw_data
from deepgrad.training.trainer import Trainer

# Writers for other runtimes, by format, registered by the packages that sit above this one
# (``import deepgrad.onnx`` registers "onnx"): Model cannot import them.
EXPORTERS: dict[str, Callable[[Any, str | os.PathLike], None]] = {}


class Model(Trainer, Layer):
    """Subclass it, create sublayers in ``__init__`` and write ``call``:

    >>> import numpy as np
    >>> from deepgrad import layers
    >>> class TwoLayer(Model):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.hidden = layers.Dense(8, activation="tanh")
    ...         self.out = layers.Dense(1)
    ...     def call(self, x, training=False):
    ...         return self.out(self.hidden(x))
    >>> TwoLayer()(np.ones((4, 3), np.float32)).shape
    (4, 1)

    Or call it with symbolic inputs and outputs (the functional API):

    >>> import deepgrad as dg
    >>> inputs = dg.Input((3,))
    >>> model = Model(inputs, layers.Dense(1)(inputs))
    >>> type(model).__name__, model.count_params()
    ('Functional', 4)
    """

    # Set by models/functional.py: the class Model(inputs, outputs) makes.
    functional_class: ClassVar[type | None] = None
    _holds_no_sublayers = Layer._holds_no_sublayers | Trainer._compile_bookkeeping

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            if Model.functional_class is None:
                raise RuntimeError("Model(inputs, outputs): import deepgrad.models first")
            cls = Model.functional_class
        model: Any = object.__new__(cls)
        model._constructor_arguments = (args, kwargs)  # what get_config gives back
        return model

    def get_config(self) -> dict:
        """The constructor arguments that rebuild this model. A subclass with its own
        ``__init__`` gets the arguments it was constructed with (Keras 3 records them the
        same way), when they are JSON values; otherwise write ``get_config``."""
        init = type(self).__init__
        if init is Layer.__init__ or init.__module__.startswith("deepgrad."):
            return super().get_config()  # deepgrad's own models write their configs
        args, kwargs = vars(self).get("_constructor_arguments", ((), {}))
        bound = inspect.signature(init).bind(self, *args, **kwargs)
        config: dict = {}
        for name, value in list(bound.arguments.items())[1:]:
            kind = inspect.signature(init).parameters[name].kind
            if kind is inspect.Parameter.VAR_KEYWORD:
                config.update(value)
            elif kind is inspect.Parameter.VAR_POSITIONAL:
                raise ValueError(
                    f"{type(self).__name__}.get_config: *{name} cannot be given back by name; "
                    "write get_config"
                )
            else:
                config[name] = value
        try:
            json.dumps(config)
        except TypeError:
            raise ValueError(
                f"{type(self).__name__}.get_config: its constructor's arguments "
                f"{sorted(config)} are not all JSON values (numbers, strings, lists, dicts); "
                "write get_config (and from_config) to save the architecture, or use "
                "save_weights"
            ) from None
        return config

    @classmethod
    def from_config(cls, config: dict) -> Any:
        """Rebuild a model from ``get_config()``. ``Model.from_config`` given a functional
        model's config (its ``layers`` and ``calls``) rebuilds that graph, as Keras 3's
        ``Model.from_config`` does.

        >>> import deepgrad as dg
        >>> x = dg.Input((3,))
        >>> model = dg.Model(x, dg.layers.Dense(2)(x))
        >>> dg.Model.from_config(model.get_config()).output_shape
        (None, 2)
        """
        if cls is Model and "layers" in config and "calls" in config:
            return Model.functional_class.from_config(config)  # type: ignore[union-attr]
        return super().from_config(config)

    def build(self, input_shape: Any) -> None:
        """Create the weights by running ``call`` once on a zero sample of
        ``input_shape`` (batch axis first; a list or dict of shapes for several inputs)."""
        sample = structure.zeros_for(input_shape, self.dtype)
        with no_grad():
            self.call(sample)

    @property
    def output_names(self) -> list[str]:
        """The names of the outputs (one model output: the last layer's name)."""
        return [self.name]

    def using_weights(self, values: Any) -> Any:
        """A context in which the trainable weights are ``values`` (in
        ``trainable_weights`` order), e.g. the ones ``deepgrad.grad`` traces: Keras'
        ``stateless_call`` in deepgrad's form (see ``models/stateless.py``)."""
        return stateless.using_weights(self, values)

    def summary(
        self,
        line_length: int | None = None,
        positions: Any = None,
        print_fn: Callable[[str], Any] | None = None,
    ) -> None:
        """Print each layer, its output shape and parameter count, and the totals; a
        functional model adds what each layer is connected to. Layers not built yet show
        ``?`` and ``0 (unbuilt)``, as in Keras.

        The arguments come in Keras' order; the table's layout is not configurable, so a
        ``line_length`` or ``positions`` other than None raises a ``TypeError``.
        ``print_fn`` (None: ``print``) receives each line.
        """
        for argument, value in (("line_length", line_length), ("positions", positions)):
            if value is not None:
                raise TypeError(
                    f"summary: {argument}={value!r} is not supported (the columns are as "
                    f"wide as their contents); pass print_fn by name: summary(print_fn=...)"
                )
        print_fn = print if print_fn is None else print_fn
        for line in summary.summary_lines(self):
            print_fn(line)

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """The layer called ``name``, or the one at ``index`` in ``layers``."""
        if (name is None) == (index is None):
            raise ValueError("get_layer: give either name or index")
        layers = self._summary_layers()
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(
                    f"get_layer: index {index} is out of range: {self.name} has "
                    f"{len(layers)} layers"
                )
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"get_layer: no layer named {name!r} in {self.name}; its layers are "
            f"{[layer.name for layer in layers]}"
        )

    def __getattr__(self, name: str) -> Any:
        # A subclassed model's ``layers`` (Keras lists them): its sublayers, in the order
        # they were assigned. Sequential and functional models hold a real list.
        if name == "layers":
            return self._summary_layers()
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _summary_layers(self) -> list[Layer]:
        return [layer for _, layer in self._sublayers()]

    def _repr_html_(self) -> str:
        """The summary as an HTML table: what Jupyter shows for a model on its own line.

        >>> from deepgrad import Sequential, layers
        >>> html_text = Sequential([layers.Dense(2, input_shape=(3,))])._repr_html_()
        >>> "<table>" in html_text and "Total params: 8" in html_text
        True
        """
        lines = summary.summary_lines(self)
        layers = self._summary_layers()
        connections = getattr(self, "connections", None)
        headers = ["Layer (type)", "Output Shape", "Param #"]
        headers += ["Connected to"] if connections is not None else []
        rows = []
        for layer in layers:
            row = [f"{layer.name} ({type(layer).__name__})", summary._shape_text(layer)]
            row.append(summary._params_text(layer))
            if connections is not None:
                row.append(", ".join(connections(layer)) or "-")
            rows.append("".join(f"<td>{html.escape(cell)}</td>" for cell in row))
        head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
        body = "".join(f"<tr>{row}</tr>" for row in rows)
        footer = "<br>".join(html.escape(line) for line in lines[len(rows) + 5 :])
        return (
            f"<p><b>{html.escape(lines[0])}</b></p><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table><p>{footer}</p>"
        )

    # ---- several inputs or outputs through fit, evaluate and predict --------------------

    def fit(self, x: Any = None, y: Any = None, *args: Any, **kwargs: Any) -> Any:
        """As ``Trainer.fit``; lists and dicts of arrays (several inputs or outputs) are
        batched together. With several outputs ``sample_weight`` may be one array per
        output (a list, or a dict keyed by output name), as in Keras 3; ``class_weight``
        is refused there, as Keras refuses it."""
        if kwargs.get("class_weight") is not None and len(self.output_names) > 1:
            raise ValueError(
                f"{self.name}.fit: class_weight is only supported for a model with one output "
                f"(as in Keras 3); this one has {len(self.output_names)} {self.output_names}. "
                "Weigh the samples of each output with sample_weight (a list or dict with "
                "one array per output) instead"
            )
        if "sample_weight" in kwargs:
            kwargs["sample_weight"] = self._sample_weights(kwargs["sample_weight"])
        validation = kwargs.get("validation_data")
        if isinstance(validation, list) and not all(isinstance(v, tuple) for v in validation):
            validation = tuple(validation)  # [x, y]: (x, y) as Keras reads it, not batches
        if isinstance(validation, tuple) and 2 <= len(validation) <= 3:
            validation = (validation[0], self._targets(validation[1]), *validation[2:])
            if len(validation) == 3:
                validation = (*validation[:2], self._sample_weights(validation[2]))
            kwargs["validation_data"] = tuple(structure.pack(part) for part in validation)
        return super().fit(structure.pack(x), structure.pack(self._targets(y)), *args, **kwargs)

    def evaluate(self, x: Any = None, y: Any = None, *args: Any, **kwargs: Any) -> Any:
        """As ``Trainer.evaluate``, with lists and dicts of arrays (and ``sample_weight``
        per output as in ``fit``)."""
        y = structure.pack(self._targets(y))
        if "sample_weight" in kwargs:
            kwargs["sample_weight"] = self._sample_weights(kwargs["sample_weight"])
        return super().evaluate(structure.pack(x), y, *args, **kwargs)

    def train_on_batch(self, x: Any, y: Any = None, *args: Any, **kwargs: Any) -> Any:
        """As ``Steps.train_on_batch``, with ``[y]`` for a model with one output taken as
        ``y``, as in ``fit``."""
        return super().train_on_batch(x, self._targets(y), *args, **kwargs)

    def test_on_batch(self, x: Any, y: Any = None, *args: Any, **kwargs: Any) -> Any:
        """As ``Steps.test_on_batch``, with ``[y]`` for a model with one output taken as
        ``y``, as in ``evaluate``."""
        return super().test_on_batch(x, self._targets(y), *args, **kwargs)

    def _sample_weights(self, sample_weight: Any) -> Any:
        """One array per output (a list or dict, several outputs) batched together; the
        arrays checked against the outputs first."""
        names = list(self.output_names)
        if len(names) < 2 or not isinstance(sample_weight, list | tuple | dict):
            return sample_weight
        if isinstance(sample_weight, list | tuple) and not structure.is_structure(sample_weight):
            return sample_weight  # one weight per sample, as a list of numbers
        per_output = per_output_sample_weight(sample_weight, names)
        if any(weight is None for weight in per_output):
            missing = [
                name for name, weight in zip(names, per_output, strict=True) if weight is None
            ]
            raise ValueError(
                f"{self.name}: sample_weight gives no weights for the outputs {missing}; give "
                f"one array for each of {names} (np.ones(n) for unweighted ones)"
            )
        return structure.pack(dict(zip(names, per_output, strict=True)))

    def _targets(self, y: Any) -> Any:
        """A list of one target array for a model with one output is that array, as Keras
        3 takes it (``fit(x, [y])``)."""
        one = isinstance(y, list | tuple) and len(y) == 1 and structure.is_structure(y)
        return y[0] if one and len(self.output_names) == 1 else y

    def predict(self, x: Any, *args: Any, **kwargs: Any) -> Any:
        """As ``Trainer.predict``, with lists and dicts of arrays as inputs; a model with
        several outputs gives a list or dict of arrays."""
        return super().predict(structure.pack(x), *args, **kwargs)

    def predict_on_batch(self, x: Any) -> Any:
        """The model's outputs for one batch, as NumPy arrays."""
        outputs = self._predict_batch(self._cast_inputs(x))
        return structure.map_structure(lambda t: to_numpy(raw_data(t)), outputs)

    # ---- saving -------------------------------------------------------------------------

    def save(
        self, filepath: str | os.PathLike, overwrite: bool = True, zipped: bool | None = None
    ) -> None:
        """Write architecture, compile settings, weights and optimizer state to one file
        (safetensors, with the architecture as JSON metadata), atomically. Keras 3's
        arguments: ``overwrite=False`` refuses to replace a file; ``zipped`` must stay
        None (deepgrad has one format)."""
        model_json.save_model(self, filepath, overwrite=overwrite, zipped=zipped)

    def to_json(self, **kwargs: Any) -> str:
        """The architecture (and compile settings) as JSON in Keras' layout, with deepgrad's
        configs; ``deepgrad.models.model_from_json`` rebuilds the model from it. ``kwargs``
        go to ``json.dumps``."""
        return model_json.model_to_json(self, **kwargs)

    def save_weights(
        self, filepath: str | os.PathLike, overwrite: bool = True, max_shard_size: Any = None
    ) -> None:
        """Write only the weights (safetensors), atomically. Keras 3's arguments:
        ``overwrite=False`` refuses to replace a file; ``max_shard_size`` must stay None
        (one file)."""
        model_file.save_weights(self, filepath, overwrite=overwrite, max_shard_size=max_shard_size)

    def load_weights(self, filepath: str | os.PathLike, skip_mismatch: bool = False) -> None:
        """Read weights written by ``save_weights`` or ``save``; on any mismatch raise and
        leave the model untouched. With ``skip_mismatch=True`` (Keras 3's argument) load
        each layer whose weights the file holds with the same shapes and dtypes, and skip
        the others whole, with a warning naming them.

        >>> import os, tempfile, warnings, deepgrad as dg
        >>> path = os.path.join(tempfile.mkdtemp(), "w.dg")
        >>> saved = dg.Sequential([dg.Input((4,)), dg.layers.Dense(3), dg.layers.Dense(2)])
        >>> saved.save_weights(path)
        >>> wider = dg.Sequential([dg.Input((4,)), dg.layers.Dense(3), dg.layers.Dense(5)])
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     wider.load_weights(path, skip_mismatch=True)
        >>> "skipped 1 layer(s)" in str(caught[0].message)
        True
        """
        model_file.load_weights(self, filepath, skip_mismatch=skip_mismatch)

    def export(self, filepath: str | os.PathLike, format: str = "onnx") -> None:
        """Write the model for another runtime: ``format="onnx"`` is
        ``deepgrad.onnx.export`` (``import deepgrad.onnx`` first; it registers itself)."""
        if format not in EXPORTERS:
            hint = "import deepgrad.onnx" if format == "onnx" else f"known: {sorted(EXPORTERS)}"
            raise ValueError(f"{self.name}.export: no exporter for {format!r} ({hint})")
        EXPORTERS[format](self, filepath)

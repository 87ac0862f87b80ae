"""PyTorch's names for a layer's parameters and mode: ``parameters()``,
``named_parameters()``, ``zero_grad()``, ``train()``/``eval()`` and a ``repr`` that lists
the sublayers, so a plain PyTorch-style loop reads as it does there.

>>> import numpy as np, deepgrad as dg
>>> model = dg.Sequential([dg.layers.Dense(2, input_shape=(3,)), dg.layers.Dropout(0.5)])
>>> [name for name, _ in model.named_parameters()]
['layers.0.kernel', 'layers.0.bias']
>>> model.train().training, model.layers[1].training
(True, True)
>>> print(model.eval())
Sequential(
  (0): Dense(name='dense...', units=2, activation='linear')
  (1): Dropout(name='dropout...', rate=0.5)
)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from deepgrad.compiler import settings
from deepgrad.tensor import Tensor

# The constructor arguments worth showing in a repr, when a layer has them.
_REPR_KEYS = ("units", "activation", "rate", "stddev", "target_shape", "axis", "input_dim")


class TorchVocabulary:
    """The PyTorch half of ``Layer``'s vocabulary (mixed into ``Layer``)."""

    if TYPE_CHECKING:
        name: str
        built: bool
        training: bool

        def named_weights(self, prefix: str = "") -> Iterator[tuple[str, Tensor, bool, Any]]: ...
        def _sublayers(self) -> Iterator[tuple[str, Any]]: ...
        def get_config(self) -> dict: ...

    def named_parameters(self) -> Iterator[tuple[str, Tensor]]:
        """(path, weight) for every trainable weight, as PyTorch's ``named_parameters``.

        A layer whose weights do not exist yet raises (PyTorch creates them in the
        constructor; here they are created on the first call): an optimizer given no
        parameters would train nothing."""
        self._require_weights("named_parameters")
        for path, weight, trainable, _ in self.named_weights():
            if trainable:
                yield path, weight

    def parameters(self) -> Iterator[Tensor]:
        """Every trainable weight (``trainable_weights``), as PyTorch's ``parameters``."""
        for _, weight in self.named_parameters():
            yield weight

    def zero_grad(self) -> None:
        """Set the gradient of every weight to None (PyTorch's default ``set_to_none``)."""
        for _, weight, _, _ in self.named_weights():
            weight.grad = None

    def train(self, mode: bool = True) -> Any:
        """Training mode for calls without ``training=`` (Dropout drops, BatchNormalization
        uses the batch statistics), for this layer and every sublayer; returns ``self``.
        A change of mode makes compiled functions record again (a plan holds the mode it
        was recorded in: a Dropout recorded in training would go on dropping)."""
        if getattr(self, "training", None) != bool(mode):
            settings.changed()
        self.training = bool(mode)
        for _, layer in self._sublayers():
            layer.train(mode)
        return self

    def eval(self) -> Any:
        """Inference mode (the default): ``train(False)``."""
        return self.train(False)

    def _require_weights(self, what: str) -> None:
        if not self.built:
            raise RuntimeError(
                f"{self.name}.{what}(): the weights do not exist yet: they are created on the "
                "first call. Call the model once on a batch, or build it with "
                "model.build((None, n_features)), before handing its parameters to an "
                "optimizer"
            )

    def __repr__(self) -> str:
        children = list(self._sublayers())
        if not children:
            return f"{type(self).__name__}({self._repr_arguments()})"
        lines = [f"{type(self).__name__}("]
        for path, layer in children:
            label = path.rsplit(".", 1)[-1]
            lines.append(f"  ({label}): " + repr(layer).replace("\n", "\n  "))
        lines.append(")")
        return "\n".join(lines)

    def _repr_arguments(self) -> str:
        try:
            config = self.get_config()
        except (ValueError, TypeError):  # a config that cannot be given back: name only
            config = {}
        shown = [f"name={self.name!r}"]
        shown += [f"{key}={config[key]!r}" for key in _REPR_KEYS if config.get(key) is not None]
        return ", ".join(shown)

"""The loss of a model with several outputs: one loss per output, weighed and summed
(``compile(loss={...} or [...], loss_weights=...)``, Keras' meaning)."""

from __future__ import annotations

from typing import Any

from deepgrad.losses.base import Loss
from deepgrad.losses.names import get, is_saved_loss
from deepgrad.tensor import Tensor


class OutputLosses(Loss):
    """The loss of a model with several outputs: Σ_k w_k L_k(y_k, ŷ_k), one loss per
    output (``compile(loss={...} or [...], loss_weights=...)``, Keras' meaning). Outputs
    given no loss add nothing; ``y_true`` and ``y_pred`` are lists in ``output_names``
    order (``components`` returns each output's own loss, for the logs).

    >>> import numpy as np
    >>> from deepgrad.tensor import raw_data
    >>> nll = OutputLosses({"b": "mae", "a": "mse"}, ["a", "b"], {"a": 1.0, "b": 0.5})
    >>> y = [np.zeros((2, 1)), np.ones((2, 1))]
    >>> float(raw_data(nll(y, [np.ones((2, 1)), np.ones((2, 1))])))
    1.0
    """

    def __init__(self, losses: Any, output_names: list[str], loss_weights: Any = None) -> None:
        super().__init__(name="loss")
        self.output_names = list(output_names)
        per_output = _per_output(losses, self.output_names, "loss")
        # tuples: a setting is reassigned, not changed in place (compiler/settings.py)
        self.losses = tuple(None if item is None else get(item) for item in per_output)
        if loss_weights is None:
            weights = [1.0] * len(self.output_names)
        elif isinstance(loss_weights, int | float) and len(self.output_names) == 1:
            weights = [float(loss_weights)]
        else:
            weights = _per_output(loss_weights, self.output_names, "loss_weights")
        self.weights = tuple(1.0 if w is None else float(w) for w in weights)

    @property
    def trainable_weights(self) -> list[Tensor]:
        return [w for loss in self.losses if loss is not None for w in loss.trainable_weights]

    def components(self, y_true: list, y_pred: list, sample_weight: Any = None) -> list:
        """Each output's loss (None where it has none), before ``loss_weights``."""
        if len(y_true) != len(self.losses) or len(y_pred) != len(self.losses):
            raise ValueError(
                f"loss: the model has {len(self.losses)} outputs {self.output_names}, got "
                f"{len(y_pred)} predictions and {len(y_true)} targets"
            )
        values = []
        rows = zip(self.output_names, self.losses, y_true, y_pred, strict=True)
        for name, loss, truth, pred in rows:
            if loss is not None and truth is None:
                raise ValueError(f"loss: output {name!r} has a loss but no target was given")
            values.append(None if loss is None else loss(truth, pred, sample_weight))
        return values

    def combine(self, components: list) -> Any:
        """Σ_k w_k L_k over the outputs that have a loss."""
        terms = [w * c for w, c in zip(self.weights, components, strict=True) if c is not None]
        if not terms:
            raise ValueError("loss: no output has a loss")
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        return total

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        return self.combine(self.components(y_true, y_pred, sample_weight))


def _per_output(value: Any, names: list[str], what: str) -> list:
    """A dict keyed by output name, or a list with one entry per output, as a list in
    ``names`` order (None for outputs a dict leaves out); one loss's saved form is one
    loss, not a dict of them."""
    if isinstance(value, dict) and not is_saved_loss(value):
        unknown = sorted(set(value) - set(names))
        if unknown:
            raise ValueError(f"compile: {what} names outputs {unknown}; the outputs are {names}")
        return [value.get(name) for name in names]
    if isinstance(value, list | tuple):
        if len(value) != len(names):
            raise ValueError(
                f"compile: {what} has {len(value)} entries but the model has {len(names)} "
                f"outputs {names}; give one per output, or a dict keyed by output name"
            )
        return list(value)
    if len(names) == 1:
        return [value]
    raise ValueError(
        f"compile: the model has {len(names)} outputs {names}; give {what} as a list (one "
        "per output) or a dict keyed by output name"
    )

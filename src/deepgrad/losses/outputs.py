"""The loss of a model with several outputs: one loss per output, weighed and summed
(``compile(loss={...} or [...], loss_weights=...)``, Keras' meaning)."""

from __future__ import annotations

from typing import Any

from deepgrad.losses.base import Loss
from deepgrad.losses.names import get, is_saved_loss
from deepgrad.tensor import Tensor


class OutputLosses(Loss):
    """The loss of a model with several outputs: Σ_k w_k L_k(y_k, ŷ_k), one loss per
    output (``compile(loss={...} or [...], loss_weights=...)``, Keras' meaning). One loss
    (not a list or dict) is every output's loss, and one number in ``loss_weights`` every
    output's weight, as in Keras 3. Outputs given no loss add nothing; ``y_true`` and
    ``y_pred`` are lists in ``output_names`` order (``components`` returns each output's
    own loss, for the logs); ``sample_weight`` is one array for all outputs, or a list or
    dict with one per output.

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
        if _per_output_form(losses):
            per_output = _per_output(losses, self.output_names, "loss")
            # tuples: a setting is reassigned, not changed in place (compiler/settings.py)
            self.losses = tuple(None if item is None else get(item) for item in per_output)
        else:  # one loss for every output, as Keras 3 applies it
            self.losses = (get(losses),) * len(self.output_names)
        if loss_weights is None:
            weights = [1.0] * len(self.output_names)
        elif isinstance(loss_weights, int | float):
            if not _per_output_form(losses) and len(self.output_names) > 1:
                weights = [float(loss_weights)] * len(self.output_names)
            elif len(self.output_names) == 1:
                weights = [float(loss_weights)]
            else:
                raise ValueError(
                    f"compile: loss_weights={loss_weights} is one number but loss gives each "
                    f"of the outputs {self.output_names} its own loss; give loss_weights as a "
                    "list (one per output) or a dict keyed by output name"
                )
        else:
            weights = _per_output(loss_weights, self.output_names, "loss_weights")
        self.weights = tuple(_loss_weight(w) for w in weights)

    @property
    def trainable_weights(self) -> list[Tensor]:
        unique = {id(loss): loss for loss in self.losses if loss is not None}.values()
        return [w for loss in unique for w in loss.trainable_weights]

    @property
    def per_sample_mean(self) -> bool:
        return all(loss is None or loss.per_sample_mean for loss in self.losses)

    def components(self, y_true: list, y_pred: list, sample_weight: Any = None) -> list:
        """Each output's loss (None where it has none), before ``loss_weights``; with
        ``sample_weight`` one array for all outputs or a list or dict of one per output."""
        if len(y_true) != len(self.losses) or len(y_pred) != len(self.losses):
            raise ValueError(
                f"loss: the model has {len(self.losses)} outputs {self.output_names}, got "
                f"{len(y_pred)} predictions and {len(y_true)} targets"
            )
        values = []
        weights = per_output_sample_weight(sample_weight, self.output_names)
        rows = zip(self.output_names, self.losses, y_true, y_pred, weights, strict=True)
        for name, loss, truth, pred, weight in rows:
            if loss is not None and truth is None:
                raise ValueError(f"loss: output {name!r} has a loss but no target was given")
            values.append(None if loss is None else loss(truth, pred, weight))
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


def per_output_sample_weight(sample_weight: Any, names: list[str]) -> list:
    """``sample_weight`` as one entry per output (in ``names`` order): one array is every
    output's; a list gives one per output, a dict one per output name (None for those it
    leaves out)."""
    if len(names) == 1 and not isinstance(sample_weight, dict):
        one = isinstance(sample_weight, list | tuple) and len(sample_weight) == 1
        return [sample_weight[0] if one and _is_array(sample_weight[0]) else sample_weight]
    listed = _in_output_order(
        sample_weight,
        names,
        "sample_weight",
        "is a list of {} arrays",
        "give one array per output (or one array for all)",
    )
    if listed is not None:
        return listed
    return [sample_weight] * len(names)


def _in_output_order(
    value: Any, names: list[str], label: str, counted: str, advice: str
) -> list | None:
    """``value`` given per output, as a list in ``names`` order: a dict keyed by output
    name (None for the outputs it leaves out; one loss's saved config is not such a dict)
    or a list of one entry per output. None when ``value`` is neither. The errors name
    ``label``, and a list's length in ``counted`` ("has {} entries")."""
    if isinstance(value, dict) and not is_saved_loss(value):
        unknown = sorted(set(value) - set(names))
        if unknown:
            raise ValueError(f"{label} names outputs {unknown}; the outputs are {names}")
        return [value.get(name) for name in names]
    if isinstance(value, list | tuple):
        if len(value) != len(names):
            raise ValueError(
                f"{label} {counted.format(len(value))} but the model has {len(names)} outputs "
                f"{names}; {advice}"
            )
        return list(value)
    return None


def _is_array(value: Any) -> bool:
    return isinstance(value, Tensor) or hasattr(value, "__array__") or hasattr(value, "shape")


def _per_output_form(value: Any) -> bool:
    """A list of losses, or a dict of them by output name (not one loss's saved config)."""
    return isinstance(value, list | tuple) or (isinstance(value, dict) and not is_saved_loss(value))


def _per_output(value: Any, names: list[str], what: str) -> list:
    """A dict keyed by output name, or a list with one entry per output, as a list in
    ``names`` order (None for outputs a dict leaves out); one loss's saved form is one
    loss, not a dict of them."""
    listed = _in_output_order(
        value,
        names,
        f"compile: {what}",
        "has {} entries",
        "give one per output, or a dict keyed by output name",
    )
    if listed is not None:
        return listed
    if len(names) == 1:
        return [value]
    raise ValueError(
        f"compile: the model has {len(names)} outputs {names}; give {what} as a list (one "
        "per output) or a dict keyed by output name"
    )


def _loss_weight(weight: Any) -> float:
    """One output's loss weight as a float (None: 1), refusing what is not a number: a
    list of metric names here is usually ``compile``'s third argument, which is
    ``loss_weights`` in Keras' order.

    >>> _loss_weight(None), _loss_weight(2)
    (1.0, 2.0)
    """
    if weight is None:
        return 1.0
    if not isinstance(weight, str):
        try:
            return float(weight)
        except (TypeError, ValueError):
            pass
    raise TypeError(
        f"compile: loss_weights holds {weight!r}, which is not a number. compile takes "
        "Keras' order, (optimizer, loss, loss_weights, metrics, ...): pass metrics by "
        "name, compile(optimizer, loss, metrics=[...])"
    )

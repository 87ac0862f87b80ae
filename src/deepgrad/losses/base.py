"""The base of every loss: ``Loss`` (call, then weigh and reduce as Keras does) and the
shape checks the losses share.

A loss maps (y_true, y_pred) to one value per sample, then reduces: ``reduction="mean"``
(Keras' "sum_over_batch_size": Σ w_i ℓ_i / n), ``"sum"``, ``"mean_with_sample_weight"``
(Σ w_i ℓ_i / Σ w_i) or ``"none"`` (also ``None``), with optional per-sample
``sample_weight`` w_i (a number weighs every sample).

>>> import numpy as np
>>> same_rank(Loss(), np.zeros((2, 3)), np.zeros((2, 4)))
Traceback (most recent call last):
...
ValueError: Loss: y_true has shape (2, 3) but y_pred has shape (2, 4); they must match ...
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from deepgrad import numpy as dnp
from deepgrad.backend import get_default_dtype
from deepgrad.compiler.settings import Settings
from deepgrad.tensor import Tensor, raw_data

EPSILON = 1e-7  # Keras' clip for probabilities given as such (from_logits=False)
_REDUCTIONS = ("mean", "sum", "none", None, "sum_over_batch_size", "mean_with_sample_weight")


class Loss(Settings):
    """Base class: subclasses write ``call(y_true, y_pred)`` returning per-sample losses.

    Its attributes are settings: reassigning one (``loss.label_smoothing = 0.1``) makes a
    compiled step record again (``compiler/settings.py``)."""

    default_name: str | None = None  # Keras' name where it is not the class's in snake case
    integer_labels = False  # whether y_true holds class indices (kept as integers)

    def __init__(
        self, name: str | None = None, reduction: str | None = "mean", dtype: Any = None
    ) -> None:
        # Keras' order (name first): Loss("my_loss") is a name, not a reduction
        if reduction not in _REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: reduction must be one of {_REDUCTIONS}")
        aliases = {"sum_over_batch_size": "mean", None: "none"}
        self.reduction = aliases.get(reduction, reduction)
        self.name = name or self.default_name or _snake(type(self).__name__)
        # Keras' dtype: y_pred (and floating y_true) are cast to it before the loss (None:
        # the loss is computed in y_pred's dtype)
        self.dtype = None if dtype is None else _floating_dtype_name(self, dtype)

    @property
    def trainable_weights(self) -> list[Tensor]:
        """Parameters the loss itself learns (GaussianNLL's σ); usually none."""
        return []

    @property
    def per_sample_mean(self) -> bool:
        """Whether a batch's loss is Σ_i w_i ℓ_i / n over its n samples, each ℓ_i from its
        own sample alone: then the losses of parts of the batch, weighted by their shares of
        its samples, add up to the whole batch's, which data-parallel training relies on.
        Not so with ``reduction`` "sum", "none" or "mean_with_sample_weight", a mean over
        the samples a mask keeps (``ignore_class``), or a loss comparing the samples of a
        batch with each other (Circle, Dice over the batch axis).

        >>> from deepgrad import losses
        >>> losses.MeanSquaredError().per_sample_mean
        True
        >>> losses.MeanSquaredError(reduction="sum").per_sample_mean
        False
        """
        return self.reduction == "mean" and type(self).valid_mask is Loss.valid_mask

    def call(self, y_true: Any, y_pred: Any) -> Any:
        raise NotImplementedError

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        # Keras casts y_pred to the loss's dtype (floatx): integer predictions would square
        # and subtract in their own dtype (uint8: 0 − 1 wraps to 255), and a list has none
        y_pred = _floating(y_pred, self.dtype)
        y_true = _as_array(y_true, y_pred, self.integer_labels)
        per_sample = self.call(y_true, y_pred)
        weights = None
        if sample_weight is not None:
            weights = self._weights_like(sample_weight, per_sample)
        valid = self.valid_mask(y_true, y_pred)
        if valid is not None:
            valid = dnp.astype(valid, raw_data(per_sample).dtype)
            # dnp.multiply, not *: both may be plain arrays (the labels' mask, the weights as
            # given), whose product a compiled step would freeze as a constant
            weights = valid if weights is None else dnp.multiply(weights, valid)
        if weights is not None:
            per_sample = per_sample * weights
        if self.reduction == "none":
            return _expanded_as_keras(per_sample, sample_weight)
        total = dnp.sum(per_sample)
        if self.reduction == "sum":
            return total
        if self.reduction == "mean_with_sample_weight" and weights is not None:
            # Σ w_i over the samples (a single weight counts once per sample)
            return divide_no_nan(
                total, dnp.sum(dnp.broadcast_to(weights, np.shape(raw_data(per_sample))))
            )
        if valid is not None:  # the mean over the samples that count, as Keras' mask
            return divide_no_nan(total, dnp.sum(valid))
        return total / max(np.size(raw_data(per_sample)), 1)

    def valid_mask(self, y_true: Any, y_pred: Any) -> Any:
        """Which per-sample losses count (a boolean array in their shape), or None for all:
        the others weigh 0 and leave the mean (``ignore_class``)."""
        return None

    def get_config(self) -> dict:
        config = {"reduction": self.reduction, "name": self.name}
        return config if self.dtype is None else {**config, "dtype": self.dtype}

    def _weights_like(self, sample_weight: Any, per_sample: Any) -> Any:
        """``sample_weight`` in the shape of the per-sample losses (one weight each), one
        weight for every sample (a number, or an array of one), or, as Keras broadcasts it,
        weights of the losses' rank (after a last axis of length 1 is dropped) that
        broadcast to them: (n, 1) weights each of the t losses of a sample of shape (n, t)."""
        shape = np.shape(raw_data(per_sample))
        weights = dnp.astype(raw_data(sample_weight), raw_data(per_sample).dtype)
        weights_shape = np.shape(raw_data(weights))
        if np.size(raw_data(weights)) == 1:
            return dnp.reshape(weights, ())
        if np.size(raw_data(weights)) == math.prod(shape):
            return dnp.reshape(weights, shape)
        if len(weights_shape) == len(shape) + 1 and weights_shape[-1] == 1:
            weights_shape = weights_shape[:-1]  # Keras' squeeze_or_expand_to_same_rank
        if len(weights_shape) == len(shape) and _broadcasts(weights_shape, shape):
            return dnp.broadcast_to(dnp.reshape(weights, weights_shape), shape)
        raise ValueError(
            f"{type(self).__name__}: sample_weight has shape {np.shape(raw_data(weights))} but "
            f"the loss gives one value per sample, of shape {shape}; give one weight per "
            "sample, or weights of that rank that broadcast to it"
        )


def _expanded_as_keras(per_sample: Any, sample_weight: Any) -> Any:
    """Unreduced losses of shape (n,) weighed by weights of shape (n, 1) as (n, 1), the
    shape Keras gives them (``squeeze_or_expand_to_same_rank`` expands the losses)."""
    weights_shape = np.shape(raw_data(sample_weight)) if sample_weight is not None else ()
    if np.ndim(raw_data(per_sample)) == 1 and len(weights_shape) == 2 and weights_shape[1] == 1:
        return dnp.reshape(per_sample, (-1, 1))
    return per_sample


def _broadcasts(shape: tuple, target: tuple) -> bool:
    return all(size in (1, goal) for size, goal in zip(shape, target, strict=True))


def divide_no_nan(numerator: Any, denominator: Any) -> Any:
    """numerator / denominator, 0 where the denominator is 0 (Keras' ``divide_no_nan``)."""
    nonzero = dnp.not_equal(denominator, 0)
    return dnp.where(nonzero, numerator / dnp.where(nonzero, denominator, 1.0), 0.0)


def _snake(name: str) -> str:
    """A class name in snake case, as Keras' ``to_snake_case`` (``KLDivergence``:
    ``kl_divergence``)."""
    import re

    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def label_array(y_true: Any) -> Any:
    """The targets as an array of their own array module (a device array stays on its
    device: no silent copy to the host)."""
    data = raw_data(y_true)
    return data if hasattr(data, "dtype") and hasattr(data, "shape") else np.asarray(data)


def _as_array(y_true: Any, y_pred: Any, integer_labels: bool) -> Any:
    """y_true in y_pred's floating dtype, as Keras casts it (integer labels too, unless the
    loss indexes by them: integer labels against float32 predictions gave a float64 loss).
    A Tensor is cast alike: uint8 labels as a Tensor gave a float64 cross-entropy."""
    array = y_true if isinstance(y_true, Tensor) else label_array(y_true)
    own, dtype = raw_data(array).dtype, raw_data(y_pred).dtype
    numbers = np.issubdtype(own, np.integer) and not integer_labels
    if own != dtype and (
        np.issubdtype(own, np.floating)
        or np.issubdtype(own, np.bool_)
        or (numbers and np.issubdtype(dtype, np.floating))
    ):
        return dnp.astype(array, dtype)  # a deepgrad op, so a compiled step records it
    return array


def same_rank(loss: Loss, y_true: Any, y_pred: Any) -> tuple[Any, Any]:
    """y_true and y_pred brought to one shape as Keras' loss wrappers do
    (``squeeze_or_expand_to_same_rank``): where their ranks differ by one and the longer
    ends in an axis of length 1, a 1-D one gains that axis, otherwise the longer loses it.
    Any other difference raises, naming the loss."""
    true_shape, pred_shape = np.shape(raw_data(y_true)), np.shape(raw_data(y_pred))
    y_true, y_pred = to_same_rank(y_true, y_pred)
    if np.shape(raw_data(y_true)) != np.shape(raw_data(y_pred)):
        raise ValueError(
            f"{type(loss).__name__}: y_true has shape {true_shape} but y_pred has shape "
            f"{pred_shape}; they must match (up to a last axis of length 1)"
        )
    return y_true, y_pred


def to_same_rank(y_true: Any, y_pred: Any) -> tuple[Any, Any]:
    """Keras' ``squeeze_or_expand_to_same_rank``, which raises nothing: (n,) against
    (n, 1) becomes (n, 1) and (n, 1); (n, k) against (n, k, 1) loses the last axis; any
    other pair is returned as it is (a loss function of one's own may take labels (n,)
    against probabilities (n, k)).

    >>> [np.shape(a) for a in to_same_rank(np.zeros(3), np.zeros((3, 1)))]
    [(3, 1), (3, 1)]
    """
    true_shape, pred_shape = np.shape(raw_data(y_true)), np.shape(raw_data(y_pred))
    if len(true_shape) == len(pred_shape) + 1 and true_shape[-1:] == (1,):
        if len(pred_shape) == 1:
            y_pred = dnp.reshape(y_pred, true_shape)
        else:
            y_true = dnp.reshape(y_true, true_shape[:-1])
    elif len(pred_shape) == len(true_shape) + 1 and pred_shape[-1:] == (1,):
        if len(true_shape) == 1:
            y_true = dnp.reshape(y_true, pred_shape)
        else:
            y_pred = dnp.reshape(y_pred, pred_shape[:-1])
    return y_true, y_pred


class ReductionFirstLoss(Loss):
    """A built-in loss with no arguments of its own. Keras' built-in losses take
    ``reduction`` first (``MeanSquaredError("sum")``), its base class ``Loss`` ``name``
    first (``Loss("my_loss")``)."""

    def __init__(
        self, reduction: str | None = "mean", name: str | None = None, dtype: Any = None
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)


class CastingLoss(Loss):
    """A loss whose y_true is cast to y_pred's floating dtype (labels 0/1 as numbers), and
    whose config always holds ``dtype``."""

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        y_pred = _floating(y_pred, self.dtype)
        y_true = y_true if isinstance(y_true, Tensor) else label_array(y_true)
        y_true = dnp.astype(y_true, raw_data(y_pred).dtype)  # labels 0/1 as numbers
        return super().__call__(y_true, y_pred, sample_weight)

    def get_config(self) -> dict:
        return {**super().get_config(), "dtype": self.dtype}


def _half(y_pred: Any) -> bool:
    """Whether y_pred is of a floating dtype narrower than float32 (float16). Without a
    ``dtype``, a loss computes it in float32, as Keras computes every loss in ``floatx()``:
    its squares, logs and sums overflow or round to 0 in float16 (inf or NaN losses)."""
    own = getattr(raw_data(y_pred), "dtype", None)
    return own is not None and np.dtype(own).kind == "f" and np.dtype(own).itemsize < 4


def _floating(y_pred: Any, dtype: Any) -> Any:
    """y_pred in ``dtype``; without one, in its own floating dtype (float32 for float16, or
    the default dtype for a list or an array of integers)."""
    if dtype is None:
        own = raw_data(y_pred).dtype if hasattr(raw_data(y_pred), "dtype") else None
        if own is not None and np.issubdtype(own, np.floating) and not _half(y_pred):
            return y_pred
        dtype = np.float32 if _half(y_pred) else get_default_dtype()
    if not isinstance(y_pred, Tensor):
        y_pred = label_array(y_pred)
    return dnp.astype(y_pred, dtype)


def _floating_dtype_name(loss: Loss, dtype: Any) -> str:
    try:
        found = np.dtype(dtype)
    except TypeError as error:
        raise TypeError(
            f"{type(loss).__name__}: dtype must be a floating dtype such as 'float32', got "
            f"{dtype!r}"
        ) from error
    if not np.issubdtype(found, np.floating):
        raise ValueError(
            f"{type(loss).__name__}: dtype must be a floating dtype such as 'float32', got "
            f"{found.name}"
        )
    return found.name


def mean_last(values: Any) -> Any:
    return mean_along(values, -1)


def mean_along(values: Any, axis: int) -> Any:
    """The mean along ``axis``; 1-D values are one per sample and stay as they are."""
    return dnp.mean(values, axis=axis) if np.ndim(raw_data(values)) > 1 else values

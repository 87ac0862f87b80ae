"""Losses: negative log-likelihoods (and a few margins), with Keras' names.

Training minimises −log L(θ) + regulariser. Each docstring says which likelihood the
loss is the negative log of. A loss maps (y_true, y_pred) to one value per sample, then
reduces: ``reduction="mean"`` (Keras' "sum_over_batch_size": Σ w_i ℓ_i / n), ``"sum"``,
``"mean_with_sample_weight"`` (Σ w_i ℓ_i / Σ w_i) or ``"none"`` (also ``None``), with
optional per-sample ``sample_weight`` w_i (a number weighs every sample).

>>> import numpy as np
>>> float(MeanSquaredError()(np.array([[1.0], [2.0]]), np.array([[1.5], [2.0]])))
0.125
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from deepgrad import numpy as dnp
from deepgrad.activations import softplus
from deepgrad.autodiff.effects import impure
from deepgrad.backend import array_module, get_default_dtype
from deepgrad.losses_base import (  # Loss and the shape checks, shared with the modules below
    EPSILON,
    Loss,
    label_array,
    same_rank,
)
from deepgrad.losses_focal import (
    BinaryFocalCrossentropy,
    CategoricalFocalCrossentropy,
)
from deepgrad.losses_focal import (  # Keras' function forms, as losses.<name>
    binary_focal_crossentropy as binary_focal_crossentropy,
)
from deepgrad.losses_focal import (
    categorical_focal_crossentropy as categorical_focal_crossentropy,
)
from deepgrad.losses_overlap import Dice, Tversky
from deepgrad.losses_overlap import dice as dice
from deepgrad.losses_overlap import tversky as tversky
from deepgrad.ops.activations_math import log_softmax, sparse_softmax_cross_entropy
from deepgrad.tensor import Tensor, raw_data


def _mean_last(values: Any) -> Any:
    return _mean_along(values, -1)


def _mean_along(values: Any, axis: int) -> Any:
    """The mean along ``axis``; 1-D values are one per sample and stay as they are."""
    return dnp.mean(values, axis=axis) if np.ndim(raw_data(values)) > 1 else values


class MeanSquaredError(Loss):
    """mean((y − ŷ)²) over the last axis: the Gaussian NLL with σ fixed, up to constants."""

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y_true, y_pred = same_rank(self, y_true, y_pred)
        return _mean_last((y_true - y_pred) ** 2)


class MeanAbsoluteError(Loss):
    """mean(|y − ŷ|): the NLL of a Laplace distribution, up to constants."""

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y_true, y_pred = same_rank(self, y_true, y_pred)
        return _mean_last(dnp.absolute(y_true - y_pred))


class Huber(Loss):
    """½e² for |e| ≤ δ, δ(|e| − ½δ) beyond: squared near 0, absolute in the tails."""

    def __init__(self, delta: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.delta = float(delta)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y_true, y_pred = same_rank(self, y_true, y_pred)
        error = dnp.absolute(y_true - y_pred)
        quadratic = dnp.minimum(error, self.delta)
        return _mean_last(0.5 * quadratic**2 + self.delta * (error - quadratic))

    def get_config(self) -> dict:
        return {**super().get_config(), "delta": self.delta}


class LogCosh(Loss):
    """mean(log cosh(ŷ − y)), computed as e + softplus(−2e) − log 2 (no overflow)."""

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y_true, y_pred = same_rank(self, y_true, y_pred)
        error = y_pred - y_true
        return _mean_last(error + softplus(-2.0 * error) - math.log(2.0))


class GaussianNLL(Loss):
    """−log N(y | f(x), σ²) = ½ log(2πσ²) + (y − f(x))² / (2σ²): the lecture's model
    y = f(x) + ε, ε ~ N(0, σ²).

    ``sigma``: a number (σ fixed), ``"learned"`` (σ is a parameter of the loss, trained
    with the model and read back as ``loss.sigma``), or ``None`` (heteroscedastic: the
    model predicts two columns, the mean and log σ, per sample).

    >>> import numpy as np
    >>> nll = GaussianNLL(sigma=1.0)
    >>> round(float(nll(np.zeros((1, 1)), np.zeros((1, 1)))), 6)  # ½ log 2π
    0.918939
    """

    def __init__(self, sigma: float | str | None = "learned", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(sigma, str) and sigma != "learned":
            raise ValueError(
                f"GaussianNLL: sigma must be a number, 'learned' or None, got {sigma!r}"
            )
        if isinstance(sigma, int | float) and sigma <= 0:
            raise ValueError(f"GaussianNLL: sigma must be positive, got {sigma}")
        self.sigma_mode = sigma
        self.log_sigma = (
            Tensor(np.zeros((), get_default_dtype()), requires_grad=True)
            if sigma == "learned"
            else None
        )

    @property
    def trainable_weights(self) -> list[Tensor]:
        return [] if self.log_sigma is None else [self.log_sigma]

    @property
    def sigma(self) -> float | None:
        """σ̂ when learned, σ when fixed, None when predicted per sample."""
        if self.log_sigma is not None:
            return float(np.exp(raw_data(self.log_sigma)))
        return None if self.sigma_mode is None else float(self.sigma_mode)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        if self.sigma_mode is None:
            if np.shape(raw_data(y_pred))[-1] != 2:
                raise ValueError(
                    "GaussianNLL(sigma=None): y_pred must have 2 columns (mean, log σ), got "
                    f"shape {np.shape(raw_data(y_pred))}"
                )
            mean, log_sigma = y_pred[..., 0:1], y_pred[..., 1:2]
            y_true = dnp.reshape(y_true, np.shape(raw_data(mean)))
        else:
            y_true, y_pred = same_rank(self, y_true, y_pred)
            mean = y_pred
            log_sigma = (
                self.log_sigma
                if self.log_sigma is not None
                else math.log(float(self.sigma_mode))  # a number: "learned" has log_sigma
            )
        z = (y_true - mean) * dnp.exp(-log_sigma)
        return _mean_last(0.5 * math.log(2 * math.pi) + log_sigma + 0.5 * z * z)

    def get_config(self) -> dict:
        return {**super().get_config(), "sigma": self.sigma_mode}


class BinaryCrossentropy(Loss):
    """−[y log p + (1 − y) log(1 − p)]: the Bernoulli NLL, averaged along ``axis`` (the
    last by default). On logits z it is computed as softplus(z) − y·z, stable for any z."""

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.from_logits, self.label_smoothing = from_logits, float(label_smoothing)
        self.axis = int(axis)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y, y_pred = same_rank(self, y_true, y_pred)
        if self.label_smoothing:
            y = y * (1.0 - self.label_smoothing) + 0.5 * self.label_smoothing
        if self.from_logits:
            return _mean_along(softplus(y_pred) - y * y_pred, self.axis)
        p = dnp.clip(y_pred, EPSILON, 1.0 - EPSILON)
        return _mean_along(-(y * dnp.log(p) + (1.0 - y) * dnp.log(1.0 - p)), self.axis)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
            "axis": self.axis,
        }


class CategoricalCrossentropy(Loss):
    """−Σ_k y_k log p_k over one-hot (or soft) labels along ``axis`` (the last by default):
    the categorical NLL. On logits it uses the fused, stable log-softmax; probabilities are
    renormalised to sum to 1 and clipped to [1e-7, 1 − 1e-7] first, as Keras does."""

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.from_logits, self.label_smoothing = from_logits, float(label_smoothing)
        self.axis = int(axis)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y, y_pred = same_rank(self, y_true, y_pred)
        if self.label_smoothing:
            classes = np.shape(raw_data(y_pred))[self.axis]
            y = y * (1.0 - self.label_smoothing) + self.label_smoothing / classes
        log_p = _log_probabilities(y_pred, self.from_logits, self.axis)
        return -dnp.sum(y * log_p, axis=self.axis)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
            "axis": self.axis,
        }


def _log_probabilities(y_pred: Any, from_logits: bool, axis: int = -1) -> Any:
    if from_logits:
        return log_softmax(y_pred, axis=axis)
    p = y_pred / dnp.sum(y_pred, axis=axis, keepdims=True)
    return dnp.log(dnp.clip(p, EPSILON, 1.0 - EPSILON))


@impure(effect=True)
def _check_sparse_labels(labels: Any, classes: int) -> None:
    """Raise unless every label is an integer (or an integral float) in [0, classes)."""
    xp = array_module(labels)
    integral = xp.issubdtype(labels.dtype, xp.integer)  # no rounding to check on those
    if labels.size and (
        not (integral or bool(xp.all(labels == xp.round(labels))))
        or bool(labels.min() < 0)
        or bool(labels.max() >= classes)
    ):
        raise ValueError(
            f"SparseCategoricalCrossentropy: labels must be integers in [0, {classes})"
        )


class SparseCategoricalCrossentropy(Loss):
    """−log p_y for integer labels y: the categorical NLL without one-hot encoding.

    ``ignore_class``: samples (or time steps) with this label weigh 0 and leave the mean,
    as Keras' (a padding label, e.g. -1)."""

    def __init__(
        self, from_logits: bool = False, ignore_class: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.from_logits = from_logits
        self.ignore_class = None if ignore_class is None else int(ignore_class)

    def _sparse_labels(self, y_true: Any, y_pred: Any) -> Any:
        """The labels in y_pred's shape without its class axis."""
        labels = label_array(y_true)
        pred_shape = tuple(raw_data(y_pred).shape)
        if labels.shape == (*pred_shape[:-1], 1):
            labels = dnp.reshape(labels, pred_shape[:-1])
        if labels.shape != pred_shape[:-1]:
            raise ValueError(
                f"SparseCategoricalCrossentropy: y_true has shape {labels.shape}; for y_pred of "
                f"shape {pred_shape} it must be {pred_shape[:-1]} (one integer label per sample)"
            )
        return labels

    def valid_mask(self, y_true: Any, y_pred: Any) -> Any:
        if self.ignore_class is None:
            return None
        return dnp.not_equal(self._sparse_labels(y_true, y_pred), self.ignore_class)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        labels = self._sparse_labels(y_true, y_pred)
        xp = array_module(raw_data(labels))
        valid = self.valid_mask(y_true, y_pred)
        if valid is not None:  # an ignored label stands in as class 0, its loss then zeroed
            labels = dnp.where(valid, labels, dnp.zeros_like(raw_data(labels)))
        pred_shape = tuple(raw_data(y_pred).shape)
        # An effect primitive: a compiled step checks the labels of every batch, not only of
        # the batches it recorded (a label of -1 would take the last class, 1.5 class 1).
        # Integer labels on logits need none: the cross-entropy op checks their range.
        if not (self.from_logits and xp.issubdtype(raw_data(labels).dtype, xp.integer)):
            _check_sparse_labels(raw_data(labels), pred_shape[-1])
        labels = dnp.astype(labels, np.int64)  # deepgrad ops: a compiled step records them
        if self.from_logits:
            losses = sparse_softmax_cross_entropy(y_pred, labels)
        else:
            log_p = _log_probabilities(y_pred, self.from_logits)
            index = (*tuple(xp.indices(raw_data(labels).shape)), labels)
            losses = -log_p[index]
        return losses if valid is None else dnp.where(valid, losses, 0.0)

    def get_config(self) -> dict:
        config = {**super().get_config(), "from_logits": self.from_logits}
        if self.ignore_class is not None:
            config["ignore_class"] = self.ignore_class
        return config


class Poisson(Loss):
    """ŷ − y log ŷ: the Poisson NLL for counts y with rate ŷ, up to log y!."""

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y_true, y_pred = same_rank(self, y_true, y_pred)
        return _mean_last(y_pred - y_true * dnp.log(y_pred + EPSILON))


class KLDivergence(Loss):
    """Σ y log(y / ŷ): the Kullback–Leibler divergence of ŷ from y."""

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y_true, y_pred = same_rank(self, y_true, y_pred)
        y = dnp.clip(y_true, EPSILON, 1.0)
        return dnp.sum(y * dnp.log(y / dnp.clip(y_pred, EPSILON, 1.0)), axis=-1)


class Hinge(Loss):
    """mean(max(1 − y·ŷ, 0)) for labels in {−1, 1} (labels in {0, 1} are mapped there)."""

    def call(self, y_true: Any, y_pred: Any) -> Any:
        return _mean_last(_hinge(self, y_true, y_pred))


class SquaredHinge(Loss):
    """mean(max(1 − y·ŷ, 0)²) for labels in {−1, 1} (labels in {0, 1} are mapped there).

    >>> float(SquaredHinge()(np.array([[1.0], [0.0]]), np.array([[0.5], [0.5]])))
    1.25
    """

    def call(self, y_true: Any, y_pred: Any) -> Any:
        return _mean_last(_hinge(self, y_true, y_pred) ** 2)


def _hinge(loss: Loss, y_true: Any, y_pred: Any) -> Any:
    """max(1 − y·ŷ, 0), elementwise, labels in {0, 1} mapped to {−1, 1} (as Keras does)."""
    y_true, y_pred = same_rank(loss, y_true, y_pred)
    y = raw_data(y_true)
    if np.all((y == 0) | (y == 1)):
        y = dnp.subtract(dnp.multiply(2.0, y), 1.0)
    margin = 1.0 - y * y_pred
    return dnp.where(dnp.greater(margin, 0), margin, 0.0)


class CategoricalHinge(Loss):
    """max(max over wrong classes of ŷ − ŷ of the right class + 1, 0), for one-hot labels
    (Keras' ``CategoricalHinge``: the multi-class margin of Crammer and Singer).

    >>> round(float(CategoricalHinge()(np.array([[0.0, 1.0]]), np.array([[0.3, 0.9]]))), 6)
    0.4
    """

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y, y_pred = same_rank(self, y_true, y_pred)
        right = dnp.sum(y * y_pred, axis=-1)
        wrong = dnp.max((1.0 - y) * y_pred, axis=-1)
        return dnp.maximum(wrong - right + 1.0, 0.0)


class MeanSquaredLogarithmicError(Loss):
    """mean((log(1 + ŷ) − log(1 + y))²), ŷ and y floored at 1e-7 (Keras').

    >>> round(float(MeanSquaredLogarithmicError()(np.array([[1.0]]), np.array([[3.0]]))), 4)
    0.4805
    """

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y, y_pred = same_rank(self, y_true, y_pred)
        error = dnp.log1p(dnp.maximum(y_pred, EPSILON)) - dnp.log1p(dnp.maximum(y, EPSILON))
        return _mean_last(error * error)


class MeanAbsolutePercentageError(Loss):
    """100 · mean(|y − ŷ| / max(|y|, 1e-7)) (Keras').

    >>> float(MeanAbsolutePercentageError()(np.array([[2.0]]), np.array([[2.5]])))
    25.0
    """

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y, y_pred = same_rank(self, y_true, y_pred)
        return 100.0 * _mean_last(dnp.absolute(y - y_pred) / dnp.maximum(dnp.absolute(y), EPSILON))


class CosineSimilarity(Loss):
    """−cos(y, ŷ) along ``axis``, each vector scaled to unit norm (a norm below 1e-6
    counting as 1e-6, Keras' ``l2_normalize``): −1 when they point the same way.

    >>> float(CosineSimilarity()(np.array([[1.0, 0.0]]), np.array([[2.0, 0.0]])))
    -1.0
    """

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y, y_pred = same_rank(self, y_true, y_pred)
        return -dnp.sum(_unit(y, self.axis) * _unit(y_pred, self.axis), axis=self.axis)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}


def _unit(x: Any, axis: int) -> Any:
    return x / dnp.sqrt(dnp.maximum(dnp.sum(x * x, axis=axis, keepdims=True), 1e-12))


LOSSES = {
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError,
    "mean_absolute_error": MeanAbsoluteError,
    "huber": Huber,
    "log_cosh": LogCosh,
    "gaussian_nll": GaussianNLL,
    "binary_crossentropy": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "poisson": Poisson,
    "kl_divergence": KLDivergence,
    "hinge": Hinge,
    "squared_hinge": SquaredHinge,
    "categorical_hinge": CategoricalHinge,
    "msle": MeanSquaredLogarithmicError,
    "mean_squared_logarithmic_error": MeanSquaredLogarithmicError,
    "mape": MeanAbsolutePercentageError,
    "mean_absolute_percentage_error": MeanAbsolutePercentageError,
    "cosine_similarity": CosineSimilarity,
    "binary_focal_crossentropy": BinaryFocalCrossentropy,
    "categorical_focal_crossentropy": CategoricalFocalCrossentropy,
    "dice": Dice,
    "tversky": Tversky,
}
_CLASSES = {cls.__name__: cls for cls in LOSSES.values()}
# The other strings Keras 3 takes: class names (``loss="Huber"``) and its upper-case aliases.
_BY_CLASS_NAME = {
    **_CLASSES,
    "MSE": MeanSquaredError,
    "MAE": MeanAbsoluteError,
    "MAPE": MeanAbsolutePercentageError,
    "MSLE": MeanSquaredLogarithmicError,
    "KLD": KLDivergence,
    "kld": KLDivergence,
}


def get(identifier: Any) -> Loss:
    """A loss from its name, a config dict, an object, or a function (y_true, y_pred)."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, dict):
        return _CLASSES[identifier["class_name"]](**identifier.get("config", {}))
    if isinstance(identifier, str):
        found = LOSSES.get(identifier) or _BY_CLASS_NAME.get(identifier)
        if found is None:
            raise ValueError(
                f"unknown loss {identifier!r}; known: {', '.join(LOSSES)}, or a class name "
                "such as 'MeanSquaredError' or 'Huber'"
            )
        return found()
    if callable(identifier):
        return _FunctionLoss(identifier)
    raise TypeError(f"loss must be a name, a Loss or a function, got {identifier!r}")


def mean_squared_error(y_true: Any, y_pred: Any) -> Any:
    """Per-sample mean((y − ŷ)²) over the last axis, Keras' ``losses.mean_squared_error``.

    >>> import numpy as np
    >>> mean_squared_error(np.zeros((2, 2)), np.ones((2, 2)))
    array([1., 1.])
    """
    return MeanSquaredError(reduction="none")(y_true, y_pred)


def mean_absolute_error(y_true: Any, y_pred: Any) -> Any:
    """Per-sample mean(|y − ŷ|) over the last axis, Keras' ``losses.mean_absolute_error``."""
    return MeanAbsoluteError(reduction="none")(y_true, y_pred)


def binary_crossentropy(
    y_true: Any,
    y_pred: Any,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Any:
    """Per-sample binary cross-entropy, Keras' ``losses.binary_crossentropy``."""
    loss = BinaryCrossentropy(from_logits, label_smoothing, axis, reduction="none")
    return loss(y_true, y_pred)


def categorical_crossentropy(
    y_true: Any,
    y_pred: Any,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Any:
    """Per-sample cross-entropy with one-hot labels, Keras' ``losses.categorical_crossentropy``."""
    loss = CategoricalCrossentropy(from_logits, label_smoothing, axis, reduction="none")
    return loss(y_true, y_pred)


def sparse_categorical_crossentropy(
    y_true: Any, y_pred: Any, from_logits: bool = False, ignore_class: int | None = None
) -> Any:
    """Per-sample cross-entropy with integer labels, Keras'
    ``losses.sparse_categorical_crossentropy`` (0 where the label is ``ignore_class``)."""
    loss = SparseCategoricalCrossentropy(from_logits, ignore_class, reduction="none")
    return loss(y_true, y_pred)


def hinge(y_true: Any, y_pred: Any) -> Any:
    """Per-sample mean(max(1 − y·ŷ, 0)), Keras' ``losses.hinge`` (labels in {0, 1} are
    mapped to {−1, 1}).

    >>> import numpy as np
    >>> hinge(np.array([[1.0, 0.0]]), np.array([[0.5, 0.5]]))
    array([1.])
    """
    return Hinge(reduction="none")(y_true, y_pred)


def squared_hinge(y_true: Any, y_pred: Any) -> Any:
    """Per-sample mean(max(1 − y·ŷ, 0)²), Keras' ``losses.squared_hinge``.

    >>> import numpy as np
    >>> squared_hinge(np.array([[1.0, 0.0]]), np.array([[0.5, 0.5]]))
    array([1.25])
    """
    return SquaredHinge(reduction="none")(y_true, y_pred)


def categorical_hinge(y_true: Any, y_pred: Any) -> Any:
    """Per-sample multi-class margin of one-hot labels, Keras' ``losses.categorical_hinge``.

    >>> import numpy as np
    >>> categorical_hinge(np.array([[0.0, 1.0]]), np.array([[0.3, 0.9]])).round(6)
    array([0.4])
    """
    return CategoricalHinge(reduction="none")(y_true, y_pred)


def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> Any:
    """Per-sample Huber loss (½e² for |e| ≤ δ, δ(|e| − ½δ) beyond), Keras' ``losses.huber``.

    >>> import numpy as np
    >>> huber(np.array([[0.0, 0.0]]), np.array([[0.5, 3.0]]))
    array([1.3125])
    """
    return Huber(delta, reduction="none")(y_true, y_pred)


def log_cosh(y_true: Any, y_pred: Any) -> Any:
    """Per-sample mean(log cosh(ŷ − y)), Keras' ``losses.log_cosh``.

    >>> import numpy as np
    >>> log_cosh(np.array([[0.0]]), np.array([[1.0]])).round(6)
    array([0.433781])
    """
    return LogCosh(reduction="none")(y_true, y_pred)


def kl_divergence(y_true: Any, y_pred: Any) -> Any:
    """Per-sample Σ y log(y / ŷ) over the last axis, Keras' ``losses.kl_divergence``.

    >>> import numpy as np
    >>> kl_divergence(np.array([[0.5, 0.5]]), np.array([[0.25, 0.75]])).round(6)
    array([0.143841])
    """
    return KLDivergence(reduction="none")(y_true, y_pred)


def poisson(y_true: Any, y_pred: Any) -> Any:
    """Per-sample mean(ŷ − y log ŷ), Keras' ``losses.poisson``.

    >>> import numpy as np
    >>> poisson(np.array([[2.0]]), np.array([[1.0]])).round(6)
    array([1.])
    """
    return Poisson(reduction="none")(y_true, y_pred)


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> Any:
    """Per-sample −cos(y, ŷ) along ``axis``, Keras' ``losses.cosine_similarity``.

    >>> import numpy as np
    >>> cosine_similarity(np.array([[1.0, 0.0]]), np.array([[2.0, 0.0]]))
    array([-1.])
    """
    return CosineSimilarity(axis, reduction="none")(y_true, y_pred)


def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> Any:
    """Per-sample 100 · mean(|y − ŷ| / max(|y|, 1e-7)), Keras'
    ``losses.mean_absolute_percentage_error``.

    >>> import numpy as np
    >>> mean_absolute_percentage_error(np.array([[2.0]]), np.array([[2.5]]))
    array([25.])
    """
    return MeanAbsolutePercentageError(reduction="none")(y_true, y_pred)


def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> Any:
    """Per-sample mean((log(1 + ŷ) − log(1 + y))²), Keras'
    ``losses.mean_squared_logarithmic_error``.

    >>> import numpy as np
    >>> mean_squared_logarithmic_error(np.array([[1.0]]), np.array([[3.0]])).round(4)
    array([0.4805])
    """
    return MeanSquaredLogarithmicError(reduction="none")(y_true, y_pred)


# Keras' function forms by name, as ``deserialize`` finds them
FUNCTIONS = {
    function.__name__: function
    for function in (
        mean_squared_error,
        mean_absolute_error,
        mean_absolute_percentage_error,
        mean_squared_logarithmic_error,
        huber,
        log_cosh,
        binary_crossentropy,
        categorical_crossentropy,
        sparse_categorical_crossentropy,
        binary_focal_crossentropy,
        categorical_focal_crossentropy,
        poisson,
        kl_divergence,
        hinge,
        squared_hinge,
        categorical_hinge,
        cosine_similarity,
        dice,
        tversky,
    )
}


def deserialize(name: dict | str, custom_objects: dict | None = None) -> Any:
    """A loss from its saved form, as Keras' ``losses.deserialize``: a config dict
    (``serialize``'s, or Keras' with its ``module`` and ``registered_name``) or a class name
    gives a ``Loss``, a function name (``"huber"``, or Keras' saved form of a function) the
    function. ``custom_objects`` maps names to classes or functions of your own. Only these
    names are looked up: no code in the config is run.

    >>> deserialize({"class_name": "Huber", "config": {"delta": 2.0}}).delta
    2.0
    >>> deserialize("huber") is huber
    True
    """
    if isinstance(name, dict):
        if name.get("class_name") == "function" and isinstance(name.get("config"), str):
            return _deserialize_name(name["config"], custom_objects)  # Keras' saved function
        if "class_name" not in name:
            raise ValueError(f"losses.deserialize: a config dict needs 'class_name', got {name}")
        found = _deserialize_name(name["class_name"], custom_objects)
        if not isinstance(found, type):
            raise ValueError(
                f"losses.deserialize: {name['class_name']!r} is a function, which takes no "
                "config; give its name alone"
            )
        return found(**name.get("config", {}))
    if isinstance(name, str):
        found = _deserialize_name(name, custom_objects)
        return found() if isinstance(found, type) else found
    raise TypeError(f"losses.deserialize: expected a config dict or a name, got {name!r}")


def _deserialize_name(name: str, custom_objects: dict | None) -> Any:
    """The class or function ``name`` stands for: the user's first, then Keras' names."""
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    found = FUNCTIONS.get(name) or _BY_CLASS_NAME.get(name)
    if found is None:
        raise ValueError(
            f"losses.deserialize: unknown loss {name!r}; known: the classes "
            f"{', '.join(_CLASSES)} and the functions {', '.join(FUNCTIONS)} (or pass "
            "custom_objects)"
        )
    return found


class _FunctionLoss(Loss):
    def __init__(self, fn: Any) -> None:
        super().__init__(name=getattr(fn, "__name__", "loss"))
        self.fn = fn

    def call(self, y_true: Any, y_pred: Any) -> Any:
        return self.fn(y_true, y_pred)


def serialize(loss: Loss) -> dict:
    if type(loss).__name__ not in _CLASSES:
        raise ValueError(f"loss {loss!r} is not a built-in loss and cannot be saved")
    return {"class_name": type(loss).__name__, "config": loss.get_config()}


class OutputLosses(Loss):
    """The loss of a model with several outputs: Σ_k w_k L_k(y_k, ŷ_k), one loss per
    output (``compile(loss={...} or [...], loss_weights=...)``, Keras' meaning). Outputs
    given no loss add nothing; ``y_true`` and ``y_pred`` are lists in ``output_names``
    order (``components`` returns each output's own loss, for the logs).

    >>> import numpy as np
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


def is_saved_loss(value: Any) -> bool:
    """Whether ``value`` is one loss in its saved form (``serialize``'s
    ``{"class_name": ..., "config": ...}``), not a dict of losses by output name.

    >>> is_saved_loss(serialize(MeanSquaredError())), is_saved_loss({"out": "mse"})
    (True, False)
    """
    return isinstance(value, dict) and "class_name" in value


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

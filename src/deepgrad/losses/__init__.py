"""Losses: negative log-likelihoods (and a few margins), with Keras' names.

Training minimises −log L(θ) + regulariser. Each docstring says which likelihood the
loss is the negative log of. A loss maps (y_true, y_pred) to one value per sample, then
reduces: ``reduction="mean"`` (Keras' "sum_over_batch_size": Σ w_i ℓ_i / n), ``"sum"``,
``"mean_with_sample_weight"`` (Σ w_i ℓ_i / Σ w_i) or ``"none"`` (also ``None``), with
optional per-sample ``sample_weight`` w_i (a number weighs every sample).

>>> import numpy as np
>>> float(MeanSquaredError()(np.array([[1.0], [2.0]]), np.array([[1.5], [2.0]])))
0.125

One module per family: ``base`` (``Loss`` and its reductions, ``CastingLoss``, the shape
checks the losses share), ``regression`` (squared, absolute, Huber, log-cosh, logarithmic
and percentage errors, ``CosineSimilarity``, ``GaussianNLL``, ``Poisson``),
``cross_entropy`` (binary, categorical and sparse cross-entropies, the generalized
cross-entropy, ``KLDivergence``),
``margin`` (the hinges), ``focal`` (the focal cross-entropies), ``overlap`` (``Dice``,
``Tversky``), ``metric_learning`` (``Circle``), ``functions`` (Keras' function forms:
``huber(y_true, y_pred)``, ...),
``names`` (the strings ``compile`` takes, ``get``, ``serialize``, ``deserialize``) and
``outputs`` (``OutputLosses``, the loss of a model with several outputs).
"""

from __future__ import annotations

# isort: off
# Not sorted: the API reference lists the names in this order (source order), the base
# first, then each family.
from deepgrad.losses.base import EPSILON, Loss, label_array, same_rank
from deepgrad.losses.regression import (
    MeanSquaredError,
    MeanAbsoluteError,
    Huber,
    LogCosh,
    GaussianNLL,
    MeanSquaredLogarithmicError,
    MeanAbsolutePercentageError,
    CosineSimilarity,
    Poisson,
)
from deepgrad.losses.cross_entropy import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    KLDivergence,
    CategoricalGeneralizedCrossEntropy,
    categorical_generalized_cross_entropy,
)
from deepgrad.losses.margin import Hinge, SquaredHinge, CategoricalHinge
from deepgrad.losses.focal import (
    BinaryFocalCrossentropy,
    CategoricalFocalCrossentropy,
    binary_focal_crossentropy,
    categorical_focal_crossentropy,
)
from deepgrad.losses.overlap import Dice, Tversky, dice, tversky
from deepgrad.losses.metric_learning import Circle, circle
from deepgrad.losses.outputs import OutputLosses
from deepgrad.losses.names import (
    LOSSES,
    FUNCTIONS,
    get,
    serialize,
    deserialize,
    is_saved_loss,
)
from deepgrad.losses.functions import (
    mean_squared_error,
    mean_absolute_error,
    binary_crossentropy,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
    hinge,
    squared_hinge,
    categorical_hinge,
    huber,
    log_cosh,
    kl_divergence,
    poisson,
    cosine_similarity,
    mean_absolute_percentage_error,
    mean_squared_logarithmic_error,
)
# isort: on

__all__ = [
    "EPSILON",
    "FUNCTIONS",
    "LOSSES",
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy",
    "CategoricalGeneralizedCrossEntropy",
    "CategoricalHinge",
    "Circle",
    "CosineSimilarity",
    "Dice",
    "GaussianNLL",
    "Hinge",
    "Huber",
    "KLDivergence",
    "LogCosh",
    "Loss",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "OutputLosses",
    "Poisson",
    "SparseCategoricalCrossentropy",
    "SquaredHinge",
    "Tversky",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_generalized_cross_entropy",
    "categorical_hinge",
    "circle",
    "cosine_similarity",
    "deserialize",
    "dice",
    "get",
    "hinge",
    "huber",
    "is_saved_loss",
    "kl_divergence",
    "label_array",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "poisson",
    "same_rank",
    "serialize",
    "sparse_categorical_crossentropy",
    "squared_hinge",
    "tversky",
]

"""Metrics: running averages over batches, with Keras' API (``update_state``,
``result``, ``reset_state``) and names: an instance logs under Keras' default name
(``SparseCategoricalAccuracy()`` as ``sparse_categorical_accuracy``), a string under
itself (``"accuracy"``, ``"mse"``). A custom metric subclasses ``Metric`` and creates its
state with ``add_variable`` (or ``add_weight``) after ``super().__init__()``, as in Keras.

>>> import numpy as np
>>> m = SparseCategoricalAccuracy()
>>> m.update_state(np.array([0, 1]), np.array([[0.9, 0.1], [0.8, 0.2]]))
>>> m.result()
0.5


One module per family: ``base`` (``Metric``, ``MetricVariable``, ``Mean``, ``Sum``,
``MeanMetricWrapper``), ``accuracy`` (binary, categorical, sparse, top-k), ``confusion``
(``TruePositives`` and its siblings, ``Precision``, ``Recall``), ``auc``,
``at_thresholds`` (``PrecisionAtRecall``, ``RecallAtPrecision``,
``SensitivityAtSpecificity``, ``SpecificityAtSensitivity``), ``fscore``
(``FBetaScore``, ``F1Score``), ``regression`` (squared, absolute and percentage errors,
``CosineSimilarity``, ``R2Score``), ``loss_means`` (cross-entropies, hinges, KL divergence,
Poisson, ...), ``iou`` (``IoU``, ``BinaryIoU``, ``MeanIoU``, ``OneHotIoU``,
``OneHotMeanIoU``), ``correlation`` (``PearsonCorrelation``, ``ConcordanceCorrelation``)
``names`` (the strings ``compile`` takes, ``get``, ``serialize``, ``deserialize``) and
``functions`` (Keras' function forms: ``binary_accuracy(y_true, y_pred)``, ...).
"""

from __future__ import annotations

# isort: off
# Not sorted: the API reference lists the names in this order (source order), the base
# first, then each family.
from deepgrad.metrics.base import MetricVariable, Metric, Mean, Sum, MeanMetricWrapper
from deepgrad.metrics.accuracy import (
    SparseCategoricalAccuracy,
    CategoricalAccuracy,
    BinaryAccuracy,
    Accuracy,
    TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    BINARY,
    SPARSE,
    CATEGORICAL,
)
from deepgrad.metrics.regression import (
    MeanSquaredError,
    MeanAbsoluteError,
    RootMeanSquaredError,
    MeanAbsolutePercentageError,
    CosineSimilarity,
    R2Score,
)
from deepgrad.metrics.confusion import (
    Precision,
    Recall,
    TruePositives,
    FalsePositives,
    TrueNegatives,
    FalseNegatives,
)
from deepgrad.metrics.auc import AUC
from deepgrad.metrics.at_thresholds import (
    PrecisionAtRecall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
)
from deepgrad.metrics.fscore import FBetaScore, F1Score
from deepgrad.metrics.loss_means import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    KLDivergence,
    Poisson,
    LogCoshError,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    MeanSquaredLogarithmicError,
)
from deepgrad.metrics.iou import IoU, BinaryIoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from deepgrad.metrics.correlation import PearsonCorrelation, ConcordanceCorrelation
from deepgrad.metrics.names import METRICS, serialize, deserialize, get
from deepgrad.metrics.functions import (
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    top_k_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    binary_crossentropy,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
    binary_focal_crossentropy,
    categorical_focal_crossentropy,
    hinge,
    squared_hinge,
    categorical_hinge,
    huber,
    kl_divergence,
    log_cosh,
    mean_absolute_error,
    mean_squared_error,
    mean_absolute_percentage_error,
    mean_squared_logarithmic_error,
    poisson,
)
# isort: on

__all__ = [
    "AUC",
    "BINARY",
    "CATEGORICAL",
    "METRICS",
    "SPARSE",
    "Accuracy",
    "BinaryAccuracy",
    "BinaryCrossentropy",
    "BinaryIoU",
    "CategoricalAccuracy",
    "CategoricalCrossentropy",
    "CategoricalHinge",
    "ConcordanceCorrelation",
    "CosineSimilarity",
    "F1Score",
    "FBetaScore",
    "FalseNegatives",
    "FalsePositives",
    "Hinge",
    "IoU",
    "KLDivergence",
    "LogCoshError",
    "Mean",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanIoU",
    "MeanMetricWrapper",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Metric",
    "MetricVariable",
    "OneHotIoU",
    "OneHotMeanIoU",
    "PearsonCorrelation",
    "Poisson",
    "Precision",
    "PrecisionAtRecall",
    "R2Score",
    "Recall",
    "RecallAtPrecision",
    "RootMeanSquaredError",
    "SensitivityAtSpecificity",
    "SparseCategoricalAccuracy",
    "SparseCategoricalCrossentropy",
    "SparseTopKCategoricalAccuracy",
    "SpecificityAtSensitivity",
    "SquaredHinge",
    "Sum",
    "TopKCategoricalAccuracy",
    "TrueNegatives",
    "TruePositives",
    "binary_accuracy",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_accuracy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_hinge",
    "deserialize",
    "get",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "poisson",
    "serialize",
    "sparse_categorical_accuracy",
    "sparse_categorical_crossentropy",
    "sparse_top_k_categorical_accuracy",
    "squared_hinge",
    "top_k_categorical_accuracy",
]

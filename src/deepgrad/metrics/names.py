"""Metrics by name: the strings ``compile`` takes (``METRICS``, class names), ``get``
and ``serialize``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from deepgrad import losses
from deepgrad.metrics import functions
from deepgrad.metrics.accuracy import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    _InferredAccuracy,
)
from deepgrad.metrics.at_thresholds import (
    PrecisionAtRecall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
    _AtThreshold,
)
from deepgrad.metrics.auc import AUC
from deepgrad.metrics.base import Mean, MeanMetricWrapper, Metric, Sum, _snake_case
from deepgrad.metrics.confusion import (
    FalseNegatives,
    FalsePositives,
    Precision,
    Recall,
    TrueNegatives,
    TruePositives,
)
from deepgrad.metrics.correlation import ConcordanceCorrelation, PearsonCorrelation
from deepgrad.metrics.fscore import F1Score, FBetaScore
from deepgrad.metrics.iou import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from deepgrad.metrics.loss_means import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CategoricalHinge,
    Hinge,
    KLDivergence,
    LogCoshError,
    MeanSquaredLogarithmicError,
    Poisson,
    SparseCategoricalCrossentropy,
    SquaredHinge,
)
from deepgrad.metrics.regression import (
    CosineSimilarity,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    R2Score,
    RootMeanSquaredError,
)

METRICS = {
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "binary_accuracy": BinaryAccuracy,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "mape": MeanAbsolutePercentageError,
    "mean_absolute_percentage_error": MeanAbsolutePercentageError,
    "cosine_similarity": CosineSimilarity,
    "true_positives": TruePositives,
    "false_positives": FalsePositives,
    "true_negatives": TrueNegatives,
    "false_negatives": FalseNegatives,
    "mae": MeanAbsoluteError,
    "mean_absolute_error": MeanAbsoluteError,
    "rmse": RootMeanSquaredError,
    "root_mean_squared_error": RootMeanSquaredError,
    "r2_score": R2Score,
    "auc": AUC,
    "precision": Precision,
    "recall": Recall,
    "binary_crossentropy": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "kl_divergence": KLDivergence,
    "poisson": Poisson,
    "hinge": Hinge,
    "f1_score": F1Score,
    "fbeta_score": FBetaScore,
    "squared_hinge": SquaredHinge,
    "categorical_hinge": CategoricalHinge,
    "msle": MeanSquaredLogarithmicError,
    "mean_squared_logarithmic_error": MeanSquaredLogarithmicError,
    # Keras' snake-case class names; all but binary_io_u need num_classes, as in Keras
    "io_u": IoU,
    "binary_io_u": BinaryIoU,
    "mean_io_u": MeanIoU,
    "one_hot_io_u": OneHotIoU,
    "one_hot_mean_io_u": OneHotMeanIoU,
    "pearson_correlation": PearsonCorrelation,
    "concordance_correlation": ConcordanceCorrelation,
}


_CLASSES: dict[str, type[Metric]] = {
    cls.__name__: cls
    for cls in (
        Mean,
        Sum,
        MeanMetricWrapper,
        Accuracy,
        SparseCategoricalAccuracy,
        CategoricalAccuracy,
        BinaryAccuracy,
        TopKCategoricalAccuracy,
        SparseTopKCategoricalAccuracy,
        MeanSquaredError,
        MeanAbsoluteError,
        RootMeanSquaredError,
        R2Score,
        AUC,
        Precision,
        Recall,
        TruePositives,
        FalsePositives,
        TrueNegatives,
        FalseNegatives,
        PrecisionAtRecall,
        RecallAtPrecision,
        SensitivityAtSpecificity,
        SpecificityAtSensitivity,
        MeanAbsolutePercentageError,
        CosineSimilarity,
        BinaryCrossentropy,
        CategoricalCrossentropy,
        SparseCategoricalCrossentropy,
        KLDivergence,
        Poisson,
        LogCoshError,
        Hinge,
        FBetaScore,
        F1Score,
        SquaredHinge,
        CategoricalHinge,
        MeanSquaredLogarithmicError,
        IoU,
        BinaryIoU,
        MeanIoU,
        OneHotIoU,
        OneHotMeanIoU,
        PearsonCorrelation,
        ConcordanceCorrelation,
    )
}


# Keras 3's metric functions, by the name a saved MeanMetricWrapper gives its ``fn``
FUNCTIONS: dict[str, Callable[..., Any]] = {
    name: getattr(functions, name)
    for name in (
        "binary_accuracy",
        "categorical_accuracy",
        "sparse_categorical_accuracy",
        "top_k_categorical_accuracy",
        "sparse_top_k_categorical_accuracy",
        "binary_crossentropy",
        "categorical_crossentropy",
        "sparse_categorical_crossentropy",
        "binary_focal_crossentropy",
        "categorical_focal_crossentropy",
        "hinge",
        "squared_hinge",
        "categorical_hinge",
        "huber",
        "kl_divergence",
        "log_cosh",
        "mean_absolute_error",
        "mean_squared_error",
        "mean_absolute_percentage_error",
        "mean_squared_logarithmic_error",
        "poisson",
    )
}


def serialize(metric: Metric) -> dict:
    """A metric as JSON-ready data: its class and constructor arguments, every built-in
    class (``Mean``, ``Sum``, ``MeanMetricWrapper`` of a built-in function...) as Keras 3
    lays it out. A wrapped function of your own is refused: a saved file holds no code.

    >>> serialize(MeanMetricWrapper(functions.mean_squared_error, name="mse"))["config"]["fn"]
    {'module': 'builtins', 'class_name': 'function', 'config': 'mean_squared_error', 'registered_name': 'function'}
    """  # noqa: E501
    if _CLASSES.get(type(metric).__name__) is not type(metric):  # a subclass named as one too
        raise ValueError(f"metric {metric.name!r} is not a built-in metric and cannot be saved")
    config = metric.get_config()
    if type(metric) is MeanMetricWrapper:  # (its subclasses fix their function)
        config = {**config, "fn": _function_config(metric)}
    return {"class_name": type(metric).__name__, "config": config}


def _function_config(metric: MeanMetricWrapper) -> dict:
    """Keras' layout of a built-in function, by name."""
    name = getattr(metric.fn, "__name__", None)
    if not isinstance(name, str) or FUNCTIONS.get(name) is not metric.fn:
        raise ValueError(
            f"metrics.serialize: MeanMetricWrapper {metric.name!r} wraps {metric.fn!r}, "
            f"not one of deepgrad's metric functions ({', '.join(FUNCTIONS)}); a saved file "
            "holds no code: wrap a built-in function, or write a Metric subclass and give "
            "it to custom_objects when loading"
        )
    return {"module": "builtins", "class_name": "function", "config": name,
            "registered_name": "function"}  # fmt: skip


def function_from_config(fn: Any, custom_objects: dict | None = None) -> Callable[..., Any]:
    """The function a saved MeanMetricWrapper names (Keras' function layout or a plain
    name): a built-in metric function, or one of ``custom_objects``. No code is run.

    >>> function_from_config("mean_absolute_error") is functions.mean_absolute_error
    True
    """
    if callable(fn):
        return fn
    is_function = isinstance(fn, dict) and (fn.get("module"), fn.get("class_name")) == (
        "builtins",
        "function",
    )
    name = fn.get("config") if is_function else fn
    if isinstance(name, str) and custom_objects and callable(custom_objects.get(name)):
        return custom_objects[name]
    if isinstance(name, str) and name in FUNCTIONS:
        return FUNCTIONS[name]
    raise ValueError(
        f"metrics.deserialize: MeanMetricWrapper's fn {fn!r} is not one of deepgrad's "
        f"metric functions ({', '.join(FUNCTIONS)}); pass yours in custom_objects"
    )


def deserialize(config: dict | str, custom_objects: dict | None = None) -> Metric:
    """A metric from its saved form, as Keras' ``metrics.deserialize``: ``serialize``'s
    dict or Keras' (its ``module``, ``registered_name`` and ``dtype`` read as Keras writes
    them), or a name ``compile`` takes. ``custom_objects`` maps class names to metric
    classes of your own. Only these names are looked up: no code in the config is run.

    >>> deserialize({"class_name": "BinaryAccuracy", "config": {"threshold": 0.3}}).threshold
    0.3
    """
    name = config.get("class_name") if isinstance(config, dict) else config
    if custom_objects and isinstance(name, str) and name in custom_objects:
        settings = config.get("config", {}) if isinstance(config, dict) else {}
        return custom_objects[name](**settings)
    if isinstance(config, dict) and name == "MeanMetricWrapper":
        settings = dict(config.get("config") or {})
        settings["fn"] = function_from_config(settings.get("fn"), custom_objects)
        return MeanMetricWrapper(**settings)
    if isinstance(config, dict) and name not in _CLASSES:
        raise ValueError(
            f"metrics.deserialize: unknown metric class {name!r}; known: "
            f"{', '.join(_CLASSES)} (or pass custom_objects)"
        )
    if not isinstance(config, dict | str):
        raise TypeError(f"metrics.deserialize: expected a config dict or a name, got {config!r}")
    return get(config)


def get(identifier: Any, loss: Any = None) -> Metric:
    """A metric from a name, ``serialize``'s output, an object, a metric class or a
    function of (y_true, y_pred) (wrapped in ``MeanMetricWrapper`` under its name, as
    Keras' ``compile`` does). ``"accuracy"`` picks the variant that fits the loss, as
    Keras does: sparse for integer labels, binary for one output, categorical otherwise.

    >>> get(lambda y_true, y_pred: abs(y_true - y_pred)).name
    '<lambda>'
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()  # a class, made with its defaults as Keras' compile makes it
    if callable(identifier) and not isinstance(identifier, type):
        # a function of (y_true, y_pred), averaged over the samples and logged under its
        # name, as Keras' compile wraps it
        return MeanMetricWrapper(identifier, name=getattr(identifier, "__name__", None))
    if isinstance(identifier, dict) and identifier.get("class_name") == "MeanMetricWrapper":
        return deserialize(identifier)  # its fn saved by name
    if isinstance(identifier, dict) and identifier.get("class_name") in _CLASSES:
        return _CLASSES[identifier["class_name"]].from_config(identifier.get("config", {}))
    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
        # any case, as Keras' compile takes it: "Accuracy" is "accuracy", not the class
        if isinstance(loss, losses.BinaryCrossentropy | losses.Hinge):
            threshold = (
                0.0
                if getattr(loss, "from_logits", False) or isinstance(loss, losses.Hinge)
                else 0.5
            )
            return BinaryAccuracy(name=identifier, threshold=threshold)
        if isinstance(loss, losses.CategoricalCrossentropy):
            return CategoricalAccuracy(name=identifier)
        if isinstance(loss, losses.SparseCategoricalCrossentropy):
            return SparseCategoricalAccuracy(name=identifier)
        return _InferredAccuracy(name=identifier)
    if isinstance(identifier, str) and identifier in _NEEDS_TARGET:
        cls = _NEEDS_TARGET[identifier]
        # Keras' get finds the class too, then fails calling it without its target
        raise TypeError(
            f"metric {identifier!r}: {cls.__name__} needs its target {cls.kept}, which a "
            f"string cannot give; pass {cls.__name__}({cls.kept}=...) instead"
        )
    if isinstance(identifier, str) and identifier in _BY_CLASS_NAME:  # "MeanSquaredError"
        metric = _BY_CLASS_NAME[identifier]()
        metric.name = identifier  # logged under the string given, as Keras does
        return metric
    if isinstance(identifier, str) and identifier in METRICS:
        metric = METRICS[identifier]()
        metric.name = identifier
        return metric
    known = ", ".join(["accuracy", *METRICS])
    raise ValueError(
        f"unknown metric {identifier!r}; known: {known}, or a class name such as "
        "'MeanSquaredError' or 'AUC'"
    )


# The class names Keras 3 takes as strings too (``metrics=["AUC"]``); its upper-case
# ``MSE``/``MAE`` are the short names.
_BY_CLASS_NAME: dict[str, type[Metric]] = {
    **_CLASSES,
    "MSE": MeanSquaredError,
    "MAE": MeanAbsoluteError,
    "MAPE": MeanAbsolutePercentageError,
    "MSLE": MeanSquaredLogarithmicError,
}

# Keras' get knows these by class name and in snake case, but they need a target
_NEEDS_TARGET: dict[str, type[_AtThreshold]] = {
    name: cls
    for cls in (
        PrecisionAtRecall,
        RecallAtPrecision,
        SensitivityAtSpecificity,
        SpecificityAtSensitivity,
    )
    for name in (cls.__name__, _snake_case(cls.__name__))
}

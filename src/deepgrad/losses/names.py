"""The names of the losses: the strings ``compile(loss=...)`` takes (``LOSSES``, Keras'
class names and upper-case aliases), ``get``, and the saved forms (``serialize``,
``deserialize``, ``is_saved_loss``; ``FUNCTIONS`` for Keras' function forms).

>>> get("mse").name
'mean_squared_error'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from deepgrad.losses.base import Loss, to_same_rank
from deepgrad.losses.cross_entropy import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CategoricalGeneralizedCrossEntropy,
    KLDivergence,
    SparseCategoricalCrossentropy,
    categorical_generalized_cross_entropy,
)
from deepgrad.losses.focal import (
    BinaryFocalCrossentropy,
    CategoricalFocalCrossentropy,
    binary_focal_crossentropy,
    categorical_focal_crossentropy,
)
from deepgrad.losses.functions import (
    binary_crossentropy,
    categorical_crossentropy,
    categorical_hinge,
    cosine_similarity,
    hinge,
    huber,
    kl_divergence,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)
from deepgrad.losses.margin import CategoricalHinge, Hinge, SquaredHinge
from deepgrad.losses.metric_learning import Circle, circle
from deepgrad.losses.overlap import Dice, Tversky, dice, tversky
from deepgrad.losses.regression import (
    CosineSimilarity,
    GaussianNLL,
    Huber,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
)

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
    "categorical_generalized_cross_entropy": CategoricalGeneralizedCrossEntropy,
    "circle": Circle,
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
    "BCE": BinaryCrossentropy,
    "bce": BinaryCrossentropy,
}


def get(identifier: Any) -> Loss:
    """A loss from its name, a config dict, an object, a class (made with its defaults, as
    Keras' compile makes it), or a function (y_true, y_pred).

    >>> type(get(MeanSquaredError)).__name__
    'MeanSquaredError'
    """
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if isinstance(identifier, dict) and identifier.get("class_name") == "function":
        return _FunctionLoss(deserialize(identifier))  # a loss function saved by name
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
        categorical_generalized_cross_entropy,
        circle,
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
    """A function (y_true, y_pred) as a loss, Keras' ``LossFunctionWrapper``: it gets the
    two brought to one rank first (targets (n,) against predictions (n, 1) as (n, 1)), so
    that ``y_true - y_pred`` does not broadcast to an (n, n) matrix."""

    def __init__(self, fn: Any) -> None:
        super().__init__(name=getattr(fn, "__name__", "loss"))
        self.fn = fn

    def call(self, y_true: Any, y_pred: Any) -> Any:
        return self.fn(*to_same_rank(y_true, y_pred))


def serialize(loss: Loss | Callable) -> dict:
    """A built-in loss's saved form: ``{"class_name": ..., "config": ...}`` for a ``Loss``,
    Keras' ``{"class_name": "function", "config": name}`` for one of deepgrad's loss
    functions (``get`` and ``deserialize`` give the same function back). A loss of one's
    own class, or a function of one's own, is refused: a saved form holds no code.

    >>> serialize(mean_squared_error)["config"]
    'mean_squared_error'
    >>> get(serialize(huber)).fn is huber
    True
    """
    if isinstance(loss, _FunctionLoss):
        return _serialize_function(loss.fn)
    if not isinstance(loss, Loss) and callable(loss):
        return _serialize_function(loss)
    if _CLASSES.get(type(loss).__name__) is not type(loss):  # a subclass named as one too
        raise ValueError(f"loss {loss!r} is not a built-in loss and cannot be saved")
    return {"class_name": type(loss).__name__, "config": loss.get_config()}


def _serialize_function(fn: Callable) -> dict:
    """One of deepgrad's loss functions by name (a function of one's own of the same name
    is refused too: it would load as deepgrad's)."""
    name = getattr(fn, "__name__", None)
    if not isinstance(name, str) or FUNCTIONS.get(name) is not fn:
        raise ValueError(
            f"loss function {fn!r} is not one of deepgrad's loss functions "
            f"({', '.join(FUNCTIONS)}) and cannot be saved: a saved form holds no code "
            "(compile with a built-in loss, or save the weights alone)"
        )
    return {"module": "deepgrad.losses", "class_name": "function", "config": name}


def is_saved_loss(value: Any) -> bool:
    """Whether ``value`` is one loss in its saved form (``serialize``'s
    ``{"class_name": ..., "config": ...}``), not a dict of losses by output name.

    >>> is_saved_loss(serialize(MeanSquaredError())), is_saved_loss({"out": "mse"})
    (True, False)
    """
    return isinstance(value, dict) and "class_name" in value

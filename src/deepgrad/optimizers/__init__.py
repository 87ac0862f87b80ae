"""``deepgrad.optimizers``: every SGD variant, one small update rule each over a flat
parameter buffer; learning-rate schedules in ``deepgrad.optimizers.schedules``.

Sorted roughly by increasing complexity: SGD (momentum, Nesterov), ASGD, Adagrad,
Adadelta, RMSprop, Adam (AMSGrad), AdamW, Adamax, Nadam, RAdam, Yogi, AdaBelief, Rprop,
Lion, LARS, Lamb, Ftrl, Adafactor, Muon, ScheduleFreeSGD, ScheduleFreeAdamW, LBFGS.
"""

from __future__ import annotations

from typing import Any

from deepgrad.optimizers import schedules
from deepgrad.optimizers.adam import AdaBelief, Adam, Adamax, AdamW, Nadam, RAdam, Yogi
from deepgrad.optimizers.adaptive import Adadelta, Adagrad, RMSprop
from deepgrad.optimizers.base import Optimizer
from deepgrad.optimizers.ftrl import Ftrl
from deepgrad.optimizers.layerwise import LARS, Lamb
from deepgrad.optimizers.lbfgs import LBFGS
from deepgrad.optimizers.matrix import Adafactor, Muon
from deepgrad.optimizers.schedule_free import ScheduleFreeAdamW, ScheduleFreeSGD
from deepgrad.optimizers.sgd import ASGD, SGD
from deepgrad.optimizers.sign import Lion, Rprop

OPTIMIZERS = {
    "sgd": SGD,
    "asgd": ASGD,
    "adagrad": Adagrad,
    "adadelta": Adadelta,
    "rmsprop": RMSprop,
    "adam": Adam,
    "adamw": AdamW,
    "adamax": Adamax,
    "nadam": Nadam,
    "radam": RAdam,
    "yogi": Yogi,
    "adabelief": AdaBelief,
    "rprop": Rprop,
    "lion": Lion,
    "lars": LARS,
    "lamb": Lamb,
    "ftrl": Ftrl,
    "adafactor": Adafactor,
    "muon": Muon,
    "schedulefreesgd": ScheduleFreeSGD,
    "schedulefreeadamw": ScheduleFreeAdamW,
    "lbfgs": LBFGS,
}
_CLASSES = {cls.__name__: cls for cls in OPTIMIZERS.values()}
# What a name Keras knows gives in Keras 3 (``keras.optimizers.get(name)``), where the
# class's defaults are PyTorch's: compile(optimizer="adadelta") trained at a rate 1,000
# times Keras' (1.0 against 0.001), "adagrad" at 10 times, "adamax", "nadam" and "lion"
# at 2, 2 and 0.1 times. The rules' documented forms are Keras' with these (Nadam's
# momentum schedule, Adagrad's starting accumulator): docs/optimizers.md.
KERAS_DEFAULTS: dict[str, dict[str, Any]] = {
    "rmsprop": {"epsilon": 1e-7},
    "adam": {"epsilon": 1e-7},
    "adamw": {"epsilon": 1e-7, "weight_decay": 0.004},
    "adagrad": {"learning_rate": 0.001, "epsilon": 1e-7, "initial_accumulator_value": 0.1},
    "adadelta": {"learning_rate": 0.001, "epsilon": 1e-7},
    "adamax": {"learning_rate": 0.001, "epsilon": 1e-7},
    "nadam": {"learning_rate": 0.001, "epsilon": 1e-7, "momentum_decay": 1.0},
    "lion": {"learning_rate": 0.001},
}


def get(identifier: Any) -> Optimizer:
    """An optimizer from its name ("adam"), a config dict, or an object. A name Keras 3
    knows gives Keras' optimizer, with Keras' defaults (``KERAS_DEFAULTS``: the classes'
    own are PyTorch's); any other name, the class with its defaults.

    >>> get("adadelta").learning_rate, Adadelta().learning_rate
    (0.001, 1.0)
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return _CLASSES[identifier["class_name"]].from_config(identifier.get("config", {}))
    name = str(identifier).lower()
    try:
        return OPTIMIZERS[name](**KERAS_DEFAULTS.get(name, {}))
    except KeyError:
        raise ValueError(
            f"unknown optimizer {identifier!r}; known: {', '.join(OPTIMIZERS)}"
        ) from None


def serialize(optimizer: Optimizer) -> dict:
    """``{"class_name": ..., "config": ...}`` of one of deepgrad's optimizers. A class of
    your own is refused, a subclass named as a built-in too: it would load as the
    built-in, with the built-in's update.

    >>> serialize(SGD(0.5))["class_name"]
    'SGD'
    """
    name = type(optimizer).__name__
    if _CLASSES.get(name) is not type(optimizer):
        raise ValueError(
            f"optimizer {name} ({type(optimizer).__module__}) is not one of deepgrad's and "
            "cannot be saved: a model file holds no code. Save the weights, or load the "
            "model with compile=False and compile it with your optimizer"
        )
    return {"class_name": name, "config": optimizer.get_config()}


__all__ = [
    "ASGD",
    "LARS",
    "LBFGS",
    "SGD",
    "AdaBelief",
    "Adadelta",
    "Adafactor",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Ftrl",
    "Lamb",
    "Lion",
    "Muon",
    "Nadam",
    "Optimizer",
    "RAdam",
    "RMSprop",
    "Rprop",
    "ScheduleFreeAdamW",
    "ScheduleFreeSGD",
    "Yogi",
    "get",
    "schedules",
    "serialize",
]

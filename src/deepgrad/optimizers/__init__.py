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


def get(identifier: Any) -> Optimizer:
    """An optimizer from its name ("adam"), a config dict, or an object."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return _CLASSES[identifier["class_name"]].from_config(identifier.get("config", {}))
    try:
        return OPTIMIZERS[str(identifier).lower()]()
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

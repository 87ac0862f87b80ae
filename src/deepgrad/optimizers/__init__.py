"""``deepgrad.optimizers``: update rules over a flat parameter buffer."""

from __future__ import annotations

from typing import Any

from deepgrad.optimizers.adam import Adam
from deepgrad.optimizers.base import Optimizer
from deepgrad.optimizers.sgd import SGD

OPTIMIZERS = {"sgd": SGD, "adam": Adam}
_CLASSES = {cls.__name__: cls for cls in OPTIMIZERS.values()}


def get(identifier: Any) -> Optimizer:
    """An optimizer from its name ("sgd", "adam"), a config dict, or an object."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return _CLASSES[identifier["class_name"]](**identifier.get("config", {}))
    try:
        return OPTIMIZERS[str(identifier).lower()]()
    except KeyError:
        raise ValueError(
            f"unknown optimizer {identifier!r}; known: {', '.join(OPTIMIZERS)}"
        ) from None


def serialize(optimizer: Optimizer) -> dict:
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


__all__ = ["SGD", "Adam", "Optimizer", "get", "serialize"]

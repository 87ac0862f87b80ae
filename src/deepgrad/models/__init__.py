"""Models: ``Model`` (subclass it and write ``call``, or give it inputs and outputs: the
functional API) and ``Sequential``; ``save_model`` and ``load_model`` write and read any
of them, ``clone_model`` makes a new one of the same architecture, ``model_from_json``
one from ``model.to_json()``."""

from deepgrad.models.cloning import clone_model
from deepgrad.models.functional import Functional
from deepgrad.models.model import Model
from deepgrad.models.sequential import Sequential
from deepgrad.saving import load_model, model_from_json, save_model

__all__ = [
    "Functional",
    "Model",
    "Sequential",
    "clone_model",
    "load_model",
    "model_from_json",
    "save_model",
]

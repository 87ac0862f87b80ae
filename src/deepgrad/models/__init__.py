"""Models: ``Model`` (subclass it and write ``call``, or give it inputs and outputs: the
functional API) and ``Sequential``; ``load_model`` reads any of them back."""

from deepgrad.models.functional import Functional
from deepgrad.models.model import Model
from deepgrad.models.sequential import Sequential
from deepgrad.saving import load_model

__all__ = ["Functional", "Model", "Sequential", "load_model"]

"""Models: ``Model`` (subclass it and write ``call``) and ``Sequential``."""

from deepgrad.models.model import Model
from deepgrad.models.sequential import Sequential

__all__ = ["Model", "Sequential"]

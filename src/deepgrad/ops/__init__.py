"""The primitives and composites, one module per op family; ``deepgrad.numpy`` exposes them."""

from deepgrad.dataset_utils import one_hot  # Keras users look for ``ops.one_hot``

__all__ = ["one_hot"]

"""The primitives and composites, one module per op family; ``deepgrad.numpy`` exposes them."""

"""``deepgrad.numpy.random``: ``deepgrad.random``'s seedable generator, with the functions
that take float arrays seeing Tensors (``normal(loc, scale)`` differentiates in a traced
loc and scale; see ``ops/random_draws.py``), and ``gamma``, ``beta`` and ``binomial`` in
NumPy's form (``deepgrad.random``'s are Keras')."""

from deepgrad.ops import random_draws as _draws
from deepgrad.random import *  # noqa: F403
from deepgrad.random import __all__  # noqa: F401

beta, binomial, choice, gamma, normal, permutation, shuffle, uniform = (
    _draws.beta,
    _draws.binomial,
    _draws.choice,
    _draws.gamma,
    _draws.normal,
    _draws.permutation,
    _draws.shuffle,
    _draws.uniform,
)

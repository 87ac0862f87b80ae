"""``deepgrad.numpy.random`` is ``deepgrad.random``: one seedable generator for everything."""

from deepgrad.random import *  # noqa: F403
from deepgrad.random import __all__  # noqa: F401

"""``deepgrad.random``: one seedable generator behind every random draw in deepgrad.

``seed(n)`` makes every later draw (initial weights, dropout, shuffling) reproducible
bit for bit on one machine. Draws are NumPy arrays: random numbers are constants.

>>> import deepgrad as dg
>>> dg.random.seed(0); a = dg.random.normal(size=3)
>>> dg.random.seed(0); b = dg.random.normal(size=3)
>>> bool((a == b).all())
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad.backend import get_default_dtype

__all__ = [
    "choice",
    "default_rng",
    "get_state",
    "normal",
    "permutation",
    "rand",
    "randint",
    "randn",
    "seed",
    "set_state",
    "shuffle",
    "standard_normal",
    "uniform",
]

_generator = np.random.default_rng()


def seed(value: int | None = None) -> None:
    """Reseed deepgrad's generator (None draws fresh entropy)."""
    global _generator
    _generator = np.random.default_rng(value)


def default_rng() -> np.random.Generator:
    """The generator itself, for anything this module does not wrap."""
    return _generator


def get_state() -> dict[str, Any]:
    """The generator's state, a JSON-friendly dict (to save and restore a run)."""
    return dict(_generator.bit_generator.state)  # NumPy's stubs promise only a Mapping


def set_state(state: dict[str, Any]) -> None:
    """Restore a state from ``get_state``."""
    _generator.bit_generator.state = state


def _float(dtype: Any) -> Any:
    return get_default_dtype() if dtype is None else np.dtype(dtype)


def normal(loc: float = 0.0, scale: float = 1.0, size: Any = None, dtype: Any = None) -> Any:
    """Gaussian draws, in the default float dtype unless ``dtype`` is given."""
    return np.asarray(_generator.normal(loc, scale, size)).astype(_float(dtype))


def standard_normal(size: Any = None, dtype: Any = None) -> Any:
    return normal(0.0, 1.0, size, dtype)


def randn(*shape: int) -> Any:
    """Standard normal draws of the given shape."""
    return normal(size=shape)


def uniform(low: float = 0.0, high: float = 1.0, size: Any = None, dtype: Any = None) -> Any:
    """Uniform draws on [low, high)."""
    return np.asarray(_generator.uniform(low, high, size)).astype(_float(dtype))


def rand(*shape: int) -> Any:
    return uniform(size=shape)


def randint(low: int, high: int | None = None, size: Any = None) -> Any:
    """Integers on [low, high)."""
    return _generator.integers(low, high, size)


def permutation(x: Any) -> Any:
    return _generator.permutation(x)


def shuffle(x: Any) -> None:
    _generator.shuffle(x)


def choice(a: Any, size: Any = None, replace: bool = True, p: Any = None) -> Any:
    return _generator.choice(a, size, replace, p)

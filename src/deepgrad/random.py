"""``deepgrad.random``: one seedable generator behind every random draw in deepgrad.

``seed(n)`` makes every later draw (initial weights, dropout, shuffling) reproducible
bit for bit on one machine. Random numbers are constants (arrays, not Tensors).

Draws of floats (``normal``, ``uniform``, ``default_rng()``) come from the generator of the
current device (``deepgrad.set_device``): NumPy's on the CPU, CuPy's on a GPU, each GPU's
seeded from ``seed``'s value, so a seeded GPU run is reproducible too (its numbers differ
from the CPU's, as PyTorch's do). Integers, permutations and choices (shuffling the data,
which stays on the host) always come from the host generator.

>>> import deepgrad as dg
>>> dg.random.seed(0); a = dg.random.normal(size=3)
>>> dg.random.seed(0); b = dg.random.normal(size=3)
>>> bool((a == b).all())
True
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from deepgrad.backend import get_default_dtype
from deepgrad.device import Device, device, get_device, platform_of

__all__ = [
    "Streams",
    "choice",
    "default_rng",
    "device_generator",
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
    "using",
]

_generator = np.random.default_rng()
_entropy = np.random.SeedSequence().entropy  # what the devices' generators are seeded from
_device_generators: dict[Device, Any] = {}


def seed(value: int | None = None) -> None:
    """Reseed deepgrad's generators, the host's and every device's (None: fresh entropy)."""
    global _generator, _entropy
    _generator = np.random.default_rng(value)
    _entropy = np.random.SeedSequence(value).entropy
    _device_generators.clear()  # made again, from the new seed, at their next draw


def default_rng() -> Any:
    """The current device's generator, for anything this module does not wrap (NumPy's
    ``Generator`` on the CPU; on a GPU, CuPy's, which has ``random``, ``standard_normal``,
    ``uniform`` and ``integers``)."""
    return device_generator()


def device_generator(where: Any = None) -> Any:
    """The generator of device ``where`` (default: the current device).

    A device's generator is made at its first draw after ``seed``, seeded by a
    ``SeedSequence`` of the seed and the device, so that each GPU draws its own stream.

    >>> seed(0); a = device_generator("cpu").random()
    >>> seed(0); a == device_generator("cpu").random()
    True
    """
    target = get_device() if where is None else device(where)
    if target.kind == "cpu":
        return _generator
    generator = _device_generators.get(target)
    if generator is None:
        kind = int.from_bytes(target.kind.encode()[:8], "little")
        sequence = np.random.SeedSequence(_entropy, spawn_key=(kind, target.index))
        device_seed = int(sequence.generate_state(1, np.uint64)[0])
        generator = platform_of(target).generator(device_seed, target.index)
        _device_generators[target] = generator
    return generator


def get_state() -> dict[str, Any]:
    """The host generator's state, a JSON-friendly dict (to save and restore a run); the
    devices' generators are not part of it."""
    return dict(_generator.bit_generator.state)  # NumPy's stubs promise only a Mapping


def set_state(state: dict[str, Any]) -> None:
    """Restore a state from ``get_state``."""
    _generator.bit_generator.state = state


@dataclass
class Streams:
    """A set of generators of deepgrad's own (the host's, and the devices' with the entropy
    they are made from), apart from the global ones that ``seed`` sets: what a component
    with its own ``random_state`` draws from (``using``), so that it neither moves nor
    resets the user's stream.

    >>> seed(0); expected = normal(size=2)
    >>> seed(0)
    >>> with using(Streams.seeded(7)):
    ...     drawn = normal(size=5)  # from the block's own generators
    >>> bool((normal(size=2) == expected).all())  # the global stream did not move
    True
    """

    generator: Any
    entropy: Any  # a SeedSequence's entropy: an int, or a sequence of them
    device_generators: dict = field(default_factory=dict)

    @classmethod
    def seeded(cls, value: int | None) -> Streams:
        """Generators seeded with ``value``, as ``seed(value)`` seeds the global ones."""
        return cls(np.random.default_rng(value), np.random.SeedSequence(value).entropy)


@contextlib.contextmanager
def using(streams: Streams) -> Iterator[Streams]:
    """Draw every random number inside the block from ``streams``; after it the global
    generators are back, each where it stood, and ``streams`` keeps where it got to (a
    ``seed`` inside the block reseeds ``streams``)."""
    global _generator, _entropy, _device_generators
    saved = _generator, _entropy, _device_generators
    _generator, _entropy = streams.generator, streams.entropy
    _device_generators = streams.device_generators
    try:
        yield streams
    finally:
        streams.generator, streams.entropy = _generator, _entropy
        streams.device_generators = _device_generators
        _generator, _entropy, _device_generators = saved


def _float(dtype: Any) -> Any:
    return get_default_dtype() if dtype is None else np.dtype(dtype)


def normal(loc: float = 0.0, scale: float = 1.0, size: Any = None, dtype: Any = None) -> Any:
    """Gaussian draws on the current device, in the default float dtype unless ``dtype``
    is given."""
    generator = device_generator()
    if generator is _generator:
        return np.asarray(_generator.normal(loc, scale, size)).astype(_float(dtype))
    draws = generator.standard_normal(size=() if size is None else size, dtype=_float(dtype))
    return draws * _float(dtype).type(scale) + _float(dtype).type(loc)


def standard_normal(size: Any = None, dtype: Any = None) -> Any:
    return normal(0.0, 1.0, size, dtype)


def randn(*shape: int) -> Any:
    """Standard normal draws of the given shape."""
    return normal(size=shape)


def uniform(low: float = 0.0, high: float = 1.0, size: Any = None, dtype: Any = None) -> Any:
    """Uniform draws on [low, high), on the current device."""
    generator = device_generator()
    if generator is _generator:
        return np.asarray(_generator.uniform(low, high, size)).astype(_float(dtype))
    kind = _float(dtype).type
    draws = generator.random(size=() if size is None else size, dtype=_float(dtype))
    return draws * kind(high - low) + kind(low)


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

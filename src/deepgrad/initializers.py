"""Weight initializers, by name or object (Keras names and defaults).

Every draw comes from ``deepgrad.random``, so ``deepgrad.random.seed(n)`` makes model
construction reproducible bit for bit. For a kernel of shape (fan_in, fan_out):

* Glorot / Xavier (Glorot & Bengio, 2010): variance 2 / (fan_in + fan_out);
* He / Kaiming (He et al., 2015): variance 2 / fan_in, for ReLU nets;
* LeCun (LeCun et al., 1998): variance 1 / fan_in, for SELU nets.

>>> import deepgrad as dg
>>> dg.random.seed(0)
>>> get("glorot_uniform")((784, 64)).shape
(784, 64)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from deepgrad import random
from deepgrad.backend import get_default_dtype


def _fans(shape: tuple[int, ...]) -> tuple[float, float]:
    if len(shape) == 0:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    receptive = math.prod(shape[:-2])
    return float(shape[-2] * receptive), float(shape[-1] * receptive)


class Initializer:
    """Base class: ``init(shape, dtype=None)`` returns a NumPy array."""

    def __call__(self, shape: tuple[int, ...], dtype: Any = None) -> np.ndarray:
        raise NotImplementedError

    def get_config(self) -> dict:
        return dict(vars(self))

    @classmethod
    def from_config(cls, config: dict) -> Initializer:
        return cls(**config)


def _dtype(dtype: Any) -> np.dtype:
    return np.dtype(dtype) if dtype is not None else get_default_dtype()


class Zeros(Initializer):
    def __call__(self, shape: tuple[int, ...], dtype: Any = None) -> np.ndarray:
        return np.zeros(shape, _dtype(dtype))


class Ones(Initializer):
    def __call__(self, shape: tuple[int, ...], dtype: Any = None) -> np.ndarray:
        return np.ones(shape, _dtype(dtype))


class Constant(Initializer):
    def __init__(self, value: float = 0.0) -> None:
        self.value = value

    def __call__(self, shape: tuple[int, ...], dtype: Any = None) -> np.ndarray:
        return np.full(shape, self.value, _dtype(dtype))


class RandomNormal(Initializer):
    def __init__(self, mean: float = 0.0, stddev: float = 0.05) -> None:
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape: tuple[int, ...], dtype: Any = None) -> np.ndarray:
        return random.normal(self.mean, self.stddev, shape, _dtype(dtype))


class RandomUniform(Initializer):
    def __init__(self, minval: float = -0.05, maxval: float = 0.05) -> None:
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape: tuple[int, ...], dtype: Any = None) -> np.ndarray:
        return random.uniform(self.minval, self.maxval, shape, _dtype(dtype))


class TruncatedNormal(Initializer):
    """Normal draws, redrawn until within two standard deviations of the mean."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05) -> None:
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape: tuple[int, ...], dtype: Any = None) -> np.ndarray:
        values = random.default_rng().standard_normal(shape)
        outside = np.abs(values) > 2
        while outside.any():
            values[outside] = random.default_rng().standard_normal(int(outside.sum()))
            outside = np.abs(values) > 2
        return (self.mean + self.stddev * values).astype(_dtype(dtype))


class VarianceScaling(Initializer):
    """Draws with variance ``scale / n``, n = fan_in, fan_out or their mean (``mode``)."""

    def __init__(
        self, scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal"
    ) -> None:
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"VarianceScaling: mode must be fan_in, fan_out or fan_avg: {mode}")
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(f"VarianceScaling: unknown distribution {distribution!r}")
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def __call__(self, shape: tuple[int, ...], dtype: Any = None) -> np.ndarray:
        fan_in, fan_out = _fans(tuple(shape))
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            return RandomUniform(-limit, limit)(shape, dtype)
        if self.distribution == "untruncated_normal":
            return RandomNormal(0.0, math.sqrt(variance))(shape, dtype)
        # 0.8796... is the standard deviation of a unit normal truncated to [-2, 2].
        return TruncatedNormal(0.0, math.sqrt(variance) / 0.87962566103423978)(shape, dtype)


class GlorotUniform(VarianceScaling):
    def __init__(self) -> None:
        super().__init__(1.0, "fan_avg", "uniform")

    def get_config(self) -> dict:
        return {}


class GlorotNormal(VarianceScaling):
    def __init__(self) -> None:
        super().__init__(1.0, "fan_avg", "truncated_normal")

    def get_config(self) -> dict:
        return {}


class HeUniform(VarianceScaling):
    def __init__(self) -> None:
        super().__init__(2.0, "fan_in", "uniform")

    def get_config(self) -> dict:
        return {}


class HeNormal(VarianceScaling):
    def __init__(self) -> None:
        super().__init__(2.0, "fan_in", "truncated_normal")

    def get_config(self) -> dict:
        return {}


class LecunUniform(VarianceScaling):
    def __init__(self) -> None:
        super().__init__(1.0, "fan_in", "uniform")

    def get_config(self) -> dict:
        return {}


class LecunNormal(VarianceScaling):
    def __init__(self) -> None:
        super().__init__(1.0, "fan_in", "truncated_normal")

    def get_config(self) -> dict:
        return {}


class Orthogonal(Initializer):
    """A (semi-)orthogonal matrix from the QR decomposition of a Gaussian draw (Saxe et al.)."""

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = gain

    def __call__(self, shape: tuple[int, ...], dtype: Any = None) -> np.ndarray:
        rows, cols = math.prod(shape[:-1]), shape[-1]
        flat = random.default_rng().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(flat)
        q *= np.sign(np.diag(r))  # makes the decomposition unique, so the draw is uniform
        if rows < cols:
            q = q.T
        return (self.gain * q[:rows, :cols]).reshape(shape).astype(_dtype(dtype))


INITIALIZERS = {
    "zeros": Zeros,
    "ones": Ones,
    "constant": Constant,
    "random_normal": RandomNormal,
    "random_uniform": RandomUniform,
    "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling,
    "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal,
    "he_uniform": HeUniform,
    "he_normal": HeNormal,
    "lecun_uniform": LecunUniform,
    "lecun_normal": LecunNormal,
    "orthogonal": Orthogonal,
}


def get(identifier: str | Initializer | dict) -> Initializer:
    """An initializer from its name, a config dict ``{"class_name", "config"}`` or an object."""
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, dict):
        return INITIALIZERS[identifier["class_name"]](**identifier.get("config", {}))
    try:
        return INITIALIZERS[identifier]()
    except KeyError:
        known = ", ".join(sorted(INITIALIZERS))
        raise ValueError(f"unknown initializer {identifier!r}; known: {known}") from None


def serialize(initializer: Initializer) -> dict:
    """A JSON-friendly description, the inverse of ``get``."""
    for name, cls in INITIALIZERS.items():
        if type(initializer) is cls:
            return {"class_name": name, "config": initializer.get_config()}
    raise ValueError(f"initializer {initializer!r} is not registered and cannot be saved")

"""Weight initializers, by name or object (Keras names and defaults).

Every draw comes from ``deepgrad.random``, so ``deepgrad.random.seed(n)`` makes model
construction reproducible bit for bit. A random initializer given its own ``seed``, as in
Keras 3, draws from a generator made from that seed at every call instead, so it gives the
same values at every call (Keras' draws are JAX's or TensorFlow's, so the values differ
from Keras'; the behaviour does not). For a kernel of shape (fan_in, fan_out):

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


def _fans(
    shape: tuple[int, ...],
    input_axes: list[int] | None = None,
    output_axes: list[int] | None = None,
) -> tuple[float, float]:
    """(fan_in, fan_out) of a weight shape, as Keras 3's ``compute_fans``: the products of
    the sizes of ``input_axes`` and ``output_axes`` where given, else the last two axes
    times the receptive field (the product of the others)."""
    if input_axes is not None and output_axes is not None:
        return float(math.prod(shape[a] for a in input_axes)), float(
            math.prod(shape[a] for a in output_axes)
        )
    if len(shape) == 0:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    receptive = math.prod(shape[:-2])
    return float(shape[-2] * receptive), float(shape[-1] * receptive)


def _check_axes(name: str, argument: str, axes: Any) -> list[int] | None:
    """Keras' ``input_axes`` / ``output_axes``: None or a list of integer axes."""
    if axes is None:
        return None
    if not isinstance(axes, list | tuple) or not all(
        isinstance(a, int | np.integer) and not isinstance(a, bool) for a in axes
    ):
        raise ValueError(f"{name}: {argument} must be None or a list of integers, got {axes!r}")
    return [int(a) for a in axes]


def _check_axes_fit(name: str, shape: tuple[int, ...], axes: dict[str, list[int]]) -> None:
    """Every axis of ``input_axes`` / ``output_axes`` exists in the weight's shape."""
    for argument, values in axes.items():
        for axis in values:
            if not -len(shape) <= axis < len(shape):
                raise ValueError(
                    f"{name}: {argument}={values} has axis {axis}, out of range for a "
                    f"weight of shape {tuple(shape)} ({len(shape)} axes)"
                )
        normalized = [axis % len(shape) for axis in values]
        if len(set(normalized)) != len(normalized):
            raise ValueError(
                f"{name}: {argument}={values} names one axis of shape {tuple(shape)} twice"
            )


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


def _float_dtype(name: str, dtype: Any) -> np.dtype:
    """The dtype of a random draw: a floating one, as Keras 3 requires (its ``uniform`` /
    ``normal`` raise otherwise); cast to integers or bools the small draws would be all
    zeros or all True.

    >>> _float_dtype("RandomNormal", "int32")
    Traceback (most recent call last):
    ...
    ValueError: RandomNormal: dtype must be a floating dtype (float16, float32, ...); got int32
    """
    resolved = _dtype(dtype)
    # kind "V": ml_dtypes' bfloat16 and float8 types, floating though NumPy cannot tell
    if resolved.kind not in "fV":
        raise ValueError(
            f"{name}: dtype must be a floating dtype (float16, float32, ...); got {resolved}"
        )
    return resolved


def _check_seed(name: str, seed: Any) -> int | None:
    """Keras' ``seed``: None (draw from ``deepgrad.random``) or an integer."""
    if seed is None or (isinstance(seed, int | np.integer) and not isinstance(seed, bool)):
        return None if seed is None else int(seed)
    raise ValueError(f"{name}: seed must be None or an integer, got {seed!r}")  # as Keras


def _generator(seed: int | None) -> Any:
    """A NumPy generator made from ``seed`` (the same draws at every call), or, without
    one, the current device's generator of ``deepgrad.random``."""
    return random.default_rng() if seed is None else np.random.default_rng(seed)


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
    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        self.mean, self.stddev = mean, stddev
        self.seed = _check_seed("RandomNormal", seed)

    def __call__(self, shape: tuple[int, ...], dtype: Any = None) -> np.ndarray:
        dtype = _float_dtype(type(self).__name__, dtype)
        if self.seed is None:
            return random.normal(self.mean, self.stddev, shape, dtype)
        draws = _generator(self.seed).normal(self.mean, self.stddev, shape)
        return np.asarray(draws).astype(dtype)


class RandomUniform(Initializer):
    def __init__(
        self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None
    ) -> None:
        self.minval, self.maxval = minval, maxval
        self.seed = _check_seed("RandomUniform", seed)

    def __call__(self, shape: tuple[int, ...], dtype: Any = None) -> np.ndarray:
        dtype = _float_dtype(type(self).__name__, dtype)
        if self.seed is None:
            return random.uniform(self.minval, self.maxval, shape, dtype)
        draws = _generator(self.seed).uniform(self.minval, self.maxval, shape)
        return np.asarray(draws).astype(dtype)


class TruncatedNormal(Initializer):
    """Normal draws, redrawn until within two standard deviations of the mean."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        self.mean, self.stddev = mean, stddev
        self.seed = _check_seed("TruncatedNormal", seed)

    def __call__(self, shape: tuple[int, ...], dtype: Any = None) -> np.ndarray:
        dtype = _float_dtype(type(self).__name__, dtype)
        generator = _generator(self.seed)
        values = generator.standard_normal(shape)
        outside = np.abs(values) > 2
        while outside.any():
            values[outside] = generator.standard_normal(int(outside.sum()))
            outside = np.abs(values) > 2
        return (self.mean + self.stddev * values).astype(dtype)


class VarianceScaling(Initializer):
    """Draws with variance ``scale / n``, n = fan_in, fan_out or their mean (``mode``).

    The fans are those of Keras 3's ``compute_fans``: for a kernel (..., fan_in, fan_out)
    the last two axes times the receptive field (the product of the others), or, given
    both ``input_axes`` and ``output_axes``, the products of the sizes of those axes (Keras
    ignores one given alone; deepgrad refuses it). The draws come from NumPy's generator,
    not Keras' JAX/TensorFlow ones: same scale and distribution, other values.
    ``distribution`` is read in any case, and ``"normal"`` is ``"truncated_normal"``, as
    in Keras 3.

    >>> VarianceScaling(distribution="Normal").distribution
    'truncated_normal'
    >>> init = VarianceScaling(2.0, "fan_in", "uniform", input_axes=[0, 1], output_axes=[2])
    >>> w = init((3, 4, 5))  # fan_in = 3 * 4 = 12: limit sqrt(3 * 2 / 12)
    >>> bool(abs(w).max() <= math.sqrt(0.5))
    True
    """

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: int | None = None,
        input_axes: list[int] | None = None,
        output_axes: list[int] | None = None,
    ) -> None:
        name = type(self).__name__
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"{name}: mode must be fan_in, fan_out or fan_avg: {mode}")
        # as Keras 3: any case, and "normal" is the truncated normal
        distribution = distribution.lower() if isinstance(distribution, str) else distribution
        distribution = "truncated_normal" if distribution == "normal" else distribution
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(f"{name}: unknown distribution {distribution!r}")
        if (
            isinstance(scale, bool)
            or not isinstance(scale, int | float | np.number)
            or not scale > 0
        ):
            raise ValueError(f"{name}: scale must be a positive number, got {scale!r}")
        self.scale, self.mode, self.distribution = scale, mode, distribution
        self.seed = _check_seed(name, seed)
        self.input_axes = _check_axes(name, "input_axes", input_axes)
        self.output_axes = _check_axes(name, "output_axes", output_axes)
        if (self.input_axes is None) != (self.output_axes is None):
            raise ValueError(
                f"{name}: input_axes and output_axes go together (got input_axes="
                f"{input_axes!r}, output_axes={output_axes!r}); Keras ignores one alone"
            )

    def fans(self, shape: tuple[int, ...]) -> tuple[float, float]:
        """(fan_in, fan_out) of a weight of this shape, as Keras 3's ``compute_fans``."""
        shape = tuple(shape)
        if self.input_axes is not None and self.output_axes is not None:
            axes = {"input_axes": self.input_axes, "output_axes": self.output_axes}
            _check_axes_fit(type(self).__name__, shape, axes)
        return _fans(shape, self.input_axes, self.output_axes)

    def __call__(self, shape: tuple[int, ...], dtype: Any = None) -> np.ndarray:
        dtype = _float_dtype(type(self).__name__, dtype)
        fan_in, fan_out = self.fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            return RandomUniform(-limit, limit, self.seed)(shape, dtype)
        if self.distribution == "untruncated_normal":
            return RandomNormal(0.0, math.sqrt(variance), self.seed)(shape, dtype)
        # 0.8796... is the standard deviation of a unit normal truncated to [-2, 2].
        stddev = math.sqrt(variance) / 0.87962566103423978
        return TruncatedNormal(0.0, stddev, self.seed)(shape, dtype)


class _PresetVarianceScaling(VarianceScaling):
    """A VarianceScaling with fixed scale, mode and distribution (Glorot, He, LeCun)."""

    preset: tuple[float, str, str] = (1.0, "fan_in", "truncated_normal")

    def __init__(
        self,
        seed: int | None = None,
        input_axes: list[int] | None = None,
        output_axes: list[int] | None = None,
    ) -> None:
        super().__init__(*self.preset, seed, input_axes, output_axes)

    def get_config(self) -> dict:
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}


class GlorotUniform(_PresetVarianceScaling):
    preset = (1.0, "fan_avg", "uniform")


class GlorotNormal(_PresetVarianceScaling):
    preset = (1.0, "fan_avg", "truncated_normal")


class HeUniform(_PresetVarianceScaling):
    preset = (2.0, "fan_in", "uniform")


class HeNormal(_PresetVarianceScaling):
    preset = (2.0, "fan_in", "truncated_normal")


class LecunUniform(_PresetVarianceScaling):
    preset = (1.0, "fan_in", "uniform")


class LecunNormal(_PresetVarianceScaling):
    preset = (1.0, "fan_in", "truncated_normal")


class Orthogonal(Initializer):
    """A (semi-)orthogonal matrix from the QR decomposition of a Gaussian draw (Saxe et al.),
    times ``gain``; a weight of more than two axes is drawn as the matrix (product of all
    axes but the last, last axis), as in Keras 3, which refuses fewer than two axes.

    >>> w = Orthogonal(gain=2.0, seed=0)((3, 2, 4))  # a 6 x 4 matrix: orthogonal columns
    >>> bool(np.allclose(w.reshape(6, 4).T @ w.reshape(6, 4), 4.0 * np.eye(4), atol=1e-5))
    True
    """

    def __init__(self, gain: float = 1.0, seed: int | None = None) -> None:
        self.gain = gain
        self.seed = _check_seed("Orthogonal", seed)

    def __call__(self, shape: tuple[int, ...], dtype: Any = None) -> np.ndarray:
        dtype = _float_dtype(type(self).__name__, dtype)
        if len(shape) < 2:
            raise ValueError(
                f"Orthogonal: the weight must have at least two axes (rows, columns), got "
                f"shape {tuple(shape)} of rank {len(shape)}"
            )
        rows, cols = math.prod(shape[:-1]), shape[-1]
        flat = _generator(self.seed).standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(flat)
        q *= np.sign(np.diag(r))  # makes the decomposition unique, so the draw is uniform
        if rows < cols:
            q = q.T
        return (self.gain * q[:rows, :cols]).reshape(shape).astype(dtype)


class Identity(Initializer):
    """``gain`` times the identity matrix (ones on the main diagonal of a 2-D, possibly
    non-square, shape), as Keras' ``Identity``.

    >>> Identity(2.0)((2, 3))
    array([[2., 0., 0.],
           [0., 2., 0.]], dtype=float32)
    """

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = gain

    def __call__(self, shape: tuple[int, ...], dtype: Any = None) -> np.ndarray:
        if len(shape) != 2:
            raise ValueError(
                f"Identity: the identity initializer makes 2-D matrices only; got shape "
                f"{tuple(shape)}"
            )
        return (self.gain * np.eye(*shape)).astype(_dtype(dtype))


# Keras' lower-case names (and its IdentityInitializer, OrthogonalInitializer) are the
# classes themselves: keras.initializers.glorot_uniform is GlorotUniform
zeros, ones, constant = Zeros, Ones, Constant
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
variance_scaling, glorot_uniform, glorot_normal = VarianceScaling, GlorotUniform, GlorotNormal
he_uniform, he_normal, lecun_uniform, lecun_normal = HeUniform, HeNormal, LecunUniform, LecunNormal
orthogonal, identity = Orthogonal, Identity
IdentityInitializer, OrthogonalInitializer = Identity, Orthogonal

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
    "identity": Identity,
}
# Keras' other names for the same classes: its aliases and the class names themselves
# (what a Keras-saved config holds as "class_name").
ALIASES = {
    "uniform": "random_uniform",
    "normal": "random_normal",
    "one": "ones",
    "zero": "zeros",
    **{cls.__name__: name for name, cls in INITIALIZERS.items()},
    "IdentityInitializer": "identity",
    "OrthogonalInitializer": "orthogonal",
}


def get(identifier: Any) -> Any:
    """An initializer from its name (Keras' names, aliases and class names), a config dict
    ``{"class_name", "config"}``, an object, an ``Initializer`` class (made with its
    defaults) or any function ``f(shape, dtype=None)`` (returned as it is), as Keras 3's
    ``initializers.get``.

    >>> type(get("uniform")).__name__
    'RandomUniform'
    >>> get({"class_name": "GlorotUniform", "config": {"seed": 1}}).seed
    1
    >>> type(get(HeNormal)).__name__
    'HeNormal'
    """
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if callable(identifier) and not isinstance(identifier, type):
        return identifier
    if isinstance(identifier, dict):
        return _class(identifier.get("class_name"))(**(identifier.get("config") or {}))
    return _class(identifier)()


def _class(name: Any) -> type[Initializer]:
    cls = INITIALIZERS.get(ALIASES.get(name, name)) if isinstance(name, str) else None
    if cls is None:
        known = ", ".join(sorted(INITIALIZERS))
        raise ValueError(f"unknown initializer {name!r}; known: {known} (and Keras' aliases)")
    return cls


def serialize(initializer: Initializer) -> dict:
    """A JSON-friendly description, the inverse of ``get``."""
    for name, cls in INITIALIZERS.items():
        if type(initializer) is cls:
            return {"class_name": name, "config": initializer.get_config()}
    raise ValueError(
        f"initializer {initializer!r} is not one of deepgrad's and cannot be saved; register its "
        "class with register_keras_serializable"
    )


def deserialize(config: dict | str, custom_objects: dict | None = None) -> Initializer:
    """An initializer from its saved form, as Keras' ``initializers.deserialize``:
    ``serialize``'s dict or Keras' (its ``module`` and ``registered_name`` ignored), or a
    name; ``custom_objects`` maps class names to initializers of your own. Only these
    names are looked up: no code in the config is run.

    >>> deserialize({"class_name": "HeNormal", "config": {"seed": 3}}).seed
    3
    """
    name = config.get("class_name") if isinstance(config, dict) else config
    settings = (config.get("config") or {}) if isinstance(config, dict) else {}
    if custom_objects and isinstance(name, str) and name in custom_objects:
        return custom_objects[name](**settings)
    if not isinstance(config, dict | str):
        raise TypeError(
            f"initializers.deserialize: expected a config dict or a name, got {config!r}"
        )
    return _class(name)(**settings)

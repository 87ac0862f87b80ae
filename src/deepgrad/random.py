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
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from deepgrad.backend import get_default_dtype
from deepgrad.device import Device, device, get_device, platform_of
from deepgrad.tensor import Tensor, raw_data

__all__ = [
    "SeedGenerator",
    "Streams",
    "as_process",
    "beta",
    "binomial",
    "categorical",
    "choice",
    "current_process",
    "default_rng",
    "device_generator",
    "dropout",
    "gamma",
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
    "truncated_normal",
    "uniform",
    "using",
]

_generator = np.random.default_rng()
_entropy = np.random.SeedSequence().entropy  # what the devices' generators are seeded from
_device_generators: dict[Device, Any] = {}
_process: int | None = None  # the data-parallel process drawing (``as_process``), if any


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
    by_process: dict = field(default_factory=dict)  # (``for_process``)

    @classmethod
    def seeded(cls, value: int | None) -> Streams:
        """Generators seeded with ``value``, as ``seed(value)`` seeds the global ones."""
        return cls(np.random.default_rng(value), np.random.SeedSequence(value).entropy)

    def for_process(self, index: int | None) -> Streams:
        """These generators (``index`` None), or those of process ``index`` of a
        data-parallel job, made from their entropy and the index: one ``seed`` gives each
        process numbers of its own.

        >>> streams = Streams.seeded(7)
        >>> streams.for_process(None) is streams, streams.for_process(1) is streams.for_process(1)
        (True, True)
        >>> first, second = streams.for_process(0), streams.for_process(1)
        >>> bool(first.generator.random() != second.generator.random())
        True
        """
        if index is None:
            return self
        derived = self.by_process.get(index)
        if derived is None:
            sequence = np.random.SeedSequence(self.entropy, spawn_key=(index,))
            state = sequence.generate_state(4, np.uint32)
            derived = Streams.seeded(int.from_bytes(state.tobytes(), "little"))
            self.by_process[index] = derived
        return derived


@contextlib.contextmanager
def as_process(index: int) -> Iterator[None]:
    """Inside the block, generators of a component's own (a Dropout layer's ``seed``) draw
    the numbers of process ``index`` of a data-parallel job (``Streams.for_process``), so
    that processes training on parts of one batch draw different masks from one seed.

    >>> seeded = Streams.seeded(7)
    >>> with as_process(1):
    ...     seeded.for_process(current_process()) is seeded.for_process(1)
    True
    """
    global _process
    saved = _process
    _process = int(index)
    try:
        yield
    finally:
        _process = saved


def current_process() -> int | None:
    """The data-parallel process drawing (inside ``as_process``), else None.

    >>> with as_process(2):
    ...     current_process()
    2
    >>> current_process() is None
    True
    """
    return _process


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


def normal(
    loc: Any = 0.0,
    scale: Any = 1.0,
    size: Any = None,
    dtype: Any = None,
    *,
    shape: Any = None,
    mean: Any = None,
    stddev: Any = None,
    seed: Any = None,
) -> Any:
    """Gaussian draws on the current device, in the default float dtype unless ``dtype``
    is given: NumPy's ``normal(loc, scale, size)``, or Keras 3's
    ``keras.random.normal(shape=..., mean=..., stddev=..., seed=...)`` by its keywords.

    A shape as the first argument is refused: NumPy reads ``normal((3, 2))`` as two draws
    of means 3 and 2, Keras as a 3 × 2 array of standard normal draws, so either reading
    would be a plausible wrong answer for someone who meant the other.

    >>> normal(size=(3, 2)).shape, normal(shape=(3, 2), stddev=0.1, seed=0).shape
    ((3, 2), (3, 2))
    """
    size = _size("normal", loc, size, shape)
    loc = _keras_name("normal", loc, 0.0, "loc", mean, "mean")
    scale = _keras_name("normal", scale, 1.0, "scale", stddev, "stddev")
    with _seeded("normal", seed):
        generator = device_generator()
        if generator is _generator:
            return np.asarray(_generator.normal(loc, scale, size)).astype(_float(dtype))
        draws = generator.standard_normal(size=() if size is None else size, dtype=_float(dtype))
    return draws * _float(dtype).type(scale) + _float(dtype).type(loc)


def _size(function: str, first: Any, size: Any, shape: Any) -> Any:
    """The draws' shape: NumPy's ``size`` or Keras' ``shape`` (not both); a first argument
    that looks like a shape (a tuple, or a list of integers) is refused (see ``normal``)."""
    if shape is not None:
        if size is not None:
            raise TypeError(
                f"random.{function}: got size={size!r} (NumPy's name) and shape={shape!r} "
                "(Keras'); give one"
            )
        return shape
    if _looks_like_shape(first) and size is None:
        raise TypeError(
            f"random.{function}({first!r}): the first argument is NumPy's "
            f"{'low' if function == 'uniform' else 'loc'} (one draw per entry), not a shape "
            f"as in keras.random.{function}(shape); pass the shape by name: "
            f"size={first!r} (NumPy) or shape={first!r} (Keras)"
        )
    return size


def _looks_like_shape(first: Any) -> bool:
    """Whether a first argument looks like Keras' shape of the draws: a tuple, or a list
    of integers."""
    return isinstance(first, tuple) or (
        isinstance(first, list) and bool(first) and all(type(n) is int for n in first)
    )


def _keras_name(
    function: str, value: Any, default: float, name: str, keras_value: Any, keras_name: str
) -> Any:
    """``value`` (NumPy's argument ``name``), or Keras' ``keras_value`` for it when given;
    both given, where ``value`` is not its default, is refused rather than one dropped."""
    if keras_value is None:
        return value
    if not (type(value) is float and value == default):
        raise TypeError(
            f"random.{function}: got {name}={value!r} (NumPy's name) and "
            f"{keras_name}={keras_value!r} (Keras' name for it); give one"
        )
    return keras_value


def standard_normal(size: Any = None, dtype: Any = None) -> Any:
    return normal(0.0, 1.0, size, dtype)


def randn(*shape: int) -> Any:
    """Standard normal draws of the given shape."""
    return normal(size=shape)


def uniform(
    low: Any = 0.0,
    high: Any = 1.0,
    size: Any = None,
    dtype: Any = None,
    *,
    shape: Any = None,
    minval: Any = None,
    maxval: Any = None,
    seed: Any = None,
) -> Any:
    """Uniform draws on [low, high), on the current device: NumPy's
    ``uniform(low, high, size)``, or Keras 3's
    ``keras.random.uniform(shape=..., minval=..., maxval=..., seed=...)`` by its keywords
    (a shape as the first argument is refused, as in ``normal``).

    >>> bool((uniform(shape=(4,), minval=2.0, maxval=3.0, seed=1) >= 2.0).all())
    True
    """
    size = _size("uniform", low, size, shape)
    low = _keras_name("uniform", low, 0.0, "low", minval, "minval")
    high = _keras_name("uniform", high, 1.0, "high", maxval, "maxval")
    with _seeded("uniform", seed):
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


# Keras 3's keras.random functions: (shape, ..., dtype=None, seed=None). Their draws come
# from NumPy's (or CuPy's) generators, not Keras' JAX or TensorFlow ones: the same
# distributions and seed semantics, other values.


class SeedGenerator:
    """A generator state of its own, as Keras 3's ``keras.random.SeedGenerator``: given as
    ``seed`` to ``truncated_normal``, ``dropout``, ``beta``... it advances at each call, so
    two calls differ, and ``SeedGenerator(n)`` replays the same sequence. Without a seed,
    it takes one from deepgrad's global generator (so ``seed(n)`` fixes it too).

    >>> generator = SeedGenerator(42)
    >>> a, b = truncated_normal((3,), seed=generator), truncated_normal((3,), seed=generator)
    >>> bool((a == b).all())
    False
    >>> again = SeedGenerator(42)
    >>> bool((truncated_normal((3,), seed=again) == a).all())
    True
    """

    def __init__(self, seed: int | None = None, name: str | None = None) -> None:
        if seed is not None and (not isinstance(seed, int | np.integer) or isinstance(seed, bool)):
            raise ValueError(f"SeedGenerator: seed must be an integer or None, got {seed!r}")
        self._initial_seed = None if seed is None else int(seed)
        self.name = name or "seed_generator"
        start = int(_generator.integers(1, 10**9)) if seed is None else int(seed)
        self.streams = Streams.seeded(start)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SeedGenerator:
        return cls(**config)


def _seeded(function: str, seed: Any) -> contextlib.AbstractContextManager[Any]:
    """Keras' ``seed``: None draws from the global generators (which move), an integer from
    generators made from it at each call (the same draws every call), a SeedGenerator from
    its own (which move)."""
    if seed is None:
        return contextlib.nullcontext()
    if isinstance(seed, SeedGenerator):
        return using(seed.streams)
    if isinstance(seed, int | np.integer) and not isinstance(seed, bool):
        return using(Streams.seeded(int(seed)))
    raise ValueError(
        f"random.{function}: seed must be None, an integer or a SeedGenerator, got {seed!r}"
    )


def _float_dtype(function: str, dtype: Any) -> np.dtype:
    kind = _float(dtype)
    if kind.kind != "f":
        raise ValueError(f"random.{function}: dtype must be a float dtype, got {kind}")
    return kind


def _shape(shape: Any) -> tuple[int, ...]:
    return (int(shape),) if isinstance(shape, int | np.integer) else tuple(int(n) for n in shape)


def truncated_normal(
    shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None, seed: Any = None
) -> Any:
    """Normal draws redrawn until within two standard deviations of ``mean``, as Keras 3's
    ``keras.random.truncated_normal`` (on the current device; values are not Keras').

    >>> x = truncated_normal((1000,), mean=1.0, stddev=0.5, seed=0)
    >>> bool(abs(x - 1.0).max() <= 1.0)
    True
    """
    kind = _float_dtype("truncated_normal", dtype)
    with _seeded("truncated_normal", seed):
        generator = device_generator()
        values = generator.standard_normal(_shape(shape))
        outside = abs(values) > 2
        while bool(outside.any()):
            values[outside] = generator.standard_normal(int(outside.sum()))
            outside = abs(values) > 2
    return (values * stddev + mean).astype(kind)


def dropout(inputs: Any, rate: float, noise_shape: Any = None, seed: Any = None) -> Any:
    """Zero each element with probability ``rate`` and scale the rest by 1 / (1 - rate), as
    Keras 3's ``keras.random.dropout``; ``noise_shape`` (None entries: the input's size) is
    the shape of the mask, broadcast to the input's. ``inputs`` is an array (NumPy, or CuPy
    on a GPU) or a Tensor (the gradient flows through the kept elements).

    >>> y = dropout(np.ones((1000, 4), np.float32), 0.25, noise_shape=(None, 1), seed=1)
    >>> sorted(set(y[:, 0].tolist())), bool((y == y[:, :1]).all())  # one draw per row
    ([0.0, 1.3333333730697632], True)
    """
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"random.dropout: rate must be in [0, 1], got {rate!r}")
    shape, dtype = tuple(inputs.shape), np.dtype(inputs.dtype)
    mask_shape = _noise_shape(shape, noise_shape)
    if rate == 0.0:
        return inputs
    with _seeded("dropout", seed):
        kept = device_generator().random(mask_shape) >= rate
    scale = (kept / (1.0 - rate) if rate < 1.0 else kept * 0).astype(dtype)
    if type(inputs).__module__.startswith("cupy") and isinstance(scale, np.ndarray):
        scale = sys.modules["cupy"].asarray(scale)  # a seeded mask is drawn on the host
    return inputs * scale


def _noise_shape(shape: tuple[int, ...], noise_shape: Any) -> tuple[int, ...]:
    if noise_shape is None:
        return shape
    noise = tuple(noise_shape)
    if len(noise) != len(shape):
        raise ValueError(
            f"random.dropout: noise_shape {noise} has {len(noise)} entries for inputs of "
            f"shape {shape}; give one per axis (the axis' size, 1 or None)"
        )
    filled = tuple(size if n is None else int(n) for n, size in zip(noise, shape, strict=True))
    if any(n not in (1, size) for n, size in zip(filled, shape, strict=True)):
        raise ValueError(
            f"random.dropout: noise_shape {noise} does not broadcast to the inputs' shape "
            f"{shape} (each entry: the axis' size, 1 or None)"
        )
    return filled


def gamma(shape: Any, alpha: Any, dtype: Any = None, seed: Any = None) -> Any:
    """Gamma(alpha, 1) draws, as Keras 3's ``keras.random.gamma`` (a NumPy array, drawn
    on the host; values are not Keras').

    >>> x = gamma((20000,), alpha=3.0, seed=0)
    >>> round(float(x.mean()), 1)
    3.0
    """
    kind = _float_dtype("gamma", dtype)
    alpha = _positive("gamma", "alpha", _untraced("gamma", "alpha", alpha))
    with _seeded("gamma", seed):
        return np.asarray(_generator.standard_gamma(alpha, _shape(shape))).astype(kind)


def beta(shape: Any, alpha: Any, beta: Any, dtype: Any = None, seed: Any = None) -> Any:
    """Beta(alpha, beta) draws, as Keras 3's ``keras.random.beta`` (a NumPy array, drawn
    on the host; values are not Keras').

    >>> x = beta((20000,), alpha=2.0, beta=6.0, seed=0)
    >>> round(float(x.mean()), 2)  # alpha / (alpha + beta)
    0.25
    """
    kind = _float_dtype("beta", dtype)
    alpha = _positive("beta", "alpha", _untraced("beta", "alpha", alpha))
    beta = _positive("beta", "beta", _untraced("beta", "beta", beta))
    with _seeded("beta", seed):
        return np.asarray(_generator.beta(alpha, beta, _shape(shape))).astype(kind)


def binomial(
    shape: Any, counts: Any, probabilities: Any, dtype: Any = None, seed: Any = None
) -> Any:
    """Binomial(counts, probabilities) draws, as Keras 3's ``keras.random.binomial``, in a
    float dtype as Keras' (a NumPy array, drawn on the host; values are not Keras').

    >>> binomial((4,), counts=10, probabilities=[0.0, 1.0, 1.0, 0.0], seed=0)
    array([ 0., 10., 10.,  0.], dtype=float32)
    """
    kind = _float_dtype("binomial", dtype)
    trials = np.asarray(_untraced("binomial", "counts", counts), dtype=np.float64)
    if (trials < 0).any() or (trials != np.round(trials)).any():
        raise ValueError(f"random.binomial: counts must be whole numbers >= 0, got {counts!r}")
    chance = np.asarray(_untraced("binomial", "probabilities", probabilities), np.float64)
    if not ((chance >= 0) & (chance <= 1)).all():
        raise ValueError(f"random.binomial: probabilities must be in [0, 1], got {probabilities!r}")
    with _seeded("binomial", seed):
        draws = _generator.binomial(trials.astype(np.int64), chance, _shape(shape))
    return np.asarray(draws).astype(kind)


def numpy_gamma(shape: Any, scale: Any = 1.0, size: Any = None, dtype: Any = None) -> Any:
    """Gamma draws with NumPy's parameters and order (``Generator.gamma(shape, scale,
    size)``: shape k, scale θ, mean kθ), in the default float dtype unless ``dtype`` is
    given: ``deepgrad.numpy.random.gamma``. (``gamma`` here is Keras' form.)

    >>> round(float(numpy_gamma(2.0, 3.0, size=20000).mean()))  # k θ
    6
    """
    _refuse_a_shape("gamma", shape, size, "gamma(shape=(3,), alpha=2.0)")
    k = _positive("gamma", "shape", _untraced("gamma", "shape", shape))
    theta = np.asarray(_untraced("gamma", "scale", scale), dtype=np.float64)
    if (theta < 0).any():
        raise ValueError(f"random.gamma: scale must be >= 0, got {scale!r}")
    return np.asarray(_generator.gamma(k, theta, size)).astype(_float_dtype("gamma", dtype))


def numpy_beta(a: Any, b: Any, size: Any = None, dtype: Any = None) -> Any:
    """Beta(a, b) draws with NumPy's order (``Generator.beta(a, b, size)``), in the default
    float dtype unless ``dtype`` is given: ``deepgrad.numpy.random.beta``. (``beta`` here
    is Keras' form.)

    >>> round(float(numpy_beta(2.0, 6.0, size=20000).mean()), 2)  # a / (a + b)
    0.25
    """
    _refuse_a_shape("beta", a, size, "beta(shape=(3,), alpha=2.0, beta=6.0)")
    alpha = _positive("beta", "a", _untraced("beta", "a", a))
    beta_ = _positive("beta", "b", _untraced("beta", "b", b))
    return np.asarray(_generator.beta(alpha, beta_, size)).astype(_float_dtype("beta", dtype))


def numpy_binomial(n: Any, p: Any, size: Any = None) -> Any:
    """Binomial(n, p) draws with NumPy's order (``Generator.binomial(n, p, size)``), as
    NumPy's int64 counts: ``deepgrad.numpy.random.binomial``. (``binomial`` here is Keras'
    form, in a float dtype.)

    >>> numpy_binomial(10, [0.0, 1.0])
    array([ 0, 10])
    """
    _refuse_a_shape("binomial", n, size, "binomial(shape=(3,), counts=10, probabilities=0.5)")
    trials = np.asarray(_untraced("binomial", "n", n))
    chance = np.asarray(_untraced("binomial", "p", p), dtype=np.float64)
    return np.asarray(_generator.binomial(trials, chance, size), dtype=np.int64)


def _refuse_a_shape(function: str, first: Any, size: Any, keras_form: str) -> None:
    """Refuse a first argument that looks like Keras' shape where NumPy reads a parameter:
    ``gamma((3,), 2.0)`` is one draw of shape k = 3 in NumPy and three draws of k = 2 in
    Keras, so either reading would be a plausible wrong answer for someone who meant the
    other (as ``normal`` refuses ``normal((3, 2))``)."""
    if _looks_like_shape(first) and size is None:
        raise TypeError(
            f"deepgrad.numpy.random.{function}({first!r}, ...): NumPy's first argument is a "
            f"parameter of the distribution, not the draws' shape as in keras.random."
            f"{function}; give the shape as size=, or call deepgrad.random.{keras_form} "
            "(Keras' form)"
        )


def _untraced(function: str, argument: str, value: Any) -> Any:
    """``value``'s array, refused by name where it is a Tensor that a gradient is taken
    through: the draws of gamma, beta, binomial and categorical are not differentiable in
    their parameters (no reparameterisation), and a zero gradient would be a wrong one.

    >>> _untraced("gamma", "alpha", Tensor._make(np.ones(2), -1))  # a constant: its value
    array([1., 1.])
    """
    if isinstance(value, Tensor) and value._level >= 0:
        raise TypeError(
            f"random.{function}: {argument} is a Tensor a gradient is taken through, but the "
            f"draws are not differentiable in it; pass its value ({argument}.numpy()) or "
            "deepgrad.stop_gradient of it"
        )
    return raw_data(value)


def _positive(function: str, argument: str, value: Any) -> np.ndarray:
    array = np.asarray(value, dtype=np.float64)
    if not (array > 0).all():
        raise ValueError(f"random.{function}: {argument} must be > 0, got {value!r}")
    return array


def categorical(logits: Any, num_samples: int, dtype: Any = "int32", seed: Any = None) -> Any:
    """Class indices drawn from the rows of ``logits`` (batch, classes), unnormalized
    log-probabilities, as Keras 3's ``keras.random.categorical``: shape (batch,
    num_samples), int32 unless ``dtype`` says otherwise (a NumPy array, drawn on the host;
    values are not Keras').

    >>> categorical([[-50.0, 0.0], [0.0, -50.0]], 3, seed=0)
    array([[1, 1, 1],
           [0, 0, 0]], dtype=int32)
    """
    scores = np.asarray(_untraced("categorical", "logits", logits), dtype=np.float64)
    if scores.ndim != 2:
        raise ValueError(
            f"random.categorical: logits must be 2-D (batch_size, num_classes), got shape "
            f"{scores.shape}"
        )
    if np.isnan(scores).any() or np.isposinf(scores).any() or np.isneginf(scores).all(-1).any():
        raise ValueError(
            "random.categorical: logits must hold no NaN nor +inf, and a finite value in every row"
        )
    if isinstance(num_samples, bool) or not isinstance(num_samples, int | np.integer):
        raise ValueError(f"random.categorical: num_samples must be an integer: {num_samples!r}")
    if num_samples < 0:
        raise ValueError(f"random.categorical: num_samples must be >= 0, got {num_samples}")
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    cumulative = np.cumsum(weights / weights.sum(axis=-1, keepdims=True), axis=-1)
    with _seeded("categorical", seed):
        draws = _generator.random((scores.shape[0], int(num_samples), 1))
    picked = (draws >= cumulative[:, None, :]).sum(axis=-1)
    return np.minimum(picked, scores.shape[1] - 1).astype(np.dtype(dtype))

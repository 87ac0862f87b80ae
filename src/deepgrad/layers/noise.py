"""Layers active only in training: Dropout, GaussianNoise, GaussianDropout, AlphaDropout.

Each is the identity at inference. In training it takes integer inputs in its dtype
(float32 by default), as Keras 3's do, and draws its noise from deepgrad's
global generator (``deepgrad.random.seed``), or, given Keras' ``seed``, from generators of
its own seeded with it, which neither move nor follow the global stream (a saved and
loaded layer starts its stream again from the seed; in data-parallel training each
process draws a stream of its own from the seed).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from deepgrad import numpy as dnp
from deepgrad import random
from deepgrad.autodiff.effects import Impure
from deepgrad.layers.base import Layer, register_serializable
from deepgrad.tensor import raw_data

# SELU's constants (Klambauer et al., 2017), as Keras' AlphaDropout writes them
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


class _RateNoiseShapeSeed(Layer):
    """What Dropout and AlphaDropout share: Keras' ``rate``, ``noise_shape`` and ``seed``,
    checked as Keras checks them, and saved."""

    def __init__(
        self,
        rate: float,
        noise_shape: Sequence[int | None] | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        self.rate = _checked_rate(type(self).__name__, rate)
        self.noise_shape = _checked_noise_shape(type(self).__name__, noise_shape)
        self.seed = _checked_seed(type(self).__name__, seed)
        self._generators = _own_generators(seed)
        super().__init__(**kwargs)

    def get_config(self) -> dict:
        noise_shape = None if self.noise_shape is None else list(self.noise_shape)
        return {
            **super().get_config(),
            "rate": self.rate,
            "noise_shape": noise_shape,
            "seed": self.seed,
        }


@register_serializable
class Dropout(_RateNoiseShapeSeed):
    """Inverted dropout (Srivastava et al., 2014): in training, zero each input with
    probability ``rate`` and scale the rest by 1/(1 − rate); at inference, the identity.

    ``noise_shape`` is the shape of the mask, broadcast over the input (None: the input's
    size on that axis), as in Keras: ``noise_shape=(None, 1, None)`` drops the same
    features at every time step of a (batch, steps, features) input. ``rate=1`` drops
    everything, as Keras does.

    >>> import numpy as np
    >>> drop = Dropout(0.5, noise_shape=(None, 1), seed=0)
    >>> y = drop(np.ones((4, 3), np.float32), training=True).numpy()
    >>> bool(all(len(set(row)) == 1 for row in y))  # one draw per row
    True
    """

    def call(self, inputs: Any, training: bool = False) -> Any:
        if not training or self.rate == 0:
            return inputs
        inputs = _floating(self, inputs)
        data = raw_data(inputs)
        if self.rate == 1:  # zeros, as Keras (not inputs · 0, which is NaN at ±inf)
            return dnp.where(dnp.zeros_like(data, dtype=bool), inputs, 0.0)
        shape = _concrete_noise_shape(self, data.shape)
        scale = _dropout_scale(shape, self.rate, data.dtype, self._generators)
        # a dropped entry is 0 even where the input is ±inf or NaN (inputs · 0 is NaN
        # there), as Keras' where(mask, inputs / keep, 0); deepgrad ops: inputs may be raw
        kept_inputs = dnp.where(dnp.not_equal(scale, 0), inputs, 0.0)
        return dnp.multiply(kept_inputs, scale)


@register_serializable
class GaussianNoise(Layer):
    """In training, add N(0, stddev²) noise; at inference, the identity. ``stddev`` lies in
    [0, 1], as Keras 3 requires.

    >>> import numpy as np
    >>> noisy = GaussianNoise(0.1, seed=0)(np.zeros((2, 3), np.float32), training=True)
    >>> bool((noisy.numpy() != 0).all())
    True
    """

    def __init__(self, stddev: float, seed: int | None = None, **kwargs: Any) -> None:
        if isinstance(stddev, bool) or not isinstance(stddev, int | float | np.number):
            raise ValueError(f"GaussianNoise: stddev must be a number, got stddev={stddev!r}")
        if not 0 <= stddev <= 1:  # NaN too: it would turn every input into NaN
            raise ValueError(
                "GaussianNoise: stddev must be a number between 0 and 1, as Keras 3 "
                f"requires, got stddev={stddev!r}"
            )
        self.stddev = float(stddev)
        self.seed = _checked_seed(type(self).__name__, seed)
        self._generators = _own_generators(seed)
        super().__init__(**kwargs)

    def call(self, inputs: Any, training: bool = False) -> Any:
        if not training or self.stddev == 0:
            return inputs
        inputs = _floating(self, inputs)
        data = raw_data(inputs)
        noise = _normal_noise(0.0, self.stddev, data.shape, data.dtype, self._generators)
        return dnp.add(inputs, noise)

    def get_config(self) -> dict:
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


@register_serializable
class GaussianDropout(Layer):
    """In training, multiply by 1-centred Gaussian noise, N(1, rate/(1 − rate)), the
    variance of inverted dropout's mask (Srivastava et al., 2014, §10); at inference, the
    identity.

    >>> import numpy as np
    >>> y = GaussianDropout(0.2, seed=0)(np.ones((1000, 100), np.float32), training=True)
    >>> round(float(y.numpy().var()), 2)  # 0.2 / 0.8
    0.25
    """

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        self.rate = _checked_rate(type(self).__name__, rate)
        self.seed = _checked_seed(type(self).__name__, seed)
        self._generators = _own_generators(seed)
        super().__init__(**kwargs)

    def call(self, inputs: Any, training: bool = False) -> Any:
        if not training or self.rate == 0:
            return inputs
        _refuse_rate_one(self)
        inputs = _floating(self, inputs)
        data = raw_data(inputs)
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        noise = _normal_noise(1.0, stddev, data.shape, data.dtype, self._generators)
        return dnp.multiply(inputs, noise)

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


@register_serializable
class AlphaDropout(_RateNoiseShapeSeed):
    """Dropout for self-normalizing nets (Klambauer et al., 2017): in training, set each
    input with probability ``rate`` to SELU's saturation value α′ = −λα, then apply
    a·x + b, with a = ((1 − rate)(1 + rate·α′²))^(−1/2) and b = −a·α′·rate, which keeps a
    zero mean and a unit variance; at inference, the identity. ``noise_shape`` as in
    ``Dropout``.

    >>> import numpy as np
    >>> x = np.random.default_rng(0).standard_normal((1000, 100)).astype(np.float32)
    >>> y = AlphaDropout(0.1, seed=0)(x, training=True).numpy()
    >>> bool(abs(y.mean()) < 0.01), round(float(y.std()), 2)  # the input's: 0 and 1
    (True, 1.0)
    """

    def call(self, inputs: Any, training: bool = False) -> Any:
        if not training or self.rate == 0:
            return inputs
        _refuse_rate_one(self)
        inputs = _floating(self, inputs)
        data = raw_data(inputs)
        shape = _concrete_noise_shape(self, data.shape)
        kept = _kept_mask(shape, self.rate, data.dtype, self._generators)
        saturation = -SELU_ALPHA * SELU_SCALE
        a = ((1 - self.rate) * (1 + self.rate * saturation**2)) ** -0.5
        b = -a * saturation * self.rate
        # in Keras' order of operations: a·(x·kept + α′·(1 − kept)) + b
        dropped = dnp.multiply(saturation, dnp.subtract(1, kept))
        return dnp.add(dnp.multiply(a, dnp.add(dnp.multiply(inputs, kept), dropped)), b)


def _floating(layer: Layer, inputs: Any) -> Any:
    """Integer or boolean inputs in the layer's dtype, as Keras' noise layers give them in
    training (int + float32 noise is float32): noise drawn in an integer dtype would be
    rounded to whole numbers, mostly 0."""
    if raw_data(inputs).dtype.kind in "iub":
        return dnp.astype(inputs, layer.dtype)
    return inputs


# ---- arguments, checked as Keras checks them ---------------------------------------------


def _checked_rate(layer: str, rate: float) -> float:
    if (
        isinstance(rate, bool)
        or not isinstance(rate, int | float | np.number)
        or not (0 <= rate <= 1)
    ):
        raise ValueError(f"{layer}: rate must be a number in [0, 1], got rate={rate!r}")
    return float(rate)


def _checked_seed(layer: str, seed: int | None) -> int | None:
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)):
        raise ValueError(f"{layer}: seed must be an integer or None, got seed={seed!r}")
    return None if seed is None else int(seed)


def _checked_noise_shape(
    layer: str, noise_shape: Sequence[int | None] | None
) -> tuple[int | None, ...] | None:
    """A tuple of positive integers and None, or None (the input's shape)."""
    if noise_shape is None:
        return None
    if isinstance(noise_shape, str) or not isinstance(noise_shape, Sequence | np.ndarray):
        raise ValueError(
            f"{layer}: noise_shape must be a tuple or list of integers and None, "
            f"got noise_shape={noise_shape!r}"
        )
    for index, size in enumerate(noise_shape):
        if size is None:
            continue
        if isinstance(size, bool) or not isinstance(size, int | np.integer) or size <= 0:
            raise ValueError(
                f"{layer}: noise_shape must hold positive integers or None, got {size!r} at "
                f"index {index} of noise_shape={tuple(noise_shape)!r}"
            )
    return tuple(None if size is None else int(size) for size in noise_shape)


def _concrete_noise_shape(layer: Any, input_shape: tuple) -> tuple:
    """The mask's shape for inputs of ``input_shape``: Keras' ``noise_shape`` with each
    None replaced by the input's size on that axis; it must broadcast to the input."""
    noise_shape = layer.noise_shape
    if noise_shape is None:
        return tuple(input_shape)
    name = f"{layer.name} ({type(layer).__name__})"
    if None in noise_shape and len(noise_shape) != len(input_shape):
        raise ValueError(
            f"{name}: noise_shape={noise_shape} holds None but has {len(noise_shape)} axes "
            f"where the input, of shape {tuple(input_shape)}, has {len(input_shape)}; give "
            "one entry per axis of the input"
        )
    concrete = tuple(input_shape[i] if n is None else n for i, n in enumerate(noise_shape))
    fits = len(concrete) <= len(input_shape) and all(
        n in (1, size) for n, size in zip(reversed(concrete), reversed(input_shape), strict=False)
    )
    if not fits:
        raise ValueError(
            f"{name}: a mask of noise_shape={noise_shape} does not broadcast to the input's "
            f"shape {tuple(input_shape)}: each entry must be None, 1 or the input's size on "
            "that axis"
        )
    return concrete


def _refuse_rate_one(layer: Any) -> None:
    """rate = 1 makes the noise's scale infinite (Keras raises ZeroDivisionError)."""
    if layer.rate == 1:
        raise ValueError(
            f"{layer.name} ({type(layer).__name__}): rate=1 in training divides by "
            "1 − rate = 0; use a rate below 1"
        )


# ---- draws --------------------------------------------------------------------------------
# Random draws are Impure primitives: a compiled training step draws anew on every replay
# (from the layer's own generators, passed along, when it has a seed).


def _own_generators(seed: int | None) -> random.Streams | None:
    return None if seed is None else random.Streams.seeded(seed)


@contextlib.contextmanager
def _drawing_from(generators: random.Streams | None) -> Iterator[None]:
    if generators is None:
        yield
    else:
        # in a data-parallel step, each process draws a stream of its own from the seed
        with random.using(generators.for_process(random.current_process())):
            yield


def _draw_kept_mask(
    shape: tuple, rate: float, dtype: np.dtype, generators: random.Streams | None
) -> Any:
    """1 where a unit is kept (probability 1 − rate), 0 where it is dropped."""
    with _drawing_from(generators):
        return (random.default_rng().random(shape) >= rate).astype(dtype)


def _draw_dropout_scale(
    shape: tuple, rate: float, dtype: np.dtype, generators: random.Streams | None
) -> Any:
    """1/(1 − rate) where a unit is kept (probability 1 − rate), 0 where it is dropped."""
    with _drawing_from(generators):
        keep = random.default_rng().random(shape) >= rate
    return (keep / (1.0 - rate)).astype(dtype)


def _draw_normal(
    mean: float, stddev: float, shape: tuple, dtype: np.dtype, generators: random.Streams | None
) -> Any:
    with _drawing_from(generators):
        return random.normal(mean, stddev, shape, dtype)


_kept_mask = Impure(_draw_kept_mask, "_kept_mask")
_dropout_scale = Impure(_draw_dropout_scale, "_dropout_scale")
_normal_noise = Impure(_draw_normal, "normal")

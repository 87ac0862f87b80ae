"""``deepgrad.numpy.random``'s functions that take float arrays, seeing Tensors.

A draw is a constant, but ``normal(loc, scale)`` and ``uniform(low, high)`` are
differentiable functions of their parameters once the draw is fixed (the
reparameterisation of a variational autoencoder): ``loc + scale · z`` with ``z`` a
standard normal draw, ``low + (high − low) · u`` with ``u`` uniform on [0, 1), as NumPy
computes them. ``choice`` and ``permutation`` of a Tensor gather its elements (recorded).
What has no derivative says so: a traced ``p`` of ``choice`` (which elements are drawn
depends on p's values), and ``shuffle`` of a Tensor (it works in place).

The draws are impure primitives, so a compiled function draws again at every replay,
with or without a Tensor among the arguments (``x + normal(size=x.shape)`` was frozen
into the plan, then refused by its second recording). With no Tensor among the arguments
each function gives ``deepgrad.random``'s draws.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad import random as _random
from deepgrad.autodiff.effects import Impure, impure
from deepgrad.backend import to_numpy
from deepgrad.ops.elementwise import multiply
from deepgrad.tensor import Tensor, raw_data

_unit_uniform = Impure(_random.uniform, "uniform")
_indices = Impure(_random.choice, "choice")
_order = Impure(_random.permutation, "permutation")
_normal = Impure(_random.normal, "normal")
# NumPy's forms of the draws deepgrad.random gives in Keras' form (deepgrad.numpy.random's):
# impure, so that a compiled function draws again at every replay
gamma = Impure(_random.numpy_gamma, "gamma")
beta = Impure(_random.numpy_beta, "beta")
binomial = Impure(_random.numpy_binomial, "binomial")


@impure
def _standard_normal(shape: Any, dtype: Any, scale: Any) -> Any:
    """``z`` for ``loc + scale · z``, after NumPy's check of ``scale`` (made again at every
    replay of a compiled function, which passes the scale it is given)."""
    if np.any(to_numpy(raw_data(scale)) < 0):
        raise ValueError(f"normal: scale < 0 (NumPy refuses it), got {_shown(scale)}")
    return _random.standard_normal(shape, dtype)


@impure
def _unit_uniform_between(shape: Any, dtype: Any, low: Any, high: Any) -> Any:
    """``u`` for ``low + (high − low) · u``, after NumPy's check that high − low ≥ 0
    (made again at every replay, as in ``_standard_normal``)."""
    if np.any(to_numpy(raw_data(high)) - to_numpy(raw_data(low)) < 0):
        raise ValueError(
            f"uniform: high - low < 0 (NumPy refuses it), got low={_shown(low)}, "
            f"high={_shown(high)}"
        )
    return _random.uniform(0.0, 1.0, shape, dtype)


def _shown(value: Any) -> str:
    return np.array2string(np.asarray(to_numpy(raw_data(value))), threshold=6)


def _draw_shape_and_dtype(size: Any, dtype: Any, *parameters: Any) -> tuple:
    raw = [np.asarray(raw_data(p)) for p in parameters]
    shape = np.broadcast_shapes(*[r.shape for r in raw]) if size is None else size
    if dtype is None:
        dtype = np.result_type(*raw, np.float32)  # a traced float64 stays float64
    return shape, dtype


def normal(loc: Any = 0.0, scale: Any = 1.0, size: Any = None, dtype: Any = None) -> Any:
    """Gaussian draws ``loc + scale · z``, differentiable in a traced ``loc`` and ``scale``.

    >>> import deepgrad as dg
    >>> float(dg.grad(lambda m: normal(m, 2.0, size=(4,)).sum())(0.5))
    4.0
    """
    if not (isinstance(loc, Tensor) or isinstance(scale, Tensor)):
        return _normal(loc, scale, size, dtype)
    shape, dtype = _draw_shape_and_dtype(size, dtype, loc, scale)
    # multiply, not *: with a plain scale, NumPy's own product would be frozen in a plan
    return loc + multiply(scale, _standard_normal(shape, dtype, scale))


def uniform(low: Any = 0.0, high: Any = 1.0, size: Any = None, dtype: Any = None) -> Any:
    """Uniform draws on [low, high), ``low + (high − low) · u``, differentiable in a traced
    ``low`` and ``high``.

    >>> import deepgrad as dg
    >>> float(dg.grad(lambda a: uniform(a, 3.0, size=(2,)).sum())(1.0)) < 2.0
    True
    """
    if not (isinstance(low, Tensor) or isinstance(high, Tensor)):
        return _unit_uniform(low, high, size, dtype)
    shape, dtype = _draw_shape_and_dtype(size, dtype, low, high)
    return low + (high - low) * _unit_uniform_between(shape, dtype, low, high)


def choice(a: Any, size: Any = None, replace: bool = True, p: Any = None) -> Any:
    """Random elements of ``a`` (NumPy's ``choice``); of a Tensor, a recorded gather.

    >>> import deepgrad as dg
    >>> float(dg.grad(lambda x: choice(x, size=3).sum())(np.array([1.0, 1.0])).sum())
    3.0
    """
    if isinstance(p, Tensor) and p._level >= 0:
        raise TypeError(
            "choice: p is a traced Tensor, but which elements are drawn depends on p's "
            "values and has no derivative; pass p as an array (or use a reparameterisation "
            "such as Gumbel-softmax)"
        )
    if not isinstance(a, Tensor):
        return _indices(a, size, replace, raw_data(p))
    if np.ndim(raw_data(a)) != 1:
        raise ValueError(f"choice: a must be 1-D, got shape {np.shape(raw_data(a))}")
    return a[_indices(len(a), size, replace, raw_data(p))]


def permutation(x: Any) -> Any:
    """A random permutation of ``x`` (along its first axis); of a Tensor, a recorded gather.

    >>> sorted(permutation(3).tolist())
    [0, 1, 2]
    """
    if not isinstance(x, Tensor):
        return _order(x)
    return x[_order(len(x))]


def shuffle(x: Any) -> None:
    """Shuffle ``x`` in place along its first axis (NumPy's ``shuffle``); a Tensor is
    refused: use ``permutation``, which returns a shuffled copy and records it."""
    if isinstance(x, Tensor):
        raise TypeError(
            "shuffle: works in place, which Tensors refuse; write x = permutation(x) instead"
        )
    _random.shuffle(x)

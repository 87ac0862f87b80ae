"""Special functions used by nets: expit (logistic sigmoid), logit, softmax, log-softmax,
sparsemax."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from deepgrad.autodiff.primitive import Primitive
from deepgrad.backend import array_module
from deepgrad.ops import cross_entropy_kernels
from deepgrad.ops.creation import integers_as_floats
from deepgrad.ops.elementwise import exp, log, log1p, unary
from deepgrad.ops.nondiff import greater
from deepgrad.ops.reductions import sum as dnp_sum
from deepgrad.ops.shape import astype, expand_dims
from deepgrad.tensor import raw_data


def _expit_impl(x):
    z = np.exp(-np.abs(x))  # never overflows, whatever the sign of x
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


# A fused primitive, not a composite: written as where(x ≥ 0, 1/(1+e^−|x|), ...) its
# derivative at 0 would inherit |x|'s kink convention (|x|'(0) = 0) and come out 0, not ¼.
_expit = unary(_expit_impl, lambda ans, x: ans * (1 - ans), "expit", "σ({0})")


def expit(x: Any) -> Any:
    """The logistic sigmoid σ(x) = 1 / (1 + e^(−x)), finite with finite gradients for any x.

    Integers and booleans give float64, as SciPy's ``expit``; a float keeps its dtype.

    >>> expit(np.array([-1000.0, 0.0, 1000.0]))
    array([0. , 0.5, 1. ])
    >>> expit(np.array([0, 1], dtype=np.uint8))
    array([0.5       , 0.73105858])
    """
    return _expit(integers_as_floats(x))


def _normal_cdf_scalar(value: float) -> float:
    return 0.5 * math.erfc(-value / math.sqrt(2.0))


def _normal_cdf_impl(x):
    """Φ(x) in x's floating dtype (float16 stays float16, as erf); integers give float64."""
    dtype = x.dtype if hasattr(x, "dtype") else np.asarray(x).dtype
    result_dtype = dtype if dtype.kind == "f" else np.dtype(np.float64)
    try:
        from scipy.special import ndtr
    except ImportError:  # scipy is optional: the exact, slower math.erfc
        return np.vectorize(_normal_cdf_scalar, otypes=[result_dtype])(x)
    result = ndtr(x)
    return result if result.dtype == result_dtype else result.astype(result_dtype)


# Φ as one primitive, from erfc: ½(1 + erf(x/√2)) cancels to 0 below x ≈ −5.9 in float32
# (−3.7 in float16), where Φ is still 1e-9 (x·Φ(x) at −10: −7.6e-23, as Keras gives).
_normal_cdf = unary(
    _normal_cdf_impl,
    lambda ans, x: exp(-0.5 * (x * x)) * (1 / math.sqrt(2 * math.pi)),
    "normal_cdf",
    "Φ({0})",
)


def normal_cdf(x: Any) -> Any:
    """Φ(x) = ½ erfc(−x/√2), the standard normal's distribution function, accurate in
    the lower tail.

    >>> normal_cdf(np.array([-10.0, 0.0]))
    array([7.61985302e-24, 5.00000000e-01])
    """
    return _normal_cdf(x)


def _relu_impl(x, out=None):
    return np.maximum(x, 0, out=out)


_relu_impl.elementwise = True  # a compiled plan may compute it in place over x


def _positive_mask(ans, x):
    # From the output (ans > 0 exactly where x > 0): then nothing needs x after the
    # forward pass, and a compiled plan computes relu in place over it.
    return greater(ans, 0)  # a boolean constant: g × mask is one multiply


# ReLU as one primitive, max(x, 0) with derivative 1[x > 0] (0 at the kink): the forward
# is one ufunc and the backward one multiply by a mask. Written as where(x > 0, x, 0) it
# was 20x slower on random signs: np.where branches on every element and mispredicts.
_relu = unary(_relu_impl, _positive_mask, "relu", "relu({0})")


def relu(x: Any) -> Any:
    """max(x, 0), with derivative 1 for x > 0 and 0 otherwise (0 at the kink); NaN stays NaN.

    >>> relu(np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 2.])
    """
    return _relu(x)


def logit(p: Any) -> Any:
    """log(p / (1 − p)), the inverse of ``expit``; integers and booleans give float64, as
    SciPy's ``logit``.

    >>> logit(np.array([0.5, 0.75]))
    array([0.        , 1.09861229])
    """
    p = integers_as_floats(p)  # −p of an unsigned integer would wrap around
    return log(p) - log1p(-p)


def _log_softmax_impl(x, axis):
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


# Fused for speed: cross-entropy on logits runs it on every training step, and as one
# primitive its backward is g − softmax·Σg instead of a chain of five ops.
_log_softmax = Primitive(_log_softmax_impl, "log_softmax")
_log_softmax.defvjp(lambda g, ans, x, axis: g - exp(ans) * dnp_sum(g, axis=axis, keepdims=True))
_log_softmax.defjvp(lambda t, ans, x, axis: t - dnp_sum(exp(ans) * t, axis=axis, keepdims=True))


def log_softmax(x: Any, axis: int | tuple[int, ...] | None = -1) -> Any:
    """x − logsumexp(x) along ``axis``: log-probabilities, stable for any logits.

    ``axis`` is the last one by default, as in ``jax.nn``, Keras and PyTorch; SciPy's
    ``log_softmax`` defaults to ``axis=None`` (the whole array): pass it for SciPy's.
    Integers and booleans are taken in the floating dtype NumPy's ``exp`` gives them
    (float64 for int64, float16 for int8), as SciPy's ``log_softmax`` returns.

    >>> log_softmax(np.array([0.0, 0.0]))
    array([-0.69314718, -0.69314718])
    """
    return _log_softmax(_as_exp_floats(x), axis=axis)


def _as_exp_floats(x: Any) -> Any:
    """Integers or booleans in the floating dtype ``np.exp`` gives them: x − max(x) of
    unsigned integers wraps around (uint8 0 − 2 is 254)."""
    data = raw_data(x)
    dtype = data.dtype if hasattr(data, "dtype") else np.asarray(data).dtype
    return integers_as_floats(x, np.exp(np.zeros(0, dtype)).dtype)


def softmax(x: Any, axis: int | tuple[int, ...] | None = -1) -> Any:
    """exp(x) / Σ exp(x) along ``axis``, computed as exp(log_softmax(x)).

    ``axis`` is the last one by default, as in ``jax.nn``, Keras and PyTorch; SciPy's
    ``softmax`` defaults to ``axis=None`` (the whole array): pass it for SciPy's.

    >>> softmax(np.array([0.0, 0.0]))
    array([0.5, 0.5])
    >>> softmax(np.zeros((2, 2)))  # each row
    array([[0.5, 0.5],
           [0.5, 0.5]])
    >>> softmax(np.zeros((2, 2)), axis=None)  # the whole array, SciPy's default
    array([[0.25, 0.25],
           [0.25, 0.25]])
    """
    return exp(log_softmax(x, axis=axis))


def _sparsemax_impl(x, axis):
    # Martins & Astudillo (2016), Algorithm 1: sort descending, the support is the k
    # largest with 1 + j·z₍ⱼ₎ > Σ_{i≤j} z₍ᵢ₎, and τ = (Σ_{j≤k} z₍ⱼ₎ − 1) / k.
    xp = array_module(x)  # NumPy, or the device's array module
    # shifted so that the largest is 0 (sparsemax(z − c) = sparsemax(z)): where 1 + z₍ⱼ₎
    # rounds to z₍ⱼ₎ (float32 logits of 1e8) the support test would fail everywhere
    x = x - xp.max(x, axis=axis, keepdims=True)
    ranked = -xp.sort(-x, axis=axis)
    partial_sums = xp.cumsum(ranked, axis=axis)
    shape = [1] * x.ndim
    shape[axis] = -1
    ranks = xp.arange(1, x.shape[axis] + 1, dtype=x.dtype).reshape(shape)
    support_size = xp.sum(1 + ranks * ranked > partial_sums, axis=axis, keepdims=True)
    top_sum = xp.take_along_axis(partial_sums, xp.maximum(support_size - 1, 0), axis=axis)
    tau = (top_sum - 1) / support_size.astype(x.dtype)
    return xp.maximum(x - tau, 0).astype(x.dtype, copy=False)


def _sparsemax_jacobian_product(v, ans, axis):
    """J v for J = diag(s) − s sᵀ / |S|, s the support's indicator (J is symmetric): the
    derivative wherever no output sits exactly on its kink (0 off the support)."""
    support = astype(greater(ans, 0), ans.dtype)
    size = dnp_sum(support, axis=axis, keepdims=True)
    return support * (v - dnp_sum(support * v, axis=axis, keepdims=True) / size)


_sparsemax = Primitive(_sparsemax_impl, "sparsemax")
_sparsemax.defvjp(lambda g, ans, x, axis: _sparsemax_jacobian_product(g, ans, axis))
_sparsemax.defjvp(lambda t, ans, x, axis: _sparsemax_jacobian_product(t, ans, axis))


def sparsemax(x: Any, axis: int = -1) -> Any:
    """The Euclidean projection of x onto the probability simplex along ``axis``:
    max(x − τ(x), 0), with τ chosen so the result sums to 1 (Martins & Astudillo, 2016).
    Integer and boolean x give float64, as softmax does.

    >>> sparsemax(np.array([0.0, 0.5, 1.0]))
    array([0.  , 0.25, 0.75])
    >>> sparsemax(np.array([1, 1]))
    array([0.5, 0.5])
    """
    x = integers_as_floats(x)  # computed in x's dtype, τ = 1/3 would be truncated to 0
    return _sparsemax(x, axis=axis)


# The rule and both its executors (NumPy, and a numba kernel for small logits) live in
# cross_entropy_kernels.py; these are the primitives' impls.
def _sparse_cross_entropy_impl(logits, labels):
    return cross_entropy_kernels.losses(logits, labels)


def _softmax_minus_one_hot_impl(logits, labels):
    return cross_entropy_kernels.softmax_minus_one_hot(logits, labels)


def _softmax_jacobian_product(v, logits):
    """J v for J = ∂softmax/∂logits (symmetric): s ⊙ (v − Σ s ⊙ v)."""
    s = softmax(logits)
    return s * (v - dnp_sum(s * v, axis=-1, keepdims=True))


# ∂/∂logits of −log softmax(logits)[label], in one NumPy pass instead of five deepgrad
# ops: the backward of the fused cross-entropy. The one-hot part is constant, so its own
# derivative is the softmax Jacobian's (written with deepgrad ops: higher orders work).
_softmax_minus_one_hot = Primitive(_softmax_minus_one_hot_impl, "softmax_minus_one_hot")
_softmax_minus_one_hot.defvjp(
    lambda g, ans, logits, labels: _softmax_jacobian_product(g, logits), None
)
_softmax_minus_one_hot.defjvp(
    lambda t, ans, logits, labels: _softmax_jacobian_product(t, logits), None
)


def softmax_minus_one_hot(logits: Any, labels: Any) -> Any:
    """softmax(logits) − one_hot(labels) along the last axis: the gradient of
    ``sparse_softmax_cross_entropy`` with respect to the logits.

    >>> softmax_minus_one_hot(np.array([[0.0, 0.0]]), np.array([1]))
    array([[ 0.5, -0.5]])
    """
    return _softmax_minus_one_hot(logits, labels)


# Fused softmax cross-entropy on integer labels, as every framework has it: one pass
# forward, and a backward of softmax − one_hot instead of the chain log_softmax → gather.
_sparse_cross_entropy = Primitive(_sparse_cross_entropy_impl, "sparse_softmax_cross_entropy")
_sparse_cross_entropy.defvjp(
    lambda g, ans, logits, labels: _expand_last(g) * softmax_minus_one_hot(logits, labels), None
)
_sparse_cross_entropy.defjvp(
    lambda t, ans, logits, labels: dnp_sum(t * softmax_minus_one_hot(logits, labels), axis=-1),
    None,
)


def _expand_last(g: Any) -> Any:
    return expand_dims(g, -1)


def sparse_softmax_cross_entropy(logits: Any, labels: Any) -> Any:
    """−log softmax(logits)[label] along the last axis, for integer ``labels`` of shape
    ``logits.shape[:-1]``: the categorical negative log-likelihood, fused.

    >>> sparse_softmax_cross_entropy(np.array([[0.0, 0.0]]), np.array([1]))
    array([0.69314718])
    """
    return _sparse_cross_entropy(logits, labels)

"""Rows of the op table for the activations that are more than one elementwise op of the
NumPy namespace: the shrinks, threshold, squareplus, the sparse family, glu and sparsemax.
Their inputs keep away from the kinks, where central differences cannot check a
derivative (tests/test_activations_keras_more.py checks the kinks against Keras).

``op_table.py`` imports ``activation_rows`` at its end and appends them to ``OP_TABLE``.
"""

from __future__ import annotations

import numpy as np

from deepgrad import activations as A
from tests.ops.op_table import ANY, BROADCAST2, OpSpec, fixed, real

# Every kink of the rows below: ±threshold (0.5 and 1), sparse_plus's and sparse_sigmoid's ±1.
KINKS = np.array([-1.0, -0.5, 0.5, 1.0])


def off_kinks(rng, shape):
    """Uniform on [-2, 2], each value at least 0.05 from every kink."""
    x = np.asarray(real(rng, shape))
    distance = np.abs(x[..., None] - KINKS)
    near = np.min(distance, axis=-1) < 0.05
    return np.where(near, x + 0.1, x)


def off_simplex_kinks(rng, shape):
    """Inputs whose sparsemax along the first and last axes has no element within 0.02 of
    τ: the support cannot change under a central-difference step."""
    for _ in range(1000):
        x = rng.uniform(-2, 2, shape)
        if all(_margin(x, axis) > 0.02 for axis in (0, -1)):
            return x
    raise AssertionError(f"no input of shape {shape} away from sparsemax's kinks")


def _margin(x, axis):
    output = np.asarray(A.sparsemax(x, axis=axis))
    tau = np.max(x - output, axis=axis, keepdims=True)  # x − τ = output on the support
    return np.min(np.abs(x - tau))


def _np_squareplus(x, b=4):
    return (x + np.sqrt(x * x + b)) / 2


def _np_hard_shrink(x, threshold=0.5):
    return np.where(np.abs(x) > threshold, x, 0.0)


def _np_soft_shrink(x, threshold=0.5):
    return np.sign(x) * np.maximum(np.abs(x) - threshold, 0.0)


def _np_threshold(x, threshold, default_value):
    return np.where(x > threshold, x, default_value)


def _np_sparse_plus(x):
    return np.where(x <= -1, 0.0, np.where(x >= 1, x, (x + 1) ** 2 / 4))


def _np_sparse_sigmoid(x):
    return np.clip((x + 1) / 2, 0, 1)


def _np_glu(x, axis=-1):
    first, second = np.split(x, 2, axis=axis)
    return first / (1 + np.exp(-second))


def _np_sparsemax(x, axis=-1):
    """Martins & Astudillo (2016), Algorithm 1, one slice at a time."""
    moved = np.moveaxis(x, axis, -1)
    out = np.empty_like(moved)
    for index in np.ndindex(moved.shape[:-1]):
        z = moved[index]
        ranked = np.sort(z)[::-1]
        partial = np.cumsum(ranked)
        k = np.max(np.nonzero(1 + np.arange(1, z.size + 1) * ranked > partial)[0]) + 1
        out[index] = np.maximum(z - (partial[k - 1] - 1) / k, 0)
    return np.moveaxis(out, -1, axis)


THRESHOLDS = [{}, {"threshold": 1.0}]
EVEN_SHAPES = fixed(((4, 2),), ((2, 3, 4),), ((6,),))


def activation_rows() -> list[OpSpec]:
    return [
        OpSpec("squareplus", A.squareplus, _np_squareplus, ANY, kwargs=[{}, {"b": 1.0}]),
        OpSpec("tanh_shrink", A.tanh_shrink, lambda x: x - np.tanh(x), ANY),
        OpSpec("hard_shrink", A.hard_shrink, _np_hard_shrink, ANY, (off_kinks,), THRESHOLDS),
        OpSpec("soft_shrink", A.soft_shrink, _np_soft_shrink, ANY, (off_kinks,), THRESHOLDS),
        OpSpec(
            "threshold",
            A.threshold,
            _np_threshold,
            ANY,
            (off_kinks,),
            [{"threshold": 0.5, "default_value": -3.0}, {"threshold": -1.0, "default_value": 2}],
        ),
        OpSpec(
            "threshold_traced_default",
            lambda x, value: A.threshold(x, 0.5, value),
            lambda x, value: _np_threshold(x, 0.5, value),
            BROADCAST2,
            (off_kinks, real),
        ),
        OpSpec("sparse_plus", A.sparse_plus, _np_sparse_plus, ANY, (off_kinks,)),
        OpSpec(
            "sparse_sigmoid",
            A.sparse_sigmoid,
            lambda x: np.clip((x + 1) / 2, 0, 1),
            ANY,
            (off_kinks,),
        ),
        OpSpec("glu", A.glu, _np_glu, EVEN_SHAPES, kwargs=[{}, {"axis": 0}]),
        OpSpec(
            "sparsemax",
            A.sparsemax,
            _np_sparsemax,
            fixed(((3, 4),), ((2, 3, 4),), ((5,),), ((1, 3),)),
            (off_simplex_kinks,),
            [{}, {"axis": 0}],
        ),
    ]
